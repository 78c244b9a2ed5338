"""Trend gaps (issue 12): a period where neither the authority nor any peer has a value is a
point with no values, not dropped; a direction of travel never skips a missing period.

The DfE case reads the shipped requests file (an independent csv oracle gives the figures); the
custom-group case publishes its own figures through the publishing service."""

from __future__ import annotations

import csv
import itertools
from typing import Any

import pytest

from seed import paths
from tests.conftest import Database, run_graphql
from tests.core.case_study_support import WEST_BERKSHIRE, load_files
from tests.publishing_support import make_token, publish, row

REQUESTS = paths.DATA_DIR / "ees" / "requests.csv"
COLUMN = "request_outcome_six_weeks_pc"

TREND = """query($m: String!, $a: String!, $g: ID, $from: String, $to: String) {
  trend(metric: $m, authority: $a, peerGroup: $g, from: $from, to: $to) {
    direction change directionReason directionFrom { label } directionTo { label }
    points { period { label } value symbol peerCount peerMedian direction change
             directionReason previousPeriod { label } } } }"""


def _requests_oracle(la_code: str) -> dict[str, str]:
    """time_period -> the cell as the file writes it (a number or a GSS symbol)."""
    with REQUESTS.open(encoding="utf-8-sig") as handle:
        return {
            r["time_period"]: r[COLUMN]
            for r in csv.DictReader(handle)
            if r["geographic_level"] == "Local authority"
            and r["old_la_code"] == la_code
            and r["breakdown_topic"] == "All requests for EHC needs assessments"
            and r["breakdown"] == "All requests for EHC needs assessments"
        }


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


async def _trend(db: Database, viewer: Any = None, **variables: Any) -> dict[str, Any]:
    args = {"g": None, "from": None, "to": None, **variables}
    out = await run_graphql(db, TREND, args, *([viewer] if viewer is not None else []))
    assert "errors" not in out, out
    return out["data"]["trend"]  # type: ignore[no-any-return]


async def test_periods_without_any_value_are_kept_and_not_skipped(fresh_db: Database) -> None:
    await load_files(fresh_db, REQUESTS)
    oracle = _requests_oracle(WEST_BERKSHIRE)
    missing = sorted(p for p, cell in oracle.items() if _number(cell) is None)
    present = sorted(p for p, cell in oracle.items() if _number(cell) is not None)
    assert missing and present and max(missing) < min(present)  # 2019-2022, then 2023-
    trend = await _trend(fresh_db, m="ehc_request_outcome_6wk_pct", a=WEST_BERKSHIRE)
    by = {p["period"]["label"]: p for p in trend["points"]}
    assert sorted(by) == sorted(oracle)  # every period of the file, none dropped
    for label in missing:
        p = by[label]
        assert p["value"] is None and p["symbol"] == oracle[label].strip()
        assert p["peerCount"] == 0 and p["peerMedian"] is None
        assert p["direction"] == "NOT_COMPARABLE" and p["directionReason"]
    first_real = by[present[0]]
    assert first_real["value"] == _number(oracle[present[0]])
    assert first_real["direction"] == "NOT_COMPARABLE"
    assert first_real["previousPeriod"]["label"] == missing[-1]
    assert missing[-1] in first_real["directionReason"]
    for before, label in itertools.pairwise(present):
        expected = _number(oracle[label]) - _number(oracle[before])  # type: ignore[operator]
        assert by[label]["direction"] != "NOT_COMPARABLE"
        assert by[label]["change"] == pytest.approx(expected)
        assert by[label]["previousPeriod"]["label"] == before
    latest = trend["points"][-1]
    assert trend["direction"] == latest["direction"]
    assert trend["change"] == latest["change"]
    assert trend["directionTo"]["label"] == latest["period"]["label"]
    assert trend["directionFrom"]["label"] == latest["previousPeriod"]["label"]


CREATE_GROUP = """mutation($name: String!, $members: [String!]!) {
  createPeerGroup(input: {name: $name, members: $members}) { peerGroup { id } userErrors { code } }
}"""


async def test_a_custom_group_never_makes_a_direction_skip_a_period(fresh_db: Database) -> None:
    """West Berkshire and its custom group have 2021/22 and 2023/24 but nothing in 2022/23; an
    authority outside the group published 2022/23. Before, 2022/23 was dropped and 2023/24 was
    compared with 2021/22."""
    members = ["867", "868"]
    for i, code in enumerate([WEST_BERKSHIRE, *members]):
        viewer, _ = await make_token(fresh_db, authority=code)
        rows = [row("ep_fte", "2021/22", 10.0 + i), row("ep_fte", "2023/24", 14.0 + i)]
        assert (await publish(fresh_db, viewer, rows, visibility="public")).ok
    outsider, _ = await make_token(fresh_db, authority="330")
    assert (
        await publish(fresh_db, outsider, [row("ep_fte", "2022/23", 30.0)], visibility="public")
    ).ok
    owner, _ = await make_token(fresh_db, authority=WEST_BERKSHIRE)
    made = await run_graphql(fresh_db, CREATE_GROUP, {"name": "Two", "members": members}, owner)
    group = made["data"]["createPeerGroup"]["peerGroup"]["id"]
    trend = await _trend(fresh_db, owner, m="ep_fte", a=WEST_BERKSHIRE, g=group)
    by = {p["period"]["label"]: p for p in trend["points"]}
    assert list(by) == ["2021/22", "2022/23", "2023/24"]
    gap = by["2022/23"]
    assert gap["value"] is None and gap["peerCount"] == 0 and gap["peerMedian"] is None
    latest = by["2023/24"]
    assert (latest["value"], latest["peerCount"], latest["peerMedian"]) == (14.0, 2, 15.5)
    assert latest["direction"] == "NOT_COMPARABLE" and latest["change"] is None
    assert latest["previousPeriod"]["label"] == "2022/23"
    assert "2022/23" in latest["directionReason"]
    assert trend["direction"] == "NOT_COMPARABLE"
    assert (trend["directionFrom"]["label"], trend["directionTo"]["label"]) == (
        "2022/23",
        "2023/24",
    )


async def test_a_period_nobody_has_is_not_skipped_either(fresh_db: Database) -> None:
    """No figure at all for 2022/23 (not even a stored period): 2023/24 still does not compare
    with 2021/22, and a window starting at 2023/24 says so too."""
    viewer, _ = await make_token(fresh_db, authority=WEST_BERKSHIRE)
    rows = [
        row("ep_fte", "2020/21", 9.0),
        row("ep_fte", "2021/22", 10.0),
        row("ep_fte", "2023/24", 14.0),
        row("ep_fte", "2024/25", 15.5),
    ]
    assert (await publish(fresh_db, viewer, rows, visibility="public")).ok
    trend = await _trend(fresh_db, viewer, m="ep_fte", a=WEST_BERKSHIRE)
    by = {p["period"]["label"]: p for p in trend["points"]}
    assert "2022/23" not in by or by["2022/23"]["value"] is None
    assert by["2021/22"]["change"] == pytest.approx(1.0)
    assert by["2023/24"]["direction"] == "NOT_COMPARABLE"
    assert "2022/23" in by["2023/24"]["directionReason"]
    assert by["2024/25"]["change"] == pytest.approx(1.5)
    assert by["2024/25"]["direction"] != "NOT_COMPARABLE"
    window = await _trend(fresh_db, viewer, m="ep_fte", a=WEST_BERKSHIRE, **{"from": "2023/24"})
    assert [p["period"]["label"] for p in window["points"]] == ["2023/24", "2024/25"]
    assert window["points"][0]["direction"] == "NOT_COMPARABLE"
