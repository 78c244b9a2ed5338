"""Hourly cost budgets: reported in extensions.cost and X-RateLimit-* headers, 429 with Retry-After
when spent, one budget per token (or per client address), shared through Redis by workers."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from exchange.http.ratelimit import MemoryRateLimiter, RedisRateLimiter
from schema.cost_estimate import NODES_PER_POINT
from schema.cost_rules import COMPARISON_BASE, COMPARISON_PER_ENTRY
from tests.conftest import ON_CI, Database
from tests.security.support import (
    GRAPHQL_RESPONSE,
    app_client,
    assert_no_leak,
    bearer,
    count_sql,
    error_codes,
    make_token,
)

REDIS_URL = os.environ.get("EXCHANGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# 153 entries + their authorities: 321 nodes, plus the work of ranking 153 authorities.
ENGLAND_WORK = COMPARISON_BASE + 153 * COMPARISON_PER_ENTRY
ENGLAND_POINTS = 1 + (321 + ENGLAND_WORK) // NODES_PER_POINT
C = ENGLAND_POINTS
ENGLAND = (
    '{ comparison(metric: "ehc_plans", period: "2024/25", authority: "869", peers: ENGLAND) '
    "{ peerCount entries { value authority { name } } } }"
)


async def _redis_or_skip() -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        if ON_CI:
            pytest.fail(f"CI requires Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} unreachable: {exc}")
    finally:
        await client.aclose()


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    await _redis_or_skip()
    prefix = f"dbvx-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    keys = [k async for k in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_cost_and_budget_in_extensions_and_headers(loaded_db: Database) -> None:
    async with app_client(loaded_db, cost_budget_per_hour=1000) as client:
        r1 = await client.post("/graphql", json={"query": ENGLAND})
        r2 = await client.post("/graphql", json={"query": ENGLAND})
    assert r1.status_code == r2.status_code == 200
    cost = r1.json()["extensions"]["cost"]
    assert cost["requestedQueryCost"] == C and cost["nodes"] == 321
    assert cost["work"] == ENGLAND_WORK
    assert cost["limit"] == 1000 and cost["remaining"] == 1000 - C
    assert r1.headers["x-ratelimit-limit"] == "1000"
    assert r1.headers["x-ratelimit-remaining"] == str(1000 - C)
    assert r2.headers["x-ratelimit-remaining"] == str(1000 - 2 * C)
    assert int(r1.headers["x-ratelimit-reset"]) == cost["resetAt"]
    assert "retry-after" not in r1.headers


async def test_spent_budget_gives_429_with_retry_after_and_runs_no_sql(
    loaded_db: Database,
) -> None:
    async with app_client(loaded_db, cost_budget_per_hour=2 * C + 2) as client:
        for expected_remaining in (C + 2, 2):
            r = await client.post("/graphql", json={"query": ENGLAND})
            assert r.status_code == 200
            assert r.headers["x-ratelimit-remaining"] == str(expected_remaining)
        with count_sql() as statements:
            r = await client.post("/graphql", json={"query": ENGLAND}, headers=GRAPHQL_RESPONSE)
        assert r.status_code == 429
        assert 0 < int(r.headers["retry-after"]) <= 3600
        assert r.headers["x-ratelimit-remaining"] == "2"
        body = r.json()
        assert error_codes(body) == ["RATE_LIMITED"] and "data" not in body
        assert body["errors"][0]["extensions"]["retryAfter"] == int(r.headers["retry-after"])
        assert statements == []
        assert_no_leak(r)
        # A refused request charges nothing: a 1-point query still fits the 2 points left.
        r = await client.post("/graphql", json={"query": '{ authority(code: "869") { name } }'})
        assert r.status_code == 200 and r.headers["x-ratelimit-remaining"] == "1"
        # A query over the per-query maximum is refused without touching the budget either.
        async with app_client(
            loaded_db, cost_budget_per_hour=2 * C + 2, max_query_cost=C - 1
        ) as small:
            r = await small.post("/graphql", json={"query": ENGLAND})
            assert error_codes(r.json()) == ["MAX_COST_EXCEEDED"]
            assert "x-ratelimit-remaining" not in r.headers


async def test_each_token_has_its_own_budget_apart_from_anonymous(fresh_db: Database) -> None:
    west_berks = await make_token(fresh_db, authority="869")
    analyst = await make_token(fresh_db, role="analyst", authority=None)
    query = '{ authority(code: "869") { name } }'
    async with app_client(fresh_db, cost_budget_per_hour=2) as client:
        for _ in range(2):
            assert (await client.post("/graphql", json={"query": query})).status_code == 200
        assert (await client.post("/graphql", json={"query": query})).status_code == 429
        for headers in (bearer(west_berks), bearer(analyst)):
            r = await client.post("/graphql", json={"query": query}, headers=headers)
            assert r.status_code == 200 and r.headers["x-ratelimit-remaining"] == "1"
        r = await client.post("/graphql", json={"query": query}, headers=bearer(west_berks))
        assert r.headers["x-ratelimit-remaining"] == "0"
        r = await client.post("/graphql", json={"query": query}, headers=bearer(west_berks))
        assert r.status_code == 429


async def test_a_batch_charges_every_operation(loaded_db: Database) -> None:
    one = {"query": '{ authority(code: "869") { name } }'}
    async with app_client(loaded_db, cost_budget_per_hour=3) as client:
        r = await client.post("/graphql", json=[one, one])
        assert r.status_code == 200 and r.headers["x-ratelimit-remaining"] == "1"
        r = await client.post("/graphql", json=[one, one])
        assert r.status_code == 429
        assert [error_codes(b) for b in r.json()] == [[], ["RATE_LIMITED"]]


async def test_budget_zero_turns_rate_limiting_off(loaded_db: Database) -> None:
    async with app_client(loaded_db, cost_budget_per_hour=0) as client:
        r = await client.post("/graphql", json={"query": ENGLAND})
    assert r.status_code == 200 and "x-ratelimit-limit" not in r.headers
    assert r.json()["extensions"]["cost"] == {
        "requestedQueryCost": C,
        "nodes": 321,
        "work": ENGLAND_WORK,
    }


async def test_the_window_resets() -> None:
    limiter = MemoryRateLimiter(limit=5, window=1)
    assert (await limiter.charge("k", 5)).remaining == 0
    refused = await limiter.charge("k", 1)
    assert not refused.allowed and refused.retry_after == 1
    await asyncio.sleep(1.05)
    assert (await limiter.charge("k", 1)).remaining == 4


async def test_memory_limiter_forgets_least_recent_keys_first() -> None:
    limiter = MemoryRateLimiter(limit=5, window=60, max_keys=2)
    await limiter.charge("a", 5)
    await limiter.charge("b", 1)
    await limiter.charge("c", 1)  # "a" is forgotten: a bounded dict, not a memory leak
    assert (await limiter.charge("a", 1)).remaining == 4


async def test_redis_budget_is_shared_by_two_app_instances(
    loaded_db: Database, redis_prefix: str
) -> None:
    settings = {
        "redis_url": REDIS_URL,
        "redis_prefix": redis_prefix,
        "cost_budget_per_hour": 2 * C + 2,
    }
    async with app_client(loaded_db, **settings) as a, app_client(loaded_db, **settings) as b:
        r = await a.post("/graphql", json={"query": ENGLAND})
        assert r.headers["x-ratelimit-remaining"] == str(C + 2)
        r = await b.post("/graphql", json={"query": ENGLAND})
        assert r.headers["x-ratelimit-remaining"] == "2"
        r = await a.post("/graphql", json={"query": ENGLAND})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        r = await b.get("/readyz")
        assert r.json()["checks"]["rate_limits"] == "ok"


async def test_redis_limiter_is_atomic_under_concurrency(redis_prefix: str) -> None:
    limiter = RedisRateLimiter(REDIS_URL, limit=100, window=60, prefix=redis_prefix)
    try:
        results = await asyncio.gather(*(limiter.charge("k", 3) for _ in range(50)))
    finally:
        await limiter.close()
    allowed = [r for r in results if r.allowed]
    assert len(allowed) == 33  # 33 × 3 = 99 ≤ 100; every other charge refused, none lost
    assert min(r.remaining for r in results) == 1


async def test_unreachable_redis_serves_requests_and_fails_readiness(loaded_db: Database) -> None:
    async with app_client(
        loaded_db, redis_url="redis://127.0.0.1:1/0", cost_budget_per_hour=10
    ) as client:
        r = await client.post("/graphql", json={"query": '{ authority(code: "869") { name } }'})
        assert r.status_code == 200 and r.json()["data"]["authority"]["name"] == "West Berkshire"
        r = await client.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["rate_limits"] == "unreachable"
        assert "redis://" not in r.text and "Error" not in r.text


async def test_officer_pages_draw_on_the_same_budget_as_the_api(loaded_db: Database) -> None:
    """A page runs its GraphQL operations in-process: they are charged to the caller's budget
    (the client address here), so pages are no way around the API's rate limit."""
    budget = 1500  # a dashboard costs a few hundred points: its trends read every period
    async with app_client(loaded_db, cost_budget_per_hour=budget) as client:
        before = await client.post("/graphql", json={"query": "{ metrics { code } }"})
        remaining = int(before.headers["x-ratelimit-remaining"])
        page = await client.get("/authorities/869", headers={"accept": "text/html"})
        assert page.status_code == 200
        after = await client.post("/graphql", json={"query": "{ metrics { code } }"})
        own = after.json()["extensions"]["cost"]["requestedQueryCost"]
        spent_by_page = remaining - int(after.headers["x-ratelimit-remaining"]) - own
        assert spent_by_page > 0
        refused = None
        for _ in range(budget // spent_by_page + 2):
            response = await client.get("/authorities/869", headers={"accept": "text/html"})
            if response.status_code != 200:
                refused = response
                break
    assert refused is not None and refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many requests" in refused.text
    assert_no_leak(refused)
