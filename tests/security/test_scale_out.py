"""Scale-out: two app processes on one PostgreSQL database and one Redis share the rate-limit
budget and read each other's writes (IDs, cursors and pseudonyms too: one EXCHANGE_SECRET_KEY);
``exchange serve --workers 2`` serves; SIGTERM shuts down gracefully with JSON logs."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database, make_database, require_backend
from tests.security.procs import serve, server_env
from tests.security.support import bearer, make_token
from tests.security.test_rate_limits import ENGLAND_POINTS as C
from tests.security.test_rate_limits import REDIS_URL, _redis_or_skip

pytestmark = pytest.mark.slow

ENGLAND = (
    '{ comparison(metric: "ehc_plans", period: "2024/25", authority: "869", peers: ENGLAND) '
    "{ peerCount entries { value authority { name } } } }"
)


@pytest.fixture
def pg_required() -> None:
    require_backend("postgresql")  # probes with asyncio.run: outside the event loop


@pytest.fixture
async def pg_db(pg_required: None, tmp_path: Path) -> AsyncIterator[Database]:
    await _redis_or_skip()
    db, cleanup = await make_database("postgresql", tmp_path, load="all")
    yield db
    await db.engine.dispose()
    await cleanup()


def env_for(db: Database, tmp: Path, prefix: str, **extra: str) -> dict[str, str]:
    settings = {
        "EXCHANGE_REDIS_URL": REDIS_URL,
        "EXCHANGE_REDIS_PREFIX": prefix,
        "EXCHANGE_COST_BUDGET_PER_HOUR": str(5 * C),
        **extra,
    }
    return server_env(db.url, tmp, **settings)


async def test_two_processes_share_rate_limits_and_read_consistently(
    pg_db: Database, tmp_path: Path
) -> None:
    prefix = f"dbvx-scale-{uuid.uuid4().hex[:8]}"
    token = await make_token(pg_db, authority="869")
    reader = await make_token(pg_db, role="analyst", authority=None)
    env = env_for(pg_db, tmp_path / "data", prefix)
    with (
        serve(env, tmp_path / "a.log") as a,
        serve(env, tmp_path / "b.log") as b,
    ):
        async with httpx.AsyncClient(timeout=30) as client:
            # One budget of five comparisons' points, whichever process answers.
            remaining = []
            for server in (a, b, a, b, a):
                r = await client.post(server.url + "/graphql", json={"query": ENGLAND})
                assert r.status_code == 200, r.text
                remaining.append(int(r.headers["x-ratelimit-remaining"]))
            assert remaining == [4 * C, 3 * C, 2 * C, C, 0]
            for server in (a, b):
                r = await client.post(server.url + "/graphql", json={"query": ENGLAND})
                assert r.status_code == 429 and int(r.headers["retry-after"]) > 0

            # A token has its own budget: publish through A, read through B at once.
            publish = """mutation { publishObservations(input: {observations: [
                {metric: "ep_fte", period: "2024/25", value: 17.5}]})
                { observations { id value } userErrors { code } } }"""
            r = await client.post(
                a.url + "/graphql", json={"query": publish}, headers=bearer(token)
            )
            made = r.json()["data"]["publishObservations"]
            assert made["userErrors"] == [], made
            gid = made["observations"][0]["id"]
            node = "query($id: ID!) { node(id: $id) { ... on Observation { value revision } } }"
            r = await client.post(
                b.url + "/graphql",
                json={"query": node, "variables": {"id": gid}},
                headers=bearer(token),
            )
            assert r.json()["data"]["node"] == {"value": 17.5, "revision": 1}
            # Cursors signed by one process page on the other.
            page = "query($after: String) { authorities(first: 3, after: $after) { edges { node { laCode } } pageInfo { endCursor } } }"
            r = await client.post(a.url + "/graphql", json={"query": page}, headers=bearer(token))
            first = r.json()["data"]["authorities"]
            r = await client.post(
                b.url + "/graphql",
                json={"query": page, "variables": {"after": first["pageInfo"]["endCursor"]}},
                headers=bearer(token),
            )
            second = r.json()["data"]["authorities"]["edges"]
            assert len(second) == 3
            assert not {e["node"]["laCode"] for e in second} & {
                e["node"]["laCode"] for e in first["edges"]
            }
            for server in (a, b):
                r = await client.get(server.url + "/readyz")
                assert r.json()["checks"]["rate_limits"] == "ok"
                assert r.json()["checks"]["database"] == "ok"

            # Graceful shutdown: a request in flight when SIGTERM arrives is still answered.
            slow = (
                "{ "
                + " ".join(
                    f'c{i}: comparison(metric: "ehc_plans", period: "2024/25", authority: "869", '
                    "peers: ENGLAND) { entries { value authority { name } } }"
                    for i in range(4)
                )
                + " }"
            )
            in_flight = asyncio.create_task(
                client.post(a.url + "/graphql", json={"query": slow}, headers=bearer(reader))
            )
            await asyncio.sleep(0.05)
            a.process.send_signal(signal.SIGTERM)
            r = await in_flight
            assert r.status_code == 200 and len(r.json()["data"]["c3"]["entries"]) == 153

        # uvicorn finishes, then re-raises the signal: exit status -SIGTERM after a clean stop.
        assert a.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
        lines = [json.loads(line) for line in a.log_text().splitlines() if line.startswith("{")]
        assert any("shutdown complete" in e["message"].lower() for e in lines), lines[-5:]
        assert any(e["logger"] == "exchange.access" and "duration_ms" in e for e in lines)


async def test_serve_with_two_workers(pg_db: Database, tmp_path: Path) -> None:
    prefix = f"dbvx-workers-{uuid.uuid4().hex[:8]}"
    env = env_for(pg_db, tmp_path / "data", prefix, EXCHANGE_COST_BUDGET_PER_HOUR=str(20 * C))
    with serve(env, tmp_path / "w.log", workers=2) as server:
        async with httpx.AsyncClient(timeout=30) as client:
            seen = []
            for _ in range(12):
                r = await client.post(server.url + "/graphql", json={"query": ENGLAND})
                assert r.status_code == 200
                seen.append(int(r.headers["x-ratelimit-remaining"]))
        assert seen == [20 * C - C * (i + 1) for i in range(12)]  # one budget across workers
        assert server.stop() in (0, -signal.SIGTERM)
