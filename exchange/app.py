"""The composition root: settings, database, schema, search and pages wired into one ASGI app."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from exchange.db import create_engine, session_factory
from exchange.http.graphql_endpoint import GraphQLParams, handle
from exchange.logs import configure_logging
from exchange.settings import Settings
from exchange.viewer import Viewer
from schema.build import build_schema
from schema.context import Context, Services
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
    engine = create_engine(settings.database_url)
    services = Services(
        settings=settings, sessions=session_factory(engine), signer=Signer(settings.secret_key)
    )
    schema = build_schema(settings)
    from exchange import wiring

    wiring.extend_services(services)

    async def execute(
        params: GraphQLParams, request: Request, viewer: Viewer
    ) -> tuple[dict[str, Any], bool]:
        ctx = Context(services, viewer, request)
        try:
            result = await schema.execute(
                params.query,
                variable_values=params.variables,
                context_value=ctx,
                operation_name=params.operation_name,
            )
        finally:
            await ctx.close()
        return _format(result)

    async def graphql(request: Request) -> Response:
        viewer = await wiring.authenticate(services, request)
        if isinstance(viewer, Response):
            return viewer
        return await handle(
            request,
            execute,
            viewer,
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
        yield
        await wiring.shutdown(services)
        await engine.dispose()

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *wiring.extra_routes(services),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.services = services
    app.state.schema = schema
    app.state.execute = execute
    return app
