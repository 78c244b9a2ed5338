"""Every audit-log query lives here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, insert, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.audit.models import AuditEntry


async def add_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(AuditEntry), list(rows))


async def page(
    session: AsyncSession,
    *,
    actions: Sequence[str] | None,
    entity_type: str | None,
    entity_id: str | None,
    offset: int,
    limit: int,
) -> tuple[list[AuditEntry], int]:
    conds: list[Any] = []
    if actions:
        conds.append(AuditEntry.action.in_(actions))
    if entity_type:
        conds.append(AuditEntry.entity_type == entity_type)
    if entity_id:
        conds.append(AuditEntry.entity_id == entity_id)
    where = and_(true(), *conds)
    total = (await session.execute(select(func.count(AuditEntry.id)).where(where))).scalar_one()
    stmt = (
        select(AuditEntry).where(where).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
    )
    return list((await session.execute(stmt)).scalars()), int(total)


async def for_entity(session: AsyncSession, entity_type: str, entity_id: str) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id)
    )
    return list((await session.execute(stmt)).scalars())
