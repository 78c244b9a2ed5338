"""The rows a publication is made of: as sent, as refused, as checked."""

from __future__ import annotations

from dataclasses import dataclass

from exchange.metrics.models import Metric
from exchange.periods.labels import PeriodKey
from exchange.publishing.errors import PublishErrorCode


@dataclass(frozen=True)
class RowInput:
    metric: str
    period: str
    value: float | str | None = None  # a number, or the text of a CSV cell
    symbol: str | None = None
    flags: str | None = None
    authority: str | None = None
    line: int | None = None  # CSV line number, when the row came from a file


@dataclass(frozen=True)
class RowError:
    index: int | None
    field: str | None
    code: PublishErrorCode
    message: str
    line: int | None = None

    @classmethod
    def at(
        cls, row: RowInput, index: int, field: str, code: PublishErrorCode, message: str
    ) -> RowError:
        """An error in one row, its message led by where the row is."""
        return cls(index, field, code, f"{_where(row, index)}{message}", row.line)


@dataclass(frozen=True)
class ValidRow:
    """A row that passed every check, read into what is stored."""

    index: int
    row: RowInput
    metric: Metric
    period: PeriodKey
    value: float | None
    symbol: str | None
    flags: str


def _where(row: RowInput, index: int) -> str:
    if row.line is not None:
        return f"line {row.line}: "
    # The input's own path (0-based, like userErrors.index): "row 1" read as the first row.
    return f"observations[{index}]: "
