"""What the app (exchange/app.py) and the CLI (exchange/cli.py) both wire: the typed services
(database sessions, ID signer, the search backend) and the first-run steps of ``exchange init``."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from exchange.settings import Settings
from schema.context import Services
from schema.ids import Signer
from search.port import CaseStudyDocument, SearchBackend, SearchError, SearchQuery, SearchResult

T = TypeVar("T")


def build_services(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Services:
    """The services of one app (or test, or benchmark); the app adds its rate limiter."""
    return Services(
        settings=settings,
        sessions=sessions,
        signer=Signer(settings.secret_key),
        search=LazySearchBackend(settings),
    )


# -- the search backend ------------------------------------------------------------------------

_SEARCH_BACKENDS: dict[tuple[str | None, str | None, str], SearchBackend] = {}
_SEARCH_LOCK = threading.Lock()


class LazySearchBackend:
    """The configured search backend (search.factory), opened on first use and shared by every
    Services of this process for the same index: a Meilisearch server that is down when the app
    starts does not stop it, and a tantivy index directory is opened once per process."""

    name = "lazy"

    def __init__(self, settings: Settings) -> None:
        self._key = (settings.meili_url, settings.meili_key, str(settings.search_index_dir))

    def backend(self) -> SearchBackend:
        with _SEARCH_LOCK:
            found = _SEARCH_BACKENDS.get(self._key)
            if found is None:
                from search.factory import open_backend

                url, key, index_dir = self._key
                found = _SEARCH_BACKENDS[self._key] = open_backend(url, key, Path(index_dir))
            return found

    def upsert(self, docs: Sequence[CaseStudyDocument]) -> None:
        self.backend().upsert(docs)

    def delete(self, ids: Sequence[str]) -> None:
        self.backend().delete(ids)

    def search(self, query: SearchQuery) -> SearchResult:
        return self.backend().search(query)

    def count(self) -> int:
        return self.backend().count()

    def clear(self) -> None:
        self.backend().clear()

    def ping(self) -> bool:
        try:
            return self.backend().ping()
        except SearchError:
            return False

    def close(self) -> None:
        return None  # shared by the process; see close_search_backends


def close_search_backends() -> None:
    """Reopened lazily if another app in this process searches again."""
    with _SEARCH_LOCK:
        for backend in _SEARCH_BACKENDS.values():
            backend.close()
        _SEARCH_BACKENDS.clear()


# -- exchange init, after the reference and DfE data -------------------------------------------


async def after_init(settings: Settings, console: Console) -> None:
    """Demo data (synthetic, marked as demo; idempotent), then the search index."""
    from seed.demo_case_studies import seed_demo_case_studies
    from seed.demo_metrics import seed_demo_metrics

    metrics = await _in_one_transaction(settings, seed_demo_metrics)
    console.print(
        f"Demo self-reported figures (synthetic, marked as demo): {metrics.created:,} created"
    )
    # None are added once any demo case study exists.
    studies = await _in_one_transaction(settings, seed_demo_case_studies)
    if studies.skipped:
        console.print("Demo case studies: already present, none added")
    else:
        console.print(
            f"Demo case studies (synthetic, titles start with DEMO): {studies.created} "
            f"published, {studies.pseudonymous} of them pseudonymous"
        )
    await _search_index(settings, console)


async def _in_one_transaction(
    settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    from exchange.db import create_engine, session_factory, transaction

    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


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
