"""The tantivy index of case studies: its schema, documents, stemmer, directory and writer.

Private to search/tantivy_adapter.py (the adapter module); search/tantivy_query.py plans the
queries against this schema.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from functools import lru_cache
from pathlib import Path

import tantivy

from search import text
from search.port import FACET_FIELDS, CaseStudyDocument, SearchError
from search.settings import MAX_WORD_BYTES, facet_values, searchable_author

# Built-in tokenizers, so an index opened later needs nothing registered.
# en_stem = simple tokenizer + remove_long(40) + lowercase + English stemmer;
# default = the same without the stemmer.
_STEMMED = "en_stem"
_UNSTEMMED = "default"

# Unstemmed copies for fuzzy and prefix matching. Documents only (no positions): these are
# never phrase-queried and their score is constant anyway.
TITLE_WORDS = "title_words"
ALL_WORDS = "all_words"

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
def stem(word: str) -> str:
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


def open_index(schema: tantivy.Schema, index_dir: Path | None) -> tantivy.Index:
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


def rollback(writer: tantivy.IndexWriter) -> None:
    with suppress(ValueError, RuntimeError):  # the original error is the one worth reporting
        writer.rollback()


def release(writer: tantivy.IndexWriter) -> None:
    """Finish background merges and drop the writer, which releases the directory lock."""
    with suppress(ValueError, RuntimeError):
        writer.wait_merging_threads()


def acquire_writer(index: tantivy.Index) -> tantivy.IndexWriter:
    """A writer, waiting briefly for another process to release the directory lock."""
    deadline = time.monotonic() + WRITER_LOCK_WAIT_SECONDS
    while True:
        try:
            return index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        except ValueError as exc:
            if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                raise SearchError(f"cannot open a tantivy writer: {exc}") from exc
            time.sleep(0.05)


def to_document(doc: CaseStudyDocument) -> tantivy.Document:
    """A case study as the tantivy document that build_schema() describes."""
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


def stored(doc: tantivy.Document, field: str) -> str:
    value = doc.get_first(field)
    return value if isinstance(value, str) else ""
