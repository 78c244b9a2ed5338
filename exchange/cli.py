"""The ``exchange`` command. Part of the composition root: it may wire seed data and adapters."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from exchange.db import create_engine, session_factory, transaction
from exchange.errors import DomainError
from exchange.importer.service import ImportSummary
from exchange.settings import Settings

console = Console(stderr=False)
err = Console(stderr=True)
T = TypeVar("T")


def _run(fn: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    settings = Settings.from_env()
    try:
        return asyncio.run(fn(settings))
    except DomainError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")  # text, never markup
        sys.exit(2)
    except (OperationalError, ProgrammingError) as exc:
        # Almost always a database that was never migrated, or one that is unreachable.
        err.print(
            f"[red]error:[/red] the {settings.database_url.split('://')[0]} database is not "
            f"ready ({type(exc.orig).__name__}). Run `exchange init` first, "
            "or check EXCHANGE_DATABASE_URL."
        )
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """DBV Exchange: share SEND metrics, comparisons and case studies between English councils.

    Settings come from EXCHANGE_* environment variables (see docs/configuration.md).
    """


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )


def _print_import(summary: ImportSummary) -> None:
    table = Table(title="Import summary", show_header=False)
    table.add_row("files", escape(", ".join(summary.files)))
    table.add_row("rows read", f"{summary.rows_read:,}")
    table.add_row("rows matching the mapping", f"{summary.rows_matched:,}")
    table.add_row("observations created", f"{summary.created:,}")
    table.add_row("observations revised", f"{summary.revised:,}")
    table.add_row("observations unchanged", f"{summary.unchanged:,}")
    table.add_row("rows skipped", f"{summary.rows_skipped:,}")
    table.add_row("cells skipped (rest of the row imported)", f"{summary.cells_skipped:,}")
    console.print(table)
    if summary.skips:
        skipped = Table(title="Skipped, and why (line 1 is a file's header)")
        skipped.add_column("reason")
        skipped.add_column("skipped", justify="right")
        skipped.add_column("lines")
        for reason, s in sorted(summary.skips.items()):
            n = len(s.lines)
            shown = ", ".join(str(line) for line in s.lines[:10])
            more = f" and {n - 10:,} more" if n > 10 else ""
            # escape: a reason quotes the file (an authority's name), which is not markup
            skipped.add_row(escape(reason), f"{n:,} {s.unit}{'' if n == 1 else 's'}", shown + more)
        console.print(skipped)


@main.command()
def init() -> None:
    """Migrate the database, load the 153 authorities, neighbours, metrics and the shipped DfE data.

    Safe to run again: nothing is duplicated, unchanged figures stay as they are.
    """
    from exchange.migrate import upgrade_async
    from seed.bootstrap import initialise, shipped_row_count

    async def go(settings: Settings) -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        await upgrade_async(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            with _progress() as bar:
                task = bar.add_task("Importing shipped DfE data", total=shipped_row_count())
                summary = await initialise(session_factory(engine), lambda n: bar.advance(task, n))
        finally:
            await engine.dispose()
        console.print(
            f"Reference data: {summary.authorities_created} authorities, "
            f"{summary.neighbours_created} neighbour links, "
            f"{summary.metrics_created} metrics created"
        )
        _print_import(summary.imported)
        await _after_init(settings)

    _run(go)


async def _after_init(settings: Settings) -> None:
    """Later stages of init (demo data, search index), wired by the composition root."""
    from exchange import composition

    await composition.after_init(settings, console)


@main.command()
@click.option(
    "--host", default=None, help="Interface to bind (default EXCHANGE_HOST or 127.0.0.1)."
)
@click.option("--port", default=None, type=int, help="Port (default EXCHANGE_PORT or 8000).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    envvar="EXCHANGE_WORKERS",
    help="Worker processes (or EXCHANGE_WORKERS). Several workers need PostgreSQL and Redis "
    "in production: see docs/deployment.md.",
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API (GraphQL + GraphiQL at /graphql) and the officer pages."""
    import uvicorn

    from exchange.logs import uvicorn_log_config

    settings = Settings.from_env()
    console.print(
        f"DBV Exchange on http://{host or settings.host}:{port or settings.port}/graphql "
        f"(database: {settings.database_url.split('://')[0]})"
    )
    uvicorn.run(
        "exchange.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
        log_config=uvicorn_log_config("info"),
        access_log=False,  # exchange.http.middleware logs each request as JSON, with its duration
        timeout_graceful_shutdown=10,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 (FORWARDED_ALLOW_IPS): any local
        # client could pick its own budget. The app believes only EXCHANGE_TRUSTED_PROXIES.
        proxy_headers=False,
    )


