"""The figures as files (exchange/web/csv_export.py): a comparison, an authority's trend and a
metric's whole time series, against the API's own answers at full precision, on SQLite and
PostgreSQL; and every bad argument as a plain-text 400 naming it."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import httpx
import pytest

from exchange.web import formatting
from exchange.web.csv_export import COMPARISON_COLUMNS, SERIES_COLUMNS, TREND_COLUMNS
from tests.conftest import Database, http_client
from tests.web.test_pages import HTML, table


def parse(response: httpx.Response) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """Heading lines, the table's columns and its rows; checks the file's framing on the way."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    assert b"\r\n" in response.content
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    blank = lines.index([])
    heading = dict((name, value) for name, value in lines[:blank])
    return heading, lines[blank + 1], lines[blank + 2 :]


async def api(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    r = await client.post("/graphql", json={"query": query, "variables": variables})
    body = r.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def same_number(cell: str, value: float | None) -> bool:
    if value is None:
        return cell == ""
    return math.isclose(float(cell), value, rel_tol=0, abs_tol=0)  # exactly, not rounded


COMPARISON = """query($m: String!, $p: String!, $a: String!, $g: PeerGroup!) {
  comparison(metric: $m, period: $p, authority: $a, peers: $g) {
    peerMedian entries { label value symbol rank percentile quartile
      authority { laCode gssCode } } } }"""


async def test_a_comparison_file_is_the_api_at_full_precision_with_its_heading(
    loaded_db: Database,
) -> None:
    # A share worked out at import (docs/metrics.md): stored to more places than the page shows.
    path = "/authorities/869/metrics/ehc_plans_independent_special_pct?period=2024/25&peers=REGION"
    async with http_client(loaded_db) as client:
        shown = table((await client.get(path, headers=HTML)).text, "comparison-table")
        download = await client.get(path.replace("_pct?", "_pct.csv?"))
        data = await api(
            client,
            COMPARISON,
            m="ehc_plans_independent_special_pct",
            p="2024/25",
            a="869",
            g="REGION",
        )
    assert (
        'filename="869-ehc_plans_independent_special_pct-2024-25-region.csv"'
        in (download.headers["content-disposition"])
    )
    heading, columns, rows = parse(download)
    assert heading["Metric"].endswith("(ehc_plans_independent_special_pct)")
    assert heading["Period"] == "2024/25"
    assert heading["Authority"] == "West Berkshire (DfE 869, GSS E06000037)"
    assert heading["Peer group"] == "other authorities in the region"
    assert heading["Breakdown"] == "Total"
    assert "DfE, Education, health and care plans" in heading["Source"]
    assert "Open Government Licence v3.0" in heading["Licence"]
    assert same_number(heading["Peer median"], data["comparison"]["peerMedian"])
    assert columns == list(COMPARISON_COLUMNS)
    entries = data["comparison"]["entries"]
    assert len(rows) == len(entries) == len(shown) - 1 == 19  # South East
    more_precise = 0
    for row, entry, on_page in zip(rows, entries, shown[1:], strict=True):
        record = dict(zip(columns, row, strict=True))
        assert record["Authority"] == entry["label"] == on_page[1]
        assert record["DfE code"] == entry["authority"]["laCode"]
        assert record["GSS code"] == entry["authority"]["gssCode"]
        assert same_number(record["Value"], entry["value"])
        assert same_number(record["Percentile"], entry["percentile"])
        assert record["Rank"] == on_page[0] == str(entry["rank"] or "")
        assert record["Symbol"] == (entry["symbol"] or ("x" if entry["value"] is None else ""))
        if entry["value"] is not None:
            assert formatting.number(float(record["Value"]), "percent") == on_page[2]
            more_precise += len(record["Value"]) > len(on_page[2].rstrip("%"))
    assert more_precise > 0  # the page rounds to one place; the file does not


TREND = """query($m: String!, $a: String!, $g: PeerGroup!) { trend(metric: $m, authority: $a,
  peers: $g) { points { period { label } value symbol peerMedian peerCount isDemo
  england { value } region { value } } } }"""


async def test_a_trend_file_has_every_point_of_the_api(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        download = await client.get("/authorities/E06000037/metrics/ehc_plans/trend.csv")
        data = await api(client, TREND, m="ehc_plans", a="869", g="STATISTICAL_NEIGHBOURS")
    assert (
        'filename="E06000037-ehc_plans-trend-statistical-neighbours.csv"'
        in (download.headers["content-disposition"])
    )
    heading, columns, rows = parse(download)
    assert heading["Authority"] == "West Berkshire (DfE 869, GSS E06000037)"
    assert heading["Peer group"] == "statistical neighbours"
    assert columns == list(TREND_COLUMNS)
    points = data["trend"]["points"]
    assert len(rows) == len(points) >= 5
    for row, point in zip(rows, points, strict=True):
        record = dict(zip(columns, row, strict=True))
        assert record["Period"] == point["period"]["label"]
        assert same_number(record["Value"], point["value"])
        assert same_number(record["Peer median"], point["peerMedian"])
        assert record["Peers with a figure"] == str(point["peerCount"])
        assert same_number(record["England"], point["england"]["value"])
        assert same_number(record["Region"], point["region"]["value"])
        assert record["Demo data"] == ("yes" if point["isDemo"] else "no")
    counts = [r[1] for r in rows if r[1]]
    assert counts and all("." not in c for c in counts)  # plans are whole numbers


SERIES = """query($m: String!, $after: String) { observations(filter: {metrics: [$m]},
  first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { areaCode areaName period { label } value } } } }"""


async def test_a_metric_time_series_file_has_every_figure_the_api_gives(
    loaded_db: Database,
) -> None:
    async with http_client(loaded_db) as client:
        download = await client.get("/metrics/ehc_plans.csv")
        nodes: list[dict[str, Any]] = []
        after = None
        while True:
            conn = (await api(client, SERIES, m="ehc_plans", after=after))["observations"]
            nodes += [e["node"] for e in conn["edges"]]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
    assert 'filename="ehc_plans-time-series.csv"' in download.headers["content-disposition"]
    heading, columns, rows = parse(download)
    assert heading["Metric"].endswith("(ehc_plans)") and heading["Breakdown"] == "Total"
    assert columns == list(SERIES_COLUMNS)
    assert len(rows) == len(nodes) == conn["totalCount"] > 1000
    records = [dict(zip(columns, r, strict=True)) for r in rows]
    api_values = {(n["period"]["label"], n["areaCode"]): n["value"] for n in nodes}
    for r in records:
        assert same_number(r["Value"], api_values[(r["Period"], r["Area code"])])
    regional = [r for r in records if r["Geographic level"] == "Regional"]
    assert regional and all(r["Area"] != r["Area code"] for r in regional), {
        r["Area code"] for r in regional if r["Area"] == r["Area code"]
    }  # every region is named
    latest = [r for r in records if r["Period"] == "2024/25"]
    by_area = {r["Area"]: r for r in latest}
    assert by_area["England"]["GSS code"] == "E92000001"
    assert by_area["England"]["Geographic level"] == "National"
    assert by_area["South East"]["Geographic level"] == "Regional"
    assert by_area["South East"]["GSS code"] == "E12000008"
    west_berkshire = by_area["West Berkshire"]
    assert (west_berkshire["Area code"], west_berkshire["GSS code"]) == ("869", "E06000037")
    assert latest[0]["Area"] == "England"  # England, then regions, then authorities
    assert (
        sorted({r["Period"] for r in records})
        == [r["Period"] for r in records][:1] + sorted({r["Period"] for r in records})[1:]
    )


@pytest.mark.parametrize(
    ("path", "argument"),
    [
        ("/authorities/869/metrics/ehc_plans.csv?period=nonsense", "period"),
        ("/authorities/869/metrics/ehc_plans.csv?period=2024", "period"),  # academic metric
        ("/authorities/869/metrics/ehc_plans.csv?peers=EVERYONE", "peers"),
        ("/authorities/999/metrics/ehc_plans.csv", "authority"),
        ("/authorities/869/metrics/no_such_metric.csv?period=2024/25", "metric"),
        ("/authorities/869/metrics/ehc_plans/trend.csv?peers=EVERYONE", "peers"),
        ("/authorities/9%209/metrics/ehc_plans/trend.csv", "authority"),
        ("/authorities/869/metrics/no_such_metric/trend.csv", "metric"),
        ("/metrics/no_such_metric.csv", "metric"),
        ("/metrics/Not-A-Code.csv", "metric"),
    ],
)
async def test_bad_arguments_get_a_plain_text_400_naming_them(
    loaded_db: Database, path: str, argument: str
) -> None:
    async with http_client(loaded_db) as client:
        response = await client.get(path, headers=HTML)  # even when a browser asks for HTML
    assert response.status_code == 400, (response.status_code, response.text[:200])
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith(f"{argument}: "), response.text
    assert "<" not in response.text


async def test_a_period_without_figures_is_a_plain_text_404(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        response = await client.get("/authorities/869/metrics/ehc_plans.csv?period=2010/11")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
    assert "No figures for ehc_plans in 2010/11" in response.text


async def test_a_breakdown_downloads_like_a_total(loaded_db: Database) -> None:
    query = "period=2024/25&peers=REGION&breakdown_topic=Sex&breakdown=Female"
    async with http_client(loaded_db) as client:
        compared = await client.get(f"/authorities/869/metrics/ehc_plans.csv?{query}")
        trend = await client.get(
            "/authorities/869/metrics/ehc_plans/trend.csv?breakdown_topic=Sex&breakdown=Female"
        )
        data = await api(
            client,
            """{ comparison(metric: "ehc_plans", period: "2024/25", authority: "869",
              peers: REGION, breakdownTopic: "Sex", breakdown: "Female") {
              entries { label value } } }""",
        )
        bad = await client.get(
            "/authorities/869/metrics/ehc_plans.csv?breakdown_topic=Gender&breakdown=F"
        )
        half = await client.get("/authorities/869/metrics/ehc_plans.csv?breakdown_topic=Sex")
    assert (
        'filename="869-ehc_plans-2024-25-region-sex-female.csv"'
        in (compared.headers["content-disposition"])
    )
    heading, columns, rows = parse(compared)
    assert heading["Breakdown"] == "Sex: Female"
    values = {e["label"]: e["value"] for e in data["comparison"]["entries"]}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        assert same_number(record["Value"], values[record["Authority"]])
    heading, _, points = parse(trend)
    assert heading["Breakdown"] == "Sex: Female"
    assert points and points[-1][0] == "2024/25"
    assert same_number(points[-1][1], values["West Berkshire"])  # the trend meets the comparison
    assert bad.status_code == 400 and bad.text.startswith("breakdown_topic: ")
    assert half.status_code == 400 and half.text.startswith("breakdown: ")
