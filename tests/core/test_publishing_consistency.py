"""A published share must agree with its numerator and denominator (in the same publication or
already stored), within the rounding of the precision it was given; otherwise nothing is written
and the error names both rows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from exchange.observations.models import Observation, ObservationRevision
from exchange.publishing.consistency import decimals_given, rounding_allowance
from exchange.publishing.csvfile import read_rows
from exchange.publishing.service import PublishResult
from tests.conftest import Database, run_graphql
from tests.publishing_support import make_token, publish, row

SHARE = "annual_reviews_on_time_pct"
PART = "annual_reviews_on_time"
WHOLE = "annual_reviews_due"


async def _stored(db: Database) -> tuple[int, int]:
    async with db.sessions() as s:
        obs = (await s.execute(select(func.count()).select_from(Observation))).scalar_one()
        revs = (await s.execute(select(func.count()).select_from(ObservationRevision))).scalar_one()
    return int(obs), int(revs)


@pytest.mark.parametrize(
    ("raw", "places"),
    [("70.3", 1), ("70", 0), ("70.30", 2), (" 70.3 %", 1), (70.3, 1), (95.0, 0), (95, 0)],
)
def test_decimals_given(raw: float | str, places: int) -> None:
    assert decimals_given(raw) == places


def test_rounding_allowance_is_half_a_unit_in_the_last_place() -> None:
    exact = 100 * 998 / 1420  # 70.2816...
    assert abs(70.3 - exact) <= rounding_allowance(1, exact)
    assert abs(70.4 - exact) > rounding_allowance(1, exact)
    assert abs(70.0 - exact) <= rounding_allowance(0, exact)
    assert abs(70.28 - exact) <= rounding_allowance(2, exact)
    assert abs(70.30 - exact) > rounding_allowance(2, exact)  # "70.30" claims 2 places
    # An exact half rounds either way (12.5 to 0 places is 12 or 13).
    assert abs(13 - 12.5) <= rounding_allowance(0, 12.5)
    assert abs(12 - 12.5) <= rounding_allowance(0, 12.5)


async def test_share_beside_its_parts_in_one_batch_is_refused(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    before = await _stored(fresh_db)
    result = await publish(
        fresh_db,
        viewer,
        [row(PART, "2024", 998), row(WHOLE, "2024", 1420), row(SHARE, "2024", 95)],
    )
    assert [(e.index, e.code, e.field) for e in result.errors] == [
        (2, "SHARE_DISAGREES_WITH_PARTS", "value")
    ]
    message = result.errors[0].message
    assert message.startswith("observations[2]: ")
    # Both other rows, by their field path.
    assert "observations[0].value" in message and "observations[1].value" in message
    assert "998" in message and "1,420" in message and "70" in message
    assert await _stored(fresh_db) == before  # refused means nothing written


async def _publish_share(db: Database, value: object) -> PublishResult:
    """998 of 1,420 (70.28 %) with the share given as ``value``."""
    viewer, _ = await make_token(db)
    return await publish(
        db, viewer, [row(PART, "2024", 998), row(WHOLE, "2024", 1420), row(SHARE, "2024", value)]
    )


@pytest.mark.parametrize("value", [70.3, 70.28, 70, "70.3", "70.282"])
async def test_a_share_within_rounding_is_accepted(fresh_db: Database, value: object) -> None:
    result = await _publish_share(fresh_db, value)
    assert result.ok, result.errors
    assert result.created == 3


@pytest.mark.parametrize("value", [70.4, 70.2, 71, "70.30", "70.29"])
async def test_a_share_outside_rounding_is_refused(fresh_db: Database, value: object) -> None:
    result = await _publish_share(fresh_db, value)
    assert [e.code for e in result.errors] == ["SHARE_DISAGREES_WITH_PARTS"]


async def test_share_against_stored_parts_and_parts_against_a_stored_share(
    fresh_db: Database,
) -> None:
    viewer, _ = await make_token(fresh_db)
    first = await publish(fresh_db, viewer, [row(PART, "2024", 998), row(WHOLE, "2024", 1420)])
    assert first.ok
    before = await _stored(fresh_db)
    late = await publish(fresh_db, viewer, [row(SHARE, "2024", 95)])
    assert [e.code for e in late.errors] == ["SHARE_DISAGREES_WITH_PARTS"]
    assert "as stored (revision 1)" in late.errors[0].message
    assert await _stored(fresh_db) == before
    assert (await publish(fresh_db, viewer, [row(SHARE, "2024", 70.3)])).ok
    # Now the share is stored: a new numerator that no longer matches it is refused too, on the
    # numerator's row.
    moved = await publish(fresh_db, viewer, [row(PART, "2024", 1100)])
    assert [(e.index, e.code) for e in moved.errors] == [(0, "SHARE_DISAGREES_WITH_PARTS")]
    assert SHARE in moved.errors[0].message
    # ... unless the share moves with it (100 x 1100 / 1420 = 77.46).
    both = await publish(fresh_db, viewer, [row(PART, "2024", 1100), row(SHARE, "2024", 77.5)])
    assert both.ok, both.errors
    # Another period is not compared with 2024's parts.
    other = await publish(fresh_db, viewer, [row(SHARE, "2023", 95)])
    assert other.ok


async def test_csv_errors_name_line_numbers(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    text = f'metric,period,value\r\n{PART},2024,998\r\n{WHOLE},2024,"1,420"\r\n{SHARE},2024,95\r\n'
    rows, file_errors = read_rows(text.encode())
    assert not file_errors
    result = await publish(fresh_db, viewer, rows)
    assert [(e.line, e.code) for e in result.errors] == [(4, "SHARE_DISAGREES_WITH_PARTS")]
    message = result.errors[0].message
    assert message.startswith("line 4: ") and "line 2" in message and "line 3" in message


async def test_graphql_mutation_reports_field_paths(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    mutation = """mutation($input: PublishObservationsInput!) {
      publishObservations(input: $input) {
        observations { id }
        userErrors { field code index message }
      }
    }"""
    body = await run_graphql(
        fresh_db,
        mutation,
        {
            "input": {
                "observations": [
                    {"metric": PART, "period": "2024", "value": 998},
                    {"metric": WHOLE, "period": "2024", "value": 1420},
                    {"metric": SHARE, "period": "2024", "value": 95},
                ]
            }
        },
        viewer,
    )
    payload = body["data"]["publishObservations"]
    assert payload["observations"] == []
    [error] = payload["userErrors"]
    assert (error["code"], error["index"], error["field"]) == (
        "SHARE_DISAGREES_WITH_PARTS",
        2,
        "value",
    )
    assert "observations[0].value" in error["message"]
    assert "observations[1].value" in error["message"]


async def test_a_symbol_or_missing_part_is_not_checked(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    # Only the denominator: nothing to compare with.
    assert (await publish(fresh_db, viewer, [row(WHOLE, "2024", 1420), row(SHARE, "2024", 95)])).ok
    # A suppressed numerator: nothing to compare with either.
    assert (await publish(fresh_db, viewer, [row(PART, "2024", symbol="c")])).ok
