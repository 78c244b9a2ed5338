"""Every observation query lives here."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.observations.models import Observation, ObservationRevision

SeriesKey = tuple[int, int, str, str]  # metric_id, period_id, area_level, area_code


def new_public_id() -> str:
    # Random, so an identifier says nothing about who published or when.
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class CurrentState:
    id: int
    value: float | None
    symbol: str | None
    revision: int


async def current_for_metrics(
    session: AsyncSession, metric_ids: Sequence[int]
) -> dict[SeriesKey, CurrentState]:
    stmt = select(
        Observation.id,
        Observation.metric_id,
        Observation.period_id,
        Observation.area_level,
        Observation.area_code,
        Observation.value,
        Observation.symbol,
        Observation.revision,
    ).where(Observation.metric_id.in_(metric_ids))
    out: dict[SeriesKey, CurrentState] = {}
    for row in await session.execute(stmt):
        out[(row.metric_id, row.period_id, row.area_level, row.area_code)] = CurrentState(
            row.id, row.value, row.symbol, row.revision
        )
    return out


async def insert_new(
    session: AsyncSession, rows: list[dict[str, Any]], created_by: str | None
) -> list[int]:
    """Insert observations (each with its first revision); returns ids in input order."""
    if not rows:
        return []
    for r in rows:
        r.setdefault("public_id", new_public_id())
    result = await session.execute(
        insert(Observation).returning(Observation.id, sort_by_parameter_order=True), rows
    )
    ids = [r[0] for r in result]
    await session.execute(
        insert(ObservationRevision),
        [
            _revision_row(obs_id, {**r, "created_by": created_by}, 1)
            for obs_id, r in zip(ids, rows, strict=True)
        ],
    )
    return ids


async def add_revisions(
    session: AsyncSession, changes: list[tuple[int, int, dict[str, Any]]]
) -> None:
    """Apply (observation id, new revision number, values) as a new revision plus current state."""
    if not changes:
        return
    await session.execute(
        insert(ObservationRevision), [_revision_row(oid, vals, rev) for oid, rev, vals in changes]
    )
    for oid, rev, vals in changes:
        current = {k: v for k, v in vals.items() if k in _CURRENT_FIELDS}
        await session.execute(
            update(Observation).where(Observation.id == oid).values(revision=rev, **current)
        )


_CURRENT_FIELDS = {
    "value",
    "symbol",
    "flags",
    "source",
    "visibility",
    "pseudonymous",
    "withdrawn",
    "updated_at",
    "is_demo",
}


def _revision_row(observation_id: int, vals: dict[str, Any], revision: int) -> dict[str, Any]:
    return {
        "observation_id": observation_id,
        "revision": revision,
        "value": vals.get("value"),
        "symbol": vals.get("symbol"),
        "flags": vals.get("flags", ""),
        "source": vals["source"],
        "visibility": vals.get("visibility", "public"),
        "pseudonymous": vals.get("pseudonymous", False),
        "withdrawn": vals.get("withdrawn", False),
        "created_at": vals["updated_at"],
        "created_by": vals.get("created_by"),
    }


def _authority_values(metric_id: int, period_id: int) -> Select[Any]:
    return select(Observation).where(
        Observation.metric_id == metric_id,
        Observation.period_id == period_id,
        Observation.area_level == "local_authority",
    )


async def for_authorities(
    session: AsyncSession, metric_id: int, period_id: int, authority_ids: Sequence[int]
) -> dict[int, Observation]:
    stmt = _authority_values(metric_id, period_id).where(
        Observation.authority_id.in_(authority_ids)
    )
    return {o.authority_id: o for o in (await session.execute(stmt)).scalars() if o.authority_id}


async def area_values(
    session: AsyncSession,
    metric_id: int,
    period_ids: Sequence[int],
    areas: Sequence[tuple[str, str]],
) -> dict[tuple[int, str, str], Observation]:
    """England / region observations, keyed by (period id, level, code)."""
    if not areas or not period_ids:
        return {}
    stmt = select(Observation).where(
        Observation.metric_id == metric_id,
        Observation.period_id.in_(period_ids),
        Observation.area_level.in_({a[0] for a in areas}),
        Observation.area_code.in_({a[1] for a in areas}),
    )
    return {
        (o.period_id, o.area_level, o.area_code): o for o in (await session.execute(stmt)).scalars()
    }


async def series_for_authorities(
    session: AsyncSession, metric_id: int, period_ids: Sequence[int], authority_ids: Sequence[int]
) -> list[Observation]:
    stmt = select(Observation).where(
        Observation.metric_id == metric_id,
        Observation.period_id.in_(period_ids),
        Observation.authority_id.in_(authority_ids),
    )
    return list((await session.execute(stmt)).scalars())


async def page(
    session: AsyncSession,
    *,
    metric_ids: Sequence[int] | None,
    authority_ids: Sequence[int] | None,
    period_ids: Sequence[int] | None,
    visibilities: Sequence[str],
    offset: int,
    limit: int,
) -> tuple[list[Observation], int]:
    conds = [Observation.visibility.in_(visibilities), Observation.withdrawn.is_(False)]
    if metric_ids is not None:
        conds.append(Observation.metric_id.in_(metric_ids))
    if authority_ids is not None:
        conds.append(Observation.authority_id.in_(authority_ids))
    if period_ids is not None:
        conds.append(Observation.period_id.in_(period_ids))
    where = and_(*conds)
    total = (await session.execute(select(func.count(Observation.id)).where(where))).scalar_one()
    stmt = (
        select(Observation)
        .where(where)
        .order_by(
            Observation.metric_id,
            Observation.period_id,
            Observation.area_level,
            Observation.area_code,
        )
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars()), int(total)


async def history(session: AsyncSession, observation_id: int) -> list[ObservationRevision]:
    stmt = (
        select(ObservationRevision)
        .where(ObservationRevision.observation_id == observation_id)
        .order_by(ObservationRevision.revision)
    )
    return list((await session.execute(stmt)).scalars())


async def count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(Observation.id)))).scalar_one())


def now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


async def get_by_public_id(session: AsyncSession, public_id: str) -> Observation | None:
    stmt = select(Observation).where(Observation.public_id == public_id)
    return (await session.execute(stmt)).scalars().first()
