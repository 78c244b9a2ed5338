"""Choosing and opening a backend; tantivy-specific failure modes the contract cannot cover."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import tantivy

from search.factory import open_backend
from search.port import SearchError, SearchQuery
from tests.search.conftest import MEILI_SKIP, make_doc


def test_without_a_url_it_is_tantivy_on_disk(tmp_path: Path) -> None:
    backend = open_backend(None, None, tmp_path / "index")
    try:
        assert backend.name == "tantivy"
        backend.upsert([make_doc("a", "Transport")])
    finally:
        backend.close()
    assert (tmp_path / "index" / "meta.json").exists()
    reopened = open_backend("", None, tmp_path / "index")  # an empty URL is no URL
    try:
        assert reopened.count() == 1
    finally:
        reopened.close()


@pytest.mark.skipif(not os.environ.get("EXCHANGE_MEILI_URL"), reason=MEILI_SKIP)
def test_with_a_url_it_is_meilisearch(tmp_path: Path) -> None:
    url = os.environ["EXCHANGE_MEILI_URL"]
    backend = open_backend(url, os.environ.get("EXCHANGE_MEILI_KEY"), tmp_path, "test_factory")
    try:
        assert backend.name == "meilisearch"
        assert backend.ping()
    finally:
        backend.clear()
        backend.close()


def test_an_index_with_another_schema_is_refused_not_deleted(tmp_path: Path) -> None:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("something_else", stored=True)
    old = tantivy.Index(builder.build(), path=str(tmp_path))
    writer = old.writer(15_000_000, 1)
    writer.add_document(tantivy.Document(something_else="keep me"))
    writer.commit()
    writer.wait_merging_threads()
    with pytest.raises(SearchError, match="delete the directory and reindex"):
        open_backend(None, None, tmp_path)
    assert (tmp_path / "meta.json").exists()


def test_a_closed_backend_refuses_work(tmp_path: Path) -> None:
    backend = open_backend(None, None, tmp_path)
    backend.close()
    with pytest.raises(SearchError, match="closed"):
        backend.search(SearchQuery(text="x"))
    with pytest.raises(SearchError, match="closed"):
        backend.upsert([make_doc("a")])
