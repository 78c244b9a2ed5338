"""DfE's figures by breakdown (issue 12, deliverable 1, in part): every breakdown row of the
shipped EES files, for each file's headline metrics, recomputed here from the raw file for a
sample of authorities and every period, and served apart from the totals."""

from __future__ import annotations

import csv
import tomllib
from collections import defaultdict
from typing import Any

import httpx
import pytest

from seed import paths
from tests.conftest import Database, http_client

SAMPLE = ("869", "420")  # West Berkshire; the Isles of Scilly (most of its cells suppressed)
MAPPING = tomllib.loads(paths.MAPPING.read_text(encoding="utf-8"))
FILES = [f for f in MAPPING["file"] if f.get("breakdown_metrics")]
FIGURES = """query($m: String!, $t: String!, $a: [String!], $after: String) {
  breakdownFigures(metric: $m, breakdownTopic: $t, authorities: $a, first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { period { label } areaCode areaName breakdownTopic breakdown value symbol } } } }"""
BREAKDOWNS = (
    """query($m: String!) { metric(code: $m) { breakdowns { topic breakdown figures } } }"""
)


def _label(time_period: str, identifier: str) -> str:
    if identifier.lower().startswith("academic"):
        return f"{time_period[:4]}/{time_period[4:]}"
    if identifier.lower().startswith("financial"):
        return f"{time_period[:4]}-{time_period[4:]}"
    return time_period


def raw(file: dict[str, Any]) -> dict[str, dict[tuple[str, str, str, str], str]]:
    """metric -> (topic, breakdown, authority, period) -> the cell as the file writes it."""
    column_of = {metric: column for column, metric in file["columns"].items()}
    out: dict[str, dict[tuple[str, str, str, str], str]] = defaultdict(dict)
    total_topic = file["filters"]["breakdown_topic"]
    with (paths.DATA_DIR / "ees" / file["name"]).open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["geographic_level"] != "Local authority" or row["old_la_code"] not in SAMPLE:
                continue
            if row["breakdown_topic"] == total_topic:
                continue
            label = _label(row["time_period"], row["time_identifier"])
            for metric in file["breakdown_metrics"]:
                key = (row["breakdown_topic"], row["breakdown"], row["old_la_code"], label)
                out[metric][key] = row[column_of[metric]].strip()
    return out


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = (
        await client.post("/graphql", json={"query": query, "variables": variables})
    ).json()
    return body


