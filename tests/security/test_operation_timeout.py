"""The time limit per operation (EXCHANGE_OPERATION_TIMEOUT_MS): an operation still running when
it runs out is stopped (its SQL statement too), answers one TIMEOUT error and no data (504 for
application/graphql-response+json, 200 for legacy JSON), rolls back what it wrote, and leaves
the server, its database and its connection pool answering the next request.

The statement that runs "too long" here never ends on its own (a recursive query without a
bound on SQLite, pg_sleep for an hour on PostgreSQL): the test passes only if it is stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from exchange.comparison import service as comparison
from exchange.peergroups import service as peergroups
from exchange.settings import Settings
from schema.deadline import Deadline
from tests.conftest import Database
from tests.security.support import (
    GRAPHQL_RESPONSE,
    app_client,
    assert_no_leak,
    bearer,
    error_codes,
    make_token,
)

pytestmark = pytest.mark.timeout(180)  # a statement nothing stopped would hang the test

ENDLESS = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(3600)",
}
TREND = '{ trend(metric: "ehc_plans", authority: "869") { direction } }'
NAME = '{ authority(code: "869") { name } }'
LIMIT_MS = 3_000  # far above what the follow-up requests take, even on a busy machine


@pytest.fixture
def endless_trend(monkeypatch: pytest.MonkeyPatch, backend: str) -> Iterator[list[str]]:
    """``trend`` runs a statement that never ends; yields the statements it started."""
    started: list[str] = []

    async def trend(session: Any, *_: Any, **__: Any) -> Any:
        started.append("trend")
        await session.execute(text(ENDLESS[backend]))
        raise AssertionError("the endless statement ended")

    monkeypatch.setattr(comparison, "trend", trend)
    yield started


def _pool(client: Any) -> Any:
    app = client._transport.app  # type: ignore[attr-defined]
    return app.state.services.sessions.kw["bind"].pool


async def _running_sleeps(db: Database) -> int:
    async with db.engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3600)%' "
                "AND state = 'active'"
            )
        )
        return int(found.scalar_one())


@pytest.mark.slow  # waits out a deadline, ~6 s
async def test_a_timed_out_query_is_stopped_and_the_server_answers_the_next_request(
    loaded_db: Database, endless_trend: list[str]
) -> None:
    async with app_client(loaded_db, operation_timeout_ms=LIMIT_MS) as client:
        r = await client.post("/graphql", json={"query": TREND}, headers=GRAPHQL_RESPONSE)
        assert endless_trend == ["trend"]  # it did start: the limit stopped it, not a refusal
        assert r.status_code == 504, r.text
        body = r.json()
        assert error_codes(body) == ["TIMEOUT"]
        assert "data" not in body
        error = body["errors"][0]
        assert error["extensions"]["timeoutMs"] == LIMIT_MS
        assert f"{LIMIT_MS:,} ms" in error["message"]
        assert _pool(client).checkedout() == 0  # the request's connection went back

        # The same server, the same pool: the next requests are answered.
        for _ in range(3):
            r = await client.post("/graphql", json={"query": NAME})
            assert r.status_code == 200, r.text
            assert r.json()["data"]["authority"]["name"] == "West Berkshire"
        # Legacy application/json clients get 200 and the same error.
        r = await client.post("/graphql", json={"query": TREND})
        assert r.status_code == 200 and error_codes(r.json()) == ["TIMEOUT"]
        assert "data" not in r.json()
        assert_no_leak(r)  # the same body: no SQL, driver or path in it
        assert _pool(client).checkedout() == 0
    if loaded_db.backend == "postgresql":
        for _ in range(100):  # the cancel request reaches the server asynchronously
            if await _running_sleeps(loaded_db) == 0:
                break
            await asyncio.sleep(0.1)
        assert await _running_sleeps(loaded_db) == 0, "the statement still runs on the server"


@pytest.mark.slow  # waits out a deadline, ~3 s
async def test_a_timed_out_mutation_is_rolled_back(
    fresh_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The group is written (flushed) and then the mutation runs out of time before its commit:
    nothing of it is stored, and the database takes the next write (SQLite's write lock freed)."""
    create = peergroups.create

    async def slow_create(session: Any, *args: Any, **kwargs: Any) -> Any:
        made = await create(session, *args, **kwargs)
        await session.flush()
        if kwargs.get("name") == "Slow":
            await session.execute(text(ENDLESS[fresh_db.backend]))
        return made

    monkeypatch.setattr(peergroups, "create", slow_create)
    token = await make_token(fresh_db, authority="869")
    mutation = """mutation($n: String!) { createPeerGroup(input: {name: $n, members: ["850"]})
        { peerGroup { name } userErrors { code } } }"""
    async with app_client(fresh_db, operation_timeout_ms=LIMIT_MS) as client:
        r = await client.post(
            "/graphql",
            json={"query": mutation, "variables": {"n": "Slow"}},
            headers={**bearer(token), **GRAPHQL_RESPONSE},
        )
        assert r.status_code == 504 and error_codes(r.json()) == ["TIMEOUT"], r.text
        r = await client.post(
            "/graphql",
            json={"query": mutation, "variables": {"n": "Quick"}},
            headers=bearer(token),
        )
        assert "data" in r.json(), r.text
        assert r.json()["data"]["createPeerGroup"]["peerGroup"] == {"name": "Quick"}, r.text
        r = await client.post(
            "/graphql", json={"query": "{ peerGroups { name } }"}, headers=bearer(token)
        )
        assert r.json()["data"]["peerGroups"] == [{"name": "Quick"}]
        assert _pool(client).checkedout() == 0


async def test_a_limit_of_zero_turns_the_time_limit_off(loaded_db: Database) -> None:
    async with app_client(loaded_db, operation_timeout_ms=0) as client:
        r = await client.post("/graphql", json={"query": NAME}, headers=GRAPHQL_RESPONSE)
    assert r.status_code == 200 and r.json()["data"]["authority"]["name"] == "West Berkshire"


async def test_the_clock_starts_at_admission_and_stops_for_a_commit() -> None:
    # Not started (the operation was never admitted): nothing is cut short.
    idle = Deadline(10)
    assert await idle.run(asyncio.sleep(0.1, "done")) == "done"
    assert not idle.expired

    async def admitted_then_slow(deadline: Deadline, commit: bool) -> str:
        deadline.start()
        if commit:
            deadline.hold()  # what Context.unit_of_work does just before it commits
        await asyncio.sleep(0.2)
        return "finished"

    running = Deadline(10)
    with pytest.raises(TimeoutError):
        await running.run(admitted_then_slow(running, commit=False))
    assert running.expired

    committing = Deadline(10)
    assert await committing.run(admitted_then_slow(committing, commit=True)) == "finished"
    assert not committing.expired


def test_the_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXCHANGE_OPERATION_TIMEOUT_MS", raising=False)
    assert Settings.from_env().operation_timeout_ms == 5_000
    monkeypatch.setenv("EXCHANGE_OPERATION_TIMEOUT_MS", "1500")
    assert Settings.from_env().operation_timeout_ms == 1500
    monkeypatch.setenv("EXCHANGE_OPERATION_TIMEOUT_MS", "soon")
    with pytest.raises(ValueError, match="EXCHANGE_OPERATION_TIMEOUT_MS"):
        Settings.from_env()
