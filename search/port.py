"""The search port: what the rest of DBV Exchange may ask of a search engine.

Adapters (tantivy in-process, Meilisearch over HTTP) implement `SearchBackend`; callers only
ever see the types below. The port is synchronous on purpose: tantivy answers in well under a
millisecond, so an async wrapper would cost more than it saves.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

FACET_FIELDS = ("theme", "phase", "region", "authority_type", "evidence_strength", "metric", "year")


@dataclass(frozen=True)
class CaseStudyDocument:
    id: str  # opaque public id (string); the only key
    title: str
    summary: str
    body: str  # context + what was done + results + lessons, joined
    themes: tuple[str, ...]  # theme codes e.g. "annual_reviews"
    phase: str  # e.g. "IMPLEMENTATION"
    region: str | None  # None when withheld (pseudonymous, too identifying)
    authority_type: str | None
    authority_code: str | None  # DfE la_code; None for pseudonymous documents (never indexed then)
    author_label: str  # authority name or pseudonym label, displayed only
    evidence_strength: int  # 0..5
    metrics: tuple[str, ...]  # linked metric codes
    year: int  # year published
    published_at: int  # unix seconds, for sort=newest
    is_demo: bool = False


SortOrder = Literal["relevance", "newest"]


@dataclass(frozen=True)
class SearchQuery:
    """One search request.

    `filters` maps a facet field (one of FACET_FIELDS) to the values allowed for it: OR within a
    field, AND across fields. An empty tuple allows nothing, so it matches no document; leave
    the field out to leave it unconstrained. An unknown field name raises ValueError (a
    programming error, never a user one). `authority_codes=None` means no restriction, an empty
    tuple means "no peers" and matches nothing.
    """

    text: str = ""  # user text, untrusted: any characters
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    authority_codes: tuple[str, ...] | None = None  # "only my peers"; pseudonymous never match
    sort: SortOrder = "relevance"  # empty text is always sorted newest
    offset: int = 0
    limit: int = 20
    with_facets: bool = True


@dataclass(frozen=True)
class SearchHit:
    id: str
    score: float  # engine relevance score, larger is better; 0.0 when sorted newest
    # field ("title"/"summary"/"body") -> HTML-escaped snippets with matched words wrapped in
    # <mark>…</mark>; a field with no match is absent.
    highlights: dict[str, list[str]]


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit]
    # facet field -> value -> count, over the whole filtered result set (counts under the
    # current filters, not "disjunctive" facets). Every FACET_FIELDS key is present when facets
    # were asked for; the dict is empty when they were not.
    facets: dict[str, dict[str, int]]


class SearchError(Exception):
    """An engine failure (unreachable server, failed task, corrupt index). Never user text."""


class SearchBackend(Protocol):
    name: str

    def upsert(self, docs: Sequence[CaseStudyDocument]) -> None:
        """Replace documents by id; they are visible to search when this returns."""
        ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def count(self) -> int: ...

    def clear(self) -> None: ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...
