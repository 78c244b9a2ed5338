"""Tokens: only a hash is stored, roles and scopes, and every bad token fails the same way."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from exchange.audit.models import AuditEntry
from exchange.db import transaction
from exchange.errors import InvalidInput, NotFound
from exchange.tokens import service as tokens
from exchange.tokens.models import ApiToken
from tests.conftest import Database, make_database

EXCHANGE = str(Path(sys.executable).parent / "exchange")


async def test_secret_is_shown_once_and_only_its_hash_is_stored(fresh_db: Database) -> None:
    async with transaction(fresh_db.sessions) as s:
        created = await tokens.create_token(s, role="publisher", authority_code="869")
    assert created.secret.startswith("dbvx_") and len(created.secret) == 48
    async with fresh_db.sessions() as s:
        stored = (await s.execute(select(ApiToken))).scalars().one()
    assert stored.token_hash == hashlib.sha256(created.secret.encode()).hexdigest()
    row_text = " ".join(str(getattr(stored, c.key)) for c in ApiToken.__table__.columns)
    assert created.secret not in row_text and created.secret[5:20] not in row_text


async def test_roles_scopes_and_authority_binding(fresh_db: Database) -> None:
    async with transaction(fresh_db.sessions) as s:
        pub = await tokens.create_token(s, role="publisher", authority_code="E06000037")
        analyst = await tokens.create_token(s, role="analyst")
        narrow = await tokens.create_token(
            s, role="publisher", authority_code="869", scopes=["read:members"]
        )
        with pytest.raises(InvalidInput, match="bound to one authority"):
            await tokens.create_token(s, role="publisher")
        with pytest.raises(InvalidInput, match="not bound to an authority"):
            await tokens.create_token(s, role="analyst", authority_code="869")
        with pytest.raises(InvalidInput, match="unknown role"):
            await tokens.create_token(s, role="owner")
        with pytest.raises(InvalidInput, match="audit:read"):
            await tokens.create_token(s, role="analyst", scopes=["audit:read"])
        with pytest.raises(InvalidInput, match="no authority"):
            await tokens.create_token(s, role="publisher", authority_code="999")
    async with fresh_db.sessions() as s:
        p = await tokens.authenticate_token(s, pub.secret)
        a = await tokens.authenticate_token(s, analyst.secret)
        n = await tokens.authenticate_token(s, narrow.secret)
    assert p is not None and p.role == "publisher" and p.authority_id is not None
    assert "observations:publish" in p.scopes and p.token_id == pub.token.id
    assert a is not None and a.role == "analyst" and a.authority_id is None and a.is_member
    assert a.scopes == frozenset({"read:members"})
    assert n is not None and n.scopes == frozenset({"read:members"})


async def test_every_bad_token_is_refused_alike(fresh_db: Database) -> None:
    now = datetime.now(UTC)
    async with transaction(fresh_db.sessions) as s:
        good = await tokens.create_token(s, role="analyst")
        expired = await tokens.create_token(
            s, role="analyst", expires_in=timedelta(days=1), now=now - timedelta(days=2)
        )
        revoked = await tokens.create_token(s, role="analyst")
        await tokens.revoke_token(s, revoked.token.id)
    cases = {
        "malformed": "not-a-token",
        "empty": "",
        "unknown": tokens.new_secret(),
        "expired": expired.secret,
        "revoked": revoked.secret,
        "truncated": good.secret[:-1],
    }
    async with fresh_db.sessions() as s:
        for name, raw in cases.items():
            assert await tokens.authenticate_token(s, raw) is None, name
        assert await tokens.authenticate_token(s, good.secret) is not None


async def test_expiry_is_honoured_to_the_second(fresh_db: Database) -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    async with transaction(fresh_db.sessions) as s:
        t = await tokens.create_token(s, role="admin", expires_in=timedelta(hours=1), now=start)
    async with fresh_db.sessions() as s:
        ok = start + timedelta(minutes=59)
        assert await tokens.authenticate_token(s, t.secret, now=ok) is not None
        late = start + timedelta(hours=1)
        assert await tokens.authenticate_token(s, t.secret, now=late) is None


async def test_last_used_is_recorded_but_not_on_every_request(fresh_db: Database) -> None:
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    async with transaction(fresh_db.sessions) as s:
        created = await tokens.create_token(s, role="analyst", now=t0)
    for offset in (timedelta(0), timedelta(minutes=1), timedelta(minutes=6)):
        async with transaction(fresh_db.sessions) as s:
            await tokens.authenticate_token(s, created.secret, now=t0 + offset)
        async with fresh_db.sessions() as s:
            stored = await tokens.get_token(s, created.token.id)
            assert stored is not None
            last = tokens.aware(stored.last_used_at)
        expected = t0 + (timedelta(minutes=6) if offset == timedelta(minutes=6) else timedelta(0))
        assert last == expected


async def test_create_and_revoke_are_audited(fresh_db: Database) -> None:
    async with transaction(fresh_db.sessions) as s:
        created = await tokens.create_token(
            s, role="publisher", authority_code="869", name="EP lead"
        )
        await tokens.revoke_token(s, created.token.id)
        await tokens.revoke_token(s, created.token.id)  # idempotent: no second entry
        with pytest.raises(NotFound):
            await tokens.revoke_token(s, 9999)
    async with fresh_db.sessions() as s:
        entries = list((await s.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())
    assert [e.action for e in entries] == ["token.create", "token.revoke"]
    assert entries[0].actor_role == "operator" and entries[0].after["name"] == "EP lead"
    assert entries[1].before["revoked_at"] is None and entries[1].after["revoked_at"]
    assert all(created.secret not in str(e.before) + str(e.after) for e in entries)


def test_durations() -> None:
    assert tokens.parse_duration("90d") == timedelta(days=90)
    assert tokens.parse_duration("12w") == timedelta(weeks=12)
    assert tokens.parse_duration("36h") == timedelta(hours=36)
    assert tokens.parse_duration("never") is None
    for bad in ("90", "d", "-1d", "1y", "0d"):
        with pytest.raises(InvalidInput):
            tokens.parse_duration(bad)


def test_bearer_header_parsing() -> None:
    assert tokens.bearer_secret(None) is None
    assert tokens.bearer_secret("Bearer abc") == "abc"
    assert tokens.bearer_secret("bearer   abc ") == "abc"
    assert tokens.bearer_secret("Basic dXNlcjpwYXNz") == ""
    assert tokens.bearer_secret("") == ""


@pytest.mark.slow  # CLI subprocesses, ~10 s
async def test_cli_create_list_revoke(tmp_path: Path) -> None:
    db, cleanup = await make_database("sqlite", tmp_path, load="reference")
    await db.engine.dispose()
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": db.url,
        "EXCHANGE_DATA_DIR": str(tmp_path),
        "COLUMNS": "200",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [EXCHANGE, "token", *args], env=env, capture_output=True, text=True, timeout=120
        )

    try:
        made = run(
            "create",
            "--authority",
            "869",
            "--role",
            "publisher",
            "--expires-in",
            "90d",
            "--name",
            "West Berkshire EP lead",
        )
        assert made.returncode == 0, made.stderr
        secret = made.stdout.strip()
        assert secret.startswith("dbvx_") and "\n" not in secret  # stdout is the secret alone
        assert "cannot be shown again" in made.stderr
        listed = run("list")
        assert listed.returncode == 0, listed.stderr
        assert "West Berkshire EP lead" in listed.stdout and "active" in listed.stdout
        assert secret not in listed.stdout
        bad = run("create", "--role", "publisher")
        assert bad.returncode != 0 and "bound to one authority" in bad.stderr
        revoked = run("revoke", "1")
        assert revoked.returncode == 0, revoked.stderr
        assert "revoked" in run("list").stdout
        assert run("revoke", "42").returncode != 0
    finally:
        await cleanup()
