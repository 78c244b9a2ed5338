"""Former authorities (abolished before the current 153) and the figures DfE still reports for
them: written by the importer, read by the API so that England's figure for a year can be
reconciled with the authorities' (exchange/importer/service.py, schema/former_authorities.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities.models import FormerAuthority, FormerAuthorityFigure


@dataclass(frozen=True)
class Figure:
    la_code: str
    metric_id: int
    period_id: int
    value: float | None
    symbol: str | None
    source: str


def name_of(note: str) -> str:
    """The authority's name: the mapping's note up to its first parenthesis."""
    return note.split(" (", 1)[0].strip()


async def replace(
    session: AsyncSession,
    notes: Mapping[str, str],
    metric_ids: Sequence[int],
    figures: Sequence[Figure],
) -> int:
    """Store the former authorities ``notes`` names (code -> note) and, for ``metric_ids``, exactly
    ``figures`` (an import holds whole files: what it no longer has is gone). Flushes."""
    existing = {f.la_code: f for f in (await session.execute(select(FormerAuthority))).scalars()}
    for code, note in sorted(notes.items()):
        found = existing.get(code)
        if found is None:
            found = FormerAuthority(la_code=code, name=name_of(note), note=note)
            session.add(found)
            existing[code] = found
        else:
            found.name, found.note = name_of(note), note
    await session.flush()
    if metric_ids:
        await session.execute(
            delete(FormerAuthorityFigure).where(FormerAuthorityFigure.metric_id.in_(metric_ids))
        )
    rows = [
        {
            "former_id": existing[f.la_code].id,
            "metric_id": f.metric_id,
            "period_id": f.period_id,
            "value": f.value,
            "symbol": f.symbol,
            "source": f.source,
        }
        for f in figures
        if f.la_code in existing
    ]
    if rows:
        await session.execute(insert(FormerAuthorityFigure), rows)
    return len(rows)


async def all_former(session: AsyncSession) -> list[FormerAuthority]:
    stmt = select(FormerAuthority).order_by(FormerAuthority.name)
    return list((await session.execute(stmt)).scalars())


async def figures(
    session: AsyncSession,
    former_ids: Sequence[int],
    *,
    metric_id: int | None = None,
) -> list[FormerAuthorityFigure]:
    stmt = select(FormerAuthorityFigure).where(FormerAuthorityFigure.former_id.in_(former_ids))
    if metric_id is not None:
        stmt = stmt.where(FormerAuthorityFigure.metric_id == metric_id)
    stmt = stmt.order_by(
        FormerAuthorityFigure.former_id,
        FormerAuthorityFigure.metric_id,
        FormerAuthorityFigure.period_id,
    )
    return list((await session.execute(stmt)).scalars())
