"""Demo never meets real: West Berkshire publishes a real annual-reviews figure for 2024 into a
series whose 2022 and 2023 points are demo data (issue 12). No trend point, direction, peer
statistic, improver or case-study outcome may combine the two datasets.

The real figure is published through the real publishing service, beside the shipped demo
generator's rows; the test reads what the API answers, on both backends."""

from __future__ import annotations

from typing import Any

import pytest_asyncio

from exchange.casestudies import service as case_studies
from exchange.casestudies.validation import LinkInput
from exchange.db import transaction
from exchange.viewer import Viewer
from exchange.web.dashboard_pages import MetricPanel, trend_panel, trend_series
from exchange.web.operations import operation_text
from seed.demo_metrics import DEMO_SOURCE, seed_demo_metrics
from tests.conftest import Database, run_graphql
from tests.core.case_study_support import (
    WEST_BERKSHIRE,
    case_study_values,
    neighbours,
    publisher,
)
from tests.publishing_support import publish, row

PLACE = {"name": "West Berkshire", "region": "South East"}
SN = "STATISTICAL_NEIGHBOURS"
METRIC_FIELDS = '{ metric(code: "annual_reviews_on_time_pct") { code name unit polarity } }'

METRIC = "annual_reviews_on_time_pct"

TREND = """query($a: String!) { trend(metric: "annual_reviews_on_time_pct", authority: $a) {
  direction change directionReason directionFrom { label } directionTo { label }
  points { period { label } value isDemo source peerMedian peerCount direction change
           directionReason previousPeriod { label } } } }"""

COMPARISON = """query($a: String!, $p: String!) {
  comparison(metric: "annual_reviews_on_time_pct", period: $p, authority: $a) {
    peerMedian peerCount subject { value isDemo }
    entries { authority { laCode } value isDemo rank } } }"""

IMPROVERS = """query($a: String!) {
  improvers(metric: "annual_reviews_on_time_pct", from: "2023", to: "2024", authority: $a) {
    peerMedianChange peerCount directionReason baselineIsDemo followUpIsDemo
    entries { authority { laCode } isSubject baseline { value } followUp { value } change
              improvement direction directionReason rank } } }"""

OUTCOMES = """{ myCaseStudies { edges { node { title isDemo outcomeLinks {
  baselinePeriod { label } followUpPeriod { label } baseline { value } followUp { value }
  change direction directionReason peerMedianChange peerCount summary } } } } }"""


async def _query(db: Database, query: str, viewer: Viewer, **variables: Any) -> dict[str, Any]:
    out = await run_graphql(db, query, variables, viewer)
    assert "errors" not in out, out
    return out["data"]  # type: ignore[no-any-return]


async def _demo_values(db: Database, viewer: Viewer, code: str) -> dict[str, float]:
    """The authority's demo series as the API shows it before any real figure exists."""
    data = await _query(db, TREND, viewer, a=code)
    points = data["trend"]["points"]
    assert points and all(p["isDemo"] and p["source"] == DEMO_SOURCE for p in points)
    return {p["period"]["label"]: p["value"] for p in points}


@pytest_asyncio.fixture
async def world(fresh_db: Database) -> dict[str, Any]:
    async with transaction(fresh_db.sessions) as s:
        await seed_demo_metrics(s)
    wb = await publisher(fresh_db, WEST_BERKSHIRE)
    before = await _demo_values(fresh_db, wb, WEST_BERKSHIRE)
    # A real figure 21.5 points above the demo 2023 one: joined to the demo line it would read
    # "improving, up 21.5 points".
    due = 1000
    on_time = round(10 * min(99.0, before["2023"] + 21.5))
    real_pct = on_time / 10
    rows = [
        row("annual_reviews_due", "2024", due),
        row("annual_reviews_on_time", "2024", on_time),
        row(METRIC, "2024", real_pct),
    ]
    result = await publish(fresh_db, wb, rows)
    assert not result.errors, result.errors
    # One neighbour publishes a real 2024 figure too: the only real peer figure of 2024.
    neighbour = neighbours(WEST_BERKSHIRE)[0]
    other = await publisher(fresh_db, neighbour)
    peer_rows = [
        row("annual_reviews_due", "2024", 800),
        row("annual_reviews_on_time", "2024", 514),
        row(METRIC, "2024", 64.3),
    ]
    result = await publish(fresh_db, other, peer_rows)
    assert not result.errors, result.errors
    return {
        "db": fresh_db,
        "wb": wb,
        "demo": before,
        "real_pct": real_pct,
        "neighbour": neighbour,
    }


async def test_trend_points_carry_their_dataset_and_no_direction_crosses_it(
    world: dict[str, Any],
) -> None:
    db, wb, demo = world["db"], world["wb"], world["demo"]
    trend = (await _query(db, TREND, wb, a=WEST_BERKSHIRE))["trend"]
    by = {p["period"]["label"]: p for p in trend["points"]}
    assert list(by) == ["2022", "2023", "2024"]
    for label in ("2022", "2023"):
        assert by[label]["isDemo"] is True
        assert by[label]["source"] == DEMO_SOURCE
        assert by[label]["value"] == demo[label]
    latest = by["2024"]
    assert latest["isDemo"] is False
    assert latest["value"] == world["real_pct"]
    assert latest["source"] is not None and "West Berkshire" in latest["source"]
    # Within the demo dataset the direction is measured; across the datasets it is not.
    assert by["2023"]["direction"] != "NOT_COMPARABLE"
    assert by["2023"]["change"] is not None
    assert abs(by["2023"]["change"] - (demo["2023"] - demo["2022"])) < 1e-9
    assert latest["direction"] == "NOT_COMPARABLE" and latest["change"] is None
    assert "demo" in latest["directionReason"] and "2023" in latest["directionReason"]
    assert trend["direction"] == "NOT_COMPARABLE" and trend["change"] is None
    assert trend["directionReason"] == latest["directionReason"]
    assert (trend["directionFrom"]["label"], trend["directionTo"]["label"]) == ("2023", "2024")
    # The 2024 peer statistic is made of the one real peer figure, none of the demo ones.
    assert (latest["peerCount"], latest["peerMedian"]) == (1, 64.3)
    assert by["2023"]["peerCount"] == len(neighbours(WEST_BERKSHIRE))


