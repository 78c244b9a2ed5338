"""Every custom peer group query lives here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities.models import Authority
from exchange.peergroups.models import PeerGroup, PeerGroupMember


async def get_owned(
    session: AsyncSession, public_id: str, owner_authority_id: int
) -> PeerGroup | None:
    stmt = select(PeerGroup).where(
        PeerGroup.public_id == public_id, PeerGroup.owner_authority_id == owner_authority_id
    )
    return (await session.execute(stmt)).scalars().first()


async def owned_by(session: AsyncSession, owner_authority_id: int) -> list[PeerGroup]:
    stmt = (
        select(PeerGroup)
        .where(PeerGroup.owner_authority_id == owner_authority_id)
        .order_by(PeerGroup.name, PeerGroup.id)
    )
    return list((await session.execute(stmt)).scalars())


async def name_taken(session: AsyncSession, owner_authority_id: int, name: str) -> bool:
    stmt = select(PeerGroup.id).where(
        PeerGroup.owner_authority_id == owner_authority_id, PeerGroup.name == name
    )
    return (await session.execute(stmt)).first() is not None


async def members(session: AsyncSession, group_ids: Sequence[int]) -> dict[int, list[Authority]]:
    out: dict[int, list[Authority]] = {g: [] for g in group_ids}
    if not group_ids:
        return out
    stmt = (
        select(PeerGroupMember.group_id, Authority)
        .join(Authority, Authority.id == PeerGroupMember.authority_id)
        .where(PeerGroupMember.group_id.in_(group_ids))
        .order_by(PeerGroupMember.group_id, Authority.name)
    )
    for gid, authority in (await session.execute(stmt)).all():
        out[gid].append(authority)
    return out


async def add(session: AsyncSession, group: PeerGroup, member_ids: Sequence[int]) -> PeerGroup:
    session.add(group)
    await session.flush()
    if member_ids:
        await session.execute(
            insert(PeerGroupMember),
            [{"group_id": group.id, "authority_id": a} for a in member_ids],
        )
    return group


async def remove(session: AsyncSession, group: PeerGroup) -> None:
    await session.execute(delete(PeerGroupMember).where(PeerGroupMember.group_id == group.id))
    await session.execute(delete(PeerGroup).where(PeerGroup.id == group.id))
