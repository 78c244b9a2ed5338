"""Fixtures for the search room: one contract, every backend.

`backend` is parametrised over tantivy (a fresh on-disk index under tmp_path) and Meilisearch
(a fresh index on the server at EXCHANGE_MEILI_URL, key EXCHANGE_MEILI_KEY, deleted after the
test). Without EXCHANGE_MEILI_URL the Meilisearch cases are skipped with the reason.

This `backend` fixture overrides the database-level one of tests/conftest.py for this folder.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from search.port import CaseStudyDocument, SearchBackend
from tests.search.quality_corpus import CORPUS

BACKENDS = ["tantivy", "meilisearch"]
MEILI_SKIP = "EXCHANGE_MEILI_URL not set: no Meilisearch server on this machine"


@dataclass
class Storage:
    """Where one test's index lives; `open` can be called again to reopen the same index."""

    kind: str
    opener: Callable[[], SearchBackend]
    cleanup: Callable[[], None] = lambda: None
    opened: list[SearchBackend] = field(default_factory=list)

    def open(self) -> SearchBackend:
        backend = self.opener()
        self.opened.append(backend)
        return backend

    def close_all(self) -> None:
        for backend in self.opened:
            backend.close()
        self.cleanup()


def make_storage(kind: str, directory: Path) -> Storage:
    if kind == "tantivy":
        from search.tantivy_adapter import TantivyBackend

        return Storage(kind, lambda: TantivyBackend(directory / "index"))
    url = os.environ.get("EXCHANGE_MEILI_URL")
    if not url:
        pytest.skip(MEILI_SKIP)
    return _meili_storage(url, os.environ.get("EXCHANGE_MEILI_KEY"))


def _meili_storage(url: str, key: str | None) -> Storage:
    import meilisearch

    from search.meili_adapter import MeiliBackend

    name = f"test_search_{uuid.uuid4().hex[:12]}"

    def cleanup() -> None:
        client = meilisearch.Client(url, key)
        client.wait_for_task(client.delete_index(name).task_uid)

    return Storage("meilisearch", lambda: MeiliBackend(url, key, name), cleanup)


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    store = make_storage(str(request.param), tmp_path)
    yield store
    store.close_all()


@pytest.fixture
def backend(storage: Storage) -> SearchBackend:
    """An empty backend of each kind (parametrised through `storage`)."""
    return storage.open()


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchBackend]:
    """Each kind of backend loaded once with the quality corpus (read-only tests only)."""
    store = make_storage(str(request.param), tmp_path_factory.mktemp("corpus"))
    loaded = store.open()
    loaded.upsert(CORPUS)
    yield loaded
    store.close_all()


_DEFAULTS: dict[str, Any] = {
    "summary": "",
    "body": "",
    "themes": ("annual_reviews",),
    "phase": "IMPLEMENTATION",
    "region": "London",
    "authority_type": "London borough",
    "authority_code": "801",
    "author_label": "Ashvale Borough Council",
    "evidence_strength": 3,
    "metrics": (),
    "year": 2023,
    "published_at": 1_700_000_000,
}


def make_doc(
    doc_id: str, title: str = "Untitled case study", **overrides: Any
) -> CaseStudyDocument:
    """A valid document; tests override only what they are about."""
    return CaseStudyDocument(id=doc_id, title=title, **{**_DEFAULTS, **overrides})


def pseudonymous(doc: CaseStudyDocument, label: str = "A large shire county") -> CaseStudyDocument:
    return replace(doc, authority_code=None, region=None, author_label=label)