async def test_comparison_of_the_real_period_uses_real_figures_only(world: dict[str, Any]) -> None:
    db, wb = world["db"], world["wb"]
    comp = (await _query(db, COMPARISON, wb, a=WEST_BERKSHIRE, p="2024"))["comparison"]
    assert comp["subject"] == {"value": world["real_pct"], "isDemo": False}
    assert all(e["isDemo"] is False for e in comp["entries"])
    valued = {e["authority"]["laCode"]: e["value"] for e in comp["entries"] if e["value"]}
    assert valued == {WEST_BERKSHIRE: world["real_pct"], world["neighbour"]: 64.3}
    assert (comp["peerCount"], comp["peerMedian"]) == (1, 64.3)


async def test_improvers_measure_no_change_across_demo_and_real(world: dict[str, Any]) -> None:
    db, wb = world["db"], world["wb"]
    found = (await _query(db, IMPROVERS, wb, a=WEST_BERKSHIRE))["improvers"]
    assert found["peerCount"] == 0 and found["peerMedianChange"] is None
    assert "demo" in found["directionReason"]
    assert (found["baselineIsDemo"], found["followUpIsDemo"]) == (True, False)
    assert found["entries"]
    for e in found["entries"]:
        assert e["change"] is None and e["improvement"] is None and e["rank"] is None
        assert e["direction"] == "NOT_COMPARABLE" and e["directionReason"]
    subject = next(e for e in found["entries"] if e["isSubject"])
    # The demo baseline is shown as what it is (2023 is a demo period), the follow-up is real.
    assert subject["baseline"]["value"] == world["demo"]["2023"]
    assert subject["followUp"]["value"] == world["real_pct"]


async def test_a_real_case_studys_outcome_never_starts_from_a_demo_baseline(
    world: dict[str, Any],
) -> None:
    db, wb = world["db"], world["wb"]
    async with transaction(db.sessions) as s:
        cs = await case_studies.create(
            s,
            wb,
            case_study_values(
                title="Annual reviews caught up",
                outcome_links=[LinkInput(METRIC, "2023", "2024")],
            ),
        )
        await case_studies.publish(s, wb, cs.public_id)
    nodes = [e["node"] for e in (await _query(db, OUTCOMES, wb))["myCaseStudies"]["edges"]]
    (node,) = [n for n in nodes if n["title"] == "Annual reviews caught up"]
    assert node["isDemo"] is False
    (link,) = node["outcomeLinks"]
    assert link["baseline"]["value"] is None  # 2023 has demo figures only
    assert link["followUp"]["value"] == world["real_pct"]
    assert link["change"] is None and link["direction"] == "NOT_COMPARABLE"
    assert "2023" in link["directionReason"] and "demo" in link["directionReason"]
    assert link["peerMedianChange"] is None and link["peerCount"] == 0
    assert link["summary"] is None or "up" not in link["summary"].lower()


async def test_the_dashboard_draws_demo_apart_and_judges_nothing_across_it(
    world: dict[str, Any],
) -> None:
    """The dashboard panel, from the page's own MetricTrend operation: the real line has no demo
    point and the demo line no real one, and the summary says why there is no judgement."""
    db, wb = world["db"], world["wb"]
    document = operation_text("MetricTrend")
    trend = (await _query(db, document, wb, metric=METRIC, authority=WEST_BERKSHIRE, peers=SN))[
        "trend"
    ]
    metric = (await _query(db, METRIC_FIELDS, wb))["metric"]
    panel = MetricPanel(metric=metric, trend=trend, comparison=None)
    trend_panel(PLACE, panel, "neighbours")
    assert panel.chart is not None and panel.travel is not None
    assert (panel.travel.movement, panel.travel.judgement) == ("Not comparable", "Not comparable")
    assert "demo" in panel.travel.reason and panel.travel.since == "2023"
    assert "Change since 2023: not comparable" in panel.summary
    assert "Up" not in panel.summary and "better" not in panel.summary.lower()
    lines = {s.name: list(s.values) for s in trend_series(PLACE, trend["points"], "PERCENT", "x")}
    assert lines["West Berkshire"] == [None, None, world["real_pct"]]
    demo = lines["West Berkshire (demo data, not real)"]
    assert demo == [world["demo"]["2022"], world["demo"]["2023"], None]
    assert lines["Median of x"][:2] == [None, None]  # the real peers' line starts at 2024
    # Each period's row shows the movement within its own dataset only.
    rows = {r["period"]: r["travel"] for r in panel.rows}
    assert rows["2024"].movement == "Not comparable"
    assert rows["2023"].movement != "Not comparable"
