"""Control characters in text: a raw NUL (or any C0 control character but tab, line feed and
carriage return) inside a GraphQL string literal, written as an escape, or in the variables, is
refused with a clear INVALID_INPUT request error before a single SQL statement (not even the
token lookup), so it is never stored, indexed or served back in highlights.

The NUL check used to skip documents without a ``\\u`` escape, so a raw NUL in a literal was
stored; only NUL was looked for, so U+0001..U+001F passed everywhere."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from exchange.casestudies.models import CaseStudy
from tests.conftest import Database, http_client
from tests.security.support import (
    GRAPHQL_RESPONSE,
    assert_no_leak,
    bearer,
    count_sql,
    error_codes,
    make_token,
)

BY_VARIABLES = """mutation($input: CreateCaseStudyInput!) {
  createCaseStudy(input: $input) { caseStudy { id title } userErrors { code message } } }"""


def by_literal(title: str) -> str:
    """The mutation with the title written into the document as a string literal."""
    return (
        f'mutation {{ createCaseStudy(input: {{title: "{title}"}}) '
        "{ caseStudy { id title } userErrors { code message } } }"
    )


# name -> (JSON body, where the refusal says the character is)
REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "raw NUL in a literal": ({"query": by_literal("Triage\x00panel")}, "U+0000 in the query"),
    "raw U+001B in a literal": ({"query": by_literal("Triage\x1bpanel")}, "U+001B in the query"),
    "raw NUL in a block string": (
        {"query": by_literal("x").replace('"x"', '"""Triage\x00panel"""')},
        "U+0000 in the query",
    ),
    "escaped U+0001 in a literal": (
        {"query": by_literal("Triage\\u0001panel")},
        "U+0001 (an escape) in the query",
    ),
    "escaped backspace in a literal": (
        {"query": by_literal("Triage\\bpanel")},
        "U+0008 (an escape) in the query",
    ),
    "NUL in a variable": (
        {"query": BY_VARIABLES, "variables": {"input": {"title": "Triage\x00panel"}}},
        "U+0000 in variables.input.title",
    ),
    "U+0007 in a variable": (
        {
            "query": BY_VARIABLES,
            "variables": {"input": {"title": "EP triage", "summary": "We rang\x07 schools"}},
        },
        "U+0007 in variables.input.summary",
    ),
    "U+000B in a nested variable": (
        {
            "query": BY_VARIABLES,
            "variables": {"input": {"title": "EP triage", "themes": ["EP_CAPACITY\x0b"]}},
        },
        "U+000B in variables.input.themes[0]",
    ),
}


async def _stored(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count(CaseStudy.id)))).scalar_one())


@pytest.mark.parametrize("name", list(REFUSED))
async def test_control_characters_are_refused_before_any_sql(fresh_db: Database, name: str) -> None:
    body, where = REFUSED[name]
    token = await make_token(fresh_db, authority="869")
    async with http_client(fresh_db) as client:
        with count_sql() as statements:
            r = await client.post(
                "/graphql",
                content=json.dumps(body),  # json.dumps writes U+0000 as \\u0000: JSON allows it
                headers={"content-type": "application/json", **bearer(token), **GRAPHQL_RESPONSE},
            )
    assert r.status_code == 400, r.text
    answer = r.json()
    assert error_codes(answer) == ["INVALID_INPUT"], r.text
    assert "data" not in answer
    message = answer["errors"][0]["message"]
    assert "control characters" in message and where in message, message
    assert statements == [], f"{len(statements)} SQL statement(s): {statements[:3]}"
    assert_no_leak(r)
    assert await _stored(fresh_db) == 0


async def test_legacy_json_clients_get_the_same_refusal_with_200(fresh_db: Database) -> None:
    token = await make_token(fresh_db, authority="869")
    async with http_client(fresh_db) as client:
        r = await client.post(
            "/graphql", json={"query": by_literal("Triage\x00panel")}, headers=bearer(token)
        )
    assert r.status_code == 200 and error_codes(r.json()) == ["INVALID_INPUT"]
    assert await _stored(fresh_db) == 0


async def test_tab_line_feed_and_carriage_return_are_text(fresh_db: Database) -> None:
    """The three control characters text does use still pass, in variables and literals."""
    token = await make_token(fresh_db, authority="869")
    summary = "What we did:\r\n\t1. triage\n\t2. follow-up"
    async with http_client(fresh_db) as client:
        r = await client.post(
            "/graphql",
            json={
                "query": BY_VARIABLES,
                "variables": {"input": {"title": "EP triage", "summary": summary}},
            },
            headers={**bearer(token), **GRAPHQL_RESPONSE},
        )
        assert r.status_code == 200, r.text
        created = r.json()["data"]["createCaseStudy"]
        assert created["userErrors"] == [] and created["caseStudy"]["title"] == "EP triage"
        r = await client.post(
            "/graphql",
            json={"query": by_literal("Tab\\there")},
            headers={**bearer(token), **GRAPHQL_RESPONSE},
        )
        assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert await _stored(fresh_db) == 2
