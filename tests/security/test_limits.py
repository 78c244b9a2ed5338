"""Size and shape attacks: each is refused cleanly, before a single SQL statement (not even the
token lookup: authentication waits until a document has passed every limit), and leaks nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Database
from tests.security.support import (
    GRAPHQL_RESPONSE,
    app_client,
    assert_no_leak,
    count_sql,
    error_codes,
)

# A well-formed token that does not exist: were it looked up, that would be SQL.
SOME_TOKEN = {"authorization": "Bearer dbvx_" + "A" * 43}

NEIGHBOUR = "statisticalNeighbours { authority { "


def nested(levels: int) -> str:
    return '{ authority(code: "869") { ' + NEIGHBOUR * levels + "name" + " } }" * levels + " } }"


HEAVY = "authorities(first: 100) { edges { node { " + NEIGHBOUR * 2 + "name } } } } } } }"

# name -> (request kwargs, acceptable statuses, expected error code or message fragment)
ATTACKS: dict[str, tuple[dict[str, Any], set[int], str]] = {
    "depth-20 nesting": ({"json": {"query": nested(20)}}, {400}, "maximum operation depth"),
    "an unknown fragment": (
        {"json": {"query": "{ metrics { ...Nope } }"}},
        {400},
        "Unknown fragment 'Nope'.",
    ),
    "an unknown fragment deep in a fragment": (
        {"json": {"query": "{ metrics { ...M } } fragment M on Metric { code ...Nope }"}},
        {400},
        "Unknown fragment 'Nope'.",
    ),
    "1,000 aliases": (
        {"json": {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"}},
        {400},
        "aliases",
    ),
    "1,000 aliases of a list field": (
        {
            "json": {
                "query": "{ " + " ".join(f"a{i}: metrics {{ code }}" for i in range(1000)) + " }"
            }
        },
        {400},
        "tokens",
    ),
    "31 aliases": (
        {"json": {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"}},
        {400},
        "aliases",
    ),
    "6,000 tokens": ({"json": {"query": "{ metrics { " + "code " * 6000 + "} }"}}, {400}, "tokens"),
    "100-operation batch": (
        {"json": [{"query": "{ metrics { code } }"}] * 100},
        {400},
        "batch",
    ),
    "1 MB query": (
        {"json": {"query": "{ metrics { code } }" + " " * 1_000_000}},
        {413},
        "limit",
    ),
    "1 MB query under a 2 MB body limit": (
        {"json": {"query": "{ metrics { " + "code " * 200_000 + "} }"}},
        {400},
        "tokens",
    ),
    # httpx refuses URLs over 64 kB, so this one runs under a 50 kB limit.
    "60 kB GET query string over a 50 kB limit": (
        {"method": "GET", "params": {"query": "{ metrics { code } }" + " " * 60_000}},
        {413, 414},
        "limit",
    ),
    "fragment cycle": (
        {
            "json": {
                "query": "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
            }
        },
        {400},
        "Cannot spread fragment",
    ),
    "fragment self-cycle": (
        {"json": {"query": "query { ...A } fragment A on Query { metrics { code } ...A }"}},
        {400},
        "Cannot spread fragment",
    ),
    "first: 1000000": (
        {"json": {"query": "{ authorities(first: 1000000) { totalCount } }"}},
        {400},
        "INVALID_PAGE_SIZE",
    ),
    "first: -1": (
        {"json": {"query": "{ authorities(first: -1) { totalCount } }"}},
        {400},
        "INVALID_PAGE_SIZE",
    ),
    "last: 1000000": (
        {"json": {"query": "{ authorities(last: 1000000) { totalCount } }"}},
        {400},
        "INVALID_PAGE_SIZE",
    ),
    "first: 1000000 in a variable": (
        {
            "json": {
                "query": "query($n: Int) { observations(first: $n) { totalCount } }",
                "variables": {"n": 1_000_000},
            }
        },
        {400},
        "INVALID_PAGE_SIZE",
    ),
    "huge integer literal": (
        {"json": {"query": "{ authorities(first: 99999999999999999999999) { totalCount } }"}},
        {400},
        "non 32-bit signed integer",
    ),
    "huge integer variable": (
        {
            "json": {
                "query": "query($n: Int) { authorities(first: $n) { totalCount } }",
                "variables": {"n": 2**70},
            }
        },
        {400},
        "non 32-bit signed integer",
    ),
    "1e300 as an Int": (
        {
            "json": {
                "query": "query($n: Int) { authorities(first: $n) { totalCount } }",
                "variables": {"n": 1e300},
            }
        },
        {400},
        "non 32-bit signed integer",
    ),
    "JSON nesting bomb": (
        {"content": b"[" * 200_000, "headers": {"content-type": "application/json"}},
        {400},
        "not valid JSON",
    ),
    "deeply nested variables": (
        {
            "content": json.dumps(
                {
                    "query": "query($f: ObservationFilter) { observations(filter: $f) { totalCount } }",
                    "variables": {"f": {"metrics": json.loads("[" * 900 + "]" * 900)}},
                }
            ).encode(),
            "headers": {"content-type": "application/json"},
        },
        {400},
        "String cannot represent",
    ),
    "brace nesting bomb": (
        {"json": {"query": "{" + "a{" * 2400 + "b" + "}" * 2401}},
        {400},
        "nested too deeply",
    ),
    "query over the cost budget": (
        {"json": {"query": "{ " + " ".join(f"x{i}: {HEAVY}" for i in range(20)) + " }"}},
        {400},
        "MAX_COST_EXCEEDED",
    ),
    "NUL in a string argument": (
        {"json": {"query": '{ authority(code: "869\\u0000") { name } }'}},
        {400},
        "INVALID_INPUT",
    ),
    "NUL in a variable": (
        {
            "json": {
                "query": "query($c: String!) { authority(code: $c) { name } }",
                "variables": {"c": "869\x00' OR 1=1"},
            }
        },
        {400},
        "INVALID_INPUT",
    ),
}


def _text(body: Any) -> str:
    return json.dumps(body)


@pytest.mark.parametrize("name", list(ATTACKS))
async def test_attack_is_refused_before_any_sql(loaded_db: Database, name: str) -> None:
    kwargs, statuses, expected = ATTACKS[name]
    kwargs = dict(kwargs)
    method = kwargs.pop("method", "POST")
    headers = {**GRAPHQL_RESPONSE, **SOME_TOKEN, **kwargs.pop("headers", {})}
    overrides = {"max_body_bytes": 2_000_000} if "under a 2 MB" in name else {}
    if "50 kB limit" in name:
        overrides = {"max_body_bytes": 50_000}
    async with app_client(loaded_db, **overrides) as client:
        with count_sql() as statements:
            r = await client.request(method, "/graphql", headers=headers, **kwargs)
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    body = r.json()
    assert "data" not in body or body.get("data") is None
    assert expected in _text(body) or expected in error_codes(body), r.text[:300]
    assert "INTERNAL" not in error_codes(body)
    assert statements == [], f"{len(statements)} SQL statement(s): {statements[:3]}"
    assert_no_leak(r)


async def test_limits_also_hold_for_legacy_json_clients(loaded_db: Database) -> None:
    """application/json clients get 200 with errors (the spec's legacy rule), still no SQL."""
    async with app_client(loaded_db) as client:
        with count_sql() as statements:
            r = await client.post("/graphql", json={"query": nested(20)})
    assert r.status_code == 200 and "maximum operation depth" in r.text
    assert statements == []


async def test_limits_are_configurable(loaded_db: Database) -> None:
    q = "{ " + " ".join(f"a{i}: __typename" for i in range(5)) + " }"
    async with app_client(loaded_db, max_aliases=4) as client:
        r = await client.post("/graphql", json={"query": q}, headers=GRAPHQL_RESPONSE)
        assert r.status_code == 400 and "aliases" in r.text
    async with app_client(loaded_db, max_depth=3) as client:
        r = await client.post("/graphql", json={"query": nested(2)}, headers=GRAPHQL_RESPONSE)
        assert r.status_code == 400 and "depth" in r.text
    async with app_client(loaded_db, max_batch=2) as client:
        r = await client.post("/graphql", json=[{"query": "{ __typename }"}] * 3)
        assert r.status_code == 400
        r = await client.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
        assert r.status_code == 200 and len(r.json()) == 2
    async with app_client(loaded_db, max_body_bytes=100) as client:
        r = await client.post("/graphql", json={"query": "{ metrics { code } }" + " " * 100})
        assert r.status_code == 413
    async with app_client(loaded_db, max_query_cost=2) as client:
        r = await client.post(
            "/graphql",
            json={"query": "{ authorities(first: 100) { edges { node { name } } } }"},
            headers=GRAPHQL_RESPONSE,
        )
        assert r.status_code == 400 and error_codes(r.json()) == ["MAX_COST_EXCEEDED"]
    async with app_client(loaded_db, max_tokens=10) as client:
        r = await client.post(
            "/graphql", json={"query": "{ metrics { code name unit theme source polarity } }"}
        )
        assert "tokens" in r.text


async def test_oversized_body_is_refused_from_its_declared_length(loaded_db: Database) -> None:
    """413 from Content-Length alone: the body is never read, let alone parsed."""

    async def endless() -> Any:
        yield b'{"query": "'
        for _ in range(100):
            yield b" " * 50_000

    async with app_client(loaded_db) as client:
        r = await client.post(
            "/graphql",
            content=endless(),
            headers={"content-type": "application/json", "content-length": "5000000"},
        )
        assert r.status_code == 413
        # A chunked body with no declared length is cut off once it passes the limit.
        r = await client.post(
            "/graphql", content=endless(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413
