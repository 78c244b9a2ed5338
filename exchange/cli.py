"""The ``exchange`` command. Part of the composition root: it may wire seed data and adapters.

The commands live by concern: exchange/cli_data.py (init, import, metrics, publish),
exchange/cli_tokens.py (token) and this module (serve, search); exchange/cli_common.py holds what
they share."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import click

from exchange.cli_common import T, console, run
from exchange.cli_data import import_group, init, metrics_command, publish_command
from exchange.cli_tokens import token_group
from exchange.db import create_engine, session_factory
from exchange.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """DBV Exchange: share SEND metrics, comparisons and case studies between English councils.

    Settings come from EXCHANGE_* environment variables (see docs/configuration.md).
    """


main.add_command(init)
main.add_command(import_group)
main.add_command(metrics_command)
main.add_command(token_group)
main.add_command(publish_command)


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

    return run(go)


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
