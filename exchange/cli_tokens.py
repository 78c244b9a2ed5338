"""``exchange token``: create (shown once), list and revoke bearer tokens."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from exchange.cli_common import console, err, run
from exchange.db import create_engine, session_factory, transaction
from exchange.settings import Settings


@click.group(name="token")
def token_group() -> None:
    """Bearer tokens: create (shown once), list, revoke."""


@token_group.command(name="create")
@click.option(
    "--role",
    type=click.Choice(["publisher", "analyst", "admin"]),
    required=True,
    help="publisher (bound to one authority), analyst (reads members-only data) or admin.",
)
@click.option("--authority", default=None, help="Publisher's authority: DfE code (869) or GSS.")
@click.option(
    "--expires-in",
    default="365d",
    show_default=True,
    help="Lifetime: 90d, 12w, 36h, or never.",
)
@click.option("--name", default="", help="A note to recognise the token by, e.g. who holds it.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="Limit the token to these scopes (repeat the option); default: all of the role's.",
)
def token_create(
    role: str, authority: str | None, expires_in: str, name: str, scopes: tuple[str, ...]
) -> None:
    """Create a token and print it ONCE: only its SHA-256 hash is stored."""
    from exchange.tokens import service as tokens

    async def go(settings: Settings) -> Any:
        lifetime = tokens.parse_duration(expires_in)
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                return await tokens.create_token(
                    session,
                    role=role,
                    authority_code=authority,
                    name=name,
                    expires_in=lifetime,
                    scopes=list(scopes) or None,
                )
        finally:
            await engine.dispose()

    created = run(go)
    t = created.token
    err.print(
        f"Token {t.id} created: role {t.role}"
        + (f", authority {authority}" if authority else "")
        + (f", expires {t.expires_at:%Y-%m-%d %H:%M} UTC" if t.expires_at else ", never expires")
        + f", scopes {t.scopes}."
    )
    err.print("[bold]Copy it now: it is not stored and cannot be shown again.[/bold]")
    click.echo(created.secret)


@token_group.command(name="list")
def token_list() -> None:
    """List tokens (never their secrets): id, name, role, authority, status, last use."""
    from datetime import UTC, datetime

    from exchange.authorities import repository as authorities
    from exchange.tokens import service as tokens

    async def go(settings: Settings) -> list[tuple[Any, str]]:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                rows = await tokens.list_tokens(session)
                ids = sorted({r.authority_id for r in rows if r.authority_id})
                names = {a.id: a for a in await authorities.get_many(session, ids)}
                return [
                    (
                        r,
                        f"{names[r.authority_id].la_code} {names[r.authority_id].name}"
                        if r.authority_id in names
                        else "",
                    )
                    for r in rows
                ]
        finally:
            await engine.dispose()

    rows = run(go)
    now = datetime.now(UTC)
    table = Table(title=f"Tokens ({len(rows)})")
    for col in ("id", "name", "role", "authority", "status", "expires", "last used"):
        table.add_column(col, overflow="fold")
    for t, authority in rows:
        expires = tokens.aware(t.expires_at)
        if t.revoked_at is not None:
            status = "revoked"
        elif expires is not None and expires <= now:
            status = "expired"
        else:
            status = "active"
        last = tokens.aware(t.last_used_at)
        table.add_row(
            str(t.id),
            t.name,
            t.role,
            authority,
            status,
            f"{expires:%Y-%m-%d}" if expires else "never",
            f"{last:%Y-%m-%d %H:%M}" if last else "never",
        )
    console.print(table)


@token_group.command(name="revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a token by its id (see `exchange token list`). It stops working at once, and every
    officer-page session opened with it ends."""
    from exchange.tokens import service as tokens

    async def go(settings: Settings) -> None:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                await tokens.revoke_token(session, token_id)
        finally:
            await engine.dispose()

    run(go)
    console.print(f"Token {token_id} revoked.")
