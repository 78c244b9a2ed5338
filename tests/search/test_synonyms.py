"""The SEND synonym groups and the helpers both adapters build on them."""

from __future__ import annotations

import pytest

from search import synonyms
from search.synonyms import (
    GROUPS,
    SYNONYM_GROUPS,
    find_spans,
    group_of,
    meilisearch_synonyms,
    phrase,
)

REQUIRED = [
    ("EHCP", "EHC plan", "education health and care plan"),
    ("EHCNA", "EHC needs assessment"),
    ("EP", "educational psychologist"),
    ("AP", "alternative provision"),
    ("SEMH", "social emotional and mental health"),
    ("SENCO", "SENCo", "special educational needs coordinator"),
    ("HNB", "high needs block"),
    ("DSG", "dedicated schools grant"),
    ("PfA", "preparation for adulthood"),
    ("SEN", "special educational needs"),
    ("CAMHS", "child and adolescent mental health services"),
    ("PRU", "pupil referral unit"),
    ("ASD", "autism"),
    ("EHE", "elective home education"),
    ("LA", "local authority"),
    ("DBV", "delivering better value"),
]


@pytest.mark.parametrize("terms", REQUIRED, ids=[t[0] for t in REQUIRED])
def test_required_groups_exist(terms: tuple[str, ...]) -> None:
    group = group_of(terms[0])
    assert group is not None
    for term in terms[1:]:
        assert group_of(term) is group, term


def test_send_is_its_own_group() -> None:
    send, sen = group_of("SEND"), group_of("SEN")
    assert send is not None and sen is not None and send is not sen


def test_normalisation_ignores_case_and_punctuation() -> None:
    assert phrase("SENCo") == ("senco",)
    assert phrase("Social, emotional and mental health") == (
        "social",
        "emotional",
        "and",
        "mental",
        "health",
    )
    assert phrase("co-ordinator") == ("co", "ordinator")


def test_every_group_has_at_least_two_distinct_terms() -> None:
    assert len(GROUPS) == len(SYNONYM_GROUPS)
    for group in GROUPS:
        assert len(group.terms) >= 2, group
        assert len(set(group.terms)) == len(group.terms)
        assert all(group.terms), group


def test_a_term_in_two_groups_is_rejected() -> None:
    with pytest.raises(ValueError, match="two groups"):
        synonyms._build_lookup(synonyms._build_groups((("AP", "x"), ("ap", "y"))))


def test_longest_match_wins() -> None:
    words = ["our", "special", "educational", "needs", "coordinator", "network"]
    (span,) = find_spans(words)
    assert (span.start, span.end) == (1, 5)
    assert span.group is group_of("SENCO")


def test_spans_do_not_overlap_and_keep_order() -> None:
    words = ["ehcp", "and", "ap", "for", "the", "pru"]
    spans = find_spans(words)
    assert [(s.start, s.end) for s in spans] == [(0, 1), (2, 3), (5, 6)]


def test_no_spans_in_plain_text() -> None:
    assert find_spans(["travel", "training", "for", "young", "people"]) == []
    assert find_spans([]) == []


def test_meilisearch_mapping_is_mutual() -> None:
    mapping = meilisearch_synonyms()
    assert "educational psychologist" in mapping["ep"]
    assert "ep" in mapping["educational psychologist"]
    for term, others in mapping.items():
        assert term not in others
        for other in others:
            assert term in mapping[other], (term, other)


def test_meilisearch_mapping_is_lower_case_words() -> None:
    for term, others in meilisearch_synonyms().items():
        for value in (term, *others):
            assert value == " ".join(phrase(value)), value
