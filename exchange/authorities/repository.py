"""Every authority and neighbour query lives here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities.models import Authority, StatisticalNeighbour
from exchange.authorities.vocab import PeerGroup


async def get_by_code(session: AsyncSession, code: str) -> Authority | None:
    """Accept a DfE 3-digit code or any GSS code the authority has had in DfE files."""
    c = code.strip().upper()
    stmt = select(Authority).where(
        or_(Authority.la_code == c, Authority.gss_code == c, Authority.gss_code_dfe == c)
    )
    return (await session.execute(stmt)).scalars().first()


async def get_many(session: AsyncSession, ids: Sequence[int]) -> list[Authority]:
    if not ids:
        return []
    return list((await session.execute(select(Authority).where(Authority.id.in_(ids)))).scalars())


def _filtered(region: str | None, type_: str | None) -> Select[Authority]:
    stmt = select(Authority)
    if region:
        stmt = stmt.where(
            or_(
                func.lower(Authority.region_name) == region.lower(), Authority.region_code == region
            )
        )
    if type_:
        stmt = stmt.where(Authority.type == type_)
    return stmt


async def list_page(
    session: AsyncSession, *, region: str | None, type_: str | None, offset: int, limit: int
) -> tuple[list[Authority], int]:
    stmt = _filtered(region, type_)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = await session.execute(stmt.order_by(Authority.name).offset(offset).limit(limit))
    return list(rows.scalars()), int(total)


async def all_authorities(session: AsyncSession) -> list[Authority]:
    return list((await session.execute(select(Authority).order_by(Authority.la_code))).scalars())


async def neighbours_of(
    session: AsyncSession, authority_ids: Sequence[int]
) -> dict[int, list[tuple[StatisticalNeighbour, Authority]]]:
    """Neighbours for many authorities in one statement (the DataLoader's batch)."""
    out: dict[int, list[tuple[StatisticalNeighbour, Authority]]] = {i: [] for i in authority_ids}
    if not authority_ids:
        return out
    stmt = (
        select(StatisticalNeighbour, Authority)
        .join(Authority, Authority.id == StatisticalNeighbour.neighbour_id)
        .where(StatisticalNeighbour.authority_id.in_(authority_ids))
        .order_by(StatisticalNeighbour.authority_id, StatisticalNeighbour.rank)
    )
    for sn, auth in (await session.execute(stmt)).all():
        out[sn.authority_id].append((sn, auth))
    return out


async def peer_ids(session: AsyncSession, subject: Authority, group: str) -> list[int]:
    """Members of a named peer group, the subject excluded (as DfE's LAIT does)."""
    if group == PeerGroup.STATISTICAL_NEIGHBOURS:
        stmt = (
            select(StatisticalNeighbour.neighbour_id)
            .where(StatisticalNeighbour.authority_id == subject.id)
            .order_by(StatisticalNeighbour.rank)
        )
    elif group == PeerGroup.REGION:
        stmt = select(Authority.id).where(Authority.region_code == subject.region_code)
    elif group == PeerGroup.AUTHORITY_TYPE:
        stmt = select(Authority.id).where(Authority.type == subject.type)
    elif group == PeerGroup.ENGLAND:
        stmt = select(Authority.id)
    else:  # pragma: no cover - the GraphQL enum makes this unreachable
        raise ValueError(group)
    return [i for i in (await session.execute(stmt)).scalars() if i != subject.id]


async def count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(Authority.id)))).scalar_one())
