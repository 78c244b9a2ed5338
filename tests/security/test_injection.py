"""SQL-injection-looking strings in every string argument of every query and mutation (found by
walking the schema, so new fields are covered as they land), and search-syntax injection.

Each request gets a clean answer (data, or coded errors — never INTERNAL), leaks nothing, and the
database is intact afterwards. LIKE wildcards match themselves, not everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

from exchange.settings import Settings
from schema.build import build_schema
from tests.conftest import Database
from tests.security.support import app_client, assert_no_leak, bearer, error_codes, make_token

PAYLOADS = [
    "' OR '1'='1",
    "869'; DROP TABLE authorities; --",
    '" OR 1=1 --',
    "869' UNION SELECT token_hash, token_hash FROM api_tokens --",
    "1; SELECT pg_sleep(10); --",
    "%",
    "_",
    "%' AND 1=0 UNION SELECT NULL --",
    "\\",
    "\\'; --",
    "ehc_plans/*",
    "$where: 1==1",
    "😀 ‮ RTL ‭",
    "x" * 5000,
]
MUTATION_PAYLOADS = [*PAYLOADS[:5], "%", "x" * 5000]

# Sensible values for the arguments that are not under attack.
GOOD: dict[str, Any] = {
    "authority.code": "869",
    "metric.code": "ehc_plans",
    "metric": "ehc_plans",
    "period": "2024/25",
    "authority": "869",
    "peers": "STATISTICAL_NEIGHBOURS",
}


def _unwrap(t: Any) -> Any:
    while isinstance(t, GraphQLNonNull | GraphQLList):
        t = t.of_type
    return t


def _is_text(t: Any) -> bool:
    named = _unwrap(t)
    return isinstance(named, GraphQLScalarType) and named.name in ("String", "ID")


Path = tuple[str, ...]


def _text_slots(t: Any, path: Path, depth: int = 0) -> Iterator[Path]:
    named = _unwrap(t)
    if _is_text(t):
        yield path
    elif isinstance(named, GraphQLInputObjectType) and depth < 3:
        for name, f in named.fields.items():
            yield from _text_slots(f.type, (*path, name), depth + 1)


def _value(t: Any, name: str, target: Path | None, here: Path, payload: str) -> Any:
    """A value for type t: the payload at the target slot, good defaults for required parts."""
    if isinstance(t, GraphQLNonNull):
        return _value(t.of_type, name, target, here, payload)
    if isinstance(t, GraphQLList):
        return [_value(t.of_type, name, target, here, payload)]
    if isinstance(t, GraphQLScalarType):
        if t.name in ("String", "ID"):
            return payload if target == here else GOOD.get(name, "869")
        return {"Int": 1, "Float": 1.0, "Boolean": False}.get(t.name)
    if isinstance(t, GraphQLEnumType):
        return GOOD.get(name, next(iter(t.values)))
    if isinstance(t, GraphQLInputObjectType):
        out: dict[str, Any] = {}
        for fname, f in t.fields.items():
            sub = (*here, fname)
            on_path = target is not None and target[: len(sub)] == sub
            if on_path or isinstance(f.type, GraphQLNonNull):
                out[fname] = _value(f.type, fname, target, sub, payload)
        return out
    return None


def build_requests(kind: str, payloads: list[str]) -> list[tuple[str, str, dict[str, Any], str]]:
    schema = build_schema(Settings.from_env())._schema
    root = schema.query_type if kind == "query" else schema.mutation_type
    assert root is not None
    out = []
    for fname, field in root.fields.items():
        if _has_upload(field):
            continue  # multipart: tests/security/test_authorization.py
        slots = [s for name, a in field.args.items() for s in _text_slots(a.type, (name,))]
        for slot in slots:
            for payload in payloads:
                variables: dict[str, Any] = {}
                decls, args = [], []
                for aname, arg in field.args.items():
                    on_slot = slot[0] == aname
                    if not on_slot and not isinstance(arg.type, GraphQLNonNull):
                        continue
                    key = f"{fname}.{aname}"
                    if not on_slot and key in GOOD:
                        variables[aname] = GOOD[key]
                    else:
                        variables[aname] = _value(
                            arg.type, aname, slot if on_slot else None, (aname,), payload
                        )
                    decls.append(f"${aname}: {arg.type}")
                    args.append(f"{aname}: ${aname}")
                selection = "" if not _composite(field) else " { __typename }"
                head = f"({', '.join(decls)})" if decls else ""
                call = f"({', '.join(args)})" if args else ""
                document = f"{kind}{head} {{ {fname}{call}{selection} }}"
                out.append((f"{fname}:{'.'.join(slot)}", document, variables, payload))
    return out


def _has_upload(field: GraphQLField) -> bool:
    def walk(t: Any, depth: int = 0) -> bool:
        named = _unwrap(t)
        if isinstance(named, GraphQLScalarType):
            return named.name == "Upload"
        if isinstance(named, GraphQLInputObjectType) and depth < 3:
            return any(walk(f.type, depth + 1) for f in named.fields.values())
        return False

    return any(walk(a.type) for a in field.args.values())


def _composite(field: GraphQLField) -> bool:
    return not isinstance(_unwrap(field.type), GraphQLScalarType | GraphQLEnumType)


async def _attack(
    client: httpx.AsyncClient,
    requests: list[tuple[str, str, dict[str, Any], str]],
    token: str | None,
) -> int:
    headers = bearer(token) if token else {}
    checked = 0
    for slot, document, variables, payload in requests:
        r = await client.post(
            "/graphql", json={"query": document, "variables": variables}, headers=headers
        )
        assert r.status_code == 200, (slot, payload[:40], r.status_code, r.text[:300])
        assert "INTERNAL" not in error_codes(r.json()), (slot, payload[:40], r.text[:500])
        assert_no_leak(r, payload, "token_hash", "api_tokens", "DROP TABLE", "SELECT")
        checked += 1
    return checked


INTACT = """{ authorities(first: 1) { totalCount } metrics { code }
  wild: authorities(region: "%") { totalCount } under: authorities(region: "_") { totalCount } }"""


async def _intact(client: httpx.AsyncClient, metrics: int) -> None:
    r = await client.post("/graphql", json={"query": INTACT})
    data = r.json()["data"]
    assert data["authorities"]["totalCount"] == 153
    assert len(data["metrics"]) == metrics
    assert data["wild"]["totalCount"] == 0 and data["under"]["totalCount"] == 0


def test_the_walk_reaches_every_string_argument() -> None:
    requests = build_requests("query", PAYLOADS[:1])
    slots = {slot for slot, *_ in requests}
    # a sample of the arguments that must be among them
    for expected in (
        "authority:code",
        "authorities:region",
        "metric:code",
        "observations:filter.metrics",
        "observations:filter.authorities",
        "observations:filter.periods",
        "comparison:metric",
        "comparison:period",
        "comparison:authority",
        "trend:from",
        "node:id",
        "authorities:after",
    ):
        assert expected in slots, sorted(slots)
    assert len(slots) >= 20


@pytest.mark.slow
async def test_injection_strings_in_every_query_argument(fresh_db: Database) -> None:
    analyst = await make_token(fresh_db, role="analyst", authority=None)
    requests = build_requests("query", PAYLOADS)
    async with app_client(fresh_db, cost_budget_per_hour=0) as client:
        r = await client.post("/graphql", json={"query": "{ metrics { code } }"})
        metrics = len(r.json()["data"]["metrics"])
        assert await _attack(client, requests, None) == len(requests)
        assert await _attack(client, requests[::7], analyst) > 0
        await _intact(client, metrics)


@pytest.mark.slow
async def test_injection_strings_in_every_mutation_argument(fresh_db: Database) -> None:
    publisher = await make_token(fresh_db, authority="869")
    requests = build_requests("mutation", MUTATION_PAYLOADS)
    assert {slot.split(":")[0] for slot, *_ in requests} >= {
        "publishObservations",
        "createPeerGroup",
        "createCaseStudy",
    }
    async with app_client(fresh_db, cost_budget_per_hour=0) as client:
        r = await client.post("/graphql", json={"query": "{ metrics { code } }"})
        metrics = len(r.json()["data"]["metrics"])
        assert await _attack(client, requests, publisher) == len(requests)
        await _intact(client, metrics)


SEARCH_SYNTAX = [
    '"',
    '"unclosed phrase',
    "(((",
    ")))",
    "*",
    "**",
    "?",
    "title:*",
    "authority_code:869",
    "status:draft",
    "author_label:*",
    "id:*",
    "zebraqx OR *",
    "zebraqx AND NOT nothing",
    "+zebraqx -x",
    "zebraqx~2",
    "zebraqx^100",
    "[a TO z]",
    "{a TO z}",
    "title:zebraqx",
    "summary:(zebraqx)",
    "\\",
    "/zebra.*/",
    'zebraqx"; DROP',
    "a" * 10_000,
    "AND OR NOT",
    ":",
    "filter = status = 'draft'",
]


async def test_search_syntax_injection_finds_no_draft_and_breaks_nothing(
    fresh_db: Database,
) -> None:
    """Quotes, parentheses, field prefixes, wildcards: no error, and a draft (with a unique word)
    is never found by anyone but its owner, whatever the syntax."""
    owner = await make_token(fresh_db, authority="869")
    other = await make_token(fresh_db, authority="850")
    create = """mutation($i: CreateCaseStudyInput!) { createCaseStudy(input: $i) {
        caseStudy { id } userErrors { code } } }"""
    search = """query($q: String!) { caseStudies(query: $q, first: 20) {
        totalCount edges { node { id title } } } }"""
    async with app_client(fresh_db, cost_budget_per_hour=0) as client:
        r = await client.post(
            "/graphql",
            json={"query": create, "variables": {"i": {"title": "zebraqx secret draft"}}},
            headers=bearer(owner),
        )
        draft = r.json()["data"]["createCaseStudy"]["caseStudy"]["id"]
        for text in SEARCH_SYNTAX:
            for headers in ({}, bearer(other)):
                r = await client.post(
                    "/graphql", json={"query": search, "variables": {"q": text}}, headers=headers
                )
                assert r.status_code == 200, (text, r.text[:300])
                body = r.json()
                assert "INTERNAL" not in error_codes(body), (text, r.text[:300])
                assert_no_leak(r, text)
                assert draft not in r.text and "zebraqx secret" not in r.text, text
