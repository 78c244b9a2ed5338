"""Opaque global IDs and cursors: signed, so a forged or edited one is refused, and built from
random public ids, so nothing in them says which authority a record belongs to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from exchange.errors import InvalidInput


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("global-id:" + secret).encode()).digest()

    def _tag(self, payload: bytes) -> str:
        return _b64(hmac.new(self._key, payload, hashlib.sha256).digest()[:9])

    def sign(self, payload: str) -> str:
        raw = payload.encode()
        return f"{_b64(raw)}.{self._tag(raw)}"

    def unsign(self, token: str, what: str) -> str:
        try:
            body, tag = token.split(".", 1)
            raw = _unb64(body)
        except (ValueError, TypeError):
            raise InvalidInput(
                what, f"'{token[:64]}' is not a valid {what}", "INVALID_ID"
            ) from None
        if not hmac.compare_digest(tag, self._tag(raw)):
            raise InvalidInput(what, f"'{token[:64]}' is not a valid {what}", "INVALID_ID")
        return raw.decode()

    def global_id(self, type_name: str, key: str) -> str:
        return self.sign(f"{type_name}:{key}")

    def parse_global_id(self, token: str) -> tuple[str, str]:
        type_name, _, key = self.unsign(token, "id").partition(":")
        return type_name, key

    def cursor(self, offset: int) -> str:
        return self.sign(json.dumps({"o": offset}, separators=(",", ":")))

    def offset(self, cursor: str, field: str) -> int:
        try:
            value = json.loads(self.unsign(cursor, "cursor"))["o"]
        except InvalidInput as exc:
            raise InvalidInput(field, exc.message, "INVALID_CURSOR") from None
        except (ValueError, KeyError, TypeError):
            raise InvalidInput(field, "not a valid cursor", "INVALID_CURSOR") from None
        if not isinstance(value, int) or value < 0:
            raise InvalidInput(field, "not a valid cursor", "INVALID_CURSOR")
        return value
