from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
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
