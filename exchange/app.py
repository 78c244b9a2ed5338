"""The composition root: settings, database, schema, search and pages wired into one ASGI app."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from exchange.casestudies.screening import allowed_numbers
from exchange.db import create_engine, session_factory
from exchange.http.admission import HttpContext, once, outcome
from exchange.http.forwarded import ForwardedFor, parse_networks
from exchange.http.graphql_endpoint import GraphQLParams, Outcome, handle
from exchange.http.middleware import RequestLog
from exchange.http.ratelimit import open_limiter
from exchange.logs import configure_logging
from exchange.settings import Settings
from exchange.viewer import Viewer
from schema.build import build_schema
from schema.context import Context, Services
from schema.deadline import execute as execute_with_deadline
from schema.ids import Signer

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
    allowed_numbers()  # a malformed EXCHANGE_ALLOWED_PHONE_NUMBERS stops the start, not a save
    parse_networks(settings.trusted_proxies)  # so does a malformed EXCHANGE_TRUSTED_PROXIES
    engine = create_engine(settings.database_url)
    services = Services(
        settings=settings, sessions=session_factory(engine), signer=Signer(settings.secret_key)
    )
    schema = build_schema(settings)
    from exchange import wiring

    wiring.extend_services(services)
    limiter = open_limiter(
        settings.redis_url,
        settings.cost_budget_per_hour,
        settings.rate_limit_window,
        settings.redis_prefix,
    )
    services.extras["rate_limiter"] = limiter

    async def execute(
        params: GraphQLParams, request: Request, viewer: Viewer
    ) -> tuple[dict[str, Any], bool]:
        ctx = Context(services, viewer, request)
        try:
            result = await execute_with_deadline(
                schema,
                ctx,
                settings.operation_timeout_ms,
                params.query,
                variable_values=params.variables,
                operation_name=params.operation_name,
            )
        finally:
            await ctx.close()
        return _format(result)

    async def graphql(request: Request) -> Response:
        # Authentication waits until a document has passed every size and cost limit.
        authenticate = once(lambda: wiring.authenticate(services, request))

        async def execute_http(params: GraphQLParams, request: Request) -> Outcome:
            ctx = HttpContext(services, request, authenticate, limiter)
            try:
                result = await execute_with_deadline(
                    schema,
                    ctx,
                    settings.operation_timeout_ms,
                    params.query,
                    variable_values=params.variables,
                    operation_name=params.operation_name,
                )
            finally:
                await ctx.close()
            return outcome(ctx, *_format(result))

        return await handle(
            request,
            execute_http,
            max_body=settings.max_body_bytes,
            max_batch=settings.max_batch,
            ide_html=wiring.graphiql_html,
        )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        checks = await wiring.readiness(services)
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
        )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await wiring.startup(services)
        yield
        await wiring.shutdown(services)
        if limiter is not None:
            await limiter.close()
        await engine.dispose()

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *wiring.extra_routes(services),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            # First, so the access log and the budgets see the caller's address.
            Middleware(ForwardedFor, trusted=settings.trusted_proxies),
            Middleware(RequestLog),
            *wiring.middleware(services),
        ],
    )
    app.state.services = services
    app.state.schema = schema
    app.state.execute = execute
    return app
