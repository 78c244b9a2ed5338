from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.metrics.models import Metric


async def get_by_code(session: AsyncSession, code: str) -> Metric | None:
    return (await session.execute(select(Metric).where(Metric.code == code))).scalars().first()


async def get_many_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, Metric]:
    if not codes:
        return {}
    rows = await session.execute(select(Metric).where(Metric.code.in_(set(codes))))
    return {m.code: m for m in rows.scalars()}


async def get_many(session: AsyncSession, ids: Sequence[int]) -> dict[int, Metric]:
    if not ids:
        return {}
    rows = await session.execute(select(Metric).where(Metric.id.in_(set(ids))))
    return {m.id: m for m in rows.scalars()}


async def all_metrics(session: AsyncSession) -> list[Metric]:
    return list((await session.execute(select(Metric).order_by(Metric.code))).scalars())
