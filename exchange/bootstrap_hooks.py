"""Extra first-run steps (demo data, search index) wired by the composition root."""

from __future__ import annotations

from rich.console import Console

from exchange.settings import Settings


async def after_init(settings: Settings, console: Console) -> None:
    await _demo_metrics(settings, console)
    await _demo_case_studies(settings, console)
    await _search_index(settings, console)


async def _demo_metrics(settings: Settings, console: Console) -> None:
    """Synthetic values for the self-reported DBV metrics (idempotent; marked as demo data)."""
    from exchange.db import create_engine, session_factory, transaction
    from seed.demo_metrics import seed_demo_metrics

    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            summary = await seed_demo_metrics(session)
    finally:
        await engine.dispose()
    console.print(
        f"Demo self-reported figures (synthetic, marked as demo): {summary.created:,} created"
    )


async def _demo_case_studies(settings: Settings, console: Console) -> None:
    """Synthetic demo case studies (idempotent: none are added once any demo one exists)."""
    from exchange.db import create_engine, session_factory, transaction
    from seed.demo_case_studies import seed_demo_case_studies

    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            summary = await seed_demo_case_studies(session)
    finally:
        await engine.dispose()
    if summary.skipped:
        console.print("Demo case studies: already present, none added")
    else:
        console.print(
            f"Demo case studies (synthetic, titles start with DEMO): {summary.created} "
            f"published, {summary.pseudonymous} of them pseudonymous"
        )


async def _search_index(settings: Settings, console: Console) -> None:
    """Apply the search outbox; rebuild the index when it does not match the database."""
    from exchange.casestudies import indexing
    from exchange.db import create_engine, session_factory
    from search.factory import open_backend
    from search.port import SearchError

    try:
        backend = open_backend(settings.meili_url, settings.meili_key, settings.search_index_dir)
    except SearchError as exc:
        console.print(
            f"[yellow]Search index not updated ({exc}). The database is complete; run "
            "`exchange search reindex` once the search engine is reachable.[/yellow]"
        )
        return
    engine = create_engine(settings.database_url)
    try:
        factory = session_factory(engine)
        await indexing.drain(factory, backend, settings.secret_key)
        state = await indexing.status(factory, backend)
        if state.indexed != state.published:
            total = await indexing.reindex(factory, backend, settings.secret_key)
            console.print(f"Search index ({backend.name}) rebuilt: {total} case studies")
        else:
            console.print(f"Search index ({backend.name}): {state.indexed} case studies, in step")
    finally:
        backend.close()
        await engine.dispose()
