"""Every web-session query lives here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.websessions.models import WebSession


async def add(session: AsyncSession, web_session: WebSession) -> WebSession:
    session.add(web_session)
    await session.flush()
    return web_session


async def by_hash(session: AsyncSession, session_hash: str) -> WebSession | None:
    stmt = select(WebSession).where(WebSession.session_hash == session_hash)
    return (await session.execute(stmt)).scalars().first()


async def open_for_token(
    session: AsyncSession, token_id: int, *, now: datetime, seen_after: datetime
) -> list[WebSession]:
    """Sessions of one token neither revoked nor past either expiry, most recently used first."""
    stmt = (
        select(WebSession)
        .where(
            WebSession.token_id == token_id,
            WebSession.revoked_at.is_(None),
            WebSession.expires_at > now,
            WebSession.last_seen_at > seen_after,
        )
        .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def touch(session: AsyncSession, session_id: int, when: datetime) -> None:
    await session.execute(
        update(WebSession).where(WebSession.id == session_id).values(last_seen_at=when)
    )


async def revoke(session: AsyncSession, session_id: int, when: datetime) -> int:
    result = await session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=when)
    )
    return _count(result)


async def revoke_for_token(session: AsyncSession, token_id: int, when: datetime) -> int:
    result = await session.execute(
        update(WebSession)
        .where(WebSession.token_id == token_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=when)
    )
    return _count(result)


async def delete_expired_before(session: AsyncSession, cutoff: datetime) -> int:
    # Long-ended rows are never loaded in a session: nothing in memory to synchronise.
    result = await session.execute(
        delete(WebSession)
        .where(WebSession.expires_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return _count(result)


def _count(result: object) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0
