"""Signing in to the officer pages with a token, server-side sessions, and CSRF protection.

Two cookies, both HttpOnly and SameSite=Lax (and Secure with ``EXCHANGE_SECURE_COOKIES``):

- ``dbvx_session`` holds only a random session id (256 bits). The session is a row of
  ``web_sessions`` (exchange/websessions) keeping the id's SHA-256, the token it was opened with,
  its idle and absolute expiry and its CSRF token. Every request looks the row up and checks its
  token again: a revoked, expired or unknown session is anonymous and the cookie is cleared.
  Signing out, "sign out everywhere" and revoking the token end the row on the server, so a
  copied cookie stops working at once. The cookie never holds the token or anything derived
  from it, so it cannot be replayed against the API as a bearer token.
- ``dbvx_state`` (Starlette's signed SessionMiddleware) signs nobody in: it carries the one-off
  message shown after a redirect and a signed-out visitor's CSRF token (for the sign-in form).

CSRF: every form carries the CSRF token in a hidden ``csrf_token`` field (the session's own once
signed in, a fresh one for each new session) and every POST is refused (403) unless it matches
(constant-time comparison).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exchange.db import transaction
from exchange.settings import Settings
from exchange.tokens import service as tokens
from exchange.viewer import ANONYMOUS, Viewer
from exchange.websessions import service as websessions

SESSION_COOKIE = "dbvx_session"  # the random session id, nothing else
STATE_COOKIE = "dbvx_state"  # signed: flash messages and a signed-out visitor's CSRF token
SESSION_MAX_AGE = int(websessions.ABSOLUTE_LIFETIME.total_seconds())  # a working day
CSRF_FIELD = "csrf_token"
_SCOPE_KEY = "dbvx.web_session"
# No database work for every stylesheet and image, nor for the API (bearer tokens only).
_NOT_LOOKED_UP = ("/static/", "/graphql")


def session_key(settings: Settings) -> str:
    """A key of its own for the state cookie, derived from the server secret."""
    return hmac.new(settings.secret_key.encode(), b"dbvx officer session", "sha256").hexdigest()


def middleware(settings: Settings) -> list[Middleware]:
    # EXCHANGE_SECURE_COOKIES=1 behind HTTPS (docs/officers.md): cookies sent over TLS only.
    secure = settings.secure_cookies
    return [
        Middleware(
            SessionMiddleware,
            secret_key=session_key(settings),
            session_cookie=STATE_COOKIE,
            max_age=SESSION_MAX_AGE,
            same_site="lax",
            https_only=secure,
        ),
        Middleware(WebSessionMiddleware, secure=secure),
    ]


@dataclass
class _Current:
    """This request's session, looked up once by the middleware."""

    viewer: Viewer = ANONYMOUS
    session_id: int | None = None
    csrf: str | None = None
    new_cookie: str | None = None  # a session id to send (just signed in)
    clear_cookie: bool = False

    def forget(self) -> None:
        self.viewer, self.session_id, self.csrf = ANONYMOUS, None, None
        self.new_cookie, self.clear_cookie = None, True


def _current(request: Request) -> _Current:
    found = request.scope.get(_SCOPE_KEY)
    if not isinstance(found, _Current):
        found = request.scope[_SCOPE_KEY] = _Current()
    return found


def _services(app: Any) -> Any:
    return app.state.services


