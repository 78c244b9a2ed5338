"""Figures and periods are read in plain ASCII decimals only (docs/publishing.md, "Numbers").

float() and re's \\d read every script's digits ('٣' is 3), underscores ('1_0.5' is 10.5) and
exponents ('1e3'): none of those is a number a council's spreadsheet means, and none may be stored.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from exchange.errors import InvalidInput
from exchange.importer.checks import parse_cell
from exchange.observations.models import Observation
from exchange.periods.labels import from_ees, parse_label
from exchange.publishing.numbers import parse_number
from exchange.publishing.rows import RowError
from tests.conftest import Database, run_graphql
from tests.publishing_support import make_token, publish, row

ASCII = "0123456789"
# The zero of every other script's decimal digits (Arabic-Indic, Devanagari, fullwidth,
# mathematical bold ...): Unicode codes each script's Nd digits as one run, zero to nine.
ZEROS = [
    c
    for c in range(0x80, 0x110000)
    if unicodedata.category(chr(c)) == "Nd" and unicodedata.digit(chr(c)) == 0
]
assert len(ZEROS) > 50 and 0xFF10 in ZEROS and 0x0660 in ZEROS
OTHER_SCRIPT = st.sampled_from(ZEROS)
FULLWIDTH = st.just(0xFF10)
PLAIN = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)
CHECKS = settings(max_examples=150, deadline=None, database=None)


def _foreign(text: str, zeros: st.SearchStrategy[int], data: Any) -> str:
    """``text`` with at least one ASCII digit replaced by a digit of the same value in another
    script (any Unicode Nd character but 0-9): what float(), and int() of a \\d match, read as
    the very same number."""
    positions = [i for i, c in enumerate(text) if c in ASCII]
    chosen = data.draw(st.sets(st.sampled_from(positions), min_size=1))
    out = list(text)
    for i in chosen:
        out[i] = chr(data.draw(zeros) + int(text[i]))
        assert unicodedata.category(out[i]) == "Nd" and out[i] not in ASCII
    return "".join(out)


def _refused(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return True
    return False


@CHECKS
@given(PLAIN, st.data())
def test_a_number_with_any_other_scripts_digit_is_refused(value: Decimal, data: Any) -> None:
    text = _foreign(f"{value:,}", data.draw(st.sampled_from([OTHER_SCRIPT, FULLWIDTH])), data)
    assert _refused(text) and _refused(f"£{text}") and _refused(f"{text}%"), text
    with pytest.raises(InvalidInput, match="neither a number nor a GSS symbol"):
        parse_cell(text)  # the EES importer's cells too


@CHECKS
@given(PLAIN, st.integers(min_value=1, max_value=6), st.data())
def test_underscores_and_exponents_are_refused(value: Decimal, n: int, data: Any) -> None:
    digits = f"{value}"
    at = data.draw(st.integers(min_value=1, max_value=max(1, len(digits) - 1)))
    mark = data.draw(st.sampled_from(["e", "E", "e+", "E-", "e0"]))
    for text in (digits[:at] + "_" + digits[at:], f"{digits}{mark}{n}", f"{value:,}e{n}"):
        assert _refused(text), text
        with pytest.raises(InvalidInput):
            parse_cell(text)


@CHECKS
@given(PLAIN, st.booleans(), st.sampled_from(["", "£", "-", "-£", "£-", "%", "-%"]))
def test_plain_decimals_are_read_exactly(value: Decimal, grouped: bool, affix: str) -> None:
    digits = f"{value:,}" if grouped else f"{value}"
    text = {"%": f"{digits}%", "-%": f"-{digits}%"}.get(affix, affix + digits)
    negative = "-" in affix
    assert parse_number(text) == float(-value if negative else value), text
    if affix in ("", "-"):
        assert parse_cell(text) == (float(-value if negative else value) or 0.0, None)


@pytest.mark.parametrize(
    "text",
    ["1,23", "12,3456", ",123", "1,,234", "1 234", ".5", "5.", "+5", "--5", "-£-5", "£5%",
     "5%%", "£", "%", "-", "nan", "inf", "Infinity", "0x1F", "1.2.3", "(500)", "5£", "%5",
     "\u22125", "1\u00a0234", "\u0663", "\uff11\uff12", "1_000", "1e3", "1E+06"],
)  # fmt: skip
def test_malformed_numbers_are_refused(text: str) -> None:
    assert _refused(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234", 1234), ("£7,500,000", 7500000), ("70.3%", 70.3), ("-£250,000", -250000),
     ("£-250,000", -250000), ("£ 12", 12), ("12.5 %", 12.5), (" 42 ", 42), ("-0", 0),
     ("0012", 12), ("", None), ("   ", None)],
)  # fmt: skip
def test_documented_forms_are_read(text: str, value: float | None) -> None:
    assert parse_number(text) == value


@CHECKS
@given(
    st.integers(min_value=1990, max_value=2025), st.sampled_from(["/", "-", "", "six"]), st.data()
)
def test_a_period_in_other_digits_is_refused(year: int, form: str, data: Any) -> None:
    label = {"": f"{year}", "six": f"{year}{(year + 1) % 100:02d}"}.get(
        form, f"{year}{form}{(year + 1) % 100:02d}"
    )
    kind = {"/": "academic", "-": "financial", "": "calendar", "six": "academic"}[form]
    assert parse_label(label, kind).start_year == year  # the ASCII label is fine
    text = _foreign(label, data.draw(st.sampled_from([OTHER_SCRIPT, FULLWIDTH])), data)
    with pytest.raises(InvalidInput) as caught:
        parse_label(text, kind)
    assert caught.value.code == "MALFORMED_PERIOD"
    if form in ("", "six"):  # an EES file's time_period too
        with pytest.raises(InvalidInput):
            from_ees("Calendar year" if kind == "calendar" else "Academic year", text)


def _bad_values() -> list[str]:
    """A batch of refused value texts drawn by hypothesis (then published in one request)."""
    found: list[str] = []

    @settings(max_examples=60, deadline=None, database=None)
    @given(PLAIN, st.data())
    def draw(value: Decimal, data: Any) -> None:
        kind = data.draw(st.sampled_from(["script", "fullwidth", "underscore", "exponent"]))
        digits = f"{value}"
        if kind == "underscore":
            found.append(f"{digits[:1]}_{digits[1:] or '0'}")
        elif kind == "exponent":
            found.append(f"{digits}e{data.draw(st.integers(0, 9))}")
        else:
            found.append(_foreign(digits, OTHER_SCRIPT if kind == "script" else FULLWIDTH, data))

    draw()
    return [*found, "\u0663", "1_0.5", "1e3", "\uff13"]


async def _stored(db: Database) -> int:
    async with db.sessions() as s:
        return int((await s.execute(select(func.count(Observation.id)))).scalar_one())


def _codes(errors: list[RowError]) -> dict[int | None, set[str]]:
    out: dict[int | None, set[str]] = {}
    for e in errors:
        out.setdefault(e.index, set()).add(e.code)
    return out


async def test_publish_refuses_every_non_ascii_or_exotic_number(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    texts = _bad_values()
    rows = [row("ep_fte", "2024/25", text) for text in texts]  # as a CSV cell arrives
    result = await publish(fresh_db, viewer, rows)
    codes = _codes(result.errors)
    assert all("NOT_A_NUMBER" in codes.get(i, set()) for i in range(len(texts))), [
        (texts[i], codes.get(i))
        for i in range(len(texts))
        if "NOT_A_NUMBER" not in codes.get(i, ())
    ]
    assert result.created == 0 and await _stored(fresh_db) == 0


PUBLISH = """mutation($input: PublishObservationsInput!) {
  publishObservations(input: $input) { created userErrors { index field code } }
}"""
UPLOAD = """mutation($input: PublishObservationsCsvInput!) {
  publishObservationsCsv(input: $input) { created userErrors { line field code } }
}"""


async def test_graphql_refuses_other_digits_in_periods_and_csv_values(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    periods = [
        "\u0662\u0660\u0662\u0664/\u0662\u0665",
        "\uff12\uff10\uff12\uff14/25",
        "2024/\u0968\u096b",
    ]
    out = await run_graphql(
        fresh_db,
        PUBLISH,
        {
            "input": {
                "observations": [{"metric": "ep_fte", "period": p, "value": 3} for p in periods]
            }
        },
        viewer,
    )
    assert "errors" not in out, out
    payload = out["data"]["publishObservations"]
    assert payload["created"] == 0
    assert {(e["index"], e["field"], e["code"]) for e in payload["userErrors"]} == {
        (i, "period", "MALFORMED_PERIOD") for i in range(len(periods))
    }

    csv = (
        "metric,period,value\n"
        "ep_fte,2024/25,\u0663\n"  # line 2: ٣
        "ep_vacancies,2024/25,1_0\n"
        "annual_reviews_due,2024,1e3\n"
        "annual_reviews_on_time,2024,\uff19\uff19\n"  # fullwidth 99
        'hnb_cumulative_deficit_gbp,2024-25,"£7,500,000"\n'  # line 6: fine
        "phase_transfer_reviews_due,\u0662\u0660\u0662\u0664/25,12\n"
    )
    out = await run_graphql(fresh_db, UPLOAD, {"input": {"file": csv}}, viewer)
    assert "errors" not in out, out
    payload = out["data"]["publishObservationsCsv"]
    assert payload["created"] == 0
    assert {(e["line"], e["field"], e["code"]) for e in payload["userErrors"]} == {
        (2, "value", "NOT_A_NUMBER"),
        (3, "value", "NOT_A_NUMBER"),
        (4, "value", "NOT_A_NUMBER"),
        (5, "value", "NOT_A_NUMBER"),
        (7, "period", "MALFORMED_PERIOD"),
    }
    assert await _stored(fresh_db) == 0
