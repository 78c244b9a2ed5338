"""One access-log line per request (JSON, with its duration), a request id, and a last line of
defence: an exception that escapes any handler becomes a JSON 500 with an error id, logged with its
stack, and nothing about the failure (SQL, paths, traceback) reaches the client.

Pure ASGI (not BaseHTTPMiddleware): it adds no task switches to the hot path.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access = logging.getLogger("exchange.access")
log = logging.getLogger("exchange.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def internal_error_body(error_id: str) -> bytes:
    return json.dumps(
        {
            "errors": [
                {
                    "message": f"Internal error (id {error_id}). It has been logged; "
                    "quote this id if you report it.",
                    "extensions": {"code": "INTERNAL", "errorId": error_id},
                }
            ]
        }
    ).encode()


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        incoming = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex[:16]
        state: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                MutableHeaders(scope=message).append("X-Request-Id", request_id)
            await send(message)

        error_id: str | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            error_id = uuid.uuid4().hex[:12]
            log.error(
                "unhandled error %s on %s %s",
                error_id,
                scope.get("method"),
                scope.get("path"),
                exc_info=(type(exc), exc, exc.__traceback__),
                extra={"error_id": error_id, "request_id": request_id},
            )
            if not state["started"]:
                body = internal_error_body(error_id)
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"x-request-id", request_id.encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
            state["status"] = 500
        finally:
            client = scope.get("client")
            extra: dict[str, Any] = {
                "request_id": request_id,
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": state["status"],
                "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                "client": client[0] if client else None,
            }
            if error_id:
                extra["error_id"] = error_id
            access.info(
                "%s %s %s", scope.get("method"), scope.get("path"), state["status"], extra=extra
            )
