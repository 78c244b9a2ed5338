"""``exchange init``, ``exchange import ees``, ``exchange metrics`` and ``exchange publish``: the
commands that load, list and publish figures."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from exchange.cli_common import console, err, progress, run
from exchange.db import create_engine, session_factory, transaction
from exchange.errors import DomainError
from exchange.importer.service import ImportSummary
from exchange.settings import Settings


def _print_import(summary: ImportSummary) -> None:
    table = Table(title="Import summary", show_header=False)
    table.add_row("files", escape(", ".join(summary.files)))
    table.add_row("rows read", f"{summary.rows_read:,}")
    table.add_row("rows matching the mapping", f"{summary.rows_matched:,}")
    table.add_row("observations created", f"{summary.created:,}")
    table.add_row("observations revised", f"{summary.revised:,}")
    table.add_row("observations unchanged", f"{summary.unchanged:,}")
    table.add_row("rows skipped", f"{summary.rows_skipped:,}")
    table.add_row("former authorities' figures (kept apart)", f"{summary.former_figures:,}")
    table.add_row("breakdown figures (kept apart)", f"{summary.breakdown_figures:,}")
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


@click.command()
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
            with progress() as bar:
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

    run(go)


async def _after_init(settings: Settings) -> None:
    """Later stages of init (demo data, search index), wired by the composition root."""
    from exchange import composition

    await composition.after_init(settings, console)


@click.group(name="import")
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
            with progress() as bar:
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

    outcome = run(go)
    if isinstance(outcome, ImportRefused):
        # Plain text, one problem a line: no markup read from the file, no wrapping.
        click.echo(f"error: {outcome.message}", err=True)
        sys.exit(2)
    _print_import(outcome)


@click.command(name="metrics")
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

    rows = run(go)
    if not rows:
        err.print("The catalogue is empty: run `exchange init` first.")
        sys.exit(1)
    table = Table(title=f"Metric catalogue ({len(rows)} metrics)")
    for col in ("code", "name", "unit", "polarity", "period", "source"):
        table.add_column(col, overflow="fold")
    for m in rows:
        table.add_row(m.code, m.name, m.unit, m.polarity.replace("_", " "), m.period_kind, m.source)
    console.print(table)


@click.command(name="publish")
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
            with progress() as bar:
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

    result = run(go)
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
