"""Case study pages: home, search results, one case study, writing and publishing."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.web import formatting
from exchange.web.auth import CSRF_FIELD, csrf_ok, viewer_for
from exchange.web.figures import all_authorities, change_words
from exchange.web.operations import run_operation
from exchange.web.rendering import error_page, render

PAGE_SIZE = 10
MAX_PAGES = 100  # numbered pages listed (1,000 results); add words or filters to go further
MAX_QUERY = 200
_ID = re.compile(r"^[A-Za-z0-9_.=-]{8,200}$")

# Search facets, in the order shown, with the CaseStudyFilter field each one fills.
FACETS: tuple[tuple[str, str, str], ...] = (
    ("theme", "themes", "Theme"),
    ("phase", "phases", "DBV phase"),
    ("evidence_strength", "evidenceStrength", "Evidence strength"),
    ("region", "regions", "Region"),
    ("authority_type", "authorityTypes", "Type of authority"),
    ("metric", "metrics", "Metric it moved"),
    ("year", "years", "Year published"),
)
_ENUM_FACETS = {"theme", "phase", "authority_type"}  # GraphQL enum names are upper case
_INT_FACETS = {"evidence_strength", "year"}


def _url_value(facet: str, value: str) -> str:
    """Enum facets in URLs as the codes officers see elsewhere (theme=annual_reviews,
    phase=IMPLEMENTATION); the API's facet values are GraphQL enum names (upper case)."""
    return value.upper() if facet == "phase" else value.lower()


TEXT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("title", "Title", "A short, specific title: what you did, and for whom."),
    ("summary", "Summary", "Two or three sentences: the problem, what you did, what changed."),
    ("context", "Context", "The local situation before you started."),
    ("whatWasDone", "What was done", "The intervention, step by step: who, what, when, cost."),
    ("results", "Results", "What changed, with figures where you have them."),
    ("lessonsLearned", "Lessons learned", "What you would tell another council starting out."),
)
MAX_LINK_ROWS = 3


def highlight(snippet: str) -> Markup:
    """A search snippet as HTML where <mark> is the only markup, whatever the engine sent."""
    parts = re.split(r"(</?mark>)", snippet)
    out = []
    for part in parts:
        if part in ("<mark>", "</mark>"):
            out.append(part)
        else:
            out.append(str(escape(html.unescape(part))))
    # Balance the tags: an unclosed <mark> must not run into the rest of the page.
    opened = out.count("<mark>") - out.count("</mark>")
    out.extend(["</mark>"] * max(0, opened))
    return Markup("".join(out))


def _date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%-d %B %Y")
    except ValueError:
        return value


def _labels(vocabulary: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        "theme": {t["code"].upper(): t["label"] for t in vocabulary["themes"]},
        "phase": {t["code"].upper(): t["label"] for t in vocabulary["phases"]},
        "cost_band": {t["code"].upper(): t["label"] for t in vocabulary["costBands"]},
        "evidence": {str(t["code"]): t["label"] for t in vocabulary["evidenceLevels"]},
    }


# -- home ---------------------------------------------------------------------------------------


async def home_page(request: Request) -> Response:
    latest = await run_operation(request, "LatestCaseStudies")
    items = []
    total = 0
    if latest.data and not latest.errors:
        total = latest.data["caseStudies"]["totalCount"]
        items = [_summary(e["node"]) for e in latest.data["caseStudies"]["edges"]]
    authorities = await all_authorities(request)
    return await render(
        request,
        "home.html",
        {
            "title": "Share what works in SEND",
            "latest": items,
            "total": total,
            "search_unavailable": bool(latest.errors),
            "authorities": sorted(authorities, key=lambda a: a["name"]),
        },
        current="home",
    )


def _summary(node: dict[str, Any]) -> dict[str, Any]:
    return {**node, "published": _date(node.get("publishedAt"))}


# -- search -------------------------------------------------------------------------------------


