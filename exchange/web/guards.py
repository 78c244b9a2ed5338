"""What stands between a request and a page: the service's error pages for an operation that
fails, the way to sign-in, the publisher check, and the CSRF check of a form sent."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.web.auth import CSRF_FIELD, csrf_ok, viewer_for
from exchange.web.operations import OperationFailed, PageRateLimited
from exchange.web.rendering import error_page

log = logging.getLogger("exchange.web")

Endpoint = Callable[[Request], Awaitable[Response]]


def sign_in_redirect(next_path: str) -> Response:
    """To the sign-in page, and back to ``next_path`` once signed in."""
    return RedirectResponse(f"/sign-in?next={next_path}", status_code=303)


def guarded(endpoint: Endpoint) -> Endpoint:
    """A page whose operation fails unexpectedly shows the service's error page, not a trace."""

    async def page(request: Request) -> Response:
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
            return await _failed(request, exc)

    page.__name__ = endpoint.__name__
    return page


async def _failed(request: Request, exc: OperationFailed) -> Response:
    codes = {str((e.get("extensions") or {}).get("code")) for e in exc.errors}
    if "UNAUTHENTICATED" in codes:
        return sign_in_redirect(request.url.path)
    if "TIMEOUT" in codes:
        return await error_page(
            request,
            504,
            "This page took too long",
            "The page was stopped because it took too long to prepare. Try again in a few minutes.",
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
        "Try again later." + (f" If you report this, quote error id {ids[0]}." if ids else ""),
    )


async def publisher_refusal(
    request: Request, needed: tuple[Scope, ...], title: str, message: str
) -> Response | None:
    """None when the viewer is a council's token with one of ``needed``; otherwise the way to
    sign in (not signed in) or a 403 page saying ``title`` and ``message``."""
    viewer = await viewer_for(request)
    if not viewer.is_member:
        return sign_in_redirect(request.url.path)
    if viewer.authority_id is None or not scopes.has(viewer, *needed):
        return await error_page(request, 403, title, message)
    return None


Handler = Callable[[Request], Awaitable[Response]]


def publishers_only(
    needed: tuple[Scope, ...], title: str, message: str
) -> Callable[[Handler], Handler]:
    """A page handler run only for a council's token with one of ``needed``; anyone else gets
    what ``publisher_refusal`` answers (the way to sign in, or a 403 page)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            refused = await publisher_refusal(request, needed, title, message)
            return refused if refused is not None else await handler(request)

        return guarded

    return decorate


async def posted_form(
    request: Request, *, max_files: int = 1000, max_fields: int = 1000
) -> FormData | Response:
    """The form sent, or the "form has expired" page when it lacks this browser's CSRF token."""
    form = await request.form(max_files=max_files, max_fields=max_fields)
    if csrf_ok(request, form.get(CSRF_FIELD)):
        return form
    return await error_page(
        request,
        403,
        "Your form has expired",
        "For your security the form could not be sent. Go back, reload the page and try again.",
    )
