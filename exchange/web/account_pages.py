"""Signing in and out, the account page (where you are signed in), the publisher's page, and
uploading a CSV of figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.web import auth, formatting
from exchange.web.guards import Handler, posted_form, publishers_only, sign_in_redirect
from exchange.web.operations import run_operation
from exchange.web.rendering import redirect_with, render
from exchange.websessions import service as websessions

MAX_UPLOAD_BYTES = 2_000_000  # the API's own limit (schema/publishing.py)
TEMPLATE_HREF = "/publish/template.csv"
WRITES = (Scope.OBSERVATIONS_PUBLISH, Scope.CASE_STUDIES_WRITE)  # what the publish pages offer


def _uk_time() -> tzinfo:
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:  # no tz database on the machine: UTC is close enough
        return UTC


_UK = _uk_time()


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target[:300]


async def sign_in_page(request: Request) -> Response:
    next_url = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return await render(
            request,
            "sign_in.html",
            {"title": "Sign in", "error": None, "next": next_url},
            current="sign-in",
        )
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    next_url = _safe_next(str(form.get("next") or "")) or next_url
    secret = str(form.get("token") or "").strip()
    viewer = await auth.sign_in(request, secret) if secret else None
    if viewer is None:
        message = (
            "Enter your token"
            if not secret
            else "The token was not recognised, or has expired or been revoked. Check you "
            "copied all of it (it starts dbvx_), or ask your exchange administrator for a new one"
        )
        return await render(
            request,
            "sign_in.html",
            {"title": "Error: Sign in", "error": message, "next": next_url},
            current="sign-in",
            status_code=200,
        )
    default = "/publish" if scopes.has(viewer, *WRITES) else "/"
    return redirect_with(request, next_url or default, "You are signed in.")


async def sign_out(request: Request) -> Response:
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    await auth.sign_out(request)
    return redirect_with(request, "/", "You have signed out.")


def _when(moment: datetime) -> str:
    """``14 March 2025 at 2:05pm``, UK time (GOV.UK style)."""
    local = moment.astimezone(_UK)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def _hours(span: timedelta) -> int:
    return int(span.total_seconds() // 3600)


async def account_page(request: Request) -> Response:
    """Where this token is signed in: each session can be ended, or all of them at once."""
    viewer = await auth.viewer_for(request)
    if not viewer.is_member:
        return sign_in_redirect("/account")
    sessions = [
        {
            "id": s.public_id,
            "user_agent": s.user_agent,
            "client_address": s.client_address,
            "created": _when(s.created_at),
            "last_seen": _when(s.last_seen_at),
            "current": s.current,
        }
        for s in await auth.open_sessions(request)
    ]
    return await render(
        request,
        "account.html",
        {
            "title": "Your account",
            "sessions": sessions,
            "idle_hours": _hours(websessions.IDLE_TIMEOUT),
            "absolute_hours": _hours(websessions.ABSOLUTE_LIFETIME),
        },
        current="account",
    )


async def _account_form(request: Request) -> FormData | Response:
    """The form sent from the account page, by a browser that is still signed in."""
    form = await posted_form(request)
    if not isinstance(form, Response) and not (await auth.viewer_for(request)).is_member:
        return sign_in_redirect("/account")
    return form


async def end_session(request: Request) -> Response:
    form = await _account_form(request)
    if isinstance(form, Response):
        return form
    ended = await auth.end_session(request, str(form.get("session") or "")[:40])
    if not (await auth.viewer_for(request)).is_member:  # it was this browser's session
        return redirect_with(request, "/", "You have signed out.")
    return redirect_with(
        request,
        "/account",
        "That session has been signed out." if ended else "That session had already ended.",
    )


async def sign_out_everywhere(request: Request) -> Response:
    form = await _account_form(request)
    if isinstance(form, Response):
        return form
    ended = await auth.sign_out_everywhere(request)
    return redirect_with(
        request,
        "/",
        "You have signed out everywhere: "
        f"{ended} session{'s' if ended != 1 else ''} ended, this one included.",
    )


def _publishers_only(needed: tuple[Scope, ...] = WRITES) -> Callable[[Handler], Handler]:
    return publishers_only(
        needed,
        "You cannot publish",
        "Only a council's publishing token, with the scope to publish, can publish figures "
        "or case studies. Ask your exchange administrator for one.",
    )


@_publishers_only()
async def publish_page(request: Request) -> Response:
    mine = (await run_operation(request, "MyCaseStudies")).ok()["myCaseStudies"]
    return await render(
        request,
        "publish.html",
        {
            "title": "Publish",
            "case_studies": [e["node"] for e in mine["edges"]],
            "template_href": TEMPLATE_HREF,
        },
        current="publish",
    )


async def _upload_form(
    request: Request, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    """The upload page, with what went wrong (if anything) summarised above its heading."""
    problems = []
    if context["file_error"]:
        problems.append({"anchor": "file", "message": context["file_error"]})
    if context["errors"]:
        n = len(context["errors"])
        problems.append(
            {
                "anchor": "line-errors",
                "message": f"{n} {'problem' if n == 1 else 'problems'} in the file: "
                "nothing was published",
            }
        )
    if problems:
        context["title"] = "Error: Upload figures"
    return await render(
        request,
        "upload.html",
        {**context, "problems": problems},
        current="publish",
        status_code=status_code,
    )


@_publishers_only((Scope.OBSERVATIONS_PUBLISH,))
async def upload_page(request: Request) -> Response:
    context: dict[str, Any] = {
        "title": "Upload figures",
        "errors": [],
        "file_error": None,
        "result": None,
        "visibility": "MEMBERS",
        "pseudonymous": False,
        "template_href": TEMPLATE_HREF,
    }
    if request.method == "GET":
        return await _upload_form(request, context)
    too_large = f"The file must be smaller than {MAX_UPLOAD_BYTES // 1_000_000} MB"
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_UPLOAD_BYTES + 100_000:
        context["file_error"] = too_large
        return await _upload_form(request, context, status_code=413)
    form = await posted_form(request, max_files=1, max_fields=10)
    if isinstance(form, Response):
        return form
    visibility = "PUBLIC" if form.get("visibility") == "PUBLIC" else "MEMBERS"
    pseudonymous = form.get("pseudonymous") == "yes"
    context.update(visibility=visibility, pseudonymous=pseudonymous)
    upload = form.get("file")
    data = b""
    if isinstance(upload, UploadFile):
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        context["file_error"] = "Select a CSV file of figures"
    elif len(data) > MAX_UPLOAD_BYTES:
        context["file_error"] = too_large
    if context["file_error"]:
        return await _upload_form(request, context)
    result = await run_operation(
        request,
        "PublishObservationsCsv",
        {"input": {"file": data, "visibility": visibility, "pseudonymous": pseudonymous}},
    )
    if result.errors:
        first = result.first_error() or {}
        context["file_error"] = str(first.get("message") or "The file could not be read")
        return await _upload_form(request, context)
    payload = result.ok()["publishObservationsCsv"]
    if payload["userErrors"]:
        context["errors"] = sorted(
            payload["userErrors"], key=lambda e: (e.get("line") or 0, e.get("field") or "")
        )
        return await _upload_form(request, context)
    context["result"] = {
        "created": payload["created"],
        "revised": payload["revised"],
        "unchanged": payload["unchanged"],
        "rows": [
            {
                "metric": o["metric"]["name"],
                "period": o["period"]["label"],
                "value": formatting.shown(o["value"], o["symbol"], o["metric"]["unit"]),
                "flags": o["flags"],
            }
            for o in payload["observations"]
        ],
    }
    context["title"] = "Figures published"
    return await _upload_form(request, context)


async def csv_template(request: Request) -> Response:
    from starlette.responses import FileResponse

    from exchange.settings import PROJECT_ROOT

    path = PROJECT_ROOT / "seed" / "templates" / "observations-template.csv"
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename="observations-template.csv",
    )
