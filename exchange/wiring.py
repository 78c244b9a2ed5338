"""Composition-root wiring that grows with each capability: authentication, search, pages."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from exchange.viewer import ANONYMOUS, Viewer
from schema.context import Services


def extend_services(services: Services) -> None:
    return None


async def authenticate(services: Services, request: Request) -> Viewer | Response:
    return ANONYMOUS


def graphiql_html() -> str:
    from strawberry.http.ides import get_graphql_ide_html

    return get_graphql_ide_html(graphql_ide="graphiql")


async def readiness(services: Services) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        async with services.sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
    return checks


async def shutdown(services: Services) -> None:
    return None


def extra_routes(services: Services) -> list[BaseRoute]:
    return []
