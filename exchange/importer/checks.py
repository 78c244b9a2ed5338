"""What an imported figure may be: numbers, units' bounds, plausible periods, and the refusal.

A cell is a GSS symbol or a plain ASCII decimal (``1234``, ``-12.5``, ``1,234,567``): no exponent,
no underscore, no other script's digits, no ``nan``/``inf``. The number must then suit its metric's
unit (seed/metrics.toml): counts are whole and not negative, percentages 0 to 100, and every unit
has bounds no real figure comes near, so an import can never store a value whose mean or sum
overflows. A period must have started (its first year is at most the current one) and be no older
than ``MIN_YEAR``. Every problem of a run is collected; one problem refuses the whole run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exchange.errors import InvalidInput
from exchange.observations.models import SYMBOLS
from exchange.periods.labels import PeriodKey

MIN_YEAR = 1990  # as exchange.periods.labels.parse_label: no DfE series starts earlier
MAX_MESSAGE = 300  # characters of one problem's line (a reason may quote a very long cell)

# Optional minus; digits, or digits grouped in threes by commas; optional decimal part.
# [0-9], not \d: \d matches every script's digits, and float() reads them ('٣' is 3).
_DECIMAL = re.compile(r"-?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?")


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float
    whole: bool
    what: str  # "a count: a whole number from 0 to 100,000,000"


BOUNDS = {
    "count": Bounds(0, 1e8, True, "a count: a whole number from 0 to 100,000,000"),
    "percent": Bounds(0, 100, False, "a percentage: from 0 to 100"),
    "rate": Bounds(0, 1e5, False, "a rate: from 0 to 100,000"),
    "fte": Bounds(0, 1e7, False, "a number of full-time equivalent staff: from 0 to 10,000,000"),
    "gbp": Bounds(
        -1e12, 1e12, False, "an amount in £: from -1,000,000,000,000 to 1,000,000,000,000"
    ),
}
_ANY = Bounds(-1e12, 1e12, False, "a figure from -1,000,000,000,000 to 1,000,000,000,000")


def shown(raw: str, limit: int = 30) -> str:
    """Cell text quoted for a message: cut short, and escaped when it is not printable (so a
    message can never carry a terminal control sequence)."""
    text = raw if len(raw) <= limit else raw[:limit] + "…"
    return f"'{text}'" if text.isprintable() else ascii(text)


def parse_cell(raw: str) -> tuple[float | None, str | None]:
    """A cell is a plain decimal number or a GSS symbol (empty = ``x``); anything else is an
    error naming the text."""
    text = raw.strip()
    if text == "":
        return None, "x"
    if text.lower() in SYMBOLS:
        return None, text.lower()
    if not _DECIMAL.fullmatch(text):
        raise InvalidInput(
            "value",
            f"{shown(raw)} is neither a number nor a GSS symbol (c, x, z, low, u): "
            "a number is written with the digits 0-9, like 1234 or -12.5",
        )
    value = float(text.replace(",", ""))
    return (0.0 if value == 0 else value), None  # no -0


def check_value(
    value: float, unit: str, metric: str, raw: str, *, signed: bool = False
) -> str | None:
    """Why ``value`` cannot be a figure of ``metric`` (of ``unit``), or None when it can.
    ``signed``: the metric may be negative (a balance as a percentage: negative = deficit), down
    to minus the unit's upper bound."""
    bounds = BOUNDS.get(unit, _ANY)
    low = min(bounds.low, -bounds.high) if signed else bounds.low
    if not low <= value <= bounds.high:  # also refuses inf (a 400-digit number)
        what = f"{bounds.what}, or as low as -{bounds.high:,g}" if signed else bounds.what
        return f"{shown(raw)} is out of range: {metric} is {what}"
    if bounds.whole and not value.is_integer():
        return f"{shown(raw)} is not a whole number: {metric} is {bounds.what}"
    return None


def check_period(period: PeriodKey, this_year: int) -> str | None:
    """Why ``period`` cannot be in a published release (``this_year`` is the current year)."""
    if period.start_year > this_year:
        return f"{period.label} has not started yet (the current year is {this_year})"
    if period.start_year < MIN_YEAR:
        return f"{period.label} is before {MIN_YEAR}: no release has figures that old"
    return None


@dataclass(frozen=True)
class Problem:
    """One reason a run is refused. ``line`` is the file's own (line 1 is the header)."""

    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.reason}"
        if len(text) > MAX_MESSAGE:
            text = text[:MAX_MESSAGE] + "…"
        # Names and reasons quote the file: never a control character (or an escape sequence)
        # into the operator's terminal.
        return text if text.isprintable() else "".join(_printable(c) for c in text)


def _printable(char: str) -> str:
    return char if char.isprintable() else ascii(char)[1:-1]


class ImportRefused(InvalidInput):
    """The run stored nothing: ``problems`` lists every bad file, row and cell, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        head = (
            f"import refused, nothing was stored: {len(problems):,} "
            f"problem{'' if len(problems) == 1 else 's'} (file:line:column: reason; line 1 is "
            "the header)"
        )
        super().__init__("path", "\n".join([head, *map(str, problems)]), "IMPORT_REFUSED")
        self.problems = problems
