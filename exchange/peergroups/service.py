"""Custom peer groups: an authority's own list of comparators, usable in comparison and trend.

A group belongs to the authority of the publisher token that created it and is visible to that
authority alone; to anyone else it does not exist (the same answer as an unknown id). Custom groups
never take pseudonymous figures (docs/publishing.md explains why), only named ones.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.audit import service as audit
from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.errors import NotFound
from exchange.peergroups import repository
from exchange.peergroups.errors import PeerGroupErrorCode as Code
from exchange.peergroups.models import PeerGroup
from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.viewer import Viewer

MAX_MEMBERS = 152
MAX_GROUPS_PER_AUTHORITY = 100


@dataclass(frozen=True)
class GroupError:
    field: str
    code: Code
    message: str
    index: int | None = None


@dataclass(frozen=True)
class Group:
    group: PeerGroup
    members: list[Authority]


def require_owner(viewer: Viewer) -> int:
    """The authority that may change its custom peer groups, or the reason this viewer may not."""
    return scopes.require_authority(
        viewer, Scope.PEER_GROUPS_WRITE, to="create or delete custom peer groups"
    )


async def create(
    session: AsyncSession, viewer: Viewer, *, name: str, member_codes: Sequence[str]
) -> tuple[Group | None, list[GroupError]]:
    owner = require_owner(viewer)
    errors: list[GroupError] = []
    clean = " ".join((name or "").split())
    if not clean:
        errors.append(GroupError("name", Code.BLANK, "give the group a name"))
    elif len(clean) > 100:
        errors.append(GroupError("name", Code.TOO_LONG, "a group name is at most 100 characters"))
    elif await repository.name_taken(session, owner, clean):
        errors.append(GroupError("name", Code.NAME_TAKEN, f"you already have a group '{clean}'"))
    if not member_codes:
        errors.append(GroupError("members", Code.NO_MEMBERS, "a group needs at least one member"))
    if len(member_codes) > MAX_MEMBERS:
        errors.append(
            GroupError("members", Code.TOO_MANY_MEMBERS, f"at most {MAX_MEMBERS} members")
        )
    if len(await repository.owned_by(session, owner)) >= MAX_GROUPS_PER_AUTHORITY:
        errors.append(
            GroupError(
                "name", Code.TOO_MANY_GROUPS, f"an authority has at most {MAX_GROUPS_PER_AUTHORITY}"
            )
        )
    member_ids: list[int] = []
    seen: dict[int, int] = {}
    for index, code in enumerate(member_codes[: MAX_MEMBERS + 1]):
        found = await authorities.get_by_code(session, code)
        if found is None:
            errors.append(
                GroupError(
                    "members",
                    Code.UNKNOWN_AUTHORITY,
                    f"no authority with code '{code[:20]}': use a DfE code such as 869 or a "
                    "GSS code such as E06000037",
                    index,
                )
            )
            continue
        if found.id in seen:
            errors.append(
                GroupError(
                    "members",
                    Code.DUPLICATE_MEMBER,
                    f"{found.name} is already in the list (at index {seen[found.id]})",
                    index,
                )
            )
            continue
        seen[found.id] = index
        member_ids.append(found.id)
    if errors:
        return None, errors
    group = await repository.add(
        session,
        PeerGroup(
            public_id=secrets.token_urlsafe(12),
            owner_authority_id=owner,
            name=clean,
            created_at=datetime.now(UTC),
        ),
        member_ids,
    )
    people = (await repository.members(session, [group.id]))[group.id]
    await audit.record(
        session,
        audit.actor_of(viewer),
        [
            audit.Change(
                "peer_group.create",
                "peer_group",
                group.public_id,
                None,
                {"name": clean, "members": [a.la_code for a in people]},
            )
        ],
    )
    return Group(group, people), []


async def delete(session: AsyncSession, viewer: Viewer, public_id: str) -> None:
    owner = require_owner(viewer)
    group = await repository.get_owned(session, public_id, owner)
    if group is None:
        raise NotFound("no peer group with this id", field="id")
    people = (await repository.members(session, [group.id]))[group.id]
    await repository.remove(session, group)
    await audit.record(
        session,
        audit.actor_of(viewer),
        [
            audit.Change(
                "peer_group.delete",
                "peer_group",
                public_id,
                {"name": group.name, "members": [a.la_code for a in people]},
                None,
            )
        ],
    )


async def get(session: AsyncSession, viewer: Viewer, public_id: str) -> Group | None:
    """The group when the viewer's authority owns it; None otherwise (same as an unknown id)."""
    if viewer.authority_id is None:
        return None
    group = await repository.get_owned(session, public_id, viewer.authority_id)
    if group is None:
        return None
    return Group(group, (await repository.members(session, [group.id]))[group.id])


async def mine(session: AsyncSession, viewer: Viewer) -> list[Group]:
    if viewer.authority_id is None:
        return []
    groups = await repository.owned_by(session, viewer.authority_id)
    found = await repository.members(session, [g.id for g in groups])
    return [Group(g, found[g.id]) for g in groups]


async def members_for(session: AsyncSession, viewer: Viewer, public_id: str) -> list[Authority]:
    """The members to compare against; NotFound for a group the viewer does not own."""
    group = await get(session, viewer, public_id)
    if group is None:
        raise NotFound("no peer group with this id", field="peerGroup")
    return group.members
