"""The number of SQL statements a request sends does not grow with the size of the answer: a
153-entry comparison sends exactly as many as a 10-peer one (DataLoaders, no N+1)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Database, run_graphql
from tests.security.support import count_sql

COMPARISON = """query($peers: PeerGroup!) {
  comparison(metric: "ehc_plans", period: "2024/25", authority: "869", peers: $peers) {
    peerCount peerMedian subject { rank } england { value } region { value }
    entries { value symbol rank percentile quartile authority { name laCode region } }
  }
}"""

TREND = """query($peers: PeerGroup!) {
  trend(metric: "ehc_issued_20wk_pct", authority: "869", peers: $peers) {
    direction points { period { label } value peerMedian england { value } }
  }
}"""

AUTHORITIES = """query($n: Int!) {
  authorities(first: $n) { totalCount edges { node { name
    statisticalNeighbours { rank authority { name } } } } }
}"""

OBSERVATIONS = """query($n: Int!) {
  observations(first: $n, filter: {metrics: ["ehc_plans"]}) { totalCount edges { node {
    value symbol revision metric { code } period { label } authority { name } } } }
}"""

# A small constant: the statements a request needs, whatever the size of the answer.
MAX_STATEMENTS = 15


async def statements(db: Database, query: str, variables: dict[str, Any]) -> int:
    await run_graphql(db, query, variables)  # warm: nothing cached may hide a statement
    with count_sql() as sent:
        out = await run_graphql(db, query, variables)
    assert "errors" not in out, out
    return len(sent)


@pytest.mark.parametrize(
    ("query", "small", "large"),
    [
        (COMPARISON, {"peers": "STATISTICAL_NEIGHBOURS"}, {"peers": "ENGLAND"}),
        (TREND, {"peers": "STATISTICAL_NEIGHBOURS"}, {"peers": "ENGLAND"}),
        (AUTHORITIES, {"n": 10}, {"n": 100}),
        (OBSERVATIONS, {"n": 10}, {"n": 100}),
    ],
    ids=["comparison", "trend", "authorities+neighbours", "observations"],
)
async def test_statement_count_is_constant_in_list_size(
    loaded_db: Database, query: str, small: dict[str, Any], large: dict[str, Any]
) -> None:
    n_small = await statements(loaded_db, query, small)
    n_large = await statements(loaded_db, query, large)
    assert n_small == n_large, (n_small, n_large)
    assert 0 < n_large <= MAX_STATEMENTS


async def test_153_entry_comparison_really_has_153_entries(loaded_db: Database) -> None:
    out = await run_graphql(loaded_db, COMPARISON, {"peers": "ENGLAND"})
    assert len(out["data"]["comparison"]["entries"]) == 153
    out = await run_graphql(loaded_db, COMPARISON, {"peers": "STATISTICAL_NEIGHBOURS"})
    assert len(out["data"]["comparison"]["entries"]) == 11
