from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.authorities.vocab import AuthorityType
from exchange.db import Base

AUTHORITY_TYPES = tuple(t.value for t in AuthorityType)


class Authority(Base):
    """An English local authority with education duties (one of 153)."""

    __tablename__ = "authorities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    la_code: Mapped[str] = mapped_column(String(3), unique=True)
    gss_code: Mapped[str] = mapped_column(String(9), unique=True)  # current ONS code
    gss_code_dfe: Mapped[str] = mapped_column(String(9), index=True)  # as DfE files still use it
    name: Mapped[str] = mapped_column(String(120))
    region_code: Mapped[str] = mapped_column(String(9), index=True)
    region_name: Mapped[str] = mapped_column(String(60))
    type: Mapped[str] = mapped_column(String(30), index=True)


class StatisticalNeighbour(Base):
    """DfE children's services statistical neighbours: 10 ranked neighbours per authority."""

    __tablename__ = "statistical_neighbours"
    __table_args__ = (UniqueConstraint("authority_id", "rank"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id"), index=True)
    neighbour_id: Mapped[int] = mapped_column(ForeignKey("authorities.id"))
    rank: Mapped[int] = mapped_column(Integer)
    proximity: Mapped[str] = mapped_column(String(30))


class FormerAuthority(Base):
    """An authority abolished before the current 153 (Cumbria, Northamptonshire, ...). DfE's
    files still report it for the years it existed, and England's and its region's figures for
    those years include it: its figures are kept apart, so sums can be reconciled."""

    __tablename__ = "former_authorities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    la_code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(String(300))  # what became of it, as the mapping says


class FormerAuthorityFigure(Base):
    """One figure DfE reports for a former authority, as imported (never compared or ranked)."""

    __tablename__ = "former_authority_figures"
    __table_args__ = (UniqueConstraint("former_id", "metric_id", "period_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    former_id: Mapped[int] = mapped_column(ForeignKey("former_authorities.id"), index=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    symbol: Mapped[str | None] = mapped_column(String(8), nullable=True)
    source: Mapped[str] = mapped_column(Text)
