"""Search on a Meilisearch server through the official client (meilisearch-python).

Meilisearch does typo tolerance, prefix search, synonyms, facets and highlighting itself; this
adapter configures it from search.settings and translates the port's types. What it must do
that Meilisearch does not:

* the query is rebuilt from plain words (see `query_text`), so user syntax stays inert and
  synonyms, stop words and prefixes behave as on the tantivy side;
* every task (writes, settings) is asynchronous, and `wait_for_task` returns a *failed* task
  without raising, so each task's status is checked and a failure raised as SearchError;
* `_formatted` highlights are not HTML-escaped (meilisearch/meilisearch#1595), so highlights
  are requested with private-use sentinel tags, the text escaped, then the sentinels turned
  into <mark> tags;
* filter values are quoted and escaped here, never interpolated raw.
"""

from __future__ import annotations

import hashlib
import html
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import meilisearch
from meilisearch.errors import MeilisearchApiError, MeilisearchError
from meilisearch.index import Index
from meilisearch.models.task import TaskInfo

from search import text
from search.port import (
    FACET_FIELDS,
    CaseStudyDocument,
    SearchError,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from search.settings import (
    CROP_WORDS,
    ELLIPSIS,
    FILTERABLE_FIELDS,
    HIGHLIGHT_FIELDS,
    MAX_FACET_VALUES,
    MAX_RESULT_WINDOW,
    ONE_TYPO_MIN_LEN,
    SEARCHABLE_FIELDS,
    SORTABLE_FIELDS,
    TWO_TYPOS_MIN_LEN,
    check_filters,
    check_ids,
    empty_facets,
    facet_values,
    matches_nothing,
    result_window,
    searchable_author,
)
from search.synonyms import find_spans, meilisearch_synonyms

# Public ids are opaque strings, but Meilisearch primary keys only allow [A-Za-z0-9_-] and
# 511 bytes; a hash of the id always fits. The id itself is stored alongside.
PRIMARY_KEY = "pk"

# Highlight tags that cannot occur in indexed text: they are stripped from it on the way in.
_PRE = "\ue000"
_POST = "\ue001"

BATCH_SIZE = 1_000
WRITE_TIMEOUT_MS = 120_000  # settings changes and bulk loads reindex server-side
HTTP_TIMEOUT_SECONDS = 10

T = TypeVar("T")


def sort_first(ranking_rules: Sequence[str]) -> list[str]:
    """The server's own ranking rules with "sort" moved to the front.

    With "sort" first, sort=newest is strictly newest first; without a sort parameter the rule
    does nothing and relevance decides. The other rules are kept as the server names them
    ("attribute" became "attributeRank" + "wordPosition" in v1.36), so any version accepts them.
    """
    return ["sort", *(rule for rule in ranking_rules if rule != "sort")]


def index_settings(ranking_rules: Sequence[str]) -> dict[str, Any]:
    """The Meilisearch settings object for the case-study index."""
    return {
        "searchableAttributes": [f.name for f in SEARCHABLE_FIELDS],  # title first: it weighs most
        "displayedAttributes": ["id", *HIGHLIGHT_FIELDS],
        "filterableAttributes": [*FILTERABLE_FIELDS, PRIMARY_KEY],
        "sortableAttributes": list(SORTABLE_FIELDS),
        "rankingRules": sort_first(ranking_rules),
        "synonyms": meilisearch_synonyms(),
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": ONE_TYPO_MIN_LEN, "twoTypos": TWO_TYPOS_MIN_LEN},
        },
        "faceting": {"maxValuesPerFacet": MAX_FACET_VALUES},
        "pagination": {"maxTotalHits": MAX_RESULT_WINDOW},
    }


def primary_key(doc_id: str) -> str:
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()


