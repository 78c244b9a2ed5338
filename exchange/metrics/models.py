from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base
from exchange.metrics.vocab import PeriodKind, Polarity, Unit

UNITS = tuple(u.value for u in Unit)
POLARITIES = tuple(p.value for p in Polarity)
PERIOD_KINDS = tuple(k.value for k in PeriodKind)
# published: already through the source's own disclosure control (DfE), served as published.
# count: the value itself is a count; below the threshold it is suppressed.
# rate: suppressed when the numerator metric's value (same authority and period) is below it.
DISCLOSURE_RULES = ("published", "count", "rate", "none")


class Metric(Base):
    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16))
    polarity: Mapped[str] = mapped_column(String(20))
    theme: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(Text)
    period_kind: Mapped[str] = mapped_column(String(16))
    disclosure_rule: Mapped[str] = mapped_column(String(16), default="published")
    disclosure_threshold: Mapped[int] = mapped_column(Integer, default=5)
    numerator_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    denominator_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    self_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    # Shown on the authority dashboard (the rest: on their comparison pages and in the API).
    on_dashboard: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
