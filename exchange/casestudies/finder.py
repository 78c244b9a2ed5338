"""Searching case studies: the search port for ranking, the database for truth.

``search`` is the whole flow behind the API's ``caseStudies``: restrict to peers or authorities,
ask the search port, re-check every hit against the database and label the facets. Every hit is
re-checked before it is shown: a hit whose case study is not (or no longer) published is dropped,
so a stale index can never show a draft or a withdrawn case study. Filters by authority ("only my
peers", an authority filter) only ever match named case studies: pseudonymous documents carry no
authority code.

The search backend is passed in (the composition root picks the adapter), and so is ``read``: the
caller's way to run one step on its session, taken afresh for each database step so that the
session is not held while the search engine answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from exchange import pseudonyms
from exchange.authorities import repository as authorities
from exchange.casestudies import repository, vocab
from exchange.casestudies.models import CaseStudy
from exchange.errors import DomainError, InvalidInput
from exchange.metrics import repository as metrics
from exchange.viewer import Viewer
from search.port import (
    FACET_FIELDS,
    SearchBackend,
    SearchError,
    SearchHit,
    SearchQuery,
    SearchResult,
)

T = TypeVar("T")

log = logging.getLogger("exchange.search")

MAX_TEXT = 500
MAX_FILTER_VALUES = 50


class SearchUnavailable(DomainError):
    code = "SEARCH_UNAVAILABLE"


class Sort(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"


class Read(Protocol):
    """Run one step on the caller's session (``Context.read``)."""

    def __call__(self, fn: Callable[[AsyncSession], Awaitable[T]], /) -> Awaitable[T]: ...


@dataclass(frozen=True)
class Filters:
    """What to search within: OR within a field, AND across fields; None leaves a field open."""

    themes: Sequence[str] | None = None
    phases: Sequence[str] | None = None
    regions: Sequence[str] | None = None
    authority_types: Sequence[str] | None = None
    evidence_strength: Sequence[int] | None = None
    metrics: Sequence[str] | None = None
    years: Sequence[int] | None = None
    authorities: Sequence[str] | None = None  # DfE or GSS codes; named case studies only

    def by_field(self) -> dict[str, list[str]]:
        """The facet-field filters of the search port (authorities are a restriction instead)."""
        pairs: list[tuple[str, Sequence[str] | Sequence[int] | None]] = [
            ("theme", self.themes),
            ("phase", self.phases),
            ("region", self.regions),
            ("authority_type", self.authority_types),
            ("evidence_strength", self.evidence_strength),
            ("metric", self.metrics),
            ("year", self.years),
        ]
        return {name: [str(v) for v in values] for name, values in pairs if values is not None}


@dataclass(frozen=True)
class Found:
    case_study: CaseStudy
    highlights: dict[str, list[str]]
    score: float
    position: int = 0  # place in the whole ranked result (stale hits counted), for cursors


@dataclass(frozen=True)
class FacetCount:
    value: str  # the code as indexed
    label: str
    count: int


@dataclass(frozen=True)
class Facet:
    field: str
    values: list[FacetCount]  # most frequent first, then by value


@dataclass(frozen=True)
class SearchPage:
    offset: int
    hit_count: int  # hits the index returned for this page, stale ones included
    total: int  # matches the index reported, stale ones included
    dropped: int  # stale hits left out of this page
    items: list[Found]
    facets: list[Facet]  # counts over the whole filtered result set

    @property
    def has_next_page(self) -> bool:
        return self.offset + self.hit_count < self.total

    @property
    def total_count(self) -> int:
        return max(0, self.total - self.dropped)


_FACET_LABELS: dict[str, dict[str, str]] = {
    "theme": {t.code: t.label for t in vocab.THEMES},
    "phase": {t.code: t.label for t in vocab.PHASES},
    "evidence_strength": {t.code: f"{t.code}: {t.label}" for t in vocab.EVIDENCE_LEVELS},
    "authority_type": dict(pseudonyms.TYPE_NAMES),
}


async def peer_codes(session: AsyncSession, viewer: Viewer) -> tuple[str, ...]:
    """The viewer's statistical neighbours' DfE codes ("only my peers")."""
    if viewer.authority_id is None:
        raise InvalidInput(
            "onlyMyPeers", "only an authority's token has peers to restrict to", "NO_PEERS"
        )
    rows = (await authorities.neighbours_of(session, [viewer.authority_id]))[viewer.authority_id]
    return tuple(a.la_code for _, a in rows)


