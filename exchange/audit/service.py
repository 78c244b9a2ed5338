"""Record every write. Services call ``record`` in the same transaction as the write itself, so an
entry exists exactly when the change does."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.audit import repository
from exchange.audit.models import AuditEntry
from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.viewer import Viewer


@dataclass(frozen=True)
class Actor:
    role: str  # publisher | analyst | admin | operator (the command line on the server)
    token_id: int | None = None
    authority_id: int | None = None


OPERATOR = Actor("operator")


def actor_of(viewer: Viewer) -> Actor:
    return Actor(viewer.role, viewer.token_id, viewer.authority_id)


@dataclass(frozen=True)
class Change:
    action: str  # e.g. observation.publish, observation.withdraw, token.create
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


async def record(session: AsyncSession, actor: Actor, changes: Sequence[Change]) -> None:
    at = datetime.now(UTC)
    await repository.add_many(
        session,
        [
            {
                "public_id": secrets.token_urlsafe(12),
                "at": at,
                "action": c.action,
                "entity_type": c.entity_type,
                "entity_id": c.entity_id,
                "actor_token_id": actor.token_id,
                "actor_role": actor.role,
                "actor_authority_id": actor.authority_id,
                "before": c.before,
                "after": c.after,
            }
            for c in changes
        ],
    )


async def read(
    session: AsyncSession,
    viewer: Viewer,
    *,
    actions: Sequence[str] | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[AuditEntry], int]:
    """Newest first. Administrators only: the log names the publishers of pseudonymous figures."""
    scopes.require(viewer, Scope.AUDIT_READ, to="read the audit log")
    return await repository.page(
        session,
        actions=actions,
        entity_type=entity_type,
        entity_id=entity_id,
        offset=offset,
        limit=limit,
    )
