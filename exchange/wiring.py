"""Composition-root wiring that grows with each capability: authentication, search, pages."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import text
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from exchange.settings import Settings
from exchange.viewer import ANONYMOUS, Viewer
from schema.context import Services
from search.port import CaseStudyDocument, SearchBackend, SearchError, SearchQuery, SearchResult


def extend_services(services: Services) -> None:
    from schema.peer_groups import resolve_peer_group_node

    resolvers = services.extras.setdefault("node_resolvers", {})
    resolvers["PeerGroup"] = resolve_peer_group_node
    _extend_case_studies(services)


# -- case studies and search -------------------------------------------------------------------

_SEARCH_BACKENDS: dict[tuple[str | None, str | None, str], Any] = {}
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
            return found  # type: ignore[no-any-return]

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
    with _SEARCH_LOCK:
        for backend in _SEARCH_BACKENDS.values():
            backend.close()
        _SEARCH_BACKENDS.clear()


def _extend_case_studies(services: Services) -> None:
    from schema.case_studies import resolve_case_study_node

    services.extras["search"] = LazySearchBackend(services.settings)
    services.extras.setdefault("node_resolvers", {})["CaseStudy"] = resolve_case_study_node


async def startup(services: Services) -> None:
    """Apply any search-outbox rows left by a process that stopped between commit and index."""
    from exchange.casestudies import indexing

    await indexing.drain_quietly(
        services.sessions, services.extras.get("search"), services.settings.secret_key
    )


async def authenticate(services: Services, request: Request) -> Viewer | Response:
    """No Authorization header: anonymous. Any bad token (malformed, unknown, expired, revoked):
    the same 401, after the same work, so the response never says which case applied."""
    from exchange.tokens.service import authenticate_token, bearer_secret

    secret = bearer_secret(request.headers.get("authorization"))
    if secret is None:
        return ANONYMOUS
    async with services.sessions() as session:
        viewer = await authenticate_token(session, secret)
        await session.commit()  # last_used_at, refreshed at most every few minutes
    if viewer is not None:
        return viewer
    from exchange.http.graphql_endpoint import JSON, HTTPProblem, negotiate

    try:
        media = negotiate(request.headers.get("accept"))
    except HTTPProblem:
        media = JSON
    return unauthorized_response(media)


def unauthorized_response(media: str = "application/json") -> Response:
    """In the media type the client negotiated (graphql-response+json or legacy JSON)."""
    from starlette.responses import JSONResponse

    from exchange.tokens.service import UNAUTHENTICATED_MESSAGE

    return JSONResponse(
        {
            "errors": [
                {"message": UNAUTHENTICATED_MESSAGE, "extensions": {"code": "UNAUTHENTICATED"}}
            ]
        },
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="dbv-exchange", error="invalid_token"'},
        media_type=media,
    )


def graphiql_html() -> str:
    """GraphiQL served from the vendored copy in exchange/web/static/graphiql (no CDN)."""
    from exchange.web import graphiql_html as vendored

    return vendored()


async def readiness(services: Services) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        async with services.sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
    search = services.extras.get("search")
    if search is not None:
        import asyncio

        try:  # the port is synchronous (Meilisearch over HTTP): off the event loop, bounded
            ok = await asyncio.wait_for(asyncio.to_thread(search.ping), timeout=2.0)
            checks["search"] = "ok" if ok else "unreachable"
        except Exception:
            checks["search"] = "unreachable"
    limiter = services.extras.get("rate_limiter")
    if limiter is not None and getattr(limiter, "name", "") == "redis":
        checks["rate_limits"] = "ok" if await limiter.ping() else "unreachable"
    return checks


async def shutdown(services: Services) -> None:
    close_search_backends()  # reopened lazily if another app in this process searches again


def extra_routes(services: Services) -> list[BaseRoute]:
    from exchange.web import routes as web_routes

    return web_routes()


def middleware(services: Services) -> list[Middleware]:
    """Officer pages: server-side sessions and the state cookie (exchange/web/auth.py)."""
    from exchange.web import middleware as web_middleware

    return web_middleware(services.settings)