def quote(value: str) -> str:
    """A Meilisearch filter string literal: backslash and double quote escaped (v1.4+ rules)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def in_filter(field: str, values: Sequence[str]) -> str:
    """`field IN ["a", "b"]`; `field` always comes from our own constants, never from users."""
    return f"{field} IN [{', '.join(quote(v) for v in values)}]"


def filter_expressions(query: SearchQuery) -> list[str]:
    """One expression per constrained field; Meilisearch ANDs the list."""
    expressions = [in_filter(name, values) for name, values in sorted(query.filters.items())]
    if query.authority_codes is not None:
        # Pseudonymous documents store authority_code null, which no IN list matches.
        expressions.append(in_filter("authority_code", query.authority_codes))
    return expressions


def to_meili(doc: CaseStudyDocument) -> dict[str, Any]:
    author = searchable_author(doc)
    return {
        PRIMARY_KEY: primary_key(doc.id),
        "id": doc.id,
        "title": _clean(doc.title),
        "summary": _clean(doc.summary),
        "body": _clean(doc.body),
        "author": _clean(author) if author is not None else None,
        **facet_values(doc),  # lists; an empty list (withheld region) is never counted
        "authority_code": doc.authority_code,
        "published_at": int(doc.published_at),
        "is_demo": doc.is_demo,
    }


def _clean(value: str) -> str:
    return text.normalise(value).replace(_PRE, "").replace(_POST, "")


def query_text(query: text.UserQuery) -> str:
    """The `q` sent to Meilisearch: plain words, rearranged so it behaves like the tantivy side.

    * Multi-word synonym terms become their group's canonical term ("alternative provision" ->
      "ap"), which the synonyms setting expands back to every term of the group. Meilisearch
      only looks synonyms up for query terms of one to three words
      (meilisearch/documentation#2676), so "education health and care plan" typed in full
      would otherwise never reach documents that only say "EHCP".
    * Stop words are dropped (unless there is nothing else): Meilisearch's default matching
      strategy drops words from the end until something matches, so "not transport" would
      otherwise give up on "transport" before "not".
    * A trailing space when the last word is finished (typed with a space after it, or a
      synonym phrase): Meilisearch then does not treat it as a prefix (meilisearch#3066).
    """
    words = list(query.words)
    tokens: list[tuple[str, bool]] = []  # (word, droppable stop word)
    finished = not query.last_is_partial
    position = 0
    for span in find_spans(words):
        tokens.extend((w, w in text.STOPWORDS) for w in words[position : span.start])
        if span.end - span.start > 1:
            tokens.extend((w, False) for w in span.group.canonical)
            finished = finished or span.end == len(words)
        else:
            tokens.append((words[span.start], False))
        position = span.end
    tokens.extend((w, w in text.STOPWORDS) for w in words[position:])
    kept = [w for w, droppable in tokens if not droppable] or [w for w, _ in tokens]
    if tokens and tokens[-1][1] and len(kept) < len(tokens):
        finished = True  # the typed last word was dropped: the new last word is complete
    return " ".join(kept) + (" " if finished and kept else "")


def page_parameters(offset: int, limit: int) -> tuple[dict[str, Any], int]:
    """(page parameters, hits to skip). Page mode, because only it returns an exact totalHits."""
    if limit == 0:
        return {"page": 1, "hitsPerPage": 0}, 0
    if offset % limit == 0:
        return {"page": offset // limit + 1, "hitsPerPage": limit}, 0
    return {"page": 1, "hitsPerPage": offset + limit}, offset


def search_parameters(query: SearchQuery, *, has_text: bool) -> tuple[dict[str, Any], int]:
    offset, limit = result_window(query)
    params, skip = page_parameters(offset, limit)
    params["attributesToRetrieve"] = ["id", *HIGHLIGHT_FIELDS]  # _formatted follows this list
    params["showRankingScore"] = True
    expressions = filter_expressions(query)
    if expressions:
        params["filter"] = expressions
    if query.with_facets:
        params["facets"] = list(FACET_FIELDS)
    if not has_text or query.sort == "newest":
        params["sort"] = ["published_at:desc"]
    if has_text:
        params["attributesToHighlight"] = list(HIGHLIGHT_FIELDS)
        params["attributesToCrop"] = [f"{name}:{size}" for name, size in CROP_WORDS.items()]
        params["cropMarker"] = ELLIPSIS
        params["highlightPreTag"] = _PRE
        params["highlightPostTag"] = _POST
    return params, skip


def marked_html(formatted: str) -> str:
    """Escape Meilisearch's formatted text, then turn the sentinel tags into <mark>."""
    escaped = html.escape(formatted, quote=True)
    return escaped.replace(_PRE, "<mark>").replace(_POST, "</mark>")


def parse_hit(hit: dict[str, Any], *, newest: bool) -> SearchHit:
    formatted = hit.get("_formatted") or {}
    highlights = {
        name: [marked_html(value)]
        for name in HIGHLIGHT_FIELDS
        if isinstance(value := formatted.get(name), str) and _PRE in value
    }
    score = 0.0 if newest else float(hit.get("_rankingScore", 0.0))
    return SearchHit(id=str(hit["id"]), score=score, highlights=highlights)


def parse_facets(response: dict[str, Any]) -> dict[str, dict[str, int]]:
    distribution = response.get("facetDistribution") or {}
    return {
        name: {str(k): int(v) for k, v in (distribution.get(name) or {}).items()}
        for name in FACET_FIELDS
    }


def _batches(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MeiliBackend:
    """A SearchBackend over one Meilisearch index; settings are applied on construction."""

    name = "meilisearch"

    def __init__(self, url: str, api_key: str | None, index_name: str = "case_studies") -> None:
        self._url = url
        self._api_key = api_key
        self._index_name = index_name
        # The client mutates shared request headers per call, so each thread gets its own.
        self._local = threading.local()
        self._closed = False
        self._call(self._configure)

    # -- plumbing -------------------------------------------------------------------------

    def _client(self) -> meilisearch.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = meilisearch.Client(self._url, self._api_key, timeout=HTTP_TIMEOUT_SECONDS)
            self._local.client = client
        return client

    def _index(self) -> Index:
        return self._client().index(self._index_name)

    def _call(self, action: Callable[[], T]) -> T:
        if self._closed:
            raise SearchError("the Meilisearch backend is closed")
        try:
            return action()
        except MeilisearchError as exc:
            raise SearchError(f"Meilisearch: {exc}") from exc

    def _wait(self, info: TaskInfo, *, tolerate: str | None = None) -> None:
        """Wait for a task and raise unless it succeeded (wait_for_task does not raise)."""
        task = self._index().wait_for_task(info.task_uid, timeout_in_ms=WRITE_TIMEOUT_MS)
        if task.status == "succeeded":
            return
        error = task.error or {}
        if tolerate is not None and error.get("code") == tolerate:
            return
        raise SearchError(f"Meilisearch task {task.uid} ({task.type}) {task.status}: {error}")

    def _configure(self) -> None:
        try:
            self._client().get_index(self._index_name)
        except MeilisearchApiError as exc:
            if exc.code != "index_not_found":
                raise
            info = self._client().create_index(self._index_name, {"primaryKey": PRIMARY_KEY})
            self._wait(info, tolerate="index_already_exists")  # another process won the race
        rules = self._index().get_ranking_rules()
        self._wait(self._index().update_settings(index_settings(rules)))

    # -- writes ---------------------------------------------------------------------------

    def upsert(self, docs: Sequence[CaseStudyDocument]) -> None:
        latest = {doc.id: doc for doc in docs}
        check_ids(latest)
        payload = [to_meili(doc) for doc in latest.values()]

        def run() -> None:
            tasks = [
                self._index().add_documents(list(batch), primary_key=PRIMARY_KEY)
                for batch in _batches(payload)
            ]
            for info in tasks:
                self._wait(info)

        if payload:
            self._call(run)

    def delete(self, ids: Sequence[str]) -> None:
        keys = sorted({primary_key(doc_id) for doc_id in ids})

        def run() -> None:
            tasks = [
                self._index().delete_documents(filter=in_filter(PRIMARY_KEY, batch))
                for batch in _batches(keys)
            ]
            for info in tasks:
                self._wait(info)

        if keys:
            self._call(run)

    def clear(self) -> None:
        self._call(lambda: self._wait(self._index().delete_all_documents()))

    # -- reads ----------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        check_filters(query)
        if matches_nothing(query):
            return SearchResult(0, [], empty_facets(query.with_facets))
        # Plain words only: Meilisearch's own syntax (quoted phrases, -negation) stays inert.
        q = query_text(text.parse(query.text))
        params, skip = search_parameters(query, has_text=bool(q))
        response = self._call(lambda: self._index().search(q, params))
        newest = "sort" in params
        hits = [parse_hit(hit, newest=newest) for hit in response.get("hits", [])[skip:]]
        total = int(response.get("totalHits", response.get("estimatedTotalHits", len(hits))))
        facets = parse_facets(response) if query.with_facets else {}
        return SearchResult(total, hits, facets)

    def count(self) -> int:
        return self._call(lambda: int(self._index().get_stats().number_of_documents))

    def ping(self) -> bool:
        if self._closed:
            return False
        try:
            return bool(self._client().is_healthy())
        except MeilisearchError:
            return False

    def close(self) -> None:
        # The client holds no pooled connections (plain requests calls): nothing to release.
        self._closed = True

    def __enter__(self) -> MeiliBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
