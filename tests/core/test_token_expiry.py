"""Only the word `never` makes a token that never expires: 0, none, 0d and the like are refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from exchange.cli import main
from exchange.db import transaction
from exchange.errors import InvalidInput
from exchange.tokens import service as tokens
from exchange.tokens.models import ApiToken
from tests.conftest import Database

NOT_NEVER = ["0", "none", "None", "0d", "0h", "00w", "0 m", "", " ", "null", "false", "-1d"]
OTHER_DIGITS = ["\u0663d", "\uff13d", "\u0969h", "1\u0660d"]  # Arabic-Indic, fullwidth, Devanagari


@pytest.mark.parametrize("text", NOT_NEVER + OTHER_DIGITS)
def test_only_never_means_no_expiry(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        tokens.parse_duration(text)
    assert caught.value.field == "expires_in"
    assert "never" in caught.value.message  # says how to ask for no expiry


@pytest.mark.parametrize("text", ["never", "NEVER", " never "])
def test_never_is_no_expiry(text: str) -> None:
    assert tokens.parse_duration(text) is None


def test_a_lifetime_is_read_in_ascii_digits() -> None:
    assert tokens.parse_duration("1m") == timedelta(minutes=1)
    assert tokens.parse_duration("30 d") == timedelta(days=30)
    assert tokens.parse_duration("99999w") == timedelta(weeks=99999)


async def _count(db: Database) -> int:
    async with db.sessions() as s:
        return int((await s.execute(select(func.count(ApiToken.id)))).scalar_one())


async def test_create_token_refuses_a_zero_lifetime(fresh_db: Database) -> None:
    for lifetime in (timedelta(0), timedelta(seconds=-1)):
        with pytest.raises(InvalidInput, match="must live for some time"):
            async with transaction(fresh_db.sessions) as s:
                await tokens.create_token(s, role="analyst", expires_in=lifetime)
    assert await _count(fresh_db) == 0
    now = datetime(2026, 1, 2, tzinfo=UTC)
    async with transaction(fresh_db.sessions) as s:
        short = await tokens.create_token(
            s, role="analyst", expires_in=timedelta(minutes=1), now=now
        )
        forever = await tokens.create_token(s, role="analyst", expires_in=None, now=now)
        assert tokens.aware(short.token.expires_at) == now + timedelta(minutes=1)
        assert forever.token.expires_at is None


def _cli(db: Database, *args: str) -> Result:
    env = {
        "EXCHANGE_DATABASE_URL": db.url,
        "EXCHANGE_DATA_DIR": str(db.settings.data_dir),
        "EXCHANGE_SECRET_KEY": db.settings.secret_key,
        "COLUMNS": "200",
    }
    return CliRunner(env=env).invoke(main, list(args))


async def test_cli_refuses_expires_in_zero_and_accepts_never(fresh_db: Database) -> None:
    for text in ("0", "none", "0d"):
        # In a thread: the command runs its own event loop, as it does from a shell.
        result = await asyncio.to_thread(
            _cli, fresh_db, "token", "create", "--role", "analyst", "--expires-in", text
        )
        assert result.exit_code == 2, (text, result.output, result.stderr)
        said = " ".join(result.stderr.split())  # Click wraps to the terminal's width
        assert f"'{text}' is " in said and "the word never" in said
        assert "Traceback" not in result.output + result.stderr
        assert result.stdout == ""  # no secret printed
    assert await _count(fresh_db) == 0

    never = await asyncio.to_thread(
        _cli, fresh_db, "token", "create", "--role", "analyst", "--expires-in", "never"
    )
    assert never.exit_code == 0, never.stderr
    assert "never expires" in never.stderr and never.stdout.startswith(tokens.TOKEN_PREFIX)
    assert await _count(fresh_db) == 1