@dataclass
class SearchState:
    text: str
    selected: dict[str, list[str]]
    only_peers: bool
    sort: str
    page: int

    def url(self, **changes: Any) -> str:
        pairs: list[tuple[str, str]] = []
        text = changes.get("text", self.text)
        if text:
            pairs.append(("q", text))
        selected = changes.get("selected", self.selected)
        for name, _, _ in FACETS:
            for value in selected.get(name, []):
                pairs.append((name, value))
        if changes.get("only_peers", self.only_peers):
            pairs.append(("peers", "1"))
        sort = changes.get("sort", self.sort)
        if sort != "RELEVANCE":
            pairs.append(("sort", sort.lower()))
        page = changes.get("page", self.page)
        if page > 1:
            pairs.append(("page", str(page)))
        return "/search" + ("?" + urlencode(pairs) if pairs else "")

    def without(self, name: str, value: str) -> str:
        selected = {
            k: [v for v in vs if not (k == name and v == value)] for k, vs in self.selected.items()
        }
        return self.url(selected=selected, page=1)


def _search_state(request: Request) -> SearchState:
    params = request.query_params
    selected: dict[str, list[str]] = {}
    for name, _, _ in FACETS:
        values = [v.strip()[:80] for v in params.getlist(name) if v.strip()][:20]
        if name in _INT_FACETS:
            values = [v for v in values if v.isdigit()]
        elif name in _ENUM_FACETS:
            values = [_url_value(name, v) for v in values]
        if values:
            selected[name] = list(dict.fromkeys(values))
    try:
        page = min(max(int(params.get("page", "1")), 1), MAX_PAGES)
    except ValueError:
        page = 1
    sort = "NEWEST" if params.get("sort", "").lower() == "newest" else "RELEVANCE"
    return SearchState(
        text=(params.get("q") or "").strip()[:MAX_QUERY],
        selected=selected,
        only_peers=params.get("peers") == "1",
        sort=sort,
        page=page,
    )


