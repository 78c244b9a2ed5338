"""Templates, the context every page shares (viewer, CSRF token, navigation) and safe headers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.web import formatting
from exchange.web.auth import CSRF_FIELD, csrf_token, viewer_for

log = logging.getLogger("exchange.web")

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

# Pages load only their own scripts, styles and images (charts are inline SVG).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

NAVIGATION = (
    ("home", "/", "Home"),
    ("search", "/search", "Search case studies"),
    ("authorities", "/authorities", "Authorities"),
    ("figures", "/about/figures", "About the figures"),
)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = formatting.number
    env.globals["SYMBOLS"] = formatting.SYMBOLS
    env.globals["PSEUDONYMOUS_EXPLANATION"] = formatting.PSEUDONYMOUS_EXPLANATION
    env.globals["DEMO_EXPLANATION"] = formatting.DEMO_EXPLANATION
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    return env


ENV = _environment()


async def page_context(request: Request, current: str) -> dict[str, Any]:
    from exchange.web.operations import run_operation

    viewer = await viewer_for(request)
    signed_in: dict[str, Any] | None = None
    if viewer.is_member:
        result = await run_operation(request, "CurrentViewer")
        if result.data:
            signed_in = result.data["viewer"]
    session = request.session if "session" in request.scope else {}
    flash = session.pop("flash", None)  # a one-off message after a redirect
    return {
        "request": request,
        "flash": flash if isinstance(flash, str) else None,
        "current": current,
        "navigation": NAVIGATION,
        "signed_in": signed_in,
        "can_publish": viewer.authority_id is not None
        and scopes.has(viewer, Scope.OBSERVATIONS_PUBLISH, Scope.CASE_STUDIES_WRITE),
        "csrf_token": csrf_token(request),
    }


async def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    current: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    full = await page_context(request, current)
    full.update(context)
    html = ENV.get_template(template).render(full)
    return HTMLResponse(
        html, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
    )


async def error_page(
    request: Request, status_code: int, title: str, message: str, *, current: str = ""
) -> HTMLResponse:
    return await render(
        request,
        "error.html",
        {"title": title, "message": message},
        current=current,
        status_code=status_code,
    )


def redirect_with(request: Request, url: str, flash: str) -> RedirectResponse:
    """To ``url`` (303 See Other), where ``flash`` is shown once (``page_context`` takes it)."""
    request.session["flash"] = flash
    return RedirectResponse(url, status_code=303)
