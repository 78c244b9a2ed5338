"""Officer web pages (Starlette + Jinja2, GOV.UK Frontend). Wired by exchange.app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from exchange.settings import Settings

if TYPE_CHECKING:
    from exchange.web.guards import Endpoint


def routes() -> list[BaseRoute]:
    from exchange.web import (
        account_pages,
        case_study_pages,
        comparison_pages,
        csv_export,
        dashboard_pages,
        search_pages,
        writing_pages,
    )
    from exchange.web.guards import guarded
    from exchange.web.rendering import STATIC_DIR, render

    async def about_figures(request: Request) -> Response:
        return await render(
            request, "about_figures.html", {"title": "About the figures"}, current="figures"
        )

    def page(path: str, endpoint: Endpoint, name: str, *methods: str) -> Route:
        """A page (GET unless ``methods`` say otherwise) behind the service's error pages."""
        return Route(path, guarded(endpoint), methods=list(methods) or None, name=name)

    get_post = ("GET", "POST")
    return [
        page("/", search_pages.home_page, "home"),
        page("/search", search_pages.search_page, "search"),
        page("/case-studies/new", writing_pages.new_case_study, "new_case_study", *get_post),
        page("/case-studies/{id}", case_study_pages.case_study_page, "case_study"),
        page(
            "/case-studies/{id}/edit", writing_pages.edit_case_study, "edit_case_study", *get_post
        ),
        page(
            "/case-studies/{id}/publish",
            writing_pages.publish_existing,
            "publish_case_study",
            "POST",
        ),
        page("/authorities", dashboard_pages.authorities_page, "authorities"),
        page("/authorities/{code}", dashboard_pages.dashboard_page, "dashboard"),
        page(
            "/authorities/{code}/metrics/{metric}.csv",
            csv_export.comparison_csv,
            "comparison_csv",
        ),
        page(
            "/authorities/{code}/metrics/{metric}/trend.csv",
            csv_export.trend_csv,
            "trend_csv",
        ),
        page("/metrics/{metric}.csv", csv_export.metric_series_csv, "metric_series_csv"),
        page(
            "/authorities/{code}/metrics/{metric}",
            comparison_pages.comparison_page,
            "comparison",
        ),
        page("/about/figures", about_figures, "about_figures"),
        page("/sign-in", account_pages.sign_in_page, "sign_in", *get_post),
        page("/sign-out", account_pages.sign_out, "sign_out", "POST"),
        page("/account", account_pages.account_page, "account"),
        page("/account/sessions/end", account_pages.end_session, "end_session", "POST"),
        page(
            "/account/sign-out-everywhere",
            account_pages.sign_out_everywhere,
            "sign_out_everywhere",
            "POST",
        ),
        page("/publish", account_pages.publish_page, "publish"),
        page("/publish/upload", account_pages.upload_page, "upload", *get_post),
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
