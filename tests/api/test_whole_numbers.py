"""Counts are integers in the API: a whole number is written without ``.0`` (JSON has one number
type; GraphQL's Float asks only for a number), a fraction keeps its digits, on both backends."""

from __future__ import annotations

import json
import re

from exchange.http.graphql_endpoint import whole_numbers
from tests.conftest import Database
from tests.security.support import GRAPHQL_RESPONSE, app_client

QUERY = """{ comparison(metric: "ehc_plans", period: "2024/25", authority: "869") {
  subject { value } peerMedian }
  rate: comparison(metric: "ehc_issued_20wk_pct", period: "2024", authority: "869") {
  subject { value } } }"""


async def test_a_count_is_written_as_an_integer(loaded_db: Database) -> None:
    async with app_client(loaded_db) as client:
        r = await client.post("/graphql", json={"query": QUERY}, headers=GRAPHQL_RESPONSE)
    assert r.status_code == 200, r.text
    assert re.search(r'"subject":\{"value":1685\}', r.text), r.text[:300]
    body = json.loads(r.text)
    assert body["data"]["comparison"]["peerMedian"] == 6814.5  # a fraction keeps its digits
    assert body["data"]["rate"]["subject"]["value"] == 48.0  # written 48: the same JSON number


def test_only_whole_floats_change() -> None:
    given = {"a": [1.0, 2.5, -0.0, 1e300, True, None, "1.0"], "b": {"c": 2**60 * 1.0}}
    assert whole_numbers(given) == {
        "a": [1, 2.5, 0, 1e300, True, None, "1.0"],
        "b": {"c": 2**60 * 1.0},
    }
    out = whole_numbers(given)
    assert type(out["a"][0]) is int and type(out["a"][3]) is float and type(out["b"]["c"]) is float