@main.group(name="import")
def import_group() -> None:
    """Import published statistics."""


@import_group.command(name="ees")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Mapping file (default: the shipped seed/mapping.toml).",
)
def import_ees(paths: tuple[Path, ...], mapping_file: Path | None) -> None:
    """Import untouched EES tidy-data files (or mapped per-LA extracts) as observations.

    Re-importing the same file changes nothing; a changed value becomes a new revision. The whole
    import is one transaction: if anything fails, nothing is stored. A file that is not UTF-8 CSV,
    a broken header or row, a period not yet started, or a cell that is no figure of its metric
    (a negative count, a percentage over 100, ...) refuses the whole run: every problem is listed
    as file:line:column: reason, and the command exits with status 2.
    """
    from exchange.importer.checks import ImportRefused
    from exchange.importer.mapping import load_mapping
    from exchange.importer.service import import_files
    from seed.paths import MAPPING

    async def go(settings: Settings) -> ImportSummary | ImportRefused:
        mapping = load_mapping(mapping_file or MAPPING)
        engine = create_engine(settings.database_url)
        total = 0
        for p in paths:
            with p.open("rb") as handle:
                total += sum(1 for _ in handle) - 1
        try:
            with _progress() as bar:
                task = bar.add_task("Importing", total=total)
                async with transaction(session_factory(engine)) as session:
                    return await import_files(
                        session,
                        list(paths),
                        mapping,
                        progress=lambda n: bar.advance(task, n),
                        created_by="exchange import ees",
                    )
        except ImportRefused as refused:
            return refused
        finally:
            await engine.dispose()

    outcome = _run(go)
    if isinstance(outcome, ImportRefused):
        # Plain text, one problem a line: no markup read from the file, no wrapping.
        click.echo(f"error: {outcome.message}", err=True)
        sys.exit(2)
    _print_import(outcome)


@main.command(name="metrics")
def metrics_command() -> None:
    """List the metric catalogue."""
    from exchange.metrics import repository

    async def go(settings: Settings) -> list[Any]:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return await repository.all_metrics(session)
        finally:
            await engine.dispose()

    rows = _run(go)
    if not rows:
        err.print("The catalogue is empty: run `exchange init` first.")
        sys.exit(1)
    table = Table(title=f"Metric catalogue ({len(rows)} metrics)")
    for col in ("code", "name", "unit", "polarity", "period", "source"):
        table.add_column(col, overflow="fold")
    for m in rows:
        table.add_row(m.code, m.name, m.unit, m.polarity.replace("_", " "), m.period_kind, m.source)
    console.print(table)


@main.group(name="token")
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

    created = _run(go)
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

    rows = _run(go)
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

    _run(go)
    console.print(f"Token {token_id} revoked.")


