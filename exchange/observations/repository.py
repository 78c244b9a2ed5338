"""Observation queries: current rows, their revisions and the figures read by comparisons and
imports. The pseudonym policy's queries (allow-list, pseudonymous series, named holders, visible
datasets) are in ``repository_pseudonyms``."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.observations.models import Observation, ObservationRevision
from exchange.observations.repository_pseudonyms import ShownPseudonyms, pseudonyms_allowed
from exchange.periods.models import Period

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
    session: AsyncSession, metric_ids: Sequence[int], *, demo: bool = False
) -> dict[SeriesKey, CurrentState]:
    """The current state of every series of these metrics, in the real or the demo dataset."""
    stmt = select(
        Observation.id,
        Observation.metric_id,
        Observation.period_id,
        Observation.area_level,
        Observation.area_code,
        Observation.value,
        Observation.symbol,
        Observation.revision,
    ).where(Observation.metric_id.in_(metric_ids), Observation.is_demo.is_(demo))
    out: dict[SeriesKey, CurrentState] = {}
    for row in await session.execute(stmt):
        out[(row.metric_id, row.period_id, row.area_level, row.area_code)] = CurrentState(
            row.id, row.value, row.symbol, row.revision
        )
    return out


INSERT_CHUNK = 500


async def insert_new(
    session: AsyncSession, rows: list[dict[str, Any]], created_by: str | None
) -> list[int]:
    """Insert observations (each with its first revision); returns ids in input order."""
    if not rows:
        return []
    for r in rows:
        r.setdefault("public_id", new_public_id())
        r.setdefault("first_published_at", r["updated_at"])
    # One executemany, then the ids looked up by public id. INSERT … RETURNING with
    # sort_by_parameter_order made SQLAlchemy send SQLite one statement per row and splice the
    # returned rows quadratically: an import of 9,500 observations spent 8 of its 9 s there.
    # render_nulls: without it the ORM splits the batch wherever the pattern of None values
    # changes (value vs symbol), ~7 rows a statement.
    await session.execute(insert(Observation).execution_options(render_nulls=True), rows)
    public_ids = [r["public_id"] for r in rows]
    by_public_id: dict[str, int] = {}
    for start in range(0, len(public_ids), INSERT_CHUNK):
        chunk = public_ids[start : start + INSERT_CHUNK]
        found = await session.execute(
            select(Observation.public_id, Observation.id).where(Observation.public_id.in_(chunk))
        )
        by_public_id.update({p: i for p, i in found.all()})
    ids = [by_public_id[p] for p in public_ids]
    await session.execute(
        insert(ObservationRevision).execution_options(render_nulls=True),
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
        insert(ObservationRevision).execution_options(render_nulls=True),
        [_revision_row(oid, vals, rev) for oid, rev, vals in changes],
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
    "numerator_floor",
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


def _authority_values(metric_id: int, period_id: int, demo: bool) -> Select[Any]:
    return select(Observation).where(
        Observation.metric_id == metric_id,
        Observation.period_id == period_id,
        Observation.area_level == "local_authority",
        Observation.is_demo.is_(demo),
    )


async def for_authorities(
    session: AsyncSession,
    metric_id: int,
    period_id: int,
    authority_ids: Sequence[int],
    *,
    demo: bool = False,
) -> dict[int, Observation]:
    """One dataset's figures (real by default) of these authorities, keyed by authority id."""
    stmt = _authority_values(metric_id, period_id, demo).where(
        Observation.authority_id.in_(authority_ids)
    )
    return {o.authority_id: o for o in (await session.execute(stmt)).scalars() if o.authority_id}


async def area_values(
    session: AsyncSession,
    metric_id: int,
    period_ids: Sequence[int],
    areas: Sequence[tuple[str, str]],
) -> dict[tuple[int, str, str], Observation]:
    """England / region observations (DfE's, never demo), keyed by (period id, level, code)."""
    if not areas or not period_ids:
        return {}
    stmt = select(Observation).where(
        Observation.is_demo.is_(False),
        Observation.metric_id == metric_id,
        Observation.period_id.in_(period_ids),
        Observation.area_level.in_({a[0] for a in areas}),
        Observation.area_code.in_({a[1] for a in areas}),
    )
    return {
        (o.period_id, o.area_level, o.area_code): o for o in (await session.execute(stmt)).scalars()
    }


