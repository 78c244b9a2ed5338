"""The composition root: settings, database, schema, search and pages wired into one ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.types.execution import ExecutionResult

from exchange import composition
from exchange.casestudies import indexing
from exchange.casestudies.screening import allowed_numbers
from exchange.db import create_engine, session_factory
from exchange.http.admission import HttpContext, once, outcome
from exchange.http.forwarded import ForwardedFor, parse_networks
from exchange.http.graphql_endpoint import (
    JSON,
    GraphQLParams,
    HTTPProblem,
    Outcome,
    handle,
    negotiate,
)
from exchange.http.middleware import RequestLog
from exchange.http.ratelimit import open_limiter
from exchange.logs import configure_logging
from exchange.settings import Settings
from exchange.tokens.service import UNAUTHENTICATED_MESSAGE, authenticate_token, bearer_secret
from exchange.viewer import ANONYMOUS, Viewer
from exchange.web import graphiql_html
from exchange.web import middleware as web_middleware
from exchange.web import routes as web_routes
from schema.build import build_schema
from schema.context import Context, Services
from schema.deadline import execute as execute_with_deadline

log = logging.getLogger("exchange.app")


def _format(result: Any) -> tuple[dict[str, Any], bool]:
    errors = [e.formatted for e in result.errors] if result.errors else None
    # A request error (parse, validation, variables) happens before execution: no path, no data.
    request_error = (
        result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
    )
    body: dict[str, Any] = {}
    if errors:
        body["errors"] = errors
    if not request_error:
        body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    return body, request_error


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    configure_logging(settings)
    # A malformed EXCHANGE_ALLOWED_PHONE_NUMBERS stops the start, not a save.
    allowed_numbers(settings.allowed_phone_numbers)
    parse_networks(settings.trusted_proxies)  # so does a malformed EXCHANGE_TRUSTED_PROXIES
    engine = create_engine(settings.database_url)
    services = composition.build_services(settings, session_factory(engine))
    schema = build_schema(settings)
    limiter = services.rate_limiter = open_limiter(
        settings.redis_url,
        settings.cost_budget_per_hour,
        settings.rate_limit_window,
        settings.redis_prefix,
    )

    async def run(ctx: Context, params: GraphQLParams) -> ExecutionResult:
        """One operation under the deadline; the context's session is closed whatever happens."""
        try:
            return await execute_with_deadline(
                schema,
                ctx,
                settings.operation_timeout_ms,
                params.query,
                variable_values=params.variables,
                operation_name=params.operation_name,
            )
        finally:
            await ctx.close()

    async def execute(
        params: GraphQLParams, request: Request, viewer: Viewer
    ) -> tuple[dict[str, Any], bool]:
        return _format(await run(Context(services, viewer, request), params))

    async def graphql(request: Request) -> Response:
        # Authentication waits until a document has passed every size and cost limit.
        authenticate = once(lambda: _authenticate(services, request))

        async def execute_http(params: GraphQLParams, request: Request) -> Outcome:
            ctx = HttpContext(services, request, authenticate, limiter)
            return outcome(ctx, *_format(await run(ctx, params)))

        return await handle(
            request,
            execute_http,
            max_body=settings.max_body_bytes,
            max_batch=settings.max_batch,
            ide_html=graphiql_html,
        )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        checks = await _readiness(services)
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
        )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Rows left by a process that stopped between commit and index, before the first request.
        await indexing.drain_quietly(services.sessions, services.search, settings.secret_key)
        drainer = None
        if settings.outbox_drain_seconds > 0:  # then on its own, so a failed index write converges
            drainer = asyncio.create_task(
                indexing.drain_every(
                    services.sessions,
                    services.search,
                    settings.secret_key,
                    settings.outbox_drain_seconds,
                ),
                name="search-outbox-drainer",
            )
        try:
            yield
        finally:
            if drainer is not None:
                drainer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await drainer
        composition.close_search_backends()
        if limiter is not None:
            await limiter.close()
        await engine.dispose()

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *web_routes(),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            # First, so the access log and the budgets see the caller's address.
            Middleware(ForwardedFor, trusted=settings.trusted_proxies),
            Middleware(RequestLog),
            *web_middleware(settings),  # officer sessions and the state cookie
        ],
    )
    app.state.services = services
    app.state.schema = schema
    app.state.execute = execute
    return app


async def _authenticate(services: Services, request: Request) -> Viewer | Response:
    """No Authorization header: anonymous. Any bad token (malformed, unknown, expired, revoked):
    the same 401, after the same work, so the response never says which case applied."""
    secret = bearer_secret(request.headers.get("authorization"))
    if secret is None:
        return ANONYMOUS
    async with services.sessions() as session:
        viewer = await authenticate_token(session, secret)
        await session.commit()  # last_used_at, refreshed at most every few minutes
    if viewer is not None:
        return viewer
    try:  # the 401 in the media type the client negotiated (graphql-response+json or JSON)
        media = negotiate(request.headers.get("accept"))
    except HTTPProblem:
        media = JSON
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


async def _readiness(services: Services) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        async with services.sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
    if services.search is not None:
        try:  # the port is synchronous (Meilisearch over HTTP): off the event loop, bounded
            ok = await asyncio.wait_for(asyncio.to_thread(services.search.ping), timeout=2.0)
            checks["search"] = "ok" if ok else "unreachable"
        except Exception:
            checks["search"] = "unreachable"
    limiter = services.rate_limiter
    if limiter is not None and limiter.name == "redis":
        checks["rate_limits"] = "ok" if await limiter.ping() else "unreachable"
    return checks
