"""Custom peer groups: createPeerGroup, deletePeerGroup, peerGroups; used via comparison/trend's
``peerGroup`` argument."""

from __future__ import annotations

from datetime import datetime

import strawberry

from exchange.errors import DomainError, InvalidInput, NotFound
from exchange.peergroups import service
from exchange.peergroups.errors import PeerGroupErrorCode
from schema.authorities import Authority
from schema.context import Info
from schema.node import Node
from schema.user_errors import UserError

strawberry.enum(PeerGroupErrorCode, description="Why a custom peer group was refused.")


@strawberry.type(description="Why a custom peer group was refused. Nothing is stored when any is.")
class PeerGroupError(UserError):
    code: PeerGroupErrorCode = strawberry.field(description="Stable machine-readable code.")


@strawberry.type(
    name="CustomPeerGroup",
    description="Your own list of comparators. Visible to your authority only.",
)
class PeerGroup(Node):
    group: strawberry.Private[service.Group]

    @strawberry.field(description="Pass it to comparison(peerGroup:) or trend(peerGroup:).")
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(info.context.signer.global_id("PeerGroup", self.group.group.public_id))

    @classmethod
    async def resolve_node(cls, info: Info, key: str) -> PeerGroup | None:
        ctx = info.context
        found = await ctx.read(lambda s: service.get(s, ctx.viewer, key))
        return cls(group=found) if found else None

    @strawberry.field
    def name(self) -> str:
        return self.group.group.name

    @strawberry.field(description="By name.")
    def members(self) -> list[Authority]:
        return [Authority(model=a) for a in self.group.members]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.group.group.created_at


@strawberry.input
class CreatePeerGroupInput:
    name: str
    members: list[str] = strawberry.field(description="DfE or GSS codes of the members.")


@strawberry.type
class CreatePeerGroupPayload:
    peer_group: PeerGroup | None
    user_errors: list[PeerGroupError]


@strawberry.input
class DeletePeerGroupInput:
    id: strawberry.ID


@strawberry.type
class DeletePeerGroupPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[PeerGroupError]


async def create_peer_group(info: Info, input: CreatePeerGroupInput) -> CreatePeerGroupPayload:
    ctx = info.context
    if len(input.members) > 500:
        raise InvalidInput("members", "at most 152 members")
    async with ctx.unit_of_work() as session:
        group, errors = await service.create(
            session, ctx.viewer, name=input.name, member_codes=input.members
        )
    return CreatePeerGroupPayload(
        peer_group=PeerGroup(group=group) if group else None,
        user_errors=[
            PeerGroupError(field=e.field, code=e.code, message=e.message, index=e.index)
            for e in errors
        ],
    )


def _key(info: Info, id: strawberry.ID) -> str | None:
    try:
        kind, key = info.context.signer.parse_global_id(str(id))
    except InvalidInput:
        return None
    return key if kind == "PeerGroup" else None


async def delete_peer_group(info: Info, input: DeletePeerGroupInput) -> DeletePeerGroupPayload:
    ctx = info.context
    key = _key(info, input.id)
    try:
        if key is None:
            service.require_owner(ctx.viewer)
            raise NotFound("no peer group with this id", field="id")
        async with ctx.unit_of_work() as session:
            await service.delete(session, ctx.viewer, key)
    except DomainError as exc:
        if exc.code in ("UNAUTHENTICATED", "FORBIDDEN"):
            raise
        return DeletePeerGroupPayload(
            deleted_id=None,
            user_errors=[
                PeerGroupError(
                    field=exc.field, code=PeerGroupErrorCode(exc.code), message=exc.message
                )
            ],
        )
    return DeletePeerGroupPayload(deleted_id=input.id, user_errors=[])


async def peer_groups(info: Info) -> list[PeerGroup]:
    ctx = info.context
    return [PeerGroup(group=g) for g in await ctx.read(lambda s: service.mine(s, ctx.viewer))]


@strawberry.type
class PeerGroupQuery:
    peer_groups: list[PeerGroup] = strawberry.field(
        resolver=peer_groups, description="Your authority's custom peer groups (empty otherwise)."
    )


@strawberry.type
class PeerGroupMutation:
    create_peer_group: CreatePeerGroupPayload = strawberry.mutation(
        resolver=create_peer_group,
        description="Create a custom peer group owned by your authority (publisher token).",
    )
    delete_peer_group: DeletePeerGroupPayload = strawberry.mutation(resolver=delete_peer_group)
