"""Soak: 10,000 mixed requests (reads, searches, publications, bad input, limit violations,
batches, GETs), 16 at a time, against the real ASGI app: not one 5xx, not one INTERNAL error."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import Database
from tests.security.support import app_client, bearer, error_codes, make_token

pytestmark = pytest.mark.slow

TOTAL = 10_000
CONCURRENCY = 16
CODES = ["869", "E06000037", "826", "850", "202", "936", "E10000002", "317", "999"]
METRICS = [
    ("ehc_plans", "2024/25"),
    ("ehc_issued_20wk_pct", "2024"),
    ("suspension_rate", "2023/24"),
    ("high_needs_block_gbp", "2023-24"),
    ("ehc_plans", "1999/00"),
    ("nope", "2024"),
]
PEERS = ["STATISTICAL_NEIGHBOURS", "REGION", "AUTHORITY_TYPE", "ENGLAND"]
WORDS = ["EHCP", "educational psycholgist", "annual review", "triage", "AP", "SEMH", '"x', "*"]


def comparison(rng: random.Random) -> dict[str, Any]:
    metric, period = rng.choice(METRICS)
    return {
        "query": """query($m: String!, $p: String!, $a: String!, $g: PeerGroup!) {
          comparison(metric: $m, period: $p, authority: $a, peers: $g) {
            peerCount peerMedian entries { value rank authority { name } } } }""",
        "variables": {"m": metric, "p": period, "a": rng.choice(CODES), "g": rng.choice(PEERS)},
    }


def trend(rng: random.Random) -> dict[str, Any]:
    metric, _ = rng.choice(METRICS)
    return {
        "query": """query($m: String!, $a: String!) { trend(metric: $m, authority: $a) {
          direction points { period { label } value peerMedian } } }""",
        "variables": {"m": metric, "a": rng.choice(CODES)},
    }


def search(rng: random.Random) -> dict[str, Any]:
    return {
        "query": """query($q: String!) { caseStudies(query: $q, first: 10) { totalCount
          edges { node { title } highlights { field snippets } } } }""",
        "variables": {"q": rng.choice(WORDS)},
    }


SIMPLE = [
    {"query": "{ __typename }"},
    {"query": "{ metrics { code name unit } }"},
    {
        "query": "{ authorities(first: 50) { edges { node { name statisticalNeighbours { rank authority { laCode } } } } } }"
    },
    {
        "query": '{ observations(first: 100, filter: {metrics: ["ehc_plans"]}) { totalCount edges { node { value symbol } } } }'
    },
    {"query": '{ authority(code: "869") { id name } }'},
    {"query": "{ nope }"},
    {"query": "{ metrics { "},
    {"query": "{ authorities(first: 1000) { totalCount } }"},
    {"query": '{ node(id: "forged.id") { id } }'},
    {
        "query": '{ authority(code: "869") { '
        + "statisticalNeighbours { authority { " * 14
        + "name"
        + " } }" * 14
        + " } }"
    },
]

PUBLISH = """mutation($v: Float!) { publishObservations(input: {observations: [
  {metric: "ep_fte", period: "2024/25", value: $v}]}) { created revised userErrors { code } } }"""


async def one(client: httpx.AsyncClient, rng: random.Random, token: str) -> tuple[int, list[Any]]:
    roll = rng.random()
    headers: dict[str, str] = {}
    if rng.random() < 0.3:
        headers["accept"] = "application/graphql-response+json"
    if roll < 0.25:
        body: Any = comparison(rng)
    elif roll < 0.35:
        body = trend(rng)
    elif roll < 0.45:
        body = search(rng)
    elif roll < 0.80:
        body = rng.choice(SIMPLE)
    elif roll < 0.85:
        body = [rng.choice(SIMPLE) for _ in range(3)]
    elif roll < 0.90:
        r = await client.get("/graphql", params={"query": '{ metric(code: "ehc_plans") { name } }'})
        return r.status_code, error_codes(r.json())
    elif roll < 0.95:
        body = {"query": PUBLISH, "variables": {"v": rng.randint(1, 40) + 0.5}}
        headers.update(bearer(token) if rng.random() < 0.8 else {})
    elif roll < 0.97:
        r = await client.get(rng.choice(["/healthz", "/readyz", "/nope"]))
        return r.status_code, []
    else:
        r = await client.post(
            "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
        )
        return r.status_code, []
    r = await client.post("/graphql", json=body, headers=headers)
    return r.status_code, error_codes(r.json())


# One backend: the soak is about the app under load, not the database (both backends run every
# other test); PostgreSQL is the production one, and the faster here (~5 min against ~9).
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_ten_thousand_mixed_requests_and_no_5xx(fresh_db: Database) -> None:
    from seed.bootstrap import initialise

    await initialise(fresh_db.sessions)  # all shipped DfE data: a realistic database
    token = await make_token(fresh_db, authority="869")
    statuses: Counter[int] = Counter()
    codes: Counter[str | None] = Counter()
    remaining = iter(range(TOTAL))

    async def worker(seed: int, client: httpx.AsyncClient) -> None:
        rng = random.Random(seed)
        for _ in remaining:
            status, errs = await one(client, rng, token)
            statuses[status] += 1
            codes.update(errs)

    async with app_client(fresh_db, cost_budget_per_hour=10**9) as client:
        await asyncio.gather(*(worker(i, client) for i in range(CONCURRENCY)))
    assert sum(statuses.values()) == TOTAL
    assert not [s for s in statuses if s >= 500], statuses
    assert codes["INTERNAL"] == 0, codes
    assert statuses[200] > TOTAL // 2 and statuses[400] > 0 and statuses[405] == 0, statuses
