"""Plain-word parsing and the edit-distance helpers behind typo highlighting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.settings import MAX_QUERY_WORDS
from search.text import STOPWORDS, Vocabulary, parse, typo_budget, within_edits


def osa_distances(a: str, b: str) -> list[int]:
    """Reference DP: the last row holds the distance of `a` to every prefix of `b`."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1]


short = st.text(alphabet="abc", max_size=7)


@given(a=short, b=short, budget=st.integers(0, 2))
def test_within_edits_matches_the_reference(a: str, b: str, budget: int) -> None:
    distances = osa_distances(a, b)
    assert within_edits(a, b, budget) == (distances[-1] <= budget)
    assert within_edits(a, b, budget, prefix=True) == (min(distances) <= budget)


def test_typo_budget_follows_meilisearch() -> None:
    assert [typo_budget("x" * n) for n in (4, 5, 8, 9, 12)] == [0, 1, 1, 2, 2]


@pytest.mark.parametrize(
    ("typed", "words", "partial"),
    [
        ("Annual Review", ("annual", "review"), True),
        ("annual review ", ("annual", "review"), False),
        ("annual review?", ("annual", "review"), False),
        ('title:"foo" AND (bar)', ("title", "foo", "and", "bar"), False),
        ("annual_reviews", ("annual", "reviews"), True),
        ("café", ("café",), True),
        ("cafe\u0301", ("café",), True),  # decomposed é is the same word
        ("", (), False),
        ("*** ---", (), False),
        ("x" * 50, (), False),  # too long for the index: dropped
        ("review " + "x" * 50, ("review",), False),
    ],
)
def test_parse(typed: str, words: tuple[str, ...], partial: bool) -> None:
    query = parse(typed)
    assert (query.words, query.last_is_partial) == (words, partial)


def test_parse_caps_words_and_then_no_word_is_partial() -> None:
    query = parse(" ".join(f"w{i}" for i in range(100)))
    assert len(query.words) == MAX_QUERY_WORDS
    assert not query.last_is_partial


def test_parse_bounds_huge_input() -> None:
    assert parse("word " * 100_000).words == ("word",) * MAX_QUERY_WORDS


def test_stopwords_include_boolean_operators() -> None:
    assert {"and", "or", "not"} <= STOPWORDS


def test_vocabulary_near_and_prefixed() -> None:
    vocab = Vocabulary(["The Psychologist's annual reviews", "sychologist psychology x_y"])
    assert "psychologist" in vocab and "x" in vocab
    assert sorted(vocab.near("psycholgist", 2)) == ["psychologist", "sychologist"]
    assert vocab.near("anual", 1) == ["annual"]
    assert vocab.near("reviews", 0) == ["reviews"]
    assert sorted(vocab.prefixed("psych", 0)) == ["psychologist", "psychology"]
    assert sorted(vocab.prefixed("pyschol", 1)) == ["psychologist", "psychology"]
    assert vocab.prefixed("zzz", 1) == []
