"""Case studies (intervention write-ups), their revisions, outcome links and the search outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base

TEXT_FIELDS = ("title", "summary", "context", "what_was_done", "results", "lessons_learned")


class CaseStudy(Base):
    """The current state of one case study; every change also adds a ``CaseStudyRevision``."""

    __tablename__ = "case_studies"
    __table_args__ = (Index("ix_case_studies_authority_status", "authority_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Random (secrets.token_urlsafe): says nothing about who wrote it or when.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    pseudonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    context: Mapped[str | None] = mapped_column(Text, nullable=True)
    what_was_done: Mapped[str | None] = mapped_column(Text, nullable=True)
    results: Mapped[str | None] = mapped_column(Text, nullable=True)
    lessons_learned: Mapped[str | None] = mapped_column(Text, nullable=True)
    phase: Mapped[str | None] = mapped_column(String(32), nullable=True)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    cost_band: Mapped[str | None] = mapped_column(String(16), nullable=True)
    evidence_strength: Mapped[int | None] = mapped_column(Integer, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class _OfCaseStudy:
    """A row that belongs to one case study and is deleted with it."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_study_id: Mapped[int] = mapped_column(
        ForeignKey("case_studies.id", ondelete="CASCADE"), index=True
    )


class CaseStudyOutcomeLink(_OfCaseStudy, Base):
    """A metric the case study claims to have moved, between a baseline and a follow-up period."""

    __tablename__ = "case_study_outcome_links"
    __table_args__ = (UniqueConstraint("case_study_id", "position"),)

    position: Mapped[int] = mapped_column(Integer)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"), index=True)
    baseline_period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    follow_up_period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))


class CaseStudyRevision(_OfCaseStudy, Base):
    """Append-only: a snapshot of the case study after each create, update, publish, withdraw."""

    __tablename__ = "case_study_revisions"
    __table_args__ = (UniqueConstraint("case_study_id", "revision"),)

    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # create | update | publish | withdraw
    status: Mapped[str] = mapped_column(String(16))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class SearchOutbox(Base):
    """Pending search-index work, written in the same transaction as the change it follows.

    A row only names the case study; the drain reads the case study's current state, so applying
    a row twice (or out of order) converges on what the database says.
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_study_public_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
