from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base


class Period(Base):
    """An EES period: ``time_identifier`` + ``time_period``, with its public label."""

    __tablename__ = "periods"
    __table_args__ = (UniqueConstraint("time_identifier", "time_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time_identifier: Mapped[str] = mapped_column(String(40))
    time_period: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(16), unique=True)
    start_year: Mapped[int] = mapped_column(Integer, index=True)
