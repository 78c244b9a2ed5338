"""``auditLog``: every write, newest first. Administrators only."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from exchange.audit import service
from exchange.audit.models import AuditEntry as AuditEntryModel
from schema import relay
from schema.authorities import Authority
from schema.context import Info


@strawberry.type(description="One write: who, when, what, and the record before and after.")
class AuditEntry:
    model: strawberry.Private[AuditEntryModel]

    @strawberry.field
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(info.context.signer.global_id("AuditEntry", self.model.public_id))

    @strawberry.field
    def at(self) -> datetime:
        return self.model.at

    @strawberry.field(description="e.g. observation.publish, observation.withdraw, token.revoke.")
    def action(self) -> str:
        return self.model.action

    @strawberry.field(description="observation, token, peer_group, …")
    def entity_type(self) -> str:
        return self.model.entity_type

    @strawberry.field(description="The entity's public id (or a token's number).")
    def entity_id(self) -> str:
        return self.model.entity_id

    @strawberry.field(description="publisher, analyst, admin, or operator (the server CLI).")
    def actor_role(self) -> str:
        return self.model.actor_role

    @strawberry.field(description="The token used, by its number in `exchange token list`.")
    def actor_token_id(self) -> int | None:
        return self.model.actor_token_id

    @strawberry.field(description="The publisher's authority (even for pseudonymous figures).")
    async def actor_authority(self, info: Info) -> Authority | None:
        if self.model.actor_authority_id is None:
            return None
        found = await info.context.loaders.authority.load(self.model.actor_authority_id)
        return Authority(model=found) if found else None

    @strawberry.field
    def before(self) -> JSON | None:
        return self.model.before  # type: ignore[no-any-return]

    @strawberry.field
    def after(self) -> JSON | None:
        return self.model.after  # type: ignore[no-any-return]


async def audit_log(
    info: Info,
    action: str | None = None,
    entity_type: str | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> relay.Connection[AuditEntry]:
    ctx = info.context

    async def fetch(offset: int, limit: int) -> tuple[list[AuditEntryModel], int]:
        return await ctx.read(
            lambda s: service.read(
                s,
                ctx.viewer,
                actions=[action] if action else None,
                entity_type=entity_type,
                offset=offset,
                limit=limit,
            )
        )

    return await relay.paginate(
        ctx.signer,
        fetch,
        lambda m: AuditEntry(model=m),
        first=first,
        after=after,
        last=last,
        before=before,
    )


@strawberry.type
class AuditQuery:
    audit_log: relay.Connection[AuditEntry] = strawberry.field(
        resolver=audit_log,
        description="Every write, newest first (administrators only).",
    )
