"""Signing in and out, the publisher's page, and uploading a CSV of figures."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from exchange.web import auth, formatting
from exchange.web.operations import run_operation
from exchange.web.rendering import error_page, render

MAX_UPLOAD_BYTES = 2_000_000  # the API's own limit (schema/publishing.py)
TEMPLATE_HREF = "/publish/template.csv"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target[:300]


async def _csrf_refused(request: Request, submitted: Any) -> Response | None:
    if auth.csrf_ok(request, submitted):
        return None
    return await error_page(
        request,
        403,
        "Your form has expired",
        "For your security the form could not be sent. Go back, reload the page and try again.",
    )


async def sign_in_page(request: Request) -> Response:
    next_url = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return await render(
            request,
            "sign_in.html",
            {"title": "Sign in", "error": None, "next": next_url},
            current="sign-in",
        )
    form = await request.form()
    refused = await _csrf_refused(request, form.get(auth.CSRF_FIELD))
    if refused is not None:
        return refused
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
    request.session["flash"] = "You are signed in."
    default = "/publish" if viewer.role == "publisher" else "/"
    return RedirectResponse(next_url or default, status_code=303)


async def sign_out(request: Request) -> Response:
    form = await request.form()
    refused = await _csrf_refused(request, form.get(auth.CSRF_FIELD))
    if refused is not None:
        return refused
    auth.sign_out(request)
    request.session["flash"] = "You have signed out."
    return RedirectResponse("/", status_code=303)


async def _publisher_or_refusal(request: Request) -> Response | None:
    viewer = await auth.viewer_for(request)
    if not viewer.is_member:
        return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
    if viewer.role != "publisher" or viewer.authority_id is None:
        return await error_page(
            request,
            403,
            "You cannot publish",
            "Only a council's publishing token can publish figures or case studies. Ask your "
            "exchange administrator for one.",
        )
    return None


async def publish_page(request: Request) -> Response:
    refused = await _publisher_or_refusal(request)
    if refused is not None:
        return refused
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


async def upload_page(request: Request) -> Response:
    refused = await _publisher_or_refusal(request)
    if refused is not None:
        return refused
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
        return await render(request, "upload.html", context, current="publish")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_UPLOAD_BYTES + 100_000:
        context["file_error"] = f"The file must be smaller than {MAX_UPLOAD_BYTES // 1_000_000} MB"
        context["title"] = "Error: Upload figures"
        return await render(request, "upload.html", context, current="publish", status_code=413)
    form = await request.form(max_files=1, max_fields=10)
    refused = await _csrf_refused(request, form.get(auth.CSRF_FIELD))
    if refused is not None:
        return refused
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
        context["file_error"] = f"The file must be smaller than {MAX_UPLOAD_BYTES // 1_000_000} MB"
    if context["file_error"]:
        context["title"] = "Error: Upload figures"
        return await render(request, "upload.html", context, current="publish")
    result = await run_operation(
        request,
        "PublishObservationsCsv",
        {"input": {"file": data, "visibility": visibility, "pseudonymous": pseudonymous}},
    )
    if result.errors:
        first = result.first_error() or {}
        context["file_error"] = str(first.get("message") or "The file could not be read")
        context["title"] = "Error: Upload figures"
        return await render(request, "upload.html", context, current="publish")
    payload = result.ok()["publishObservationsCsv"]
    if payload["userErrors"]:
        context["errors"] = sorted(
            payload["userErrors"], key=lambda e: (e.get("line") or 0, e.get("field") or "")
        )
        context["title"] = "Error: Upload figures"
        return await render(request, "upload.html", context, current="publish")
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
    return await render(request, "upload.html", context, current="publish")


async def csv_template(request: Request) -> Response:
    from starlette.responses import FileResponse

    from exchange.settings import PROJECT_ROOT

    path = PROJECT_ROOT / "seed" / "templates" / "observations-template.csv"
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename="observations-template.csv",
    )
