"""Writing a case study: the form to write or edit one, its submission (checked for personal
data by the API), and publishing a draft."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from exchange.tokens.scopes import Scope
from exchange.web.case_study_pages import CASE_STUDY_ID, no_case_study
from exchange.web.guards import posted_form, publishers_only
from exchange.web.operations import run_operation
from exchange.web.rendering import redirect_with, render
from schema.document_checks import CONTROL_CHARACTERS

TEXT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("title", "Title", "A short, specific title: what you did, and for whom."),
    ("summary", "Summary", "Two or three sentences: the problem, what you did, what changed."),
    ("context", "Context", "The local situation before you started."),
    ("whatWasDone", "What was done", "The intervention, step by step: who, what, when, cost."),
    ("results", "Results", "What changed, with figures where you have them."),
    ("lessonsLearned", "Lessons learned", "What you would tell another council starting out."),
)
MAX_LINK_ROWS = 3


@dataclass
class FormError:
    field: str | None
    anchor: str | None
    message: str


def _anchor(field: str | None) -> str | None:
    if not field:
        return None
    m = re.fullmatch(r"outcomeLinks\[(\d+)\]\.?(\w+)?", field)
    if m:
        return f"link-{m.group(1)}-{m.group(2) or 'metric'}"
    if field == "outcomeLinks":
        return "link-0-metric"
    base = field.split(".")[0].split("[")[0]
    known = {f for f, _, _ in TEXT_FIELDS} | {"phase", "themes", "costBand", "evidenceStrength"}
    return base if base in known else None


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, _, _ in TEXT_FIELDS:
        raw = form.get(name)
        values[name] = raw if isinstance(raw, str) else ""
    for name in ("phase", "costBand", "evidenceStrength"):
        raw = form.get(name)
        values[name] = raw if isinstance(raw, str) else ""
    values["themes"] = [t for t in form.getlist("themes") if isinstance(t, str)]
    values["pseudonymous"] = form.get("pseudonymous") == "yes"
    links = []
    for i in range(MAX_LINK_ROWS):
        row = {
            key: str(form.get(f"link-{i}-{key}") or "").strip()
            for key in ("metric", "baselinePeriod", "followUpPeriod")
        }
        links.append(row)
    values["links"] = links
    return values


def _mutation_input(values: dict[str, Any]) -> dict[str, Any]:
    def text(name: str) -> str | None:
        v = str(values.get(name) or "").strip()
        return v or None

    evidence = values.get("evidenceStrength")
    return {
        "title": str(values.get("title") or "").strip(),
        "summary": text("summary"),
        "context": text("context"),
        "whatWasDone": text("whatWasDone"),
        "results": text("results"),
        "lessonsLearned": text("lessonsLearned"),
        "phase": values["phase"].upper() if values.get("phase") else None,
        "themes": [t.upper() for t in values.get("themes", [])],
        "costBand": values["costBand"].upper() if values.get("costBand") else None,
        "evidenceStrength": int(evidence)
        if isinstance(evidence, str) and evidence.isdigit()
        else None,
        "outcomeLinks": [
            {
                "metric": link["metric"],
                "baselinePeriod": link["baselinePeriod"],
                "followUpPeriod": link["followUpPeriod"],
            }
            for link in values.get("links", [])
            if link["metric"] or link["baselinePeriod"] or link["followUpPeriod"]
        ],
        "pseudonymous": bool(values.get("pseudonymous")),
    }


def _values_from(cs: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: cs.get(name) or "" for name, _, _ in TEXT_FIELDS}
    values["phase"] = cs.get("phase") or ""
    values["costBand"] = cs.get("costBand") or ""
    strength = cs.get("evidenceStrength")
    values["evidenceStrength"] = "" if strength is None else str(strength)
    values["themes"] = list(cs.get("themes") or [])
    values["pseudonymous"] = bool(cs.get("pseudonymous"))
    links = [
        {
            "metric": link["metric"]["code"],
            "baselinePeriod": link["baselinePeriod"]["label"],
            "followUpPeriod": link["followUpPeriod"]["label"],
        }
        for link in cs.get("outcomeLinks") or []
    ]
    while len(links) < MAX_LINK_ROWS:
        links.append({"metric": "", "baselinePeriod": "", "followUpPeriod": ""})
    values["links"] = links
    return values


def _empty_values() -> dict[str, Any]:
    return _values_from({})


async def _render_form(
    request: Request,
    values: dict[str, Any],
    errors: list[FormError],
    *,
    case_study: dict[str, Any] | None,
) -> Response:
    vocabulary = (await run_operation(request, "CaseStudyVocabulary")).ok()
    by_field: dict[str, list[str]] = {}
    for e in errors:
        if e.anchor:
            by_field.setdefault(e.anchor, []).append(e.message)
    title = "Edit your case study" if case_study else "Write a case study"
    return await render(
        request,
        "case_study_form.html",
        {
            "title": ("Error: " if errors else "") + title,
            "heading": title,
            "values": values,
            "errors": [{"anchor": e.anchor, "message": e.message} for e in errors],
            "field_errors": by_field,
            "text_fields": TEXT_FIELDS,
            "vocabulary": vocabulary["caseStudyVocabulary"],
            "metrics": vocabulary["metrics"],
            "case_study": case_study,
            "action": f"/case-studies/{case_study['id']}/edit"
            if case_study
            else "/case-studies/new",
        },
        current="publish",
        status_code=200,
    )


def _control_character_errors(values: dict[str, Any]) -> list[FormError]:
    """A stray control character (a vertical tab pasted from a word processor, say) is named on
    the form, field by field, instead of failing the whole request."""
    errors = []
    for name, label, _ in TEXT_FIELDS:
        found = CONTROL_CHARACTERS.search(str(values.get(name) or ""))
        if found:
            errors.append(
                FormError(
                    name,
                    name,
                    f"{label} contains an invisible control character (U+{ord(found.group()):04X})"
                    f" at character {found.start() + 1}, often left by pasting from another "
                    "program: delete it, or retype that part, and try again",
                )
            )
    return errors


def _errors_from(user_errors: list[dict[str, Any]]) -> list[FormError]:
    return [FormError(e.get("field"), _anchor(e.get("field")), _message(e)) for e in user_errors]


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("message") or "")
    field = error.get("field")
    label = dict((f, label) for f, label, _ in TEXT_FIELDS).get(str(field or ""))
    if (
        error.get("code") == "PERSONAL_DATA"
        and label
        and not message.lower().startswith(label.lower())
    ):
        return f"{label}: {message}"
    return message[:1:].upper() + message[1:]


writers_only = publishers_only(
    (Scope.CASE_STUDIES_WRITE,),
    "You cannot write case studies",
    "Only a council's publishing token, with the case_studies:write scope, can write "
    "case studies. Ask your exchange administrator for one.",
)


async def _editable(request: Request) -> dict[str, Any] | None:
    """The case study at this address, when the viewer may edit it."""
    public = request.path_params["id"]
    if not CASE_STUDY_ID.fullmatch(public):
        return None
    found = (await run_operation(request, "CaseStudyForEdit", {"id": public})).ok()["caseStudy"]
    return found if found is not None and found["viewerCanEdit"] else None


async def _posted_values(
    request: Request, case_study: dict[str, Any] | None
) -> tuple[FormData, dict[str, Any]] | Response:
    """The form sent and its values; or the page to answer with instead (the form has expired,
    or a value holds control characters: the form again, with the errors)."""
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    values = _form_values(form)
    if bad := _control_character_errors(values):
        return await _render_form(request, values, bad, case_study=case_study)
    return form, values


def _show(request: Request, cs: dict[str, Any], flash: str) -> Response:
    return redirect_with(request, f"/case-studies/{cs['id']}", flash)


@writers_only
async def new_case_study(request: Request) -> Response:
    if request.method == "GET":
        return await _render_form(request, _empty_values(), [], case_study=None)
    posted = await _posted_values(request, None)
    if isinstance(posted, Response):
        return posted
    form, values = posted
    created = (
        await run_operation(request, "CreateCaseStudy", {"input": _mutation_input(values)})
    ).ok()["createCaseStudy"]
    if created["userErrors"]:
        return await _render_form(
            request, values, _errors_from(created["userErrors"]), case_study=None
        )
    cs = created["caseStudy"]
    if form.get("action") == "publish":
        return await _publish_or_show(request, cs, values)
    return _show(request, cs, "Draft saved. Only your authority can see it until you publish it.")


async def _publish_or_show(
    request: Request, cs: dict[str, Any], values: dict[str, Any]
) -> Response:
    published = (
        await run_operation(request, "PublishCaseStudy", {"input": {"id": cs["id"]}})
    ).ok()["publishCaseStudy"]
    if published["userErrors"]:
        errors = _errors_from(published["userErrors"])
        errors.insert(
            0,
            FormError(None, None, "Your draft was saved, but it cannot be published yet:"),
        )
        return await _render_form(request, values, errors, case_study=cs)
    return _show(request, cs, "Case study published. Other councils can now find it in search.")


@writers_only
async def edit_case_study(request: Request) -> Response:
    found = await _editable(request)
    if found is None:
        return await no_case_study(request)
    if request.method == "GET":
        return await _render_form(request, _values_from(found), [], case_study=found)
    posted = await _posted_values(request, found)
    if isinstance(posted, Response):
        return posted
    form, values = posted
    changes = _mutation_input(values)
    if found["status"] == "PUBLISHED":
        changes.pop("pseudonymous", None)  # fixed once published (the box is disabled)
        values["pseudonymous"] = found["pseudonymous"]
    updated = (
        await run_operation(
            request, "UpdateCaseStudy", {"input": {"id": request.path_params["id"], **changes}}
        )
    ).ok()["updateCaseStudy"]
    if updated["userErrors"]:
        return await _render_form(
            request, values, _errors_from(updated["userErrors"]), case_study=found
        )
    cs = updated["caseStudy"]
    if form.get("action") == "publish" and cs["status"] == "DRAFT":
        return await _publish_or_show(request, cs, values)
    return _show(request, cs, "Changes saved.")


@writers_only
async def publish_existing(request: Request) -> Response:
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    found = await _editable(request)
    if found is None:
        return await no_case_study(request)
    return await _publish_or_show(request, found, _values_from(found))
