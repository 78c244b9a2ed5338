"""Search quality: labelled queries over a hand-written corpus, on every backend.

Each query's expected documents must all be in the top 3 (and its `absent` ones nowhere).
The labelled set covers misspellings, synonyms, prefixes, filters and natural phrasing; see
quality_corpus.py for why each query tests what it says.
"""

from __future__ import annotations

from collections import Counter

import pytest

from search.port import SearchBackend, SearchQuery
from tests.search.quality_corpus import CORPUS, QUERIES, LabelledQuery

TOP = 3


def test_the_labelled_set_is_big_and_varied_enough() -> None:
    kinds = Counter(query.kind for query in QUERIES)
    assert len(QUERIES) >= 30
    assert {"misspelling", "synonym", "prefix", "filter"} <= set(kinds)
    assert min(kinds.values()) >= 4
    assert 35 <= len(CORPUS) <= 50


def test_labels_point_at_real_documents() -> None:
    known = {doc.id for doc in CORPUS}
    assert len(known) == len(CORPUS)
    for query in QUERIES:
        assert set(query.expected) | set(query.absent) <= known, query.label


@pytest.mark.parametrize("labelled", QUERIES, ids=[q.label for q in QUERIES])
def test_expected_documents_are_in_the_top_3(
    corpus_backend: SearchBackend, labelled: LabelledQuery
) -> None:
    result = corpus_backend.search(
        SearchQuery(text=labelled.text, filters=labelled.filters, limit=50)
    )
    found = [hit.id for hit in result.hits]
    missing = set(labelled.expected) - set(found[:TOP])
    assert not missing, f"{labelled.label}: {sorted(missing)} not in top {TOP} of {found[:10]}"
    unwanted = set(labelled.absent) & set(found)
    assert not unwanted, f"{labelled.label}: {sorted(unwanted)} should have been filtered out"
