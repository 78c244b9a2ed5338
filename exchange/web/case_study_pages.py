"""One case study: what was done, its outcome links (the authority's change against its peers'),
related case studies. Also what the other case study pages share: the shape of a case study's
address, dates in words and the vocabulary's labels."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from exchange.web import formatting
from exchange.web.figures import change_words
from exchange.web.operations import run_operation
from exchange.web.rendering import error_page, render

CASE_STUDY_ID = re.compile(r"^[A-Za-z0-9_.=-]{8,200}$")


def date_words(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%-d %B %Y")
    except ValueError:
        return value


def vocabulary_labels(vocabulary: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        "theme": {t["code"].upper(): t["label"] for t in vocabulary["themes"]},
        "phase": {t["code"].upper(): t["label"] for t in vocabulary["phases"]},
        "cost_band": {t["code"].upper(): t["label"] for t in vocabulary["costBands"]},
        "evidence": {str(t["code"]): t["label"] for t in vocabulary["evidenceLevels"]},
    }


# -- one case study -----------------------------------------------------------------------------


async def case_study_page(request: Request) -> Response:
    public = request.path_params["id"]
    if not CASE_STUDY_ID.fullmatch(public):
        return await no_case_study(request)
    result = await run_operation(request, "CaseStudyPage", {"id": public})
    data = result.ok()
    cs = data["caseStudy"]
    if cs is None:
        return await no_case_study(request)
    labels = vocabulary_labels(data["caseStudyVocabulary"])
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
            "published": date_words(cs["publishedAt"]),
            "updated": date_words(cs["updatedAt"]),
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


async def no_case_study(request: Request) -> Response:
    return await error_page(
        request,
        404,
        "Case study not found",
        "There is no case study at this address, or it is not published. Search for case "
        "studies instead.",
        current="search",
    )
