"""How figures read on the pages: numbers by unit and GSS symbols with their explanation."""

from __future__ import annotations

import pytest

from exchange.web import formatting
from exchange.web.csv_export import full
from exchange.web.dashboard_pages import quartile_text
from exchange.web.figures import change_words


@pytest.mark.parametrize(
    ("value", "unit", "short", "expected"),
    [
        (1685.0, "COUNT", False, "1,685"),
        (6814.5, "COUNT", False, "6,814.5"),
        (48.0, "PERCENT", False, "48.0%"),
        (12.59424, "RATE", False, "12.59"),
        (7_500_000.0, "GBP", False, "£7,500,000"),
        (7_500_000.0, "GBP", True, "£7.5m"),
        (12.5, "FTE", False, "12.5"),
        (638745.0, "COUNT", True, "638.7k"),
        (None, "COUNT", False, ""),
    ],
)
def test_numbers_by_unit(value: float | None, unit: str, short: bool, expected: str) -> None:
    assert formatting.number(value, unit, short=short) == expected


@pytest.mark.parametrize("symbol", ["c", "x", "z", "low", "u"])
def test_every_gss_symbol_has_a_name_and_an_explanation(symbol: str) -> None:
    shown = formatting.shown(None, symbol, "COUNT")
    assert shown.missing and shown.text == symbol
    assert shown.symbol_name and shown.explanation


def test_a_missing_value_without_a_symbol_reads_as_not_available() -> None:
    assert formatting.shown(None, None, "PERCENT").symbol == "x"


def test_file_numbers_are_stored_figures_without_separators_units_or_rounding() -> None:
    assert full(1685.0) == "1685"
    assert full(48.0) == "48"
    assert full(7_500_000.0) == "7500000"
    assert full(7.209302325581) == "7.209302325581"
    assert float(full(0.1 + 0.2)) == 0.1 + 0.2  # round-trips exactly
    assert full(None) == ""


def test_changes_and_quartiles_in_words() -> None:
    assert change_words(34.6, "PERCENT") == "up 34.6 percentage points"
    assert change_words(-120.0, "COUNT") == "down 120"
    assert change_words(None, "COUNT") == ""
    assert quartile_text(1, "NEUTRAL") == "1 (highest quarter)"
    assert quartile_text(4, "LOWER_IS_BETTER") == "4 (worst quarter)"
    assert quartile_text(None, "NEUTRAL") == "–"
