"""Signing in to the officer pages with a token, and CSRF protection for every form.

The session cookie (Starlette's SessionMiddleware: signed, HttpOnly, SameSite=Lax) never holds the
token itself, only its SHA-256 — the same value the database keeps — so a leaked cookie cannot be
replayed against the API as a bearer token. Every request looks the token up again, so a revoked
or expired token stops working on the pages at once.

CSRF: each session gets a random token; every form carries it in a hidden ``csrf_token`` field,
and every POST is refused (403) unless it matches (constant-time comparison).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request

from exchange.settings import Settings
from exchange.tokens import repository as token_repository
from exchange.tokens import service as tokens
from exchange.viewer import ANONYMOUS, Viewer

SESSION_COOKIE = "dbvx_session"
SESSION_MAX_AGE = 8 * 60 * 60  # a working day
CSRF_FIELD = "csrf_token"


def session_key(settings: Settings) -> str:
    """A key of its own for the session cookie, derived from the server secret."""
    return hmac.new(settings.secret_key.encode(), b"dbvx officer session", "sha256").hexdigest()


def secure_cookies() -> bool:
    """``EXCHANGE_SECURE_COOKIES=1`` behind HTTPS (docs/officers.md): cookie sent over TLS only."""
    return os.environ.get("EXCHANGE_SECURE_COOKIES", "").lower() in {"1", "true", "yes"}


def middleware(settings: Settings) -> list[Middleware]:
    return [
        Middleware(
            SessionMiddleware,
            secret_key=session_key(settings),
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE,
            same_site="lax",
            https_only=secure_cookies(),
        )
    ]


def _session(request: Request) -> dict[str, Any]:
    return request.session if "session" in request.scope else {}


async def viewer_for(request: Request) -> Viewer:
    """The signed-in viewer, or ANONYMOUS. Cached on the request."""
    cached = getattr(request.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    viewer = ANONYMOUS
    session_data = _session(request)
    token_hash = session_data.get("token_hash")
    if isinstance(token_hash, str) and len(token_hash) == 64:
        services = request.app.state.services
        async with services.sessions() as session:
            token = await token_repository.by_hash(session, token_hash)
            if token is not None and tokens.is_current(token, datetime.now(UTC)):
                viewer = Viewer(
                    role=token.role,
                    authority_id=token.authority_id,
                    token_id=token.id,
                    scopes=token.scope_set,
                )
        if viewer is ANONYMOUS:  # revoked or expired since sign-in: forget it
            session_data.pop("token_hash", None)
    request.state.viewer = viewer
    return viewer


async def sign_in(request: Request, secret: str) -> Viewer | None:
    """Check a pasted token; on success remember its hash in the session."""
    services = request.app.state.services
    async with services.sessions() as session:
        viewer = await tokens.authenticate_token(session, secret)
        await session.commit()
    if viewer is None:
        return None
    data = _session(request)
    data.clear()
    data["token_hash"] = tokens.hash_token(secret.strip())
    data[CSRF_FIELD] = secrets.token_urlsafe(32)  # a fresh CSRF token for the signed-in session
    request.state.viewer = viewer
    return viewer


def sign_out(request: Request) -> None:
    data = _session(request)
    data.clear()
    data[CSRF_FIELD] = secrets.token_urlsafe(32)
    request.state.viewer = ANONYMOUS


def csrf_token(request: Request) -> str:
    data = _session(request)
    token = data.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        data[CSRF_FIELD] = token
    return token


def csrf_ok(request: Request, submitted: Any) -> bool:
    expected = _session(request).get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(
        hashlib.sha256(expected.encode()).digest(), hashlib.sha256(submitted.encode()).digest()
    )