class WebSessionMiddleware:
    """Looks the session cookie up on every request; sets or clears the cookie on the response."""

    def __init__(self, app: ASGIApp, *, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        current = _Current()
        scope[_SCOPE_KEY] = current
        raw = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
        if raw is not None and not str(scope.get("path", "")).startswith(_NOT_LOOKED_UP):
            await _resolve(_services(scope["app"]), current, raw)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                header = self._cookie_header(current)
                if header is not None:
                    MutableHeaders(scope=message).append("set-cookie", header)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie_header(self, current: _Current) -> str | None:
        if current.new_cookie is not None:
            return _cookie(current.new_cookie, SESSION_MAX_AGE, self.secure)
        if current.clear_cookie:
            return _cookie("", 0, self.secure)
        return None


def _cookie(value: str, max_age: int, secure: bool) -> str:
    jar: SimpleCookie = SimpleCookie()
    jar[SESSION_COOKIE] = value
    morsel = jar[SESSION_COOKIE]
    morsel["path"] = "/"
    morsel["max-age"] = max_age
    morsel["httponly"] = True
    morsel["samesite"] = "lax"
    if secure:
        morsel["secure"] = True
    if max_age == 0:
        morsel["expires"] = "Thu, 01 Jan 1970 00:00:00 GMT"
    return jar.output(header="").strip()


async def _resolve(services: Any, current: _Current, raw: str) -> None:
    """The session the cookie names, if it is open and its token is still current."""
    now = datetime.now(UTC)
    async with services.sessions() as session:
        found = await websessions.lookup(session, raw, now=now)  # refreshes last_seen_at
        viewer = await tokens.current_viewer(session, found.token_id, now=now) if found else None
        if found is not None and viewer is None:
            await websessions.revoke(session, found.id, now=now)  # its token has ended
            found = None
        await session.commit()
    if found is None or viewer is None:
        current.clear_cookie = True  # revoked, expired or unknown: anonymous, forget the cookie
        return
    current.session_id = found.id
    current.csrf = found.csrf_token
    current.viewer = viewer


def _state(request: Request) -> dict[str, Any]:
    return request.session if "session" in request.scope else {}


def _fresh_state(request: Request) -> None:
    """A new signed-out CSRF token; nothing else survives (a flash may be added after)."""
    data = _state(request)
    data.clear()
    data[CSRF_FIELD] = secrets.token_urlsafe(32)


async def viewer_for(request: Request) -> Viewer:
    """The signed-in viewer, or ANONYMOUS (looked up once per request by the middleware)."""
    return _current(request).viewer


async def sign_in(request: Request, secret: str) -> Viewer | None:
    """Check a pasted token; on success open a server-side session and send its id."""
    current = _current(request)
    client = request.client.host if request.client else ""
    async with transaction(_services(request.app).sessions) as session:
        viewer = await tokens.authenticate_token(session, secret)  # last_used_at committed too
        if viewer is None or viewer.token_id is None:
            return None
        if current.session_id is not None:  # signing in again: the browser's old session ends
            await websessions.revoke(session, current.session_id)
        opened = await websessions.open(
            session,
            viewer.token_id,
            user_agent=request.headers.get("user-agent", ""),
            client_address=client,
        )
    _state(request).clear()  # the signed-out CSRF token is not needed any more
    current.viewer = viewer
    current.session_id = opened.web_session.id
    current.csrf = opened.web_session.csrf_token  # a fresh CSRF token for the new session
    current.new_cookie, current.clear_cookie = opened.raw_id, False
    return viewer


async def sign_out(request: Request) -> None:
    """End this browser's session on the server and clear its cookie."""
    current = _current(request)
    if current.session_id is not None:
        async with transaction(_services(request.app).sessions) as session:
            await websessions.revoke(session, current.session_id)
    current.forget()
    _fresh_state(request)


async def sign_out_everywhere(request: Request) -> int:
    """End every session opened with this browser's token, this one included. How many ended."""
    current = _current(request)
    token_id = current.viewer.token_id
    ended = 0
    if token_id is not None:
        async with transaction(_services(request.app).sessions) as session:
            ended = await websessions.revoke_all_for_token(session, token_id)
    current.forget()
    _fresh_state(request)
    return ended


@dataclass(frozen=True)
class OpenSession:
    """One signed-in browser, as the account page lists it."""

    public_id: str
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    client_address: str
    current: bool


async def open_sessions(request: Request) -> list[OpenSession]:
    """The open sessions of this browser's token, most recently used first."""
    current = _current(request)
    token_id = current.viewer.token_id
    if token_id is None:
        return []
    async with _services(request.app).sessions() as session:
        rows = await websessions.list_for_token(session, token_id)
    return [
        OpenSession(
            public_id=row.public_id,
            created_at=websessions.aware(row.created_at),
            last_seen_at=websessions.aware(row.last_seen_at),
            user_agent=row.user_agent,
            client_address=row.client_address,
            current=row.id == current.session_id,
        )
        for row in rows
    ]


async def end_session(request: Request, public_id: str) -> bool:
    """End one open session of this browser's token (this one signs the browser out).
    False when the token has no open session with that id."""
    current = _current(request)
    token_id = current.viewer.token_id
    if token_id is None or not public_id:
        return False
    async with transaction(_services(request.app).sessions) as session:
        mine = await websessions.list_for_token(session, token_id)
        target = next((row for row in mine if row.public_id == public_id), None)
        if target is None:
            return False
        await websessions.revoke(session, target.id)
    if target.id == current.session_id:
        current.forget()
        _fresh_state(request)
    return True


def csrf_token(request: Request) -> str:
    current = _current(request)
    if current.csrf is not None:
        return current.csrf
    data = _state(request)
    token = data.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        data[CSRF_FIELD] = token
    return token


def csrf_ok(request: Request, submitted: Any) -> bool:
    current = _current(request)
    expected = current.csrf if current.session_id is not None else _state(request).get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(
        hashlib.sha256(expected.encode()).digest(), hashlib.sha256(submitted.encode()).digest()
    )
