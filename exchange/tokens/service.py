"""Bearer tokens: create (the secret is shown once, only its SHA-256 is kept), list, revoke, and
turn a presented secret into a Viewer.

``authenticate_token`` is what the GraphQL endpoint and the officer pages both use. It answers
``None`` for every kind of bad token (malformed, unknown, expired, revoked) after the same work,
so neither the answer nor the path taken says which case applied.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.audit import service as audit
from exchange.authorities import repository as authorities
from exchange.errors import InvalidInput, NotFound
from exchange.tokens import repository
from exchange.tokens.models import ApiToken
from exchange.tokens.scopes import ROLE_SCOPES as ROLE_SCOPES  # what each role may do
from exchange.tokens.scopes import UNAUTHENTICATED_MESSAGE as UNAUTHENTICATED_MESSAGE
from exchange.viewer import ROLES, Viewer
from exchange.websessions import service as websessions

TOKEN_PREFIX = "dbvx_"
_TOKEN_SHAPE = re.compile(r"^dbvx_[A-Za-z0-9_-]{43}$")
TOUCH_EVERY = timedelta(minutes=5)  # last_used_at is refreshed at most this often
DEFAULT_EXPIRY = timedelta(days=365)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 bits


def parse_duration(text: str) -> timedelta | None:
    """``90d``, ``12w``, ``36h``, ``30m`` (minutes), or ``never``: only that word means a token
    that never expires (``0``, ``none``, ``0d`` or an empty value are refused, not read as it)."""
    t = text.strip().lower()
    if t == "never":
        return None
    m = re.fullmatch(r"([0-9]{1,5})\s*([mhdw])", t)  # [0-9]: \d would take '٣d' as 3 days
    if not m:
        raise InvalidInput(
            "expires_in",
            f"'{text[:20]}' is not a duration: use for example 90d, 12w, 36h, or the word never "
            "for a token that does not expire",
        )
    n, unit = int(m.group(1)), m.group(2)
    delta = {
        "m": timedelta(minutes=n),
        "h": timedelta(hours=n),
        "d": timedelta(days=n),
        "w": timedelta(weeks=n),
    }[unit]
    if delta <= timedelta(0):
        raise InvalidInput(
            "expires_in",
            f"'{text[:20]}' is no time at all: give a lifetime such as 90d, or the word never "
            "for a token that does not expire",
        )
    return delta


@dataclass(frozen=True)
class Created:
    token: ApiToken
    secret: str  # shown once, never stored


async def create_token(
    session: AsyncSession,
    *,
    role: str,
    authority_code: str | None = None,
    name: str = "",
    expires_in: timedelta | None = DEFAULT_EXPIRY,
    scopes: list[str] | None = None,
    actor: audit.Actor = audit.OPERATOR,
    now: datetime | None = None,
) -> Created:
    if role not in ROLES:
        raise InvalidInput("role", f"unknown role '{role}': use one of {', '.join(ROLES)}")
    authority_id: int | None = None
    if role == "publisher":
        if not authority_code:
            raise InvalidInput(
                "authority", "a publisher token is bound to one authority: pass --authority 869"
            )
        found = await authorities.get_by_code(session, authority_code)
        if found is None:
            raise InvalidInput("authority", f"no authority with code '{authority_code}'")
        authority_id = found.id
    elif authority_code:
        raise InvalidInput("authority", f"a {role} token is not bound to an authority")
    allowed = ROLE_SCOPES[role]
    chosen = tuple(scopes) if scopes else allowed
    extra = sorted(set(chosen) - set(allowed))
    if extra:
        raise InvalidInput(
            "scopes",
            f"scope(s) {', '.join(extra)} are not available to a {role} token "
            f"(available: {', '.join(allowed)})",
        )
    if len(name) > 120:
        raise InvalidInput("name", "a token name is at most 120 characters")
    if expires_in is not None and expires_in <= timedelta(0):
        # Only None means "never": a zero lifetime is falsy, and once made a token live forever.
        raise InvalidInput("expires_in", "a token must live for some time (None: never expires)")
    stamp = now or datetime.now(UTC)
    secret = new_secret()
    token = await repository.add(
        session,
        ApiToken(
            token_hash=hash_token(secret),
            name=name.strip(),
            role=role,
            authority_id=authority_id,
            scopes=" ".join(sorted(set(chosen))),
            created_at=stamp,
            expires_at=None if expires_in is None else stamp + expires_in,
        ),
    )
    await audit.record(
        session,
        actor,
        [audit.Change("token.create", "token", str(token.id), None, describe(token))],
    )
    return Created(token, secret)


def describe(token: ApiToken) -> dict[str, object]:
    """A token as the audit log keeps it (never the hash)."""
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role,
        "authority_id": token.authority_id,
        "scopes": token.scopes.split(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


async def revoke_token(
    session: AsyncSession,
    token_id: int,
    *,
    actor: audit.Actor = audit.OPERATOR,
    now: datetime | None = None,
) -> ApiToken:
    """Revoke a token and end every officer-page session opened with it (flushes)."""
    stamp = now or datetime.now(UTC)
    token = await repository.get(session, token_id)
    if token is None:
        raise NotFound(f"no token with id {token_id}", field="id")
    # Every page request re-checks the token too; ending its sessions makes that explicit.
    await websessions.revoke_all_for_token(session, token.id, now=stamp)
    if token.revoked_at is None:
        before = describe(token)
        token.revoked_at = stamp
        await session.flush()
        await audit.record(
            session,
            actor,
            [audit.Change("token.revoke", "token", str(token.id), before, describe(token))],
        )
    return token


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    return await repository.all_tokens(session)


def aware(when: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    if when is not None and when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when


def is_current(token: ApiToken, now: datetime) -> bool:
    expires = aware(token.expires_at)
    return token.revoked_at is None and (expires is None or expires > now)


async def authenticate_token(
    session: AsyncSession, raw: str | None, *, now: datetime | None = None
) -> Viewer | None:
    """The viewer a presented secret stands for, or None (for any kind of bad token).

    Refreshes ``last_used_at`` at most every few minutes (flushes; the caller commits)."""
    stamp = now or datetime.now(UTC)
    candidate = (raw or "").strip()
    well_formed = bool(_TOKEN_SHAPE.fullmatch(candidate))
    # Always hash and look up, so a malformed token costs the same as an unknown one.
    token = await repository.by_hash(session, hash_token(candidate or "-"))
    if token is None or not well_formed or not is_current(token, stamp):
        return None
    last = aware(token.last_used_at)
    if last is None or stamp - last >= TOUCH_EVERY:
        await repository.touch(session, token.id, stamp)
    return viewer_for_token(token)


def viewer_for_token(token: ApiToken) -> Viewer:
    """The one token -> Viewer mapping (the API's bearer tokens and the officer pages' sessions)."""
    return Viewer(
        role=token.role,
        authority_id=token.authority_id,
        token_id=token.id,
        scopes=token.scope_set,
    )


async def current_viewer(
    session: AsyncSession, token_id: int, *, now: datetime | None = None
) -> Viewer | None:
    """The viewer of a token already identified (an officer-page session's), None once it has
    expired, been revoked or deleted."""
    token = await repository.get(session, token_id)
    if token is None or not is_current(token, now or datetime.now(UTC)):
        return None
    return viewer_for_token(token)


def bearer_secret(header: str | None) -> str | None:
    """The secret in an ``Authorization`` header value: None when there is no header at all, ""
    when it is there but is not a Bearer credential (which then fails like any bad token)."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return value.strip()


async def expiry_of(session: AsyncSession, token_id: int | None) -> datetime | None:
    if token_id is None:
        return None
    token = await repository.get(session, token_id)
    return aware(token.expires_at) if token else None


async def get_token(session: AsyncSession, token_id: int | None) -> ApiToken | None:
    return await repository.get(session, token_id) if token_id is not None else None
