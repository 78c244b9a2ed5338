"""Finding case studies: the home page (the latest ones) and search, with facet filters,
highlights and numbered pages."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from exchange.web.auth import viewer_for
from exchange.web.case_study_pages import date_words, vocabulary_labels
from exchange.web.figures import all_authorities
from exchange.web.operations import run_operation
from exchange.web.rendering import render

PAGE_SIZE = 10
MAX_PAGES = 100  # numbered pages listed (1,000 results); add words or filters to go further
MAX_QUERY = 200

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
    return {**node, "published": date_words(node.get("publishedAt"))}


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
    return vocabulary_labels(result.data["caseStudyVocabulary"])
