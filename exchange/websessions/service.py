"""Server-side sessions for the officer pages: open, look up, list, revoke.

A session is a row; the browser holds only a random id (256 bits) and the row keeps its SHA-256,
so neither a copy of the table nor the row's public id can be turned into a cookie. A session
ends when it is revoked (sign-out, "sign out everywhere", revoking its token), after
``IDLE_TIMEOUT`` without a request, or ``ABSOLUTE_LIFETIME`` after it was opened, whichever comes
first; an ended session is never reopened.

Rules only: every query is in ``repository``; these functions flush, the caller commits. The
session does not decide who the viewer is: the caller checks the token it was opened with on
every request too (a revoked or expired token is no viewer even before its sessions end).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.websessions import repository
from exchange.websessions.models import WebSession

ABSOLUTE_LIFETIME = timedelta(hours=8)  # a working day, however busy
IDLE_TIMEOUT = timedelta(hours=2)  # without a request
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is refreshed at most this often
KEEP_ENDED = timedelta(days=30)  # rows are deleted this long after their absolute expiry
_ID_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Opened:
    web_session: WebSession
    raw_id: str  # for the cookie only: never stored


def hash_id(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode("utf-8", "surrogatepass")).hexdigest()


def aware(when: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def idle_expires_at(web_session: WebSession) -> datetime:
    return aware(web_session.last_seen_at) + IDLE_TIMEOUT


def ends_at(web_session: WebSession) -> datetime:
    """When the session ends if nothing else happens (idle or absolute, whichever is first)."""
    return min(aware(web_session.expires_at), idle_expires_at(web_session))


def is_open(web_session: WebSession, now: datetime) -> bool:
    return web_session.revoked_at is None and now < ends_at(web_session)


async def open(
    session: AsyncSession,
    token_id: int,
    *,
    user_agent: str = "",
    client_address: str = "",
    now: datetime | None = None,
) -> Opened:
    """A new session for a token that has just been checked (the caller checks it)."""
    stamp = now or datetime.now(UTC)
    await repository.delete_expired_before(session, stamp - KEEP_ENDED)
    raw_id = secrets.token_urlsafe(32)
    web_session = await repository.add(
        session,
        WebSession(
            session_hash=hash_id(raw_id),
            public_id=secrets.token_urlsafe(12),
            token_id=token_id,
            created_at=stamp,
            last_seen_at=stamp,
            expires_at=stamp + ABSOLUTE_LIFETIME,
            revoked_at=None,
            user_agent=summarise_user_agent(user_agent),
            client_address=client_address.strip()[:45],
            csrf_token=secrets.token_urlsafe(32),
        ),
    )
    return Opened(web_session, raw_id)


async def lookup(
    session: AsyncSession, raw_id: str | None, *, now: datetime | None = None
) -> WebSession | None:
    """The open session a cookie names, or None (malformed, unknown, revoked or expired).

    Refreshes ``last_seen_at`` (the idle clock) at most every ``TOUCH_EVERY`` (flushes)."""
    if not raw_id or not _ID_SHAPE.fullmatch(raw_id):
        return None
    stamp = now or datetime.now(UTC)
    found = await repository.by_hash(session, hash_id(raw_id))
    if found is None or not is_open(found, stamp):
        return None
    if stamp - aware(found.last_seen_at) >= TOUCH_EVERY:
        await repository.touch(session, found.id, stamp)  # also updates ``found``
    return found


async def revoke(session: AsyncSession, session_id: int, *, now: datetime | None = None) -> bool:
    """End one session (sign-out). False when it had already been revoked."""
    return await repository.revoke(session, session_id, now or datetime.now(UTC)) > 0


async def revoke_all_for_token(
    session: AsyncSession, token_id: int, *, now: datetime | None = None
) -> int:
    """End every session opened with a token ("sign out everywhere", token revocation)."""
    return await repository.revoke_for_token(session, token_id, now or datetime.now(UTC))


async def list_for_token(
    session: AsyncSession, token_id: int, *, now: datetime | None = None
) -> list[WebSession]:
    """A token's open sessions, most recently used first."""
    stamp = now or datetime.now(UTC)
    return await repository.open_for_token(
        session, token_id, now=stamp, seen_after=stamp - IDLE_TIMEOUT
    )


_BROWSERS = (  # order matters: Edge and Opera also say Chrome, Chrome also says Safari
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def summarise_user_agent(user_agent: str) -> str:
    """A summary such as "Firefox on Windows": enough to recognise a session in a list."""
    ua = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in ua), None)
    system = next((name for marker, name in _SYSTEMS if marker in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return str(browser or system)
    product = re.match(r"[A-Za-z0-9._-]{1,40}", ua.strip())
    return product.group(0) if product else "Unknown browser"
