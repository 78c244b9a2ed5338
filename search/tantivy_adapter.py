"""Search in-process with tantivy (tantivy-py 0.2x), on disk or in memory.

Queries are always built programmatically from plain words (search.text.parse); user text is
never handed to tantivy's query parser, so no user syntax can reach the engine.

Per word the query ORs:
  * BM25 term queries on the *stemmed* fields, each boosted by its field weight;
  * fuzzy term queries (Meilisearch's typo budget) on *unstemmed* copies of the text: typos are
    edits of the word as typed, and "psycholgist" is two edits from the stem "psycholog";
  * for an unfinished last word, a prefix (fuzzy-prefix) query on the unstemmed copies:
    as-you-type. A trailing space or punctuation marks the word finished, as in Meilisearch.
Fuzzy and prefix queries score a constant, so an exact match always outranks a typo match.
Words are ANDed (stop words are optional); when that finds nothing the words are ORed instead,
which is roughly what Meilisearch's default matching strategy does.
Synonym terms (search.synonyms) found in the query become one unit: an OR over every term of
the group, each as a phrase query on the stemmed fields.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import tantivy

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
    ELLIPSIS,
    HIGHLIGHT_FIELDS,
    MAX_FACET_VALUES,
    MAX_WORD_BYTES,
    MIN_PREFIX_LEN,
    SEARCHABLE_FIELDS,
    SNIPPET_MAX_CHARS,
    check_filters,
    check_ids,
    empty_facets,
    facet_values,
    matches_nothing,
    result_window,
    searchable_author,
)
from search.synonyms import SynonymGroup, find_spans

# Built-in tokenizers, so an index opened later needs nothing registered.
# en_stem = simple tokenizer + remove_long(40) + lowercase + English stemmer;
# default = the same without the stemmer.
_STEMMED = "en_stem"
_UNSTEMMED = "default"

# Unstemmed copies for fuzzy and prefix matching. Documents only (no positions): these are
# never phrase-queried and their score is constant anyway.
TITLE_WORDS = "title_words"
ALL_WORDS = "all_words"

# Constant scores of typo and prefix matches: below a typical BM25 match, title above body.
FUZZY_BOOST_TITLE = 1.5
FUZZY_BOOST_ALL = 0.5

WRITER_HEAP_BYTES = 64_000_000
# Another process may hold the writer lock for a moment (one writer per index directory).
WRITER_LOCK_WAIT_SECONDS = 5.0

_STEMMER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(MAX_WORD_BYTES))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)
_STEM_LOCK = threading.Lock()


@lru_cache(maxsize=20_000)
def _stem(word: str) -> str:
    """The en_stem form of one lower-cased word, exactly as the index stored it."""
    with _STEM_LOCK:  # the analyzer is a mutable Rust object: one caller at a time
        tokens = _STEMMER.analyze(word)
    return tokens[0] if tokens else word


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in ("title", "summary", "body"):
        builder.add_text_field(name, stored=True, tokenizer_name=_STEMMED)
    builder.add_text_field("author", tokenizer_name=_STEMMED)
    builder.add_text_field(TITLE_WORDS, tokenizer_name=_UNSTEMMED, index_option="basic")
    builder.add_text_field(ALL_WORDS, tokenizer_name=_UNSTEMMED, index_option="basic")
    # Facets are raw (untokenised) fast fields: exact-match filters and terms aggregations.
    for name in FACET_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    builder.add_text_field("authority_code", tokenizer_name="raw")
    # An integer, not unsigned, field: add_unsigned_field can kill the writer ("Expected a U64").
    builder.add_integer_field("published_at", indexed=True, fast=True)
    return builder.build()


# --------------------------------------------------------------------------------------------
# Query planning


@dataclass(frozen=True)
class _Unit:
    """One required (or optional) part of the query: a word, or a synonym term."""

    words: tuple[str, ...]
    group: SynonymGroup | None
    prefix: bool  # the query's unfinished last word: also matched as a prefix

    @property
    def optional(self) -> bool:
        return self.group is None and all(w in text.STOPWORDS for w in self.words)


@dataclass(frozen=True)
class _HighlightSpec:
    stems: frozenset[str]  # stemmed terms to mark
    fuzzy: tuple[tuple[str, int], ...]  # (word, typo budget): mark typo'd variants
    prefix: tuple[str, int] | None  # (last word, typo budget): mark words it begins


@dataclass(frozen=True)
class _Plan:
    strict: tantivy.Query  # every non-stop word required
    relaxed: tantivy.Query | None  # any word will do: the fallback when strict finds nothing
    highlight: _HighlightSpec


def _units(query: text.UserQuery) -> list[_Unit]:
    words = list(query.words)
    units: list[_Unit] = []
    spans = {span.start: span for span in find_spans(words)}
    position = 0
    while position < len(words):
        span = spans.get(position)
        end = span.end if span else position + 1
        # A finished synonym phrase ("alternative provision") is not a prefix of anything,
        # but a single word still may be ("sen" -> "senco"), as in Meilisearch.
        prefix = (
            query.last_is_partial
            and end == len(words)
            and end - position == 1
            and len(words[-1]) >= MIN_PREFIX_LEN
        )
        units.append(_Unit(tuple(words[position:end]), span.group if span else None, prefix))
        position = end
    return units


def _should(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


class _QueryBuilder:
    def __init__(self, schema: tantivy.Schema) -> None:
        self._schema = schema

    def plan(self, user_text: str) -> _Plan | None:
        query = text.parse(user_text)
        if not query.words:
            return None
        units = _units(query)
        queries = [self._unit_query(unit) for unit in units]
        required = [q for q, u in zip(queries, units, strict=True) if not u.optional]
        optional = [q for q, u in zip(queries, units, strict=True) if u.optional]
        if not required:  # a query of stop words only: require them after all
            required, optional = optional, []
        strict = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, q) for q in required]
            + [(tantivy.Occur.Should, q) for q in optional]
        )
        # Stop words stay out of the fallback: "and" alone would match nearly everything.
        relaxed = _should(required) if len(required) > 1 else None
        return _Plan(strict, relaxed, _highlight_spec(units))

    def _unit_query(self, unit: _Unit) -> tantivy.Query:
        clauses: list[tantivy.Query] = []
        if unit.group is not None:
            for term in unit.group.terms:
                clauses.extend(self._exact_clauses([_stem(w) for w in term]))
        else:
            clauses.extend(self._exact_clauses([_stem(unit.words[0])]))
        if len(unit.words) == 1:
            # Typos and prefixes per word; a synonym phrase is matched as a phrase only, or
            # "alternative provision" would match any document saying "provision".
            clauses.extend(self._loose_clauses(unit.words[0], prefix=unit.prefix))
        return _should(clauses)

    def _exact_clauses(self, stems: list[str]) -> list[tantivy.Query]:
        """BM25 on every stemmed field, weighted by field: a term or, for several, a phrase."""
        clauses = []
        for field in SEARCHABLE_FIELDS:
            if len(stems) == 1:
                query = tantivy.Query.term_query(self._schema, field.name, stems[0])
            else:  # phrase_query panics on a single word, hence the branch
                query = tantivy.Query.phrase_query(self._schema, field.name, list(stems))
            clauses.append(tantivy.Query.boost_query(query, field.boost))
        return clauses

    def _loose_clauses(self, word: str, *, prefix: bool) -> list[tantivy.Query]:
        """Typo-tolerant (and, for the last word, prefix) matches on the unstemmed copies."""
        budget = text.typo_budget(word)
        if budget == 0 and not prefix:
            return []
        return [
            tantivy.Query.boost_query(
                tantivy.Query.fuzzy_term_query(self._schema, field, word, budget, True, prefix),
                boost,
            )
            for field, boost in ((TITLE_WORDS, FUZZY_BOOST_TITLE), (ALL_WORDS, FUZZY_BOOST_ALL))
        ]

    def filter_query(self, query: SearchQuery) -> tantivy.Query | None:
        """AND across fields, OR within one; None when nothing is filtered."""
        clauses = [
            tantivy.Query.term_set_query(self._schema, name, list(values))
            for name, values in sorted(query.filters.items())
        ]
        if query.authority_codes is not None:
            # Pseudonymous documents have no authority_code term, so they never match.
            clauses.append(
                tantivy.Query.term_set_query(
                    self._schema, "authority_code", list(query.authority_codes)
                )
            )
        if not clauses:
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in clauses])


def _highlight_spec(units: list[_Unit]) -> _HighlightSpec:
    stems: set[str] = set()
    fuzzy: list[tuple[str, int]] = []
    prefix: tuple[str, int] | None = None
    for unit in units:
        words = [w for term in unit.group.terms for w in term] if unit.group else unit.words
        stems.update(_stem(w) for w in words if w not in text.STOPWORDS)
        last_word = unit.words[-1]
        if unit.prefix:
            prefix = (last_word, text.typo_budget(last_word))
        elif unit.group is None and not unit.optional and text.typo_budget(last_word) > 0:
            fuzzy.append((last_word, text.typo_budget(last_word)))
    return _HighlightSpec(frozenset(stems), tuple(fuzzy), prefix)


def _combine(text_query: tantivy.Query | None, filters: tantivy.Query | None) -> tantivy.Query:
    if text_query is None:
        return filters if filters is not None else tantivy.Query.all_query()
    if filters is None:
        return text_query
    # Filters must not move scores: wrap them in a zero constant score.
    return tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Must, text_query),
            (tantivy.Occur.Must, tantivy.Query.const_score_query(filters, 0.0)),
        ]
    )


# --------------------------------------------------------------------------------------------
# Highlighting


def _highlight_stems(spec: _HighlightSpec, docs: list[tantivy.Document]) -> set[str]:
    """The spec's stems plus the stems of the typo'd and prefixed words the hits contain.

    tantivy's SnippetGenerator only knows the terms of term and phrase queries; fuzzy and
    prefix queries expand inside the engine. So the words of the displayed hits are matched
    here (a few hundred words, cheap) and their stems added as plain terms.
    """
    stems = set(spec.stems)
    if not spec.fuzzy and spec.prefix is None:
        return stems
    vocab = text.Vocabulary([_stored(doc, f) for doc in docs for f in HIGHLIGHT_FIELDS])
    for word, budget in spec.fuzzy:
        stems.update(_stem(w) for w in vocab.near(word, budget))
    if spec.prefix is not None:
        word, budget = spec.prefix
        stems.update(_stem(w) for w in vocab.prefixed(word, budget))
    return stems


def _stored(doc: tantivy.Document, field: str) -> str:
    value = doc.get_first(field)
    return value if isinstance(value, str) else ""


# One C-level pass instead of html.escape's five replace() calls; same output.
_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
)


def _escape(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").translate(_HTML_ESCAPES)


def _snippet_html(snippet: tantivy.Snippet, full_text: str) -> str | None:
    """Escape the fragment ourselves and wrap hits in <mark> (to_html only offers <b>).

    Highlight ranges are byte offsets into the UTF-8 fragment, hence the bytes.
    """
    ranges = sorted((r.start, r.end) for r in snippet.highlighted())
    if not ranges:
        return None
    fragment = snippet.fragment().encode("utf-8")
    parts: list[str] = []
    position = 0
    for start, end in ranges:
        start = max(start, position)  # never overlap a previous mark
        if end <= start:
            continue
        parts.append(_escape(fragment[position:start]))
        parts.append(f"<mark>{_escape(fragment[start:end])}</mark>")
        position = end
    parts.append(_escape(fragment[position:]))
    bounds = snippet.fragment_range()
    whole = full_text.encode("utf-8")
    return _edge(whole[: bounds.start]) + "".join(parts) + _edge(whole[bounds.end :])


def _edge(cut: bytes) -> str:
    """What stands for text outside the fragment: an ellipsis if it holds words, else itself.

    Fragments end on word boundaries, so a title's closing "." or ")" would otherwise turn
    into a misleading "…".
    """
    if len(cut) <= 8 and not any(ch.isalnum() for ch in cut.decode("utf-8", errors="replace")):
        return _escape(cut)
    return ELLIPSIS


# --------------------------------------------------------------------------------------------
# The backend


class TantivyBackend:
    """A SearchBackend over a tantivy index in `index_dir` (in memory when None).

    Writes take a writer for the duration of one call (one commit per call) and release it, so
    several processes may share an index directory as long as they do not write at the same
    instant (the writer lock is waited for, briefly). Searches never block on writes.
    """

    name = "tantivy"

    def __init__(self, index_dir: Path | None = None) -> None:
        self._schema = build_schema()
        self._index = _open_index(self._schema, index_dir)
        self._builder = _QueryBuilder(self._schema)
        self._write_lock = threading.Lock()
        self._closed = False

    # -- writes ---------------------------------------------------------------------------

    def upsert(self, docs: Sequence[CaseStudyDocument]) -> None:
        latest = {doc.id: doc for doc in docs}  # the same id twice: the last one wins
        if not latest:
            return
        check_ids(latest)
        prepared = [self._to_tantivy(doc) for doc in latest.values()]
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
            writer = self._acquire_writer()
            try:
                yield writer
                writer.commit()
            except (ValueError, RuntimeError, OSError) as exc:
                _rollback(writer)
                raise SearchError(f"tantivy write failed: {exc}") from exc
            finally:
                _release(writer)
            self._index.reload()  # visible to this process's searches on return

    def _acquire_writer(self) -> tantivy.IndexWriter:
        deadline = time.monotonic() + WRITER_LOCK_WAIT_SECONDS
        while True:
            try:
                return self._index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            except ValueError as exc:
                if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                    raise SearchError(f"cannot open a tantivy writer: {exc}") from exc
                time.sleep(0.05)

    def _to_tantivy(self, doc: CaseStudyDocument) -> tantivy.Document:
        title, summary, body = (text.normalise(v) for v in (doc.title, doc.summary, doc.body))
        out = tantivy.Document()
        out.add_text("id", doc.id)
        out.add_text("title", title)
        out.add_text("summary", summary)
        out.add_text("body", body)
        out.add_text(TITLE_WORDS, title)
        for value in (title, summary, body):
            out.add_text(ALL_WORDS, value)
        author = searchable_author(doc)
        if author is not None:
            out.add_text("author", text.normalise(author))
            out.add_text(ALL_WORDS, text.normalise(author))
        if doc.authority_code is not None:
            # A raw filter term only, never text: see settings.FILTERABLE_FIELDS.
            out.add_text("authority_code", doc.authority_code)
        for name, values in facet_values(doc).items():
            for value in values:
                out.add_text(name, value)
        out.add_integer("published_at", int(doc.published_at))
        return out

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
            combined = _combine(plan.strict if plan else None, filters)
            total, found = _run(searcher, combined, offset, limit, newest=newest)
            if total == 0 and plan is not None and plan.relaxed is not None:
                combined = _combine(plan.relaxed, filters)
                total, found = _run(searcher, combined, offset, limit, newest=newest)
            hits = self._hits(searcher, found, plan)
            facets = _facets(searcher, combined) if query.with_facets else {}
        except (ValueError, RuntimeError, OSError) as exc:
            raise SearchError(f"tantivy search failed: {exc}") from exc
        return SearchResult(total, hits, facets)

    def _hits(
        self,
        searcher: tantivy.Searcher,
        found: list[tuple[float, tantivy.DocAddress]],
        plan: _Plan | None,
    ) -> list[SearchHit]:
        docs = [searcher.doc(address) for _, address in found]
        marks: list[dict[str, list[str]]] = [{} for _ in docs]
        if plan is not None and docs:
            marks = self._highlights(searcher, plan.highlight, docs)
        return [
            SearchHit(id=_stored(doc, "id"), score=score, highlights=mark)
            for (score, _), doc, mark in zip(found, docs, marks, strict=True)
        ]

    def _highlights(
        self, searcher: tantivy.Searcher, spec: _HighlightSpec, docs: list[tantivy.Document]
    ) -> list[dict[str, list[str]]]:
        stems = _highlight_stems(spec, docs)
        if not stems:
            return [{} for _ in docs]
        marker = _should(
            [
                tantivy.Query.term_query(self._schema, name, stem)
                for name in HIGHLIGHT_FIELDS
                for stem in sorted(stems)
            ]
        )
        generators = {}
        for name in HIGHLIGHT_FIELDS:
            generator = tantivy.SnippetGenerator.create(searcher, marker, self._schema, name)
            generator.set_max_num_chars(SNIPPET_MAX_CHARS[name])
            generators[name] = generator
        out = []
        for doc in docs:
            marks: dict[str, list[str]] = {}
            for name, generator in generators.items():
                snippet = _snippet_html(generator.snippet_from_doc(doc), _stored(doc, name))
                if snippet:
                    marks[name] = [snippet]
            out.append(marks)
        return out

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


def _open_index(schema: tantivy.Schema, index_dir: Path | None) -> tantivy.Index:
    if index_dir is None:
        return tantivy.Index(schema)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        return tantivy.Index(schema, path=str(index_dir), reuse=True)
    except ValueError as exc:
        # Most likely an index built by an older version of this schema. The index is derived
        # data: delete the directory and reindex. It is not deleted here, on purpose.
        raise SearchError(
            f"cannot open the tantivy index at {index_dir} ({exc}); "
            "if its schema is out of date, delete the directory and reindex"
        ) from exc
    except OSError as exc:
        raise SearchError(f"cannot open the tantivy index at {index_dir}: {exc}") from exc


def _rollback(writer: tantivy.IndexWriter) -> None:
    with suppress(ValueError, RuntimeError):  # the original error is the one worth reporting
        writer.rollback()


def _release(writer: tantivy.IndexWriter) -> None:
    """Finish background merges and drop the writer, which releases the directory lock."""
    with suppress(ValueError, RuntimeError):
        writer.wait_merging_threads()


def _run(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    offset: int,
    limit: int,
    *,
    newest: bool,
) -> tuple[int, list[tuple[float, tantivy.DocAddress]]]:
    """(total, [(score, address)]) for one page. tantivy panics on limit 0, so never pass it."""
    if limit == 0:
        return _count(searcher.search(query, 1, count=True)), []
    if newest:
        result = searcher.search(
            query,
            limit,
            count=True,
            order_by_field="published_at",
            offset=offset,
            order=tantivy.Order.Desc,
        )
        return _count(result), [(0.0, address) for _, address in result.hits]
    result = searcher.search(query, limit, count=True, offset=offset)
    return _count(result), [(float(score), address) for score, address in result.hits]


def _count(result: Any) -> int:
    count = getattr(result, "count", None)
    return int(count) if count is not None else len(result.hits)


def _facets(searcher: tantivy.Searcher, query: tantivy.Query) -> dict[str, dict[str, int]]:
    """Counts per facet value over the whole result set: one terms aggregation per facet."""
    request = {name: {"terms": {"field": name, "size": MAX_FACET_VALUES}} for name in FACET_FIELDS}
    raw = searcher.aggregate(query, request)
    return {
        name: {
            str(bucket["key"]): int(bucket["doc_count"])
            for bucket in raw.get(name, {}).get("buckets", [])
        }
        for name in FACET_FIELDS
    }
