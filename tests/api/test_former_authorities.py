"""Former authorities (issue 12, deliverable 6): abolished authorities that DfE's files still
report are kept apart from the 153, explained, and reconcile England's figure with the
authorities' sum, period by period, on both databases."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from exchange.authorities.models import FormerAuthorityFigure
from exchange.db import transaction
from exchange.importer.mapping import load_mapping
from exchange.importer.service import import_files
from seed import paths
from tests.conftest import Database, http_client

FORMER = """query($m: String!) { formerAuthorities { laCode name note periods
  figures(metric: $m) { period { label } value symbol source } } }"""
FIGURES = """query($after: String) { observations(filter: {metrics: ["ehc_plans"],
  areaLevels: [NATIONAL, LOCAL_AUTHORITY]}, first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { areaLevel period { label } value isDemo } } } }"""


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_the_former_authorities_are_explained(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        found = (await ask(client, FORMER, m="ehc_plans"))["formerAuthorities"]
    by_code = {f["laCode"]: f for f in found}
    assert {code: f["name"] for code, f in by_code.items()} == {
        "835": "Dorset County",
        "836": "Poole",
        "837": "Bournemouth",
        "909": "Cumbria",
        "928": "Northamptonshire",
    }
    cumbria = by_code["909"]
    assert "Cumberland 942" in cumbria["note"] and "Westmorland and Furness 943" in cumbria["note"]
    assert "2022/23" in cumbria["periods"] and "2023/24" not in cumbria["periods"]
    years = [int(label[:4]) for label in cumbria["periods"]]
    assert years == sorted(years)  # oldest first, whatever the kind of year
    plans = {f["period"]["label"]: f["value"] for f in cumbria["figures"]}
    assert set(plans) <= set(cumbria["periods"]) and plans["2022/23"] > 0
    assert all(f["source"].startswith("DfE") for f in cumbria["figures"])


async def test_england_is_the_authorities_plus_the_former_authorities(
    loaded_db: Database,
) -> None:
    england: dict[str, float] = {}
    authorities: dict[str, float] = defaultdict(float)
    async with http_client(loaded_db) as client:
        after = None
        while True:
            conn = (await ask(client, FIGURES, after=after))["observations"]
            for edge in conn["edges"]:
                node = edge["node"]
                if node["isDemo"] or node["value"] is None:
                    continue
                label = node["period"]["label"]
                if node["areaLevel"] == "NATIONAL":
                    england[label] = node["value"]
                else:
                    authorities[label] += node["value"]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
        former = (await ask(client, FORMER, m="ehc_plans"))["formerAuthorities"]
    formerly: dict[str, float] = defaultdict(float)
    for f in former:
        for figure in f["figures"]:
            formerly[figure["period"]["label"]] += figure["value"] or 0
    assert len(england) >= 7
    differences = {p: england[p] - authorities[p] for p in england}
    assert any(differences.values())  # without the former authorities the sums do not meet
    for period, total in england.items():
        assert authorities[period] + formerly[period] == total, period
    assert formerly["2024/25"] == 0 and formerly["2018/19"] > 0


async def test_a_reimport_keeps_one_copy_of_each_former_figure(fresh_db: Database) -> None:
    files = [Path(paths.DATA_DIR / "ees" / "requests.csv")]

    async def once() -> int:
        async with transaction(fresh_db.sessions) as session:
            summary = await import_files(session, files, load_mapping(paths.MAPPING))
        async with fresh_db.sessions() as session:
            stored = (await session.execute(select(func.count(FormerAuthorityFigure.id)))).scalar()
        assert stored == summary.former_figures
        return int(stored or 0)

    first = await once()
    assert first > 0
    assert await once() == first
