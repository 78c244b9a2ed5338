"""Search in-process with tantivy (tantivy-py 0.2x), on disk or in memory.

The adapter module: ``TantivyBackend`` is the SearchBackend (search/port.py). Its parts are
private to it: search/tantivy_index.py (schema, documents, stemmer, index directory and
writer), search/tantivy_query.py (query planning: words, typos, prefixes, synonyms, filters,
facets) and search/tantivy_highlight.py (snippets). User text is never handed to tantivy's query
parser, so no user syntax can reach the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import tantivy

from search.port import CaseStudyDocument, SearchError, SearchHit, SearchQuery, SearchResult
from search.settings import check_filters, check_ids, empty_facets, matches_nothing, result_window
from search.tantivy_highlight import highlights
from search.tantivy_index import (
    acquire_writer,
    build_schema,
    open_index,
    release,
    rollback,
    stored,
    to_document,
)
from search.tantivy_query import Plan, QueryBuilder, combine, facet_counts, run


class TantivyBackend:
    """A SearchBackend over a tantivy index in `index_dir` (in memory when None).

    Writes take a writer for the duration of one call (one commit per call) and release it, so
    several processes may share an index directory as long as they do not write at the same
    instant (the writer lock is waited for, briefly). Searches never block on writes.
    """

    name = "tantivy"

    def __init__(self, index_dir: Path | None = None) -> None:
        self._schema = build_schema()
        self._index = open_index(self._schema, index_dir)
        self._builder = QueryBuilder(self._schema)
        self._write_lock = threading.Lock()
        self._closed = False

    # -- writes ---------------------------------------------------------------------------

    def upsert(self, docs: Sequence[CaseStudyDocument]) -> None:
        latest = {doc.id: doc for doc in docs}  # the same id twice: the last one wins
        if not latest:
            return
        check_ids(latest)
        prepared = [to_document(doc) for doc in latest.values()]
        with self._writer() as writer:
            for doc_id in latest:
                writer.delete_documents_by_term("id", doc_id)
            for doc in prepared:
                writer.add_document(doc)

    def delete(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._writer() as writer:
            for doc_id in set(ids):
                writer.delete_documents_by_term("id", doc_id)

    def clear(self) -> None:
        with self._writer() as writer:
            writer.delete_all_documents()

    @contextmanager
    def _writer(self) -> Iterator[tantivy.IndexWriter]:
        """A writer for one batch: commit, make it visible, release the directory lock."""
        self._ensure_open()
        with self._write_lock:
            writer = acquire_writer(self._index)
            try:
                yield writer
                writer.commit()
            except (ValueError, RuntimeError, OSError) as exc:
                rollback(writer)
                raise SearchError(f"tantivy write failed: {exc}") from exc
            finally:
                release(writer)
            self._index.reload()  # visible to this process's searches on return

    # -- reads ----------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        check_filters(query)
        self._ensure_open()
        if matches_nothing(query):
            return SearchResult(0, [], empty_facets(query.with_facets))
        offset, limit = result_window(query)
        plan = self._builder.plan(query.text)
        filters = self._builder.filter_query(query)
        newest = plan is None or query.sort == "newest"
        try:
            searcher = self._index.searcher()
            combined = combine(plan.strict if plan else None, filters)
            total, found = run(searcher, combined, offset, limit, newest=newest)
            if total == 0 and plan is not None and plan.relaxed is not None:
                combined = combine(plan.relaxed, filters)
                total, found = run(searcher, combined, offset, limit, newest=newest)
            hits = self._hits(searcher, found, plan)
            facets = facet_counts(searcher, combined) if query.with_facets else {}
        except (ValueError, RuntimeError, OSError) as exc:
            raise SearchError(f"tantivy search failed: {exc}") from exc
        return SearchResult(total, hits, facets)

    def _hits(
        self,
        searcher: tantivy.Searcher,
        found: list[tuple[float, tantivy.DocAddress]],
        plan: Plan | None,
    ) -> list[SearchHit]:
        docs = [searcher.doc(address) for _, address in found]
        marks: list[dict[str, list[str]]] = [{} for _ in docs]
        if plan is not None and docs:
            marks = highlights(searcher, self._schema, plan.highlight, docs)
        return [
            SearchHit(id=stored(doc, "id"), score=score, highlights=mark)
            for (score, _), doc, mark in zip(found, docs, marks, strict=True)
        ]

    def count(self) -> int:
        self._ensure_open()
        return int(self._index.searcher().num_docs)

    def ping(self) -> bool:
        if self._closed:
            return False
        try:
            self._index.searcher()
        except (ValueError, RuntimeError, OSError):
            return False
        return True

    def close(self) -> None:
        with self._write_lock:
            self._closed = True

    def __enter__(self) -> TantivyBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _ensure_open(self) -> None:
        if self._closed:
            raise SearchError("the tantivy backend is closed")
