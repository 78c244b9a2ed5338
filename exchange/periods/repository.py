from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.periods.labels import PeriodKey
from exchange.periods.models import Period


async def ensure(session: AsyncSession, keys: Iterable[PeriodKey]) -> dict[PeriodKey, Period]:
    """Return the Period rows for ``keys``, creating the missing ones (flushes, never commits)."""
    wanted = set(keys)
    existing = {
        PeriodKey(p.kind, p.start_year): p
        for p in (await session.execute(select(Period))).scalars()
    }
    # Sorted: ids then follow time within a kind, the same on every run (a set's order is not).
    for key in sorted(wanted - existing.keys(), key=lambda k: (k.kind, k.start_year)):
        period = Period(
            time_identifier=key.time_identifier,
            time_period=key.time_period,
            kind=key.kind,
            label=key.label,
            start_year=key.start_year,
        )
        session.add(period)
        existing[key] = period
    await session.flush()
    return {k: existing[k] for k in wanted}


async def get(session: AsyncSession, key: PeriodKey) -> Period | None:
    stmt = select(Period).where(Period.label == key.label)
    return (await session.execute(stmt)).scalars().first()


async def get_many(session: AsyncSession, ids: Sequence[int]) -> dict[int, Period]:
    if not ids:
        return {}
    rows = await session.execute(select(Period).where(Period.id.in_(set(ids))))
    return {p.id: p for p in rows.scalars()}


async def between(session: AsyncSession, kind: str, start: int, end: int) -> list[Period]:
    stmt = (
        select(Period)
        .where(Period.kind == kind, Period.start_year >= start, Period.start_year <= end)
        .order_by(Period.start_year)
    )
    return list((await session.execute(stmt)).scalars())


async def all_periods(session: AsyncSession) -> list[Period]:
    return list(
        (await session.execute(select(Period).order_by(Period.kind, Period.start_year))).scalars()
    )
