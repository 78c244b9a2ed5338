"""X-Forwarded-For is believed only from a configured proxy (EXCHANGE_TRUSTED_PROXIES): a client
that sends it directly keeps one anonymous budget whatever it writes there; behind a trusted
proxy the budget (and the access log) follow the right-most address the proxies did not add.

``exchange serve`` used to leave uvicorn's forwarded-header handling on, which believes any
client connecting from 127.0.0.1: a local client got a fresh budget per header value."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from exchange.http.forwarded import TrustedProxies, parse_networks
from exchange.settings import Settings
from tests.conftest import Database
from tests.security.procs import serve, server_env

QUERY = {"query": '{ authority(code: "869") { name } }'}  # 1 point


@asynccontextmanager
async def client_from(
    db: Database, peer: str, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app (lifespan included), reached from the address ``peer``."""
    from exchange.app import create_app

    app = create_app(db.settings.model_copy(update=overrides))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(peer, 50_000)),
            base_url="http://testserver",
        ) as client,
    ):
        yield client


async def remaining(client: httpx.AsyncClient, forwarded: str | None) -> int | str:
    headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
    r = await client.post("/graphql", json=QUERY, headers=headers)
    if r.status_code == 429:
        return "refused"
    assert r.status_code == 200, r.text
    return int(r.headers["x-ratelimit-remaining"])


def test_the_address_is_the_right_most_one_no_trusted_proxy_added() -> None:
    proxies = TrustedProxies(["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"])
    assert proxies.client("10.0.0.2", ["203.0.113.5"]) == "203.0.113.5"
    # Entries left of the first untrusted one are the client's own words.
    assert proxies.client("10.0.0.2", ["6.6.6.6, 203.0.113.5"]) == "203.0.113.5"
    assert proxies.client("10.0.0.2", ["6.6.6.6", "203.0.113.5, 10.9.9.9"]) == "203.0.113.5"
    assert proxies.client("192.0.2.1", ["203.0.113.5:4711"]) == "203.0.113.5"
    assert proxies.client("2001:db8::7", ["[2001:db8:ffff::1]:443, 198.51.100.9"]) == (
        "198.51.100.9"
    )
    assert proxies.client("10.0.0.2", ["::ffff:198.51.100.9"]) == "198.51.100.9"
    # Only proxies in the chain: the left-most is the client.
    assert proxies.client("10.0.0.2", ["10.1.1.1, 10.2.2.2"]) == "10.1.1.1"
    # No header, an unreadable entry from our own proxy: the proxy's address.
    assert proxies.client("10.0.0.2", []) == "10.0.0.2"
    assert proxies.client("10.0.0.2", ["6.6.6.6, not-an-address"]) == "10.0.0.2"
    # A peer that is not a trusted proxy: its header is ignored.
    assert proxies.client("198.51.100.7", ["203.0.113.5"]) == "198.51.100.7"
    assert TrustedProxies([]).client("127.0.0.1", ["203.0.113.5"]) == "127.0.0.1"


def test_trusted_proxies_are_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXCHANGE_TRUSTED_PROXIES", raising=False)
    assert Settings.from_env().trusted_proxies == ()
    monkeypatch.setenv("EXCHANGE_TRUSTED_PROXIES", " 10.0.0.0/8, 192.0.2.1 ,")
    assert Settings.from_env().trusted_proxies == ("10.0.0.0/8", "192.0.2.1")
    with pytest.raises(ValueError, match="EXCHANGE_TRUSTED_PROXIES"):
        parse_networks(["10.0.0.0/8", "proxy.internal"])


async def test_a_direct_client_has_one_budget_whatever_it_forwards(fresh_db: Database) -> None:
    for trusted in ((), ("10.0.0.0/8",)):  # none configured; configured, but not this peer
        async with client_from(
            fresh_db, "198.51.100.7", cost_budget_per_hour=3, trusted_proxies=trusted
        ) as client:
            seen = [
                await remaining(client, forwarded)
                for forwarded in (None, "203.0.113.5", "203.0.113.6, 203.0.113.7", "1.2.3.4")
            ]
        assert seen == [2, 1, 0, "refused"], trusted


async def test_behind_a_trusted_proxy_the_forwarded_address_is_budgeted(
    fresh_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="exchange.access")
    # The app's logging stops "exchange" propagating to the root, where caplog listens: listen on
    # the access logger itself, so the test does not depend on which test configured logging first.
    access = logging.getLogger("exchange.access")
    seen: list[logging.LogRecord] = []
    listener = logging.Handler()
    listener.emit = seen.append  # type: ignore[method-assign]
    access.addHandler(listener)
    try:
        await _budgeted_behind_proxy(fresh_db)
    finally:
        access.removeHandler(listener)
    clients = [getattr(r, "client", None) for r in seen]
    assert clients[:2] == ["203.0.113.5", "203.0.113.6"]
    assert clients[-1] == "10.0.0.2"


async def _budgeted_behind_proxy(fresh_db: Database) -> None:
    async with client_from(
        fresh_db, "10.0.0.2", cost_budget_per_hour=2, trusted_proxies=("10.0.0.0/8",)
    ) as client:
        assert await remaining(client, "203.0.113.5") == 1
        assert await remaining(client, "203.0.113.6") == 1  # another caller, its own budget
        # A client's own X-Forwarded-For entry, left of the one the proxy added, changes nothing.
        assert await remaining(client, "6.6.6.6, 203.0.113.5") == 0
        assert await remaining(client, "7.7.7.7, 203.0.113.5, 10.0.0.9") == "refused"
        assert await remaining(client, None) == 1  # the proxy's own requests: its address


@pytest.mark.slow
async def test_exchange_serve_ignores_a_local_clients_forwarded_for(
    fresh_db: Database, tmp_path: Path
) -> None:
    """The real server (uvicorn): a client on 127.0.0.1 cannot pick a new budget per request."""
    env = server_env(fresh_db.url, tmp_path / "data", EXCHANGE_COST_BUDGET_PER_HOUR="2")
    with serve(env, tmp_path / "server.log") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            statuses = []
            for forwarded in ("203.0.113.5", "203.0.113.6", "203.0.113.7"):
                r = await client.post(
                    "/graphql", json=QUERY, headers={"x-forwarded-for": forwarded}
                )
                statuses.append(r.status_code)
    assert statuses == [200, 200, 429]
