"""The Meilisearch adapter's translation layer, without a server.

The contract suite covers behaviour when EXCHANGE_MEILI_URL points at a server; these tests
pin down what the adapter sends and how it reads answers, and that a failed task raises.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from search import meili_adapter
from search.meili_adapter import (
    PRIMARY_KEY,
    MeiliBackend,
    filter_expressions,
    in_filter,
    index_settings,
    marked_html,
    page_parameters,
    parse_facets,
    parse_hit,
    primary_key,
    query_text,
    quote,
    search_parameters,
    to_meili,
)
from search.port import FACET_FIELDS, SearchError, SearchQuery
from search.text import parse
from tests.search.conftest import make_doc, pseudonymous

PRE, POST = "\ue000", "\ue001"


def test_filter_values_are_quoted_and_escaped() -> None:
    assert quote("London") == '"London"'
    assert quote('a"b') == '"a\\"b"'
    assert quote("back\\slash") == '"back\\\\slash"'
    assert quote('x" OR region != "y') == '"x\\" OR region != \\"y"'


def test_filter_expressions() -> None:
    query = SearchQuery(
        filters={"year": ("2023",), "region": ("London", "North West")},
        authority_codes=("801", "802"),
    )
    assert filter_expressions(query) == [
        'region IN ["London", "North West"]',
        'year IN ["2023"]',
        'authority_code IN ["801", "802"]',
    ]
    assert filter_expressions(SearchQuery()) == []
    assert in_filter("pk", ["a"]) == 'pk IN ["a"]'


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("psycho", "psycho"),  # unfinished last word: Meilisearch matches it as a prefix
        ("annual review ", "annual review "),  # finished: the trailing space turns that off
        ("annual review.", "annual review "),
        ("education health and care plan quality", "ehcp quality"),
        ("education, health and care plan", "ehcp "),  # a finished phrase is no prefix
        ("EHC plan", "ehcp "),
        ("alternative provision", "ap "),
        ("SEN", "sen"),  # a single word stays as typed and may still be a prefix
        ("NOT transport", "transport"),
        ("the annual reviews of", "annual reviews "),
        ("AND OR NOT", "and or not"),  # nothing but stop words: keep them
        ('title:"foo" -bar~2^3', "title foo bar 2 3"),
        ("", ""),
        ("*** !!!", ""),
    ],
)
def test_query_text(typed: str, sent: str) -> None:
    assert query_text(parse(typed)) == sent


@pytest.mark.parametrize(
    ("offset", "limit", "params", "skip"),
    [
        (0, 20, {"page": 1, "hitsPerPage": 20}, 0),
        (40, 20, {"page": 3, "hitsPerPage": 20}, 0),
        (3, 5, {"page": 1, "hitsPerPage": 8}, 3),
        (10, 0, {"page": 1, "hitsPerPage": 0}, 0),
    ],
)
def test_page_parameters(offset: int, limit: int, params: dict[str, int], skip: int) -> None:
    assert page_parameters(offset, limit) == (params, skip)


def test_search_parameters_with_text() -> None:
    params, skip = search_parameters(
        SearchQuery(text="x", filters={"year": ("2023",)}), has_text=True
    )
    assert skip == 0
    assert params["attributesToHighlight"] == ["title", "summary", "body"]
    assert (params["highlightPreTag"], params["highlightPostTag"]) == (PRE, POST)
    assert params["facets"] == list(FACET_FIELDS)
    assert params["filter"] == ['year IN ["2023"]']
    assert "sort" not in params


def test_search_parameters_without_text_sort_newest_and_skip_highlights() -> None:
    params, _ = search_parameters(SearchQuery(with_facets=False), has_text=False)
    assert params["sort"] == ["published_at:desc"]
    assert "attributesToHighlight" not in params
    assert "facets" not in params
    assert "filter" not in params


def test_highlights_are_escaped_then_marked() -> None:
    formatted = f'<script>alert(1)</script> & {PRE}transport{POST} "q"'
    assert marked_html(formatted) == (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>transport</mark> &quot;q&quot;"
    )


def test_parse_hit() -> None:
    hit = {
        "id": "a",
        "_rankingScore": 0.75,
        "_formatted": {"title": f"{PRE}Transport{POST} savings", "summary": "plain", "body": None},
    }
    parsed = parse_hit(hit, newest=False)
    assert (parsed.id, parsed.score) == ("a", 0.75)
    assert parsed.highlights == {"title": ["<mark>Transport</mark> savings"]}
    assert parse_hit(hit, newest=True).score == 0.0


def test_parse_facets_has_every_field() -> None:
    facets = parse_facets({"facetDistribution": {"region": {"London": 2}, "year": {"2023": 1}}})
    assert set(facets) == set(FACET_FIELDS)
    assert facets["region"] == {"London": 2}
    assert facets["theme"] == {}


def test_documents_for_meilisearch() -> None:
    named = to_meili(make_doc("a/b", f"Title {PRE}x{POST}", year=2022, evidence_strength=4))
    assert named[PRIMARY_KEY] == primary_key("a/b")
    assert named[PRIMARY_KEY].isalnum() and len(named[PRIMARY_KEY]) == 64
    assert named["id"] == "a/b"
    assert named["title"] == "Title x"  # highlight sentinels cannot be forged from documents
    assert named["year"] == ["2022"] and named["evidence_strength"] == ["4"]
    assert named["author"] == "Ashvale Borough Council"
    hidden = to_meili(pseudonymous(make_doc("p")))
    assert hidden["authority_code"] is None
    assert hidden["author"] is None  # the pseudonym label is never searchable
    assert hidden["region"] == []  # so it is never counted or matched


def test_index_settings() -> None:
    settings = index_settings(["words", "typo", "sort", "attributeRank", "exactness"])
    assert settings["searchableAttributes"][0] == "title"
    assert "authority_code" not in settings["searchableAttributes"]
    assert set(settings["filterableAttributes"]) == {*FACET_FIELDS, "authority_code", PRIMARY_KEY}
    assert settings["sortableAttributes"] == ["published_at"]
    assert settings["rankingRules"] == ["sort", "words", "typo", "attributeRank", "exactness"]
    assert "educational psychologist" in settings["synonyms"]["ep"]
    assert settings["typoTolerance"]["minWordSizeForTypos"] == {"oneTypo": 5, "twoTypos": 9}


# -- task handling against a fake client ----------------------------------------------------------


class _FakeIndex:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses
        self.calls: list[str] = []

    def _task(self, name: str) -> Any:
        self.calls.append(name)
        return SimpleNamespace(task_uid=len(self.calls))

    def get_ranking_rules(self) -> list[str]:
        return ["words", "sort"]

    def update_settings(self, body: dict[str, Any]) -> Any:
        return self._task("update_settings")

    def add_documents(self, docs: list[dict[str, Any]], primary_key: str) -> Any:
        return self._task("add_documents")

    def wait_for_task(self, uid: int, timeout_in_ms: int) -> Any:
        status = self.statuses.pop(0) if self.statuses else "succeeded"
        error = None if status == "succeeded" else {"code": "invalid_document_id"}
        return SimpleNamespace(uid=uid, type="x", status=status, error=error)


class _FakeClient:
    index_obj: _FakeIndex

    def __init__(self, url: str, api_key: str | None, timeout: int) -> None:
        pass

    def get_index(self, uid: str) -> Any:
        return SimpleNamespace(uid=uid)

    def index(self, uid: str) -> _FakeIndex:
        return self.index_obj


def _fake_backend(monkeypatch: pytest.MonkeyPatch, statuses: list[str]) -> _FakeIndex:
    fake = _FakeIndex(statuses)
    _FakeClient.index_obj = fake
    monkeypatch.setattr(meili_adapter.meilisearch, "Client", _FakeClient)
    return fake


def test_failed_settings_task_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_backend(monkeypatch, ["failed"])
    with pytest.raises(SearchError, match="failed"):
        MeiliBackend("http://meili.invalid", None)


def test_failed_write_task_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_backend(monkeypatch, ["succeeded", "failed"])
    backend = MeiliBackend("http://meili.invalid", None)
    with pytest.raises(SearchError, match="invalid_document_id"):
        backend.upsert([make_doc("a")])
    assert fake.calls == ["update_settings", "add_documents"]


def test_writes_wait_for_every_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_backend(monkeypatch, [])
    backend = MeiliBackend("http://meili.invalid", None)
    backend.upsert([make_doc(f"d{i}") for i in range(meili_adapter.BATCH_SIZE + 1)])
    assert fake.calls == ["update_settings", "add_documents", "add_documents"]


def test_unreachable_server_is_a_search_error() -> None:
    with pytest.raises(SearchError):
        MeiliBackend("http://127.0.0.1:9", None)  # nothing listens on the discard port
