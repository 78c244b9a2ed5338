"""Searching case studies: the search port for ranking, the database for truth.

Every hit is re-checked against the database before it is shown: a hit whose case study is not
(or no longer) published is dropped, so a stale index can never show a draft or a withdrawn
case study. Filters by authority ("only my peers", an authority filter) only ever match named
case studies: pseudonymous documents carry no authority code.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities import repository as authorities
from exchange.casestudies import repository
from exchange.casestudies.models import CaseStudy
from exchange.errors import DomainError, InvalidInput
from exchange.viewer import Viewer
from search.port import FACET_FIELDS, SearchBackend, SearchError, SearchQuery, SearchResult

log = logging.getLogger("exchange.search")

MAX_TEXT = 500
MAX_FILTER_VALUES = 50


class SearchUnavailable(DomainError):
    code = "SEARCH_UNAVAILABLE"


@dataclass(frozen=True)
class Found:
    case_study: CaseStudy
    highlights: dict[str, list[str]]
    score: float


@dataclass(frozen=True)
class SearchPage:
    total: int
    items: list[Found]
    facets: dict[str, dict[str, int]]


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
    session: AsyncSession, hits: Sequence[tuple[str, float, dict[str, list[str]]]]
) -> tuple[list[Found], int]:
    """Keep the hits whose case study is published now; returns (kept, number dropped)."""
    found = await repository.get_many_by_public_ids(
        session, [h[0] for h in hits], status="published"
    )
    kept = [Found(found[i], highlights, score) for i, score, highlights in hits if i in found]
    dropped = len(hits) - len(kept)
    if dropped:
        log.info("search index is behind the database: %d stale hit(s) dropped", dropped)
    return kept, dropped
