"""The ``exchange`` command. Part of the composition root: it may wire seed data and adapters."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
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
        err.print(f"[red]error:[/red] {exc.message}")
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
    table.add_row("files", ", ".join(summary.files))
    table.add_row("rows read", f"{summary.rows_read:,}")
    table.add_row("rows matching the mapping", f"{summary.rows_matched:,}")
    table.add_row("observations created", f"{summary.created:,}")
    table.add_row("observations revised", f"{summary.revised:,}")
    table.add_row("observations unchanged", f"{summary.unchanged:,}")
    table.add_row("rows skipped", f"{summary.rows_skipped:,}")
    console.print(table)
    if summary.skipped:
        skipped = Table(title="Rows skipped, and why")
        skipped.add_column("reason")
        skipped.add_column("rows", justify="right")
        for reason, n in sorted(summary.skipped.items()):
            skipped.add_row(reason, str(n))
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
    from exchange import bootstrap_hooks

    await bootstrap_hooks.after_init(settings, console)


@main.command()
@click.option(
    "--host", default=None, help="Interface to bind (default EXCHANGE_HOST or 127.0.0.1)."
)
@click.option("--port", default=None, type=int, help="Port (default EXCHANGE_PORT or 8000).")
@click.option("--workers", default=1, show_default=True, help="Worker processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API (GraphQL + GraphiQL at /graphql) and the officer pages."""
    import uvicorn

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
        timeout_graceful_shutdown=10,
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
    import is one transaction: if anything fails, nothing is stored.
    """
    from exchange.importer.mapping import load_mapping
    from exchange.importer.service import import_files
    from seed.paths import MAPPING

    async def go(settings: Settings) -> None:
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
                    summary = await import_files(
                        session,
                        list(paths),
                        mapping,
                        progress=lambda n: bar.advance(task, n),
                        created_by="exchange import ees",
                    )
        finally:
            await engine.dispose()
        _print_import(summary)

    _run(go)


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


if __name__ == "__main__":
    main()
