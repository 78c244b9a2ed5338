"""The search room: a port (search.port) and two adapters behind it (tantivy, Meilisearch).

Import the port types from here; pick an adapter with search.factory.open_backend.
"""

from search.port import (
    FACET_FIELDS,
    CaseStudyDocument,
    SearchBackend,
    SearchError,
    SearchHit,
    SearchQuery,
    SearchResult,
    SortOrder,
)

__all__ = [
    "FACET_FIELDS",
    "CaseStudyDocument",
    "SearchBackend",
    "SearchError",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "SortOrder",
]
