"""Index settings shared by both adapters, so tantivy and Meilisearch rank and filter alike.

Which fields are searched (and how much each weighs), which can be filtered and faceted, which
can sort, plus the limits applied to every query. The adapters translate these into their own
engine's vocabulary; nothing here imports an engine.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from search.port import FACET_FIELDS, CaseStudyDocument, SearchQuery


@dataclass(frozen=True)
class SearchableField:
    name: str
    boost: float  # tantivy multiplies scores by it; Meilisearch uses the order of the fields


# Most important first: Meilisearch's `searchableAttributes` order is its only field weighting.
# `author` is the authority's name, searchable only for named (non-pseudonymous) documents.
SEARCHABLE_FIELDS = (
    SearchableField("title", 3.0),
    SearchableField("summary", 1.5),
    SearchableField("body", 1.0),
    SearchableField("author", 0.5),
)
HIGHLIGHT_FIELDS = ("title", "summary", "body")

# authority_code is filterable ("only my peers") but never searchable as text: a pseudonymous
# document must not be findable by the code of the authority that wrote it.
FILTERABLE_FIELDS = (*FACET_FIELDS, "authority_code")
SORTABLE_FIELDS = ("published_at",)

# Typo tolerance, as Meilisearch does it by default.
ONE_TYPO_MIN_LEN = 5
TWO_TYPOS_MIN_LEN = 9
# The last word is matched as a prefix from this many characters: a one-letter prefix matches
# most of the vocabulary and tells the ranking nothing.
MIN_PREFIX_LEN = 2

# Bounds on untrusted input.
MAX_QUERY_CHARS = 2_000
MAX_QUERY_WORDS = 32
MAX_WORD_BYTES = 40  # tantivy's default tokenizer drops tokens this long or longer
MAX_LIMIT = 200
MAX_RESULT_WINDOW = 10_000  # offset + limit; deeper pages return no hits (total stays exact)
MAX_FACET_VALUES = 1_000

# Highlight snippets: tantivy cuts by characters, Meilisearch crops by words.
SNIPPET_MAX_CHARS = {"title": 1_000, "summary": 300, "body": 220}
CROP_WORDS = {"summary": 50, "body": 32}
ELLIPSIS = "…"


def facet_values(doc: CaseStudyDocument) -> dict[str, list[str]]:
    """Facet field -> string values of `doc`. None is left out, so it is never counted."""
    values: dict[str, list[str]] = {
        "theme": list(doc.themes),
        "phase": [doc.phase],
        "region": [doc.region] if doc.region is not None else [],
        "authority_type": [doc.authority_type] if doc.authority_type is not None else [],
        "evidence_strength": [str(doc.evidence_strength)],
        "metric": list(doc.metrics),
        "year": [str(doc.year)],
    }
    return {name: values[name] for name in FACET_FIELDS}


def searchable_author(doc: CaseStudyDocument) -> str | None:
    """The author text to index, or None for pseudonymous documents (no authority code)."""
    return doc.author_label if doc.authority_code is not None else None


def check_ids(ids: Iterable[str]) -> None:
    """Ids are the only key: an empty or non-string one is a programming error."""
    for doc_id in ids:
        if not isinstance(doc_id, str) or not doc_id:
            raise ValueError(f"a document id must be a non-empty string, got {doc_id!r}")


def check_filters(query: SearchQuery) -> None:
    """Reject filters on fields that are not facets: a typo there would silently not filter."""
    unknown = sorted(set(query.filters) - set(FACET_FIELDS))
    if unknown:
        raise ValueError(f"unknown filter field(s) {unknown}; allowed: {FACET_FIELDS}")


def matches_nothing(query: SearchQuery) -> bool:
    """True when a filter allows no value at all, so no engine call is needed."""
    if query.authority_codes is not None and not query.authority_codes:
        return True
    return any(not values for values in query.filters.values())


def result_window(query: SearchQuery) -> tuple[int, int]:
    """(offset, limit) clamped to sane bounds; limit 0 asks only for total and facets."""
    offset = min(max(query.offset, 0), MAX_RESULT_WINDOW)
    limit = min(max(query.limit, 0), MAX_LIMIT, MAX_RESULT_WINDOW - offset)
    return offset, limit


def empty_facets(with_facets: bool) -> dict[str, dict[str, int]]:
    return {name: {} for name in FACET_FIELDS} if with_facets else {}
