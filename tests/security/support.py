"""Helpers for the security suite: an app with chosen settings, a SQL statement counter, tokens,
and the check that a response leaks nothing about the server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from exchange.db import transaction
from tests.conftest import Database

GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


@asynccontextmanager
async def app_client(db: Database, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The real ASGI app (lifespan included) on ``db``, with settings overridden."""
    from exchange.app import create_app

    app = create_app(db.settings.model_copy(update=overrides))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
            timeout=60,
        ) as client,
    ):
        yield client


@contextmanager
def count_sql() -> Iterator[list[str]]:
    """Every SQL statement any engine in this process sends while the block runs, but the test
    harness's own (its test databases are created and dropped on a thread of their own, at any
    moment: tests/conftest.py ``_admin_sql``)."""
    statements: list[str] = []

    def before(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not conn.get_execution_options().get("test_harness"):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", before)


_LEAKS = re.compile(
    r"Traceback|File \"|site-packages|/work/|/tmp/|\.py\b|sqlalchemy|asyncpg|aiosqlite|sqlite3|"
    r"psycopg|OperationalError|IntegrityError|ProgrammingError|DataError|\bSELECT\b.+\bFROM\b|"
    r"\bINSERT INTO\b|\bUPDATE\b.+\bSET\b|exchange_test_|secret",
    re.IGNORECASE,
)


def assert_no_leak(response: httpx.Response, *echoed: str) -> None:
    """No stack trace, path, driver name or SQL in the body or headers. ``echoed``: text the
    client sent that an error message may legitimately quote back (removed before checking)."""
    text = response.text + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    for e in sorted(echoed, key=len, reverse=True):
        if e:
            text = text.replace(e, "").replace(e[:64], "")
    found = _LEAKS.search(text)
    assert found is None, f"response leaks {found.group(0)!r}: {response.text[:500]}"
    assert response.status_code < 500, response.text[:500]


def error_codes(body: Any) -> list[str | None]:
    if isinstance(body, list):
        return [c for b in body for c in error_codes(b)]
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


async def make_token(
    db: Database,
    *,
    role: str = "publisher",
    authority: str | None = "869",
    expires_in: timedelta | None = timedelta(days=30),
    created_ago: timedelta = timedelta(0),
    revoked: bool = False,
) -> str:
    """A bearer token's secret; ``created_ago`` > ``expires_in`` makes an expired one."""
    from exchange.tokens import service as tokens

    async with transaction(db.sessions) as session:
        created = await tokens.create_token(
            session,
            role=role,
            authority_code=authority if role == "publisher" else None,
            name="security suite",
            expires_in=expires_in,
            now=datetime.now(UTC) - created_ago,
        )
        if revoked:
            await tokens.revoke_token(session, created.token.id)
    return created.secret


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}
