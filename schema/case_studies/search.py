"""caseStudies: translates the arguments for the domain's search (exchange/casestudies/finder.py)
and its page into a connection."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Annotated

import strawberry

from exchange.casestudies import finder, vocab
from schema import relay
from schema.case_studies.types import CaseStudy
from schema.context import Info
from schema.enums import AuthorityType


@strawberry.type(description="Matched words in one field, as HTML with <mark> around matches.")
class Highlight:
    field: str = strawberry.field(description="title, summary or body.")
    snippets: list[str] = strawberry.field(
        description="HTML-escaped text; only <mark> and </mark> are markup."
    )


@strawberry.type
class FacetValue:
    value: str = strawberry.field(
        description="The value to pass back in a filter: an enum name for theme, phase and "
        "authority_type, a number (Int) for evidence_strength and year, text otherwise."
    )
    label: str
    count: int


@strawberry.type(
    description="Counts over the whole filtered result set for one field (not only this page)."
)
class Facet:
    field: str = strawberry.field(
        description="theme, phase, region, authority_type, evidence_strength, metric or year."
    )
    values: list[FacetValue] = strawberry.field(metadata={"list_size": 160})


@strawberry.type
class CaseStudySearchEdge:
    node: CaseStudy
    cursor: str
    highlights: list[Highlight] = strawberry.field(metadata={"list_size": 3})


@strawberry.type(
    description=(
        "Search results. Every hit is re-checked against the database, so a draft or withdrawn "
        "case study is never shown even while the index catches up."
    )
)
class CaseStudySearchConnection:
    edges: list[CaseStudySearchEdge]
    page_info: relay.PageInfo
    total_count: int
    facets: list[Facet] = strawberry.field(metadata={"list_size": 7})


@strawberry.input(description="OR within a field, AND across fields.")
class CaseStudyFilter:
    themes: list[vocab.Theme] | None = None
    phases: list[vocab.Phase] | None = None
    regions: list[str] | None = strawberry.field(
        default=None, description="Region names, e.g. South East."
    )
    authority_types: list[AuthorityType] | None = None
    evidence_strength: list[int] | None = None
    metrics: list[str] | None = strawberry.field(
        default=None, description="Linked metric codes, e.g. ehc_issued_20wk_pct."
    )
    years: list[int] | None = strawberry.field(default=None, description="Year published.")
    authorities: list[str] | None = strawberry.field(
        default=None,
        description="DfE or GSS codes. Matches named case studies only: a pseudonymous case "
        "study is never found by its authority.",
    )


def _codes(values: Sequence[Enum] | None) -> list[str] | None:
    return [str(v.value) for v in values] if values is not None else None


def _filters(f: CaseStudyFilter) -> finder.Filters:
    return finder.Filters(
        themes=_codes(f.themes),
        phases=_codes(f.phases),
        regions=f.regions,
        authority_types=_codes(f.authority_types),
        evidence_strength=f.evidence_strength,
        metrics=f.metrics,
        years=f.years,
        authorities=f.authorities,
    )


# Facet values must round-trip into CaseStudyFilter: the index stores enum values (codes), the
# filter takes GraphQL enum names.
_FACET_ENUMS: dict[str, type[Enum]] = {
    "theme": vocab.Theme,
    "phase": vocab.Phase,
    "authority_type": AuthorityType,
}


def _facet_value(field: str, raw: str) -> str:
    enum = _FACET_ENUMS.get(field)
    if enum is None:
        return raw
    try:
        return enum(raw).name
    except ValueError:
        return raw


def _facet(facet: finder.Facet) -> Facet:
    return Facet(
        field=facet.field,
        values=[
            FacetValue(value=_facet_value(facet.field, v.value), label=v.label, count=v.count)
            for v in facet.values
        ],
    )


async def case_studies(
    info: Info,
    query: str = "",
    filter: CaseStudyFilter | None = None,
    sort: finder.Sort = finder.Sort.RELEVANCE,
    only_my_peers: Annotated[
        bool,
        strawberry.argument(
            description="Only case studies by your statistical neighbours (publisher tokens)."
        ),
    ] = False,
    first: int | None = None,
    after: str | None = None,
) -> CaseStudySearchConnection:
    ctx = info.context
    win = relay.window(ctx.signer, first=first, after=after, last=None, before=None)
    page = await finder.search(
        ctx.read,
        ctx.services.search,
        ctx.viewer,
        text=query,
        filters=_filters(filter or CaseStudyFilter()),
        sort=sort,
        only_my_peers=only_my_peers,
        offset=win.offset,
        limit=win.limit,
    )
    edges = [
        CaseStudySearchEdge(
            node=CaseStudy(model=found.case_study),
            cursor=ctx.signer.cursor(found.position),
            highlights=[
                Highlight(field=name, snippets=snippets)
                for name, snippets in found.highlights.items()
            ],
        )
        for found in page.items
    ]
    return CaseStudySearchConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=win.offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=page.total_count,
        facets=[_facet(f) for f in page.facets],
    )


@strawberry.type
class CaseStudySearchQuery:
    case_studies: CaseStudySearchConnection = strawberry.field(
        resolver=case_studies,
        description="Search published case studies: typo-tolerant, SEND synonyms (EHCP, EP, "
        "AP, ...), prefixes, filters and facet counts, highlights. An empty query lists the "
        "newest first.",
    )