def _filter(selected: dict[str, list[str]]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for name, field, _ in FACETS:
        values = selected.get(name)
        if not values:
            continue
        if name in _ENUM_FACETS:
            out[field] = [v.upper() for v in values]
        elif name in _INT_FACETS:
            out[field] = [int(v) for v in values]
        else:
            out[field] = values
    return out or None


async def search_page(request: Request) -> Response:
    state = _search_state(request)
    start = (state.page - 1) * PAGE_SIZE
    signer = request.app.state.services.signer
    viewer = await viewer_for(request)
    can_use_peers = viewer.authority_id is not None
    only_peers = state.only_peers and can_use_peers
    result = await run_operation(
        request,
        "SearchCaseStudies",
        {
            "query": state.text,
            "filter": _filter(state.selected),
            "sort": state.sort,
            "onlyMyPeers": only_peers,
            "first": PAGE_SIZE,
            # Page n starts after result (n - 1) x 10: the cursor the API would have given it.
            "after": signer.cursor(start - 1) if start else None,
        },
    )
    problem = None
    if result.errors:
        first = result.first_error() or {}
        code = (first.get("extensions") or {}).get("code")
        if code == "SEARCH_UNAVAILABLE":
            problem = "Search is unavailable at the moment. Try again in a few minutes."
        elif code in {"INVALID", "TOO_LONG", "NOT_FOUND", "NO_PEERS"}:
            problem = str(first.get("message", "That search could not be run."))
        else:
            result.ok()  # unexpected: the error page
    conn = (result.data or {}).get("caseStudies") if not problem else None
    shown = (conn or {}).get("edges", [])
    total = (conn or {}).get("totalCount", 0)
    pages = min(MAX_PAGES, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    facets = _facet_groups((conn or {}).get("facets", []), state)
    results = [
        {
            **_summary(edge["node"]),
            "highlights": {
                h["field"]: [highlight(s) for s in h["snippets"]] for h in edge["highlights"]
            },
        }
        for edge in shown
    ]
    labels = await _vocabulary_labels(request)
    chips = [
        (group["label"], _label_for(group, value), state.without(group["name"], value))
        for group in facets
        for value in state.selected.get(group["name"], [])
    ]
    return await render(
        request,
        "search.html",
        {
            "title": f"Search results for “{state.text}”" if state.text else "Search case studies",
            "state": state,
            "results": results,
            "total": total,
            "facets": facets,
            "chips": chips,
            "labels": labels,
            "problem": problem,
            "can_use_peers": can_use_peers,
            "only_peers": only_peers,
            "pages": [
                (n, state.url(page=n) if n is not None else None)
                for n in page_numbers(state.page, pages)
            ],
            "previous": state.url(page=state.page - 1) if state.page > 1 else None,
            "next": state.url(page=state.page + 1) if state.page < pages else None,
            "more_than_shown": total > MAX_PAGES * PAGE_SIZE,
            "listed": f"{MAX_PAGES * PAGE_SIZE:,}",
            "first_shown": start + 1,
            "last_shown": start + len(shown),
            "clear_filters": state.url(selected={}, page=1),
            "sort_relevance": state.url(sort="RELEVANCE", page=1),
            "sort_newest": state.url(sort="NEWEST", page=1),
        },
        current="search",
    )


def page_numbers(current: int, last: int) -> list[int | None]:
    """GOV.UK pagination: the first and last pages, the current one and its neighbours; None
    where pages are left out (shown as an ellipsis)."""
    keep = {1, last, current - 1, current, current + 1}
    out: list[int | None] = []
    for n in range(1, last + 1):
        if n in keep:
            out.append(n)
        elif out and out[-1] is not None:
            out.append(None)
    return out


def _label_for(group: dict[str, Any], value: str) -> str:
    for v in group["values"]:
        if v["value"] == value:
            return str(v["label"])
    return value


def _facet_groups(raw: list[dict[str, Any]], state: SearchState) -> list[dict[str, Any]]:
    by_field = {f["field"]: f["values"] for f in raw}
    groups = []
    for name, _, label in FACETS:
        values = [dict(v) for v in by_field.get(name, [])]
        if name in _ENUM_FACETS:
            for v in values:
                v["value"] = _url_value(name, v["value"])
        present = {v["value"] for v in values}
        for chosen in state.selected.get(name, []):  # keep ticked boxes even at 0 results
            if chosen not in present:
                values.append({"value": chosen, "label": chosen, "count": 0})
        for v in values:
            v["checked"] = v["value"] in state.selected.get(name, [])
            v["id"] = f"f-{name}-{re.sub(r'[^A-Za-z0-9]+', '-', v['value'])}"
        if name == "year":
            values.sort(key=lambda v: v["value"], reverse=True)
        if values:
            groups.append(
                {
                    "name": name,
                    "label": label,
                    "values": values,
                    "open": any(v["checked"] for v in values) or name in ("theme", "phase"),
                }
            )
    return groups


async def _vocabulary_labels(request: Request) -> dict[str, dict[str, str]]:
    result = await run_operation(request, "CaseStudyVocabulary")
    if result.errors or not result.data:
        return {"theme": {}, "phase": {}, "cost_band": {}, "evidence": {}}
    return _labels(result.data["caseStudyVocabulary"])


# -- one case study -----------------------------------------------------------------------------


async def case_study_page(request: Request) -> Response:
    public = request.path_params["id"]
    if not _ID.fullmatch(public):
        return await _no_case_study(request)
    result = await run_operation(request, "CaseStudyPage", {"id": public})
    data = result.ok()
    cs = data["caseStudy"]
    if cs is None:
        return await _no_case_study(request)
    labels = _labels(data["caseStudyVocabulary"])
    evidence_terms = {str(t["code"]): t for t in data["caseStudyVocabulary"]["evidenceLevels"]}
    cost_terms = {t["code"].upper(): t for t in data["caseStudyVocabulary"]["costBands"]}
    links = [_outcome_row(link) for link in cs["outcomeLinks"]]
    related: list[dict[str, Any]] = []
    if cs["status"] == "PUBLISHED" and cs["themes"]:
        found = await run_operation(
            request,
            "RelatedCaseStudies",
            {"query": "", "filter": {"themes": cs["themes"][:2]}},
        )
        if found.data and not found.errors:
            related = [
                e["node"] for e in found.data["caseStudies"]["edges"] if e["node"]["id"] != cs["id"]
            ][:5]
    return await render(
        request,
        "case_study.html",
        {
            "title": cs["title"],
            "cs": cs,
            "labels": labels,
            "evidence": evidence_terms.get(str(cs["evidenceStrength"])),
            "cost": cost_terms.get(cs["costBand"] or ""),
            "links": links,
            "related": related,
            "published": _date(cs["publishedAt"]),
            "updated": _date(cs["updatedAt"]),
            "symbols_used": sorted(
                {
                    s
                    for link in links
                    for s in (link["baseline"].symbol, link["follow_up"].symbol)
                    if s
                }
            ),
            "type_label": formatting.AUTHORITY_TYPES.get(cs["authorityType"] or "", ""),
        },
        current="search",
    )


def _outcome_row(link: dict[str, Any]) -> dict[str, Any]:
    unit = link["metric"]["unit"]
    return {
        "metric": link["metric"],
        "baseline_period": link["baselinePeriod"]["label"],
        "follow_up_period": link["followUpPeriod"]["label"],
        "baseline": formatting.shown(link["baseline"]["value"], link["baseline"]["symbol"], unit),
        "follow_up": formatting.shown(link["followUp"]["value"], link["followUp"]["symbol"], unit),
        "change": change_words(link["change"], unit) or "–",
        "direction": formatting.direction(link["direction"])[0],
        "peer_change": change_words(link["peerMedianChange"], unit) or "–",
        "peer_words": "England (median)"
        if link["peerGroup"] == "ENGLAND"
        else "Statistical neighbours (median)",
        "peer_count": link["peerCount"],
        "withheld": link["withheld"],
        "summary": link["summary"],
    }


async def _no_case_study(request: Request) -> Response:
    return await error_page(
        request,
        404,
        "Case study not found",
        "There is no case study at this address, or it is not published. Search for case "
        "studies instead.",
        current="search",
    )


# -- writing and publishing ---------------------------------------------------------------------


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


async def _require_publisher(request: Request) -> Response | None:
    viewer = await viewer_for(request)
    if viewer.authority_id is None or not scopes.has(viewer, Scope.CASE_STUDIES_WRITE):
        if not viewer.is_member:
            return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
        return await error_page(
            request,
            403,
            "You cannot write case studies",
            "Only a council's publishing token, with the case_studies:write scope, can write "
            "case studies. Ask your exchange administrator for one.",
        )
    return None


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


async def _csrf_refused(request: Request, form: FormData) -> Response | None:
    if csrf_ok(request, form.get(CSRF_FIELD)):
        return None
    return await error_page(
        request,
        403,
        "Your form has expired",
        "For your security the form could not be sent. Go back, reload the page and try again.",
    )


async def new_case_study(request: Request) -> Response:
    refused = await _require_publisher(request)
    if refused is not None:
        return refused
    if request.method == "GET":
        return await _render_form(request, _empty_values(), [], case_study=None)
    form = await request.form()
    refused = await _csrf_refused(request, form)
    if refused is not None:
        return refused
    values = _form_values(form)
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
    request.session["flash"] = "Draft saved. Only your authority can see it until you publish it."
    return RedirectResponse(f"/case-studies/{cs['id']}", status_code=303)


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
    request.session["flash"] = "Case study published. Other councils can now find it in search."
    return RedirectResponse(f"/case-studies/{cs['id']}", status_code=303)


async def edit_case_study(request: Request) -> Response:
    refused = await _require_publisher(request)
    if refused is not None:
        return refused
    public = request.path_params["id"]
    if not _ID.fullmatch(public):
        return await _no_case_study(request)
    found = (await run_operation(request, "CaseStudyForEdit", {"id": public})).ok()["caseStudy"]
    if found is None or not found["viewerCanEdit"]:
        return await _no_case_study(request)
    if request.method == "GET":
        return await _render_form(request, _values_from(found), [], case_study=found)
    form = await request.form()
    refused = await _csrf_refused(request, form)
    if refused is not None:
        return refused
    values = _form_values(form)
    changes = _mutation_input(values)
    if found["status"] == "PUBLISHED":
        changes.pop("pseudonymous", None)  # fixed once published (the box is disabled)
        values["pseudonymous"] = found["pseudonymous"]
    updated = (
        await run_operation(request, "UpdateCaseStudy", {"input": {"id": public, **changes}})
    ).ok()["updateCaseStudy"]
    if updated["userErrors"]:
        return await _render_form(
            request, values, _errors_from(updated["userErrors"]), case_study=found
        )
    cs = updated["caseStudy"]
    if form.get("action") == "publish" and cs["status"] == "DRAFT":
        return await _publish_or_show(request, cs, values)
    request.session["flash"] = "Changes saved."
    return RedirectResponse(f"/case-studies/{cs['id']}", status_code=303)


async def publish_existing(request: Request) -> Response:
    refused = await _require_publisher(request)
    if refused is not None:
        return refused
    public = request.path_params["id"]
    form = await request.form()
    refused = await _csrf_refused(request, form)
    if refused is not None:
        return refused
    if not _ID.fullmatch(public):
        return await _no_case_study(request)
    found = (await run_operation(request, "CaseStudyForEdit", {"id": public})).ok()["caseStudy"]
    if found is None or not found["viewerCanEdit"]:
        return await _no_case_study(request)
    return await _publish_or_show(request, found, _values_from(found))