async def served(client: httpx.AsyncClient, metric: str, topic: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        body = await ask(client, FIGURES, m=metric, t=topic, a=list(SAMPLE), after=after)
        assert "errors" not in body, body
        conn = body["data"]["breakdownFigures"]
        nodes += [e["node"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes
        after = conn["pageInfo"]["endCursor"]


@pytest.mark.parametrize("file", FILES, ids=[f["name"] for f in FILES])
async def test_every_breakdown_figure_is_what_the_raw_file_says(
    loaded_db: Database, file: dict[str, Any]
) -> None:
    expected = raw(file)
    async with http_client(loaded_db) as client:
        for metric in file["breakdown_metrics"]:
            cells = expected[metric]
            topics = sorted({topic for topic, _, _, _ in cells})
            assert topics, metric
            listed = (await ask(client, BREAKDOWNS, m=metric))["data"]["metric"]["breakdowns"]
            assert sorted({b["topic"] for b in listed}) == topics  # the totals' topic is not one
            got: dict[tuple[str, str, str, str], dict[str, Any]] = {}
            for topic in topics:
                for node in await served(client, metric, topic):
                    key = (node["breakdownTopic"], node["breakdown"], node["areaCode"])
                    got[(*key, node["period"]["label"])] = node
            assert got.keys() == cells.keys(), (metric, set(got) ^ set(cells))
            for key, cell in cells.items():
                node = got[key]
                try:
                    number = float(cell.replace(",", ""))
                except ValueError:
                    assert node["value"] is None and node["symbol"], (metric, key, cell, node)
                else:
                    assert node["value"] == number and node["symbol"] is None, (metric, key)


async def test_a_breakdown_adds_up_to_the_total_the_other_queries_give(
    loaded_db: Database,
) -> None:
    total = """{ observations(filter: {metrics: ["ehc_plans"], authorities: ["869"],
      periods: ["2024/25"]}) { edges { node { value } } } }"""
    async with http_client(loaded_db) as client:
        by_sex = await served(client, "ehc_plans", "Sex")
        (plans,) = (await ask(client, total))["data"]["observations"]["edges"]
    latest = [n for n in by_sex if n["areaCode"] == "869" and n["period"]["label"] == "2024/25"]
    assert {n["breakdown"] for n in latest} == {"Female", "Male"}
    assert sum(n["value"] for n in latest) == plans["node"]["value"]
    assert {n["areaName"] for n in latest} == {"West Berkshire"}


async def test_metrics_without_breakdowns_say_so(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        listed = await ask(client, BREAKDOWNS, m="suspension_rate")
        asked = await ask(client, FIGURES, m="suspension_rate", t="Sex", a=None, after=None)
    assert listed["data"]["metric"]["breakdowns"] == []
    (error,) = asked["errors"]
    assert error["extensions"]["field"] == "breakdownTopic"
    assert "only its totals are imported" in error["message"]


async def test_an_unknown_topic_or_breakdown_lists_what_there_is(loaded_db: Database) -> None:
    one = """query($t: String!, $b: String, $p: [String!]) { breakdownFigures(metric: "ehc_plans",
      breakdownTopic: $t, breakdown: $b, periods: $p) { totalCount } }"""
    async with http_client(loaded_db) as client:
        topic = await ask(client, one, t="Gender")
        breakdown = await ask(client, one, t="Sex", b="Other")
        period = await ask(client, one, t="Sex", b="Female", p=["2024"])
        fine = await ask(client, one, t="Sex", b="Female", p=["2024/25"])
    (error,) = topic["errors"]
    assert error["extensions"]["field"] == "breakdownTopic"
    assert "Sex" in error["extensions"]["suggestions"] and "Ethnicity" in error["message"]
    (error,) = breakdown["errors"]
    assert error["extensions"]["field"] == "breakdown"
    assert {"Female", "Male"} <= set(error["extensions"]["suggestions"])
    (error,) = period["errors"]
    assert error["extensions"] == {"code": "WRONG_PERIOD_KIND", "field": "periods"}
    assert fine["data"]["breakdownFigures"]["totalCount"] == 163  # England, 9 regions, 153


COMPARE = """query($t: String, $b: String, $g: PeerGroup!) { comparison(metric: "ehc_plans",
  period: "2024/25", authority: "869", peers: $g, breakdownTopic: $t, breakdown: $b) {
  breakdownTopic breakdown peerCount peerMedian england { value } region { value }
  subject { value rank } entries { authority { laCode } value rank isDemo isPseudonymous } } }"""


def _file_cells(topic: str, breakdown: str) -> dict[str, float]:
    """Area code (DfE code, or GSS code for England and regions) -> ehc_plans in January 2025."""
    out: dict[str, float] = {}
    with (paths.DATA_DIR / "ees" / "caseload.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["time_period"] != "202425" or (row["breakdown_topic"], row["breakdown"]) != (
                topic,
                breakdown,
            ):
                continue
            code = {
                "National": row["country_code"],
                "Regional": row["region_code"],
                "Local authority": row["old_la_code"],
            }[row["geographic_level"]]
            try:
                out[code] = float(row["ehcplans"])
            except ValueError:
                continue
    return out


async def test_a_breakdown_is_compared_like_a_total(loaded_db: Database) -> None:
    expected = _file_cells("Sex", "Female")
    async with http_client(loaded_db) as client:
        body = await ask(client, COMPARE, t="Sex", b="Female", g="REGION")
        totals = await ask(client, COMPARE, t=None, b=None, g="REGION")
    assert "errors" not in body, body
    c = body["data"]["comparison"]
    assert (c["breakdownTopic"], c["breakdown"]) == ("Sex", "Female")
    assert c["subject"]["value"] == expected["869"]
    assert c["england"]["value"] == expected["E92000001"]
    assert c["region"]["value"] == expected["E12000008"]
    assert len(c["entries"]) == 19 and c["peerCount"] == 18  # the South East
    for entry in c["entries"]:
        assert entry["value"] == expected.get(entry["authority"]["laCode"])
        assert not entry["isDemo"] and not entry["isPseudonymous"]
    ranked = [e["value"] for e in c["entries"] if e["rank"] is not None]
    assert ranked == sorted(ranked, reverse=True)  # a count: neutral, largest first
    total = totals["data"]["comparison"]
    assert (total["breakdownTopic"], total["breakdown"]) == (None, None)
    assert total["subject"]["value"] > c["subject"]["value"]


async def test_a_breakdown_comparison_needs_both_arguments_and_real_ones(
    loaded_db: Database,
) -> None:
    async with http_client(loaded_db) as client:
        half = await ask(client, COMPARE, t="Sex", b=None, g="ENGLAND")
        other_half = await ask(client, COMPARE, t=None, b="Female", g="ENGLAND")
        unknown = await ask(client, COMPARE, t="Sex", b="Not stated", g="ENGLAND")
    assert half["errors"][0]["extensions"] == {"code": "INVALID", "field": "breakdown"}
    assert other_half["errors"][0]["extensions"] == {"code": "INVALID", "field": "breakdownTopic"}
    (error,) = unknown["errors"]
    assert error["extensions"]["field"] == "breakdown" and "Female" in error["message"]


TREND = """query($t: String, $b: String) { trend(metric: "ehc_issued_20wk_pct", authority: "869",
  breakdownTopic: $t, breakdown: $b) { breakdownTopic breakdown direction
  points { period { label } value symbol peerCount peerMedian direction change isDemo
  england { value } } } }"""


async def test_a_breakdown_has_a_trend_with_directions(loaded_db: Database) -> None:
    file = next(f for f in FILES if f["name"] == "timeliness_20_week.csv")
    cells = raw(file)["ehc_issued_20wk_pct"]
    async with http_client(loaded_db) as client:
        body = await ask(client, TREND, t="Sex", b="Female")
        half = await ask(client, TREND, t="Sex", b=None)
    assert "errors" not in body, body
    t = body["data"]["trend"]
    assert (t["breakdownTopic"], t["breakdown"]) == ("Sex", "Female")
    own = {
        p: c
        for (topic, b, code, p), c in cells.items()
        if (topic, b, code) == ("Sex", "Female", "869")
    }
    points = t["points"]
    assert [p["period"]["label"] for p in points] == sorted(own)
    previous = None
    for point in points:
        cell = own[point["period"]["label"]]
        value = None if not cell.replace(".", "").isdigit() else float(cell)
        assert point["value"] == value and not point["isDemo"]
        assert point["peerCount"] <= 10
        if previous is not None and value is not None and previous["value"] is not None:
            assert point["change"] == pytest.approx(value - previous["value"])
            assert point["direction"] in ("IMPROVING", "WORSENING", "NO_CHANGE")
        previous = point
    assert t["direction"] == points[-1]["direction"]
    assert half["errors"][0]["extensions"] == {"code": "INVALID", "field": "breakdown"}


async def test_a_reimport_rewrites_only_the_breakdown_figures_that_changed(
    fresh_db: Database, tmp_path: Any
) -> None:
    from sqlalchemy import select

    from exchange.db import transaction
    from exchange.importer.mapping import load_mapping
    from exchange.importer.service import import_files
    from exchange.observations.models import BreakdownFigure

    src = paths.DATA_DIR / "ees" / "requests.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    header = next(csv.reader([lines[0]]))
    at = {name: i for i, name in enumerate(header)}
    target = next(
        i
        for i, line in enumerate(lines)
        if ",869,West Berkshire,Sex,Female," in line
        and next(csv.reader([line]))[at["requests_received_in_year"]].isdigit()
    )
    cells = next(csv.reader([lines[target]]))
    cells[at["requests_received_in_year"]] = str(int(cells[at["requests_received_in_year"]]) + 7)
    edited = tmp_path / "requests.csv"
    out = [*lines]
    out[target] = ",".join(cells)
    edited.write_text("\n".join(out) + "\n", encoding="utf-8")

    async def run(path: Any) -> dict[tuple[Any, ...], tuple[int, Any]]:
        async with transaction(fresh_db.sessions) as session:
            await import_files(session, [path], load_mapping(paths.MAPPING))
        async with fresh_db.sessions() as session:
            rows = (await session.execute(select(BreakdownFigure))).scalars().all()
        return {
            (r.metric_id, r.period_id, r.area_code, r.breakdown_topic, r.breakdown): (r.id, r.value)
            for r in rows
        }

    first = await run(src)
    again = await run(src)
    assert again == first  # same figures, same rows: nothing rewritten
    changed = await run(edited)
    assert changed.keys() == first.keys()
    moved = [k for k in first if changed[k] != first[k]]
    assert len(moved) == 1 and moved[0][2:] == ("869", "Sex", "Female")
    assert changed[moved[0]][1] == first[moved[0]][1] + 7
