"""Observations and errors an analyst can act on (issue 12, deliverable 6): a period of the wrong
kind is an error, not zero rows; rows by area level, each named; an unknown metric suggests the
nearest codes; an error names the argument actually given."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Database, http_client


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    r = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = r.json()
    return body


OBSERVATIONS = """query($f: ObservationFilter) { observations(filter: $f, first: 100) {
  totalCount edges { node { areaLevel areaCode areaName period { label } value } } } }"""


async def test_a_period_of_the_wrong_kind_is_refused_not_empty(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        wrong = await ask(client, OBSERVATIONS, f={"metrics": ["ehc_plans"], "periods": ["2024"]})
        right = await ask(
            client, OBSERVATIONS, f={"metrics": ["ehc_plans"], "periods": ["2024/25"]}
        )
        mixed = await ask(  # a calendar metric beside an academic one: 2024 matches the first
            client,
            OBSERVATIONS,
            f={"metrics": ["ehc_plans", "ehc_issued_20wk_pct"], "periods": ["2024"]},
        )
        malformed = await ask(client, OBSERVATIONS, f={"periods": ["24/25x"]})
    (error,) = wrong["errors"]
    assert error["extensions"] == {"code": "WRONG_PERIOD_KIND", "field": "periods"}
    assert (
        "'2024' is a calendar year but ehc_plans is reported by academic year" in (error["message"])
    )
    assert "2024/25" in error["message"]
    assert right["data"]["observations"]["totalCount"] > 150
    assert "errors" not in mixed and mixed["data"]["observations"]["totalCount"] > 150
    assert {e["node"]["period"]["label"] for e in mixed["data"]["observations"]["edges"]} == {
        "2024"
    }
    assert malformed["errors"][0]["extensions"] == {"code": "MALFORMED_PERIOD", "field": "periods"}


async def test_rows_by_area_level_each_with_its_name(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        england = await ask(
            client,
            OBSERVATIONS,
            f={"metrics": ["ehc_plans"], "periods": ["2024/25"], "areaLevels": ["NATIONAL"]},
        )
        regions = await ask(
            client,
            OBSERVATIONS,
            f={"metrics": ["ehc_plans"], "periods": ["2024/25"], "areaLevels": ["REGIONAL"]},
        )
        both = await ask(
            client,
            OBSERVATIONS,
            f={
                "metrics": ["ehc_plans"],
                "periods": ["2024/25"],
                "areaLevels": ["NATIONAL", "REGIONAL"],
            },
        )
        authorities = await ask(
            client,
            OBSERVATIONS,
            f={"metrics": ["ehc_plans"], "authorities": ["869"], "areaLevels": ["LOCAL_AUTHORITY"]},
        )
    (only,) = [e["node"] for e in england["data"]["observations"]["edges"]]
    assert (only["areaLevel"], only["areaCode"], only["areaName"]) == (
        "NATIONAL",
        "E92000001",
        "England",
    )
    named = {
        e["node"]["areaCode"]: e["node"]["areaName"]
        for e in regions["data"]["observations"]["edges"]
    }
    assert len(named) == regions["data"]["observations"]["totalCount"] == 9
    assert named["E12000008"] == "South East" and named["E12000007"] == "London"
    assert all(
        e["node"]["areaLevel"] == "REGIONAL" for e in regions["data"]["observations"]["edges"]
    )
    assert both["data"]["observations"]["totalCount"] == 10
    rows = [e["node"] for e in authorities["data"]["observations"]["edges"]]
    assert rows and {r["areaName"] for r in rows} == {"West Berkshire"}


async def test_an_unknown_metric_suggests_the_nearest_codes(loaded_db: Database) -> None:
    comparison = """{ comparison(metric: "ehc_plan", period: "2024/25", authority: "869") {
      peerCount } }"""
    async with http_client(loaded_db) as client:
        compared = await ask(client, comparison)
        listed = await ask(client, OBSERVATIONS, f={"metrics": ["suspenson_rate"]})
        hopeless = await ask(client, OBSERVATIONS, f={"metrics": ["zzqqxx"]})
    (error,) = compared["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["field"] == "metric"
    assert "ehc_plans" in error["extensions"]["suggestions"]
    assert "did you mean" in error["message"] and "ehc_plans" in error["message"]
    (error,) = listed["errors"]
    assert error["extensions"]["field"] == "metrics"
    assert error["extensions"]["suggestions"][0] == "suspension_rate"
    (error,) = hopeless["errors"]
    assert "suggestions" not in error["extensions"]
    assert "the metrics query lists every code" in error["message"]


async def test_a_trend_error_names_the_argument_given(loaded_db: Database) -> None:
    query = """query($from: String, $to: String) { trend(metric: "ehc_plans", authority: "869",
      from: $from, to: $to) { direction } }"""
    async with http_client(loaded_db) as client:
        wrong_from = await ask(client, query, **{"from": "2019"})
        wrong_to = await ask(client, query, to="2023-24")
        malformed = await ask(client, query, **{"from": "soon"})
    assert wrong_from["errors"][0]["extensions"] == {"code": "WRONG_PERIOD_KIND", "field": "from"}
    assert wrong_to["errors"][0]["extensions"] == {"code": "WRONG_PERIOD_KIND", "field": "to"}
    assert malformed["errors"][0]["extensions"] == {"code": "MALFORMED_PERIOD", "field": "from"}
