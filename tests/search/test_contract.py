"""The search contract: every backend must pass every test here.

Each test runs once per backend through the parametrised `backend` fixture (conftest.py).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.port import FACET_FIELDS, SearchBackend, SearchQuery, SearchResult
from tests.search.conftest import Storage, make_doc, pseudonymous


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


def find(backend: SearchBackend, text: str = "", **kwargs: Any) -> list[str]:
    return ids(backend.search(SearchQuery(text=text, **kwargs)))


# -- writes -------------------------------------------------------------------------------------


def test_upsert_is_visible_on_return_and_counted(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Travel training"), make_doc("b", "Annual reviews")])
    assert backend.count() == 2
    assert find(backend, "travel") == ["a"]


def test_upsert_replaces_by_id_without_duplicates(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Travel training")])
    backend.upsert([make_doc("a", "Portage visits")])
    assert backend.count() == 1
    assert find(backend, "travel") == []
    assert find(backend, "portage") == ["a"]


def test_same_id_twice_in_one_batch_keeps_the_last(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Travel training"), make_doc("a", "Portage visits")])
    assert backend.count() == 1
    assert find(backend, "portage") == ["a"]


def test_empty_upsert_and_delete_are_no_ops(backend: SearchBackend) -> None:
    backend.upsert([])
    backend.delete([])
    assert backend.count() == 0


def test_delete_removes_only_the_given_ids(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Travel one"), make_doc("b", "Travel two")])
    backend.delete(["a", "never-indexed"])
    assert backend.count() == 1
    assert find(backend, "travel") == ["b"]


def test_clear_empties_the_index(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a"), make_doc("b")])
    backend.clear()
    assert backend.count() == 0
    assert backend.search(SearchQuery()).total == 0


def test_data_persists_after_close_and_reopen(storage: Storage) -> None:
    first = storage.open()
    first.upsert([make_doc("a", "Travel training"), make_doc("b", "Annual reviews")])
    first.close()
    reopened = storage.open()
    assert reopened.count() == 2
    assert find(reopened, "travel") == ["a"]
    reopened.upsert([make_doc("c", "Travel buddies")])  # and it is writable again
    assert sorted(find(reopened, "travel")) == ["a", "c"]


def test_ids_are_opaque_strings(backend: SearchBackend) -> None:
    odd = 'id/with spaces+"quotes"&=é'
    backend.upsert([make_doc(odd, "Travel training")])
    assert find(backend, "travel") == [odd]
    backend.delete([odd])
    assert backend.count() == 0


def test_empty_ids_are_rejected(backend: SearchBackend) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        backend.upsert([make_doc("")])
    assert backend.count() == 0


def test_ping_and_close(storage: Storage) -> None:
    backend = storage.open()
    assert backend.ping() is True
    backend.close()
    assert backend.ping() is False


# -- relevance -----------------------------------------------------------------------------------


def test_title_match_outranks_body_only_match(backend: SearchBackend) -> None:
    backend.upsert(
        [
            make_doc(
                "body-only",
                "Reviewing the local offer",
                body="Transport: transport costs, transport contracts and transport routes.",
            ),
            make_doc(
                "in-title",
                "What families told us about transport and how we changed the whole service",
                body="We re-planned taxi contracts across the county with parents and schools.",
            ),
        ]
    )
    assert find(backend, "transport") == ["in-title", "body-only"]
    assert find(backend, "transprot") == ["in-title", "body-only"]  # typo matches too


def test_more_query_words_matched_ranks_higher(backend: SearchBackend) -> None:
    backend.upsert(
        [
            make_doc("one", "Nurture groups"),
            make_doc("both", "Nurture groups in primary schools"),
        ]
    )
    assert find(backend, "nurture primary")[0] == "both"


# -- typo tolerance ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("psycholgist", "ep"),  # one deletion, 11 letters
        ("anual reveiw", "ar"),  # insertion + transposition, one per word
        ("asessmant", "assess"),  # two edits in a 9-letter word
        ("Psycholgist", "ep"),  # case does not matter
    ],
)
def test_typos_are_tolerated(backend: SearchBackend, query: str, expected: str) -> None:
    backend.upsert(
        [
            make_doc("ep", "Educational psychologist capacity"),
            make_doc("ar", "Annual review backlog"),
            make_doc("assess", "Assessment timeliness"),
        ]
    )
    assert find(backend, query) == [expected]


def test_typos_are_not_tolerated_in_short_words(backend: SearchBackend) -> None:
    backend.upsert([make_doc("care", "Care leavers")])
    assert find(backend, "leavres") == ["care"]  # 7 letters: one typo allowed
    assert find(backend, "caer") == []  # 4 letters: none ("caer" is one swap from "care")
    assert find(backend, "care") == ["care"]


def test_typo_tolerance_uses_the_unstemmed_text(backend: SearchBackend) -> None:
    # "psychologists" stems to "psycholog": a fuzzy query on stems would miss this typo.
    backend.upsert([make_doc("ep", "Recruiting psychologists")])
    assert find(backend, "psycholgists") == ["ep"]


# -- prefix --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [("psycho", "ep"), ("alternat", "ap"), ("annual rev", "ar"), ("educational psy", "ep")],
)
def test_last_word_is_a_prefix(backend: SearchBackend, query: str, expected: str) -> None:
    backend.upsert(
        [
            make_doc("ep", "Educational psychologist capacity"),
            make_doc("ap", "Commissioning alternative places"),
            make_doc("ar", "Annual review backlog"),
        ]
    )
    assert find(backend, query) == [expected]


def test_a_finished_word_is_not_a_prefix(backend: SearchBackend) -> None:
    backend.upsert([make_doc("ep", "Educational psychologist capacity")])
    assert find(backend, "psycho") == ["ep"]
    assert find(backend, "psycho ") == []  # the space says the word is complete
    assert find(backend, "psycho.") == []


# -- synonyms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "document_text"),
    [
        ("EHCP", "Issuing every education, health and care plan on time"),
        ("education health and care plan", "Issuing every EHCP on time"),
        ("EHC plan", "Issuing every EHCP on time"),
        ("EP", "Recruiting an educational psychologist"),
        ("educational psychologist", "Recruiting an EP"),
        ("AP", "Commissioning alternative provision"),
        ("alternative provision", "Commissioning AP places"),
        ("SEMH", "Social, emotional and mental health outreach"),
        ("SENCo", "Network for the special educational needs coordinator"),
        ("special educational needs coordinator", "A network for every SENCO"),
        ("HNB", "Managing the high needs block"),
        ("CAMHS", "Joint triage with child and adolescent mental health services"),
        ("autism", "ASD outreach in mainstream"),
        ("DBV", "Lessons from delivering better value"),
    ],
)
def test_synonyms_work_both_ways(backend: SearchBackend, query: str, document_text: str) -> None:
    backend.upsert([make_doc("target", document_text), make_doc("other", "Travel training")])
    assert find(backend, query) == ["target"]


def test_a_synonym_phrase_matches_as_a_phrase(backend: SearchBackend) -> None:
    backend.upsert(
        [
            make_doc("ap", "Commissioning alternative provision"),
            make_doc("sp", "Sufficiency of specialist provision"),
            make_doc("acronym", "AP quality framework"),
        ]
    )
    assert sorted(find(backend, "alternative provision")) == ["acronym", "ap"]


def test_synonym_groups_stay_apart(backend: SearchBackend) -> None:
    backend.upsert(
        [
            make_doc("sen", "Pupils with special educational needs"),
            make_doc("senco", "Every special educational needs coordinator"),
        ]
    )
    assert find(backend, "SENCO ") == ["senco"]


# -- filters and facets --------------------------------------------------------------------------


@pytest.fixture
def faceted(backend: SearchBackend) -> SearchBackend:
    backend.upsert(
        [
            make_doc("a", "Transport one", themes=("send_transport",), region="London", year=2022),
            make_doc(
                "b",
                "Transport two",
                themes=("send_transport", "inclusion"),
                region="North West",
                evidence_strength=5,
                metrics=("transport_cost_per_pupil",),
            ),
            make_doc("c", "Inclusion three", themes=("inclusion",), region="North West"),
            pseudonymous(make_doc("d", "Transport four", themes=("send_transport",))),
        ]
    )
    return backend


def test_filters_or_within_a_field(faceted: SearchBackend) -> None:
    found = find(faceted, filters={"region": ("London", "North West")})
    assert sorted(found) == ["a", "b", "c"]


def test_filters_and_across_fields(faceted: SearchBackend) -> None:
    found = find(faceted, filters={"region": ("North West",), "theme": ("send_transport",)})
    assert found == ["b"]


def test_filter_combines_with_text(faceted: SearchBackend) -> None:
    assert find(faceted, "transport", filters={"region": ("London",)}) == ["a"]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("evidence_strength", "5", ["b"]),
        ("year", "2022", ["a"]),
        ("metric", "transport_cost_per_pupil", ["b"]),
        ("phase", "IMPLEMENTATION", ["a", "b", "c", "d"]),
        ("authority_type", "London borough", ["a", "b", "c", "d"]),
    ],
)
def test_each_facet_field_filters(
    faceted: SearchBackend, field: str, value: str, expected: list[str]
) -> None:
    assert sorted(find(faceted, filters={field: (value,)})) == expected


def test_facet_counts_cover_the_whole_filtered_result(faceted: SearchBackend) -> None:
    result = faceted.search(SearchQuery(text="transport", limit=1))
    assert result.total == 3
    assert set(result.facets) == set(FACET_FIELDS)
    assert result.facets["theme"] == {"send_transport": 3, "inclusion": 1}
    assert result.facets["region"] == {"London": 1, "North West": 1}  # d's region is withheld
    assert result.facets["evidence_strength"] == {"3": 2, "5": 1}
    assert result.facets["year"] == {"2022": 1, "2023": 2}
    assert result.facets["metric"] == {"transport_cost_per_pupil": 1}


def test_facet_counts_follow_the_filters(faceted: SearchBackend) -> None:
    result = faceted.search(SearchQuery(filters={"region": ("North West",)}))
    assert result.facets["theme"] == {"send_transport": 1, "inclusion": 2}


def test_withheld_region_never_matches_a_region_filter(faceted: SearchBackend) -> None:
    every_region = ("London", "North West", "", "None", "null")
    assert "d" not in find(faceted, filters={"region": every_region})


def test_no_facets_when_not_asked(faceted: SearchBackend) -> None:
    assert faceted.search(SearchQuery(text="transport", with_facets=False)).facets == {}


def test_empty_value_list_matches_nothing(faceted: SearchBackend) -> None:
    result = faceted.search(SearchQuery(filters={"region": ()}))
    assert (result.total, result.hits) == (0, [])
    assert set(result.facets) == set(FACET_FIELDS)


def test_unknown_filter_field_is_a_programming_error(faceted: SearchBackend) -> None:
    with pytest.raises(ValueError, match="unknown filter field"):
        faceted.search(SearchQuery(filters={"regoin": ("London",)}))


def test_filter_values_are_not_interpreted(faceted: SearchBackend) -> None:
    hostile = ('London" OR region != "x', "x\\", '"', "London OR 1=1", "*")
    assert find(faceted, filters={"region": hostile}) == []


# -- peers and pseudonymity ----------------------------------------------------------------------


@pytest.fixture
def peers(backend: SearchBackend) -> SearchBackend:
    backend.upsert(
        [
            make_doc("named", "Transport one", authority_code="801", author_label="Ashvale"),
            make_doc("other", "Transport two", authority_code="802", author_label="Northwold"),
            pseudonymous(
                make_doc("pseudo", "Transport three", authority_code="801"),
                label="A large shire county",
            ),
        ]
    )
    return backend


def test_authority_codes_restrict_results(peers: SearchBackend) -> None:
    assert find(peers, "transport", authority_codes=("801",)) == ["named"]
    assert sorted(find(peers, authority_codes=("801", "802"))) == ["named", "other"]


def test_no_peers_matches_nothing(peers: SearchBackend) -> None:
    assert peers.search(SearchQuery(authority_codes=())).total == 0


def test_pseudonymous_document_is_not_findable_by_authority(peers: SearchBackend) -> None:
    assert "pseudo" not in find(peers, authority_codes=("801",))
    assert find(peers, "801") == []  # codes are never searchable text
    assert find(peers, "shire county") == []  # nor is a pseudonym label
    assert find(peers, "transport three") == ["pseudo"]  # yet the document itself is searchable


def test_named_document_is_findable_by_authority_name(peers: SearchBackend) -> None:
    assert find(peers, "northwold") == ["other"]


# -- highlights ----------------------------------------------------------------------------------


def test_highlights_mark_matches_in_each_field(backend: SearchBackend) -> None:
    backend.upsert(
        [
            make_doc(
                "a",
                "Transport savings",
                summary="Cheaper transport routes.",
                body="We re-planned every transport route.",
            )
        ]
    )
    (hit,) = backend.search(SearchQuery(text="transport")).hits
    assert set(hit.highlights) == {"title", "summary", "body"}
    assert "<mark>Transport</mark>" in hit.highlights["title"][0]
    assert "<mark>transport</mark>" in hit.highlights["summary"][0]
    assert "<mark>transport</mark>" in hit.highlights["body"][0]


def test_highlights_leave_out_fields_without_a_match(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Transport savings", body="Nothing relevant here.")])
    (hit,) = backend.search(SearchQuery(text="transport")).hits
    assert list(hit.highlights) == ["title"]


def test_highlights_are_html_escaped(backend: SearchBackend) -> None:
    body = "Before <script>alert('x')</script> & after: transport <b>bold</b> \"quoted\"."
    backend.upsert([make_doc("a", "Transport <img src=x onerror=alert(1)>", body=body)])
    (hit,) = backend.search(SearchQuery(text="transport")).hits
    every = " ".join(snippet for snippets in hit.highlights.values() for snippet in snippets)
    assert "<script>" not in every and "<img" not in every and "<b>" not in every
    assert "&lt;script&gt;" in every or "&lt;img" in every
    assert re.sub(r"</?mark>", "", every).count("<") == 0  # only our own tags remain


def test_highlights_cover_typos_prefixes_and_synonyms(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Educational psychologist capacity for EHCP advice")])
    # Engines differ on how much of a prefix match they mark (tantivy the word, Meilisearch
    # the typed part), so only the start of each mark is pinned down.
    for query, marked in [
        ("psycholgist", "<mark>psycholog"),
        ("capac", "<mark>capac"),
        ("education health and care plan", "<mark>EHCP</mark>"),
    ]:
        (hit,) = backend.search(SearchQuery(text=query)).hits
        assert marked in hit.highlights["title"][0], query


def test_no_highlights_without_text(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Transport savings")])
    (hit,) = backend.search(SearchQuery()).hits
    assert hit.highlights == {}


# -- sorting and pagination ----------------------------------------------------------------------


@pytest.fixture
def dated(backend: SearchBackend) -> SearchBackend:
    backend.upsert(
        [
            make_doc("old", "Transport transport transport", published_at=1_000),
            make_doc("new", "Inclusion and transport", body="Inclusion.", published_at=3_000),
            make_doc("mid", "Inclusion", body="Some transport.", published_at=2_000),
        ]
    )
    return backend


def test_relevance_is_the_default_sort(dated: SearchBackend) -> None:
    assert find(dated, "transport")[0] == "old"


def test_sort_newest(dated: SearchBackend) -> None:
    assert find(dated, "transport", sort="newest") == ["new", "mid", "old"]


def test_empty_text_matches_all_newest_first(dated: SearchBackend) -> None:
    assert find(dated, "") == ["new", "mid", "old"]
    assert find(dated, "   ", sort="relevance") == ["new", "mid", "old"]


def test_pagination_windows_are_consistent(backend: SearchBackend) -> None:
    backend.upsert([make_doc(f"d{i:02}", f"Transport case {i}", published_at=i) for i in range(25)])
    everything = find(backend, "", limit=25)
    assert len(everything) == 25
    pages = [backend.search(SearchQuery(offset=o, limit=7)) for o in range(0, 28, 7)]
    assert [hit.id for page in pages for hit in page.hits] == everything
    assert {page.total for page in pages} == {25}
    odd = backend.search(SearchQuery(offset=3, limit=5))  # offset not a multiple of limit
    assert ids(odd) == everything[3:8]
    assert odd.total == 25


def test_limit_zero_returns_only_total_and_facets(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Transport"), make_doc("b", "Transport again")])
    result = backend.search(SearchQuery(text="transport", limit=0))
    assert (result.total, result.hits) == (2, [])
    assert result.facets["theme"] == {"annual_reviews": 2}


def test_offset_past_the_end(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Transport")])
    result = backend.search(SearchQuery(text="transport", offset=50))
    assert (result.total, result.hits) == (1, [])


def test_negative_window_is_clamped(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Transport")])
    result = backend.search(SearchQuery(offset=-5, limit=-1))
    assert (result.total, result.hits) == (1, [])


def test_searches_run_while_writing(backend: SearchBackend) -> None:
    backend.upsert([make_doc(f"d{i}", f"Transport case {i}") for i in range(20)])
    errors: list[BaseException] = []

    def search_repeatedly() -> None:
        try:
            for _ in range(25):
                result = backend.search(SearchQuery(text="transport", limit=5))
                assert result.total >= 20
        except BaseException as exc:  # surfaced below, in the test thread
            errors.append(exc)

    readers = [threading.Thread(target=search_repeatedly) for _ in range(3)]
    for reader in readers:
        reader.start()
    for i in range(5):
        backend.upsert([make_doc(f"new{i}", f"Transport extra {i}")])
    for reader in readers:
        reader.join()
    assert errors == []
    assert backend.count() == 25


# -- untrusted text ------------------------------------------------------------------------------

HOSTILE = [
    '"',
    '"unclosed phrase',
    "((( )",
    "title:transport",
    "body:*",
    "*",
    "?",
    "AND OR NOT",
    "NOT transport",
    "-transport",
    "transport~2",
    "transport^100",
    "[a TO z]",
    "{}",
    "\\",
    "/regex.*/",
    "a:b:c:",
    "\x00\x01\x02",
    "\ue000mark\ue001",
    "😀🚌 transport",
    "交通 輸送",
    "e\u0301",
    "x" * 10_000,
    "transport " * 2_000,
    "ab" * 5_000 + " transport",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_any_text_is_safe(backend: SearchBackend, text: str) -> None:
    backend.upsert([make_doc("a", "Transport savings", body="Café and title words.")])
    result = backend.search(SearchQuery(text=text))
    assert result.total == len(result.hits)


def test_field_syntax_is_plain_text(backend: SearchBackend) -> None:
    # Field-scoped, "title:zebra" would miss this document: zebra is only in the body.
    backend.upsert([make_doc("a", "Animals", body="The title of this zebra piece.")])
    assert find(backend, "title:zebra") == ["a"]


def test_negation_syntax_is_plain_text(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Transport savings")])
    assert find(backend, "-transport") == ["a"]
    assert find(backend, "NOT transport") == ["a"]


def test_unicode_text_is_normalised(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Café culture")])
    assert find(backend, "café") == ["a"]
    assert find(backend, unicodedata.normalize("NFD", "café")) == ["a"]


def test_a_word_no_document_has_does_not_empty_the_results(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Transport savings"), make_doc("b", "Annual reviews")])
    assert find(backend, "transport zebra") == ["a"]


def test_stop_words_are_not_required(backend: SearchBackend) -> None:
    backend.upsert([make_doc("a", "Annual reviews")])
    assert find(backend, "the annual reviews of") == ["a"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_raises(backend: SearchBackend, text: str) -> None:
    if backend.count() == 0:
        backend.upsert([make_doc("a", "Transport savings")])
    result = backend.search(SearchQuery(text=text, limit=5))
    assert 0 <= len(result.hits) <= result.total <= 1


def test_documents_with_sentinel_like_characters(backend: SearchBackend) -> None:
    doc = make_doc("a", "Transport \ue000not a mark\ue001 savings")
    backend.upsert([replace(doc, body="transport <mark>fake</mark>")])
    (hit,) = backend.search(SearchQuery(text="transport")).hits
    every = " ".join(s for snippets in hit.highlights.values() for s in snippets)
    assert "&lt;mark&gt;fake&lt;/mark&gt;" in every
    assert every.count("<mark>") == every.count("</mark>")