@main.command(name="publish")
@click.option("--token", "token", envvar="EXCHANGE_TOKEN", required=True, help="Publisher token.")
@click.option(
    "--visibility",
    type=click.Choice(["members", "public"]),
    default="members",
    show_default=True,
    help="members: any valid token can read; public: anyone.",
)
@click.option(
    "--pseudonymous", is_flag=True, help="Publish under your pseudonym (docs/publishing.md)."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def publish_command(token: str, visibility: str, pseudonymous: bool, file: Path) -> None:
    """Publish your authority's figures from a CSV (docs/templates/observations-template.csv).

    Every row is checked first; if any is wrong, every problem is listed by line and nothing is
    stored. Otherwise all rows are stored in one transaction. The token can also come from the
    EXCHANGE_TOKEN environment variable.
    """
    from exchange.publishing import csvfile
    from exchange.publishing import service as publishing
    from exchange.publishing.retry import with_retries
    from exchange.tokens import service as tokens

    async def go(settings: Settings) -> publishing.PublishResult:
        data = file.read_bytes()
        rows, file_errors = csvfile.read_rows(data)
        engine = create_engine(settings.database_url)
        factory = session_factory(engine)
        try:
            async with factory() as session:
                viewer = await tokens.authenticate_token(session, token)
                await session.commit()
            if viewer is None:
                raise DomainError(tokens.UNAUTHENTICATED_MESSAGE, code="UNAUTHENTICATED")
            with _progress() as bar:
                task = bar.add_task(f"Publishing {file.name}", total=max(1, len(rows)))

                async def work(session: Any) -> publishing.PublishResult:
                    bar.reset(task)
                    if file_errors:
                        _, more, _ = await publishing.validate(
                            session, viewer, rows, pseudonymous=pseudonymous, max_rows=None
                        )
                        return publishing.PublishResult(
                            errors=sorted(file_errors + more, key=lambda e: e.line or 0)
                        )
                    return await publishing.publish(
                        session,
                        viewer,
                        rows,
                        visibility=visibility,
                        pseudonymous=pseudonymous,
                        max_rows=None,
                        progress=lambda n: bar.advance(task, n),
                    )

                return await with_retries(lambda: transaction(factory), work)
        finally:
            await engine.dispose()

    result = _run(go)
    if result.errors:
        table = Table(title=f"{file.name}: nothing was stored ({len(result.errors)} problems)")
        for col in ("line", "column", "code", "problem"):
            table.add_column(col, overflow="fold")
        for e in result.errors:
            table.add_row(str(e.line or ""), e.field or "", e.code, e.message)
        console.print(table)
        sys.exit(1)
    console.print(
        f"{file.name}: {result.created} created, {result.revised} revised, "
        f"{result.unchanged} unchanged ({visibility}"
        + (", pseudonymous" if pseudonymous else "")
        + ")."
        + (
            " Pseudonymous figures are shown to others from the next release time "
            "(docs/publishing.md)."
            if pseudonymous
            else ""
        )
    )


@main.group(name="search")
def search_group() -> None:
    """The case-study search index (tantivy under the data folder, or Meilisearch)."""


def _with_search(
    work: Callable[[Any, Any, Settings], Coroutine[Any, Any, T]],
) -> T:
    from search.factory import open_backend

    async def go(settings: Settings) -> T:
        engine = create_engine(settings.database_url)
        backend = open_backend(settings.meili_url, settings.meili_key, settings.search_index_dir)
        try:
            return await work(session_factory(engine), backend, settings)
        finally:
            backend.close()
            await engine.dispose()

    return _run(go)


@search_group.command(name="reindex")
def search_reindex() -> None:
    """Rebuild the index from the database (the source of truth), then drain the outbox."""
    from exchange.casestudies import indexing

    async def work(factory: Any, backend: Any, settings: Settings) -> tuple[int, str]:
        return await indexing.reindex(factory, backend, settings.secret_key), backend.name

    total, name = _with_search(work)
    console.print(f"Search index ({name}) rebuilt: {total} published case studies indexed.")


@search_group.command(name="drain")
def search_drain() -> None:
    """Apply pending search-outbox rows (changes committed but not yet indexed)."""
    from exchange.casestudies import indexing

    async def work(factory: Any, backend: Any, settings: Settings) -> Any:
        return await indexing.drain(factory, backend, settings.secret_key)

    report = _with_search(work)
    console.print(
        f"Outbox drained: {report.rows} rows applied ({report.upserted} indexed, "
        f"{report.deleted} removed from the index)."
    )


@search_group.command(name="status")
def search_status() -> None:
    """Published case studies, documents in the index, and pending outbox rows."""
    from exchange.casestudies import indexing

    async def work(factory: Any, backend: Any, settings: Settings) -> Any:
        return await indexing.status(factory, backend)

    state = _with_search(work)
    console.print(
        f"published: {state.published}  indexed: {state.indexed}  outbox pending: {state.pending}"
    )
    if state.pending or state.indexed != state.published:
        console.print("Run `exchange search drain`, or `exchange search reindex` to rebuild.")


if __name__ == "__main__":
    main()
