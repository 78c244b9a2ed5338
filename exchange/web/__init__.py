"""Officer web pages (Starlette + Jinja2, GOV.UK Frontend). Wired by exchange.wiring."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from exchange.settings import Settings

log = logging.getLogger("exchange.web")

Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(endpoint: Endpoint) -> Endpoint:
    """A page whose operation fails unexpectedly shows the service's error page, not a trace."""

    async def page(request: Request) -> Response:
        from exchange.web.operations import OperationFailed, PageRateLimited
        from exchange.web.rendering import error_page

        try:
            return await endpoint(request)
        except PageRateLimited as exc:
            minutes = max(1, (exc.retry_after + 59) // 60)
            response = await error_page(
                request,
                429,
                "Too many requests",
                "You have used this hour's share of the service. Try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}.",
            )
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except OperationFailed as exc:
            codes = {str((e.get("extensions") or {}).get("code")) for e in exc.errors}
            if "UNAUTHENTICATED" in codes:
                from starlette.responses import RedirectResponse

                return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
            if "TIMEOUT" in codes:
                return await error_page(
                    request,
                    504,
                    "This page took too long",
                    "The page was stopped because it took too long to prepare. Try again in a "
                    "few minutes.",
                )
            if "SEARCH_UNAVAILABLE" in codes:
                return await error_page(
                    request,
                    503,
                    "Search is unavailable",
                    "Search is unavailable at the moment. Try again in a few minutes.",
                )
            log.error("page %s: operation %s failed: %s", request.url.path, exc.name, exc.errors)
            ids = [
                str((e.get("extensions") or {}).get("errorId"))
                for e in exc.errors
                if (e.get("extensions") or {}).get("errorId")
            ]
            return await error_page(
                request,
                500,
                "Sorry, there is a problem with the service",
                "Try again later."
                + (f" If you report this, quote error id {ids[0]}." if ids else ""),
            )

    page.__name__ = endpoint.__name__
    return page


def routes() -> list[BaseRoute]:
    from exchange.web import account_pages, case_study_pages, figures
    from exchange.web.rendering import STATIC_DIR, render

    async def about_figures(request: Request) -> Response:
        return await render(
            request, "about_figures.html", {"title": "About the figures"}, current="figures"
        )

    g = _guarded
    return [
        Route("/", g(case_study_pages.home_page), name="home"),
        Route("/search", g(case_study_pages.search_page), name="search"),
        Route(
            "/case-studies/new",
            g(case_study_pages.new_case_study),
            methods=["GET", "POST"],
            name="new_case_study",
        ),
        Route("/case-studies/{id}", g(case_study_pages.case_study_page), name="case_study"),
        Route(
            "/case-studies/{id}/edit",
            g(case_study_pages.edit_case_study),
            methods=["GET", "POST"],
            name="edit_case_study",
        ),
        Route(
            "/case-studies/{id}/publish",
            g(case_study_pages.publish_existing),
            methods=["POST"],
            name="publish_case_study",
        ),
        Route("/authorities", g(figures.authorities_page), name="authorities"),
        Route("/authorities/{code}", g(figures.dashboard_page), name="dashboard"),
        Route(
            "/authorities/{code}/metrics/{metric}.csv",
            g(figures.comparison_csv),
            name="comparison_csv",
        ),
        Route(
            "/authorities/{code}/metrics/{metric}",
            g(figures.comparison_page),
            name="comparison",
        ),
        Route("/about/figures", g(about_figures), name="about_figures"),
        Route("/sign-in", g(account_pages.sign_in_page), methods=["GET", "POST"], name="sign_in"),
        Route("/sign-out", g(account_pages.sign_out), methods=["POST"], name="sign_out"),
        Route("/account", g(account_pages.account_page), name="account"),
        Route(
            "/account/sessions/end",
            g(account_pages.end_session),
            methods=["POST"],
            name="end_session",
        ),
        Route(
            "/account/sign-out-everywhere",
            g(account_pages.sign_out_everywhere),
            methods=["POST"],
            name="sign_out_everywhere",
        ),
        Route("/publish", g(account_pages.publish_page), name="publish"),
        Route(
            "/publish/upload",
            g(account_pages.upload_page),
            methods=["GET", "POST"],
            name="upload",
        ),
        Route("/publish/template.csv", account_pages.csv_template, name="csv_template"),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def middleware(settings: Settings) -> list[Middleware]:
    from exchange.web.auth import middleware as session_middleware

    return session_middleware(settings)


def graphiql_html() -> str:
    """GraphiQL from the vendored copy under /static/graphiql (no CDN)."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>GraphiQL – DBV Exchange</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/static/graphiql/graphiql.min.css">'
        '<link rel="stylesheet" href="/static/app.css"></head>'
        '<body><div id="graphiql">Loading GraphiQL…</div>'
        '<script src="/static/graphiql/react.production.min.js"></script>'
        '<script src="/static/graphiql/react-dom.production.min.js"></script>'
        '<script src="/static/graphiql/graphiql.min.js"></script>'
        '<script src="/static/graphiql-init.js"></script>'
        "</body></html>"
    )
