from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base


class AreaLevel(StrEnum):
    NATIONAL = "national"
    REGIONAL = "regional"
    LOCAL_AUTHORITY = "local_authority"


class Visibility(StrEnum):
    """Who may see a figure: anyone (no token needed), or any valid token."""

    PUBLIC = "public"
    MEMBERS = "members"


SYMBOLS = ("c", "x", "z", "low", "u")
AREA_LEVELS = tuple(a.value for a in AreaLevel)
VISIBILITIES = tuple(v.value for v in Visibility)


def _first_published(context: Any) -> Any:
    """A new series is first published when its first revision is (its ``updated_at``)."""
    return context.get_current_parameters().get("updated_at")


class _Figure:
    """The columns a series point and each of its revisions share: the figure and how it is
    shown (the current row mirrors its latest revision)."""

    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    symbol: Mapped[str | None] = mapped_column(String(4), nullable=True)
    flags: Mapped[str] = mapped_column(String(8), default="")
    source: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    pseudonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)


class Observation(_Figure, Base):
    """The current state of one series point: area × metric × period.

    The full history lives in ``observation_revisions``; this row mirrors the latest revision so
    comparisons read one row per authority.
    """

    __tablename__ = "observations"
    __table_args__ = (
        # Demo rows are a dataset of their own: a real figure and a demo figure for the same cell
        # are two rows, and writing one never touches the other.
        UniqueConstraint("metric_id", "period_id", "area_level", "area_code", "is_demo"),
        Index("ix_observations_metric_period", "metric_id", "period_id"),
        Index("ix_observations_authority_metric", "authority_id", "metric_id"),
        Index("ix_observations_pseudonymous", "pseudonymous"),
        # Only the (few) pseudonymous rows: what every comparison looks up (migration 0004).
        Index(
            "ix_observations_pseudonymous_only",
            "metric_id",
            "period_id",
            sqlite_where=text("pseudonymous = 1"),
            postgresql_where=text("pseudonymous = true"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    area_level: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(String(9))
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"), nullable=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When the series was first published: a real pseudonymous figure is shown to others only
    # from the release time after it (exchange/pseudonyms.py, ReleaseSchedule).
    first_published_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, default=_first_published
    )
    # Rate metrics: the smallest numerator value the current revision has stood beside (the one
    # in force when it was published, and every later one); None when it stood beside none.
    numerator_floor: Mapped[float | None] = mapped_column(Float, nullable=True)


class ObservationRevision(_Figure, Base):
    """Append-only: every publication, re-publication or withdrawal adds one row."""

    __tablename__ = "observation_revisions"
    __table_args__ = (UniqueConstraint("observation_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observations.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DataVersion(Base):
    """A counter raised by every transaction that changes the data (at its commit).

    Readers compare it with the counter a cached derivation was computed at: one tiny query
    instead of recomputing (see exchange/dataversion.py). It lives in the database,
    so every worker sees the same counter. A program writing the tracked tables (observations,
    authorities, neighbours, metrics, periods) with raw SQL must raise it too.
    """

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    counter: Mapped[int] = mapped_column(Integer, default=0)
    # Random per raise: a database restored from a backup and written again reaches the same
    # counter with other data; the stamp tells the two apart.
    stamp: Mapped[str] = mapped_column(String(32))


class BreakdownFigure(Base):
    """A DfE figure for one breakdown of an area's total (an age band, a sex, an ethnic group,
    years in place, a placement type), exactly as the EES file writes its ``breakdown_topic`` and
    ``breakdown``. Kept apart from ``observations`` (the totals) so that no comparison, trend,
    dashboard or publication check can mistake a breakdown for a total; DfE's own public figures,
    replaced whole by each import of their file."""

    __tablename__ = "breakdown_figures"
    __table_args__ = (
        UniqueConstraint(
            "metric_id", "period_id", "area_level", "area_code", "breakdown_topic", "breakdown"
        ),
        Index("ix_breakdown_figures_lookup", "metric_id", "breakdown_topic", "breakdown"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    area_level: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(String(12))
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"), nullable=True)
    breakdown_topic: Mapped[str] = mapped_column(String(120))
    breakdown: Mapped[str] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    symbol: Mapped[str | None] = mapped_column(String(8), nullable=True)
    source: Mapped[str] = mapped_column(Text)
