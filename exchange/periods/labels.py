"""EES period conventions and public labels.

EES codes periods as ``time_identifier`` + ``time_period``: "Academic year" 202425, "Calendar year"
2024, "Financial year" 202324. Public labels are ``2024/25``, ``2024`` and ``2023-24``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exchange.errors import InvalidInput

_KIND_BY_IDENTIFIER = {
    "academic year": "academic",
    "calendar year": "calendar",
    "financial year": "financial",
}
_IDENTIFIER_BY_KIND = {v: k.capitalize() for k, v in _KIND_BY_IDENTIFIER.items()}

# [0-9], not \d: \d matches every script's digits ('٢٠٢٤' or fullwidth '２０２４'), and int() reads
# them. \Z, not $: $ also matches before a final newline.
_ACADEMIC = re.compile(r"^([0-9]{4})/([0-9]{2})\Z")
_FINANCIAL = re.compile(r"^([0-9]{4})-([0-9]{2})\Z")
_CALENDAR = re.compile(r"^([0-9]{4})\Z")
_SIX = re.compile(r"^([0-9]{4})([0-9]{2})\Z")


@dataclass(frozen=True)
class PeriodKey:
    kind: str  # academic | calendar | financial
    start_year: int

    @property
    def time_identifier(self) -> str:
        return _IDENTIFIER_BY_KIND[self.kind]

    @property
    def time_period(self) -> str:
        if self.kind == "calendar":
            return str(self.start_year)
        return f"{self.start_year}{(self.start_year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        if self.kind == "calendar":
            return str(self.start_year)
        sep = "/" if self.kind == "academic" else "-"
        return f"{self.start_year}{sep}{(self.start_year + 1) % 100:02d}"


def _check_consecutive(start: int, end2: str, text: str) -> None:
    if (start + 1) % 100 != int(end2):
        raise InvalidInput(
            "period",
            f"'{text}' is not a valid year span: the second year must follow the first",
            "MALFORMED_PERIOD",
        )


def from_ees(time_identifier: str, time_period: str) -> PeriodKey:
    """Read an EES ``time_identifier``/``time_period`` pair."""
    kind = _KIND_BY_IDENTIFIER.get(time_identifier.strip().lower())
    if kind is None:
        raise InvalidInput("time_identifier", f"unsupported time_identifier '{time_identifier}'")
    tp = time_period.strip()
    if kind == "calendar":
        if not _CALENDAR.match(tp):
            raise InvalidInput("time_period", f"calendar year '{tp}' must be four digits")
        return PeriodKey("calendar", int(tp))
    m = _SIX.match(tp)
    if not m:
        raise InvalidInput("time_period", f"{kind} year '{tp}' must look like 202425")
    _check_consecutive(int(m.group(1)), m.group(2), tp)
    return PeriodKey(kind, int(m.group(1)))


def parse_label(text: str, kind: str | None = None, *, field: str = "period") -> PeriodKey:
    """Parse a public label (``2024/25``, ``2024``, ``2023-24``).

    When ``kind`` is given (from the metric) a label of another kind is refused with a clear
    message, and the EES six-digit form (``202425``) is accepted too. ``field`` is the argument
    the label came in (``from``, ``to``, ``periods``): errors name it.
    """
    t = (text or "").strip()
    key: PeriodKey | None = None
    if m := _ACADEMIC.match(t):
        _check_consecutive(int(m.group(1)), m.group(2), t)
        key = PeriodKey("academic", int(m.group(1)))
    elif m := _FINANCIAL.match(t):
        _check_consecutive(int(m.group(1)), m.group(2), t)
        key = PeriodKey("financial", int(m.group(1)))
    elif _CALENDAR.match(t):
        key = PeriodKey("calendar", int(t))
    elif (m := _SIX.match(t)) and kind in ("academic", "financial"):
        _check_consecutive(int(m.group(1)), m.group(2), t)
        key = PeriodKey(kind, int(m.group(1)))
    if key is None:
        raise InvalidInput(
            field,
            f"'{text}' is not a period label: use 2024/25 (academic year), 2024 (calendar year) "
            "or 2023-24 (financial year)",
            code="MALFORMED_PERIOD",
        )
    if not 1990 <= key.start_year <= 2100:
        raise InvalidInput(field, f"'{text}' is outside the supported years", "MALFORMED_PERIOD")
    if kind is not None and key.kind != kind:
        example = PeriodKey(kind, key.start_year).label
        raise InvalidInput(
            field,
            f"'{text}' is a {key.kind} year but this metric is reported by {kind} year "
            f"(for example {example})",
            code="WRONG_PERIOD_KIND",
        )
    return key
