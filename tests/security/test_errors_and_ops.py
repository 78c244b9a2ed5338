"""Unexpected errors are masked to an error id (and logged with it and the stack) at every layer;
one JSON access-log line per request; /healthz and /readyz."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest

from exchange.logs import JsonFormatter
from tests.conftest import Database
from tests.security.support import GRAPHQL_RESPONSE, app_client, assert_no_leak, error_codes

NASTY = (
    "SELECT secret FROM api_tokens WHERE 1=1; "
    'File "/work/main/exchange/comparison/service.py", line 1 (sqlalchemy.exc.OperationalError)'
)


@contextmanager
def json_log(name: str) -> Iterator[list[dict[str, Any]]]:
    """The JSON lines a logger writes while the block runs."""
    records: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(json.loads(JsonFormatter().format(record)))

    handler = Collect()
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


async def test_unexpected_resolver_error_is_masked_and_logged_with_its_id(
    loaded_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exchange.comparison import service

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError(NASTY)

    monkeypatch.setattr(service, "compare", broken)
    query = '{ comparison(metric: "ehc_plans", period: "2024/25", authority: "869") { peerCount } }'
    with json_log("exchange.graphql") as logged:
        async with app_client(loaded_db) as client:
            r = await client.post("/graphql", json={"query": query})
    assert r.status_code == 200
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL"
    error_id = error["extensions"]["errorId"]
    assert error_id in error["message"]
    assert_no_leak(r)
    assert "SELECT" not in r.text and "api_tokens" not in r.text
    entry = next(e for e in logged if e.get("error_id") == error_id)
    assert (
        entry["level"] == "error" and "RuntimeError" in entry["stack"] and NASTY in entry["stack"]
    )


async def test_database_failure_is_masked(loaded_db: Database, tmp_path: Any) -> None:
    """A database that has gone (SQLAlchemy errors carry the SQL and the file path)."""
    missing = f"sqlite+aiosqlite:///{tmp_path}/nowhere/nothing.db"
    broken = replace(
        loaded_db, settings=loaded_db.settings.model_copy(update={"database_url": missing})
    )
    async with app_client(broken) as client:
        r = await client.post("/graphql", json={"query": '{ authority(code: "869") { name } }'})
        assert error_codes(r.json()) == ["INTERNAL"]
        assert_no_leak(r)
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["database"] == "unreachable"
        assert "nowhere" not in r.text and "sqlite" not in r.text.lower()


async def test_http_level_failure_is_a_json_500_with_an_error_id(
    loaded_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exchange.http import graphql_endpoint

    def explode(_: Any) -> str:
        raise OSError(NASTY)

    monkeypatch.setattr(graphql_endpoint, "negotiate", explode)
    with json_log("exchange.http") as logged:
        async with app_client(loaded_db) as client:
            r = await client.post("/graphql", json={"query": "{ __typename }"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL"
    assert "SELECT" not in r.text and "/work/" not in r.text and "Traceback" not in r.text
    entry = next(e for e in logged if e.get("error_id") == error["extensions"]["errorId"])
    assert "OSError" in entry["stack"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nope", 404),
        ("GET", "/graphql/../../etc/passwd", 404),
        ("DELETE", "/graphql", 405),
        ("PUT", "/graphql", 405),
        ("POST", "/healthz", 405),
    ],
)
async def test_unknown_routes_and_methods_leak_nothing(
    loaded_db: Database, method: str, path: str, status: int
) -> None:
    async with app_client(loaded_db) as client:
        r = await client.request(method, path, headers=GRAPHQL_RESPONSE)
    assert r.status_code == status
    assert_no_leak(r)


async def test_malformed_requests_leak_nothing(loaded_db: Database) -> None:
    bodies: list[dict[str, Any]] = [
        {"content": b"\xff\xfe\x00garbage", "headers": {"content-type": "application/json"}},
        {"content": b'{"query": 1}', "headers": {"content-type": "application/json"}},
        {
            "content": b'{"query": "{ x }", "variables": []}',
            "headers": {"content-type": "application/json"},
        },
        {
            "content": b"query=%7B%7D",
            "headers": {"content-type": "application/x-www-form-urlencoded"},
        },
        {
            "content": b"--x\r\n",
            "headers": {
                "content-type": "multipart/form-data; boundary=x",
                "graphql-preflight": "1",
            },
        },
        {"content": b"{}", "headers": {"content-type": "application/json", "accept": "text/csv"}},
        {
            "content": b"{}",
            "headers": {"content-type": "application/json", "content-length": "abc"},
        },
    ]
    async with app_client(loaded_db) as client:
        for kwargs in bodies:
            r = await client.post("/graphql", **kwargs)
            assert 400 <= r.status_code < 500, (kwargs, r.status_code, r.text)
            assert_no_leak(r)


async def test_one_json_access_log_line_per_request(loaded_db: Database) -> None:
    with json_log("exchange.access") as lines:
        async with app_client(loaded_db) as client:
            r1 = await client.post("/graphql", json={"query": "{ metrics { code } }"})
            r2 = await client.get("/healthz", headers={"x-request-id": "trace-123"})
            r3 = await client.get("/healthz", headers={"x-request-id": "bad id\n{json}"})
            await client.get("/nope")
    assert len(lines) == 4
    first = lines[0]
    assert first["logger"] == "exchange.access" and first["level"] == "info"
    assert first["method"] == "POST" and first["path"] == "/graphql" and first["status"] == 200
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert first["request_id"] == r1.headers["x-request-id"]
    assert lines[1]["request_id"] == r2.headers["x-request-id"] == "trace-123"
    assert r3.headers["x-request-id"] != "bad id\n{json}" and len(r3.headers["x-request-id"]) == 16
    assert lines[3]["status"] == 404


async def test_health_and_readiness(loaded_db: Database) -> None:
    async with app_client(loaded_db) as client:
        r = await client.get("/healthz")
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        r = await client.get("/readyz")
        assert r.status_code == 200, r.text
        checks = r.json()["checks"]
        assert checks["database"] == "ok"
        assert checks.get("search", "ok") == "ok"


async def test_readiness_reports_an_unreachable_search_server(loaded_db: Database) -> None:
    async with app_client(loaded_db, meili_url="http://127.0.0.1:9/") as client:
        r = await client.get("/readyz")
    if "search" not in r.json()["checks"]:
        pytest.skip("no search backend wired into services.search")
    assert r.status_code == 503 and r.json()["checks"]["search"] == "unreachable"
    assert "127.0.0.1:9" not in r.text


def test_access_log_is_pure_asgi() -> None:
    """No BaseHTTPMiddleware on the hot path (it adds a task per request)."""
    from starlette.middleware.base import BaseHTTPMiddleware

    from exchange.http.middleware import RequestLog

    assert not issubclass(RequestLog, BaseHTTPMiddleware)
