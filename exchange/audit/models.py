from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base


class AuditEntry(Base):
    """One write: who (token, role, authority), when, what (action on an entity), before → after.

    Append-only. Only administrators can read it: for a pseudonymous publication it is the one place
    that names the publisher.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    actor_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id"), nullable=True, index=True
    )
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_authority_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorities.id"), nullable=True
    )
    before: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    after: Mapped[Any | None] = mapped_column(JSON, nullable=True)