async def authority_codes(session: AsyncSession, codes: Sequence[str]) -> tuple[str, ...]:
    out = []
    for code in codes[:MAX_FILTER_VALUES]:
        found = await authorities.get_by_code(session, code)
        if found is None:
            raise InvalidInput("filter.authorities", f"no authority with code '{code[:20]}'")
        out.append(found.la_code)
    return tuple(out)


def build_query(
    text: str,
    filters: Mapping[str, Sequence[str]],
    restrict_to: tuple[str, ...] | None,
    sort: str,
    offset: int,
    limit: int,
) -> SearchQuery:
    if len(text) > MAX_TEXT:
        raise InvalidInput("query", f"a search is at most {MAX_TEXT} characters", "TOO_LONG")
    clean: dict[str, tuple[str, ...]] = {}
    for name, values in filters.items():
        if name not in FACET_FIELDS:
            raise InvalidInput(f"filter.{name}", "not a filterable field")
        if len(values) > MAX_FILTER_VALUES:
            raise InvalidInput(f"filter.{name}", f"at most {MAX_FILTER_VALUES} values")
        clean[name] = tuple(dict.fromkeys(str(v) for v in values))
    return SearchQuery(
        text=text,
        filters=clean,
        authority_codes=restrict_to,
        sort="newest" if sort == "newest" else "relevance",
        offset=offset,
        limit=limit,
        with_facets=True,
    )


async def run(backend: SearchBackend | None, query: SearchQuery) -> SearchResult:
    if backend is None:
        raise SearchUnavailable("search is not configured on this server")
    try:
        return await asyncio.to_thread(backend.search, query)
    except SearchError:
        log.exception("search backend failed")
        raise SearchUnavailable("search is unavailable at the moment; try again shortly") from None


async def recheck(
    session: AsyncSession, hits: Sequence[SearchHit], offset: int = 0
) -> tuple[list[Found], int]:
    """Keep the hits whose case study is published now; returns (kept, number dropped)."""
    found = await repository.get_many_by_public_ids(
        session, [h.id for h in hits], status="published"
    )
    kept = [
        Found(found[h.id], h.highlights, h.score, offset + position)
        for position, h in enumerate(hits)
        if h.id in found
    ]
    dropped = len(hits) - len(kept)
    if dropped:
        log.info("search index is behind the database: %d stale hit(s) dropped", dropped)
    return kept, dropped


async def facets(read: Read, raw: Mapping[str, Mapping[str, int]]) -> list[Facet]:
    """Label the search port's facet counts (metric names from the database)."""
    labels = dict(_FACET_LABELS)
    codes = sorted(raw.get("metric", {}))
    if codes:
        found = await read(lambda s: metrics.get_many_by_code(s, codes))
        labels["metric"] = {c: m.name for c, m in found.items()}
    return [
        Facet(
            field=name,
            values=[
                FacetCount(value=v, label=labels.get(name, {}).get(v, v), count=n)
                for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        )
        for name, counts in raw.items()
    ]


async def search(
    read: Read,
    backend: SearchBackend | None,
    viewer: Viewer,
    *,
    text: str = "",
    filters: Filters = Filters(),
    sort: Sort = Sort.RELEVANCE,
    only_my_peers: bool = False,
    offset: int = 0,
    limit: int = 20,
) -> SearchPage:
    """One page of published case studies matching ``text`` under ``filters``."""
    restrict: tuple[str, ...] | None = None
    if only_my_peers:
        restrict = await read(lambda s: peer_codes(s, viewer))
    if filters.authorities is not None:
        wanted = filters.authorities
        codes = await read(lambda s: authority_codes(s, wanted))
        restrict = codes if restrict is None else tuple(c for c in codes if c in restrict)
    query = build_query(text, filters.by_field(), restrict, sort, offset, limit)
    result = await run(backend, query)
    kept, dropped = await read(lambda s: recheck(s, result.hits, offset))
    return SearchPage(
        offset=offset,
        hit_count=len(result.hits),
        total=result.total,
        dropped=dropped,
        items=kept,
        facets=await facets(read, result.facets),
    )