async def series_for_authorities(
    session: AsyncSession,
    metric_id: int,
    period_ids: Sequence[int],
    authority_ids: Sequence[int],
    *,
    demo: bool | None = False,
) -> list[Observation]:
    """Rows of one dataset (real by default, demo, or both when ``demo`` is None)."""
    stmt = select(Observation).where(
        Observation.metric_id == metric_id,
        Observation.period_id.in_(period_ids),
        Observation.authority_id.in_(authority_ids),
    )
    if demo is not None:
        stmt = stmt.where(Observation.is_demo.is_(demo))
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
    shown_pseudonyms: ShownPseudonyms,
    viewer_authority_id: int | None = None,
    area_levels: Sequence[str] | None = None,
) -> tuple[list[Observation], int]:
    """A page of current observations, both datasets (each row says whether it is demo).

    Pseudonymous rows: only those ``shown_pseudonyms`` allows are listed; filtering by authority
    never finds a pseudonymous row (except the viewer's own); and they sort after the named rows of
    their metric and period by their random public id, so their position says nothing about who
    published them.
    """
    conds: list[ColumnElement[bool]] = [
        Observation.visibility.in_(visibilities),
        Observation.withdrawn.is_(False),
        pseudonyms_allowed(shown_pseudonyms),
    ]
    if metric_ids is not None:
        conds.append(Observation.metric_id.in_(metric_ids))
    if authority_ids is not None:
        conds.append(Observation.authority_id.in_(authority_ids))
        own = (
            Observation.authority_id == viewer_authority_id
            if viewer_authority_id is not None
            else false()
        )
        conds.append(or_(Observation.pseudonymous.is_(False), own))
    if period_ids is not None:
        conds.append(Observation.period_id.in_(period_ids))
    if area_levels is not None:
        conds.append(Observation.area_level.in_(area_levels))
    where = and_(*conds)
    total = (await session.execute(select(func.count(Observation.id)).where(where))).scalar_one()
    stmt = (
        select(Observation)
        .join(Period, Period.id == Observation.period_id)
        .where(where)
        .order_by(
            Observation.metric_id,
            Period.start_year,  # chronological, whatever order the periods were created in
            Observation.area_level,
            Observation.is_demo,
            Observation.pseudonymous,
            case(
                (Observation.pseudonymous.is_(True), Observation.public_id),
                else_=Observation.area_code,
            ),
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


async def for_authority_series(
    session: AsyncSession,
    authority_id: int,
    metric_ids: Sequence[int],
    period_ids: Sequence[int],
    *,
    lock: bool = False,
    demo: bool = False,
) -> dict[tuple[int, int], Observation]:
    """One authority's current rows of one dataset (real by default) for these metrics and periods,
    keyed (metric id, period id).

    ``lock`` takes row locks (SELECT … FOR UPDATE) where the database has them (PostgreSQL);
    SQLite serialises writers instead. Either way a concurrent writer that slips in between is
    caught by the unique (observation_id, revision) constraint and the caller retries.
    """
    if not metric_ids or not period_ids:
        return {}
    stmt = select(Observation).where(
        Observation.area_level == "local_authority",
        Observation.is_demo.is_(demo),
        Observation.authority_id == authority_id,
        Observation.metric_id.in_(set(metric_ids)),
        Observation.period_id.in_(set(period_ids)),
    )
    if lock:
        stmt = stmt.with_for_update()
    rows = (await session.execute(stmt.execution_options(populate_existing=True))).scalars()
    return {(o.metric_id, o.period_id): o for o in rows}


async def get_many(session: AsyncSession, ids: Sequence[int]) -> list[Observation]:
    """Fresh copies (the session may hold stale ones after bulk updates), in id order."""
    if not ids:
        return []
    stmt = (
        select(Observation)
        .where(Observation.id.in_(set(ids)))
        .order_by(Observation.id)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def revisions_of(
    session: AsyncSession, observation_ids: Sequence[int]
) -> dict[int, list[ObservationRevision]]:
    """Every revision of these observations, oldest first, keyed by observation id."""
    if not observation_ids:
        return {}
    stmt = (
        select(ObservationRevision)
        .where(ObservationRevision.observation_id.in_(sorted(set(observation_ids))))
        .order_by(ObservationRevision.observation_id, ObservationRevision.revision)
    )
    out: dict[int, list[ObservationRevision]] = {}
    for r in (await session.execute(stmt)).scalars():
        out.setdefault(r.observation_id, []).append(r)
    return out


async def start_year_spans(
    session: AsyncSession, metric_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """metric id -> (first, last) start year of its periods with any authority figure."""
    if not metric_ids:
        return {}
    stmt = (
        select(Observation.metric_id, func.min(Period.start_year), func.max(Period.start_year))
        .join(Period, Period.id == Observation.period_id)
        .where(
            Observation.metric_id.in_(set(metric_ids)),
            Observation.area_level == "local_authority",
        )
        .group_by(Observation.metric_id)
    )
    return {m: (int(lo), int(hi)) for m, lo, hi in (await session.execute(stmt)).all()}
