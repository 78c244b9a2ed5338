"""The comparison rules, property-tested against a plain reference implementation of design.md."""

from __future__ import annotations

import math
import statistics

from hypothesis import given
from hypothesis import strategies as st

from exchange.comparison import semantics

values_st = st.dictionaries(
    st.integers(min_value=0, max_value=200),
    st.one_of(
        st.integers(-50, 50).map(float), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    ),
    min_size=1,
    max_size=40,
)
polarity_st = st.sampled_from(["higher_is_better", "lower_is_better", "neutral"])


def reference_rank(v: float, values: list[float], polarity: str) -> int:
    """1 + the number of values strictly better: ties share the lower number (1, 2, 2, 4)."""
    if polarity == "lower_is_better":
        return 1 + sum(1 for w in values if w < v)
    return 1 + sum(1 for w in values if w > v)


@given(values_st, polarity_st)
def test_standings_match_the_reference(values: dict[int, float], polarity: str) -> None:
    got = semantics.standings(values, polarity)
    n = len(values)
    all_values = list(values.values())
    for key, v in values.items():
        rank = reference_rank(v, all_values, polarity)
        assert got[key].rank == rank
        expected_pct = 100.0 if n == 1 else 100.0 * (n - rank) / (n - 1)
        assert math.isclose(got[key].percentile, expected_pct)
        assert got[key].quartile == min(4, math.floor(4 * (rank - 1) / n) + 1)
        assert 1 <= got[key].quartile <= 4 and 0 <= got[key].percentile <= 100


def test_ties_share_the_lower_number() -> None:
    got = semantics.standings({"a": 10.0, "b": 8.0, "c": 8.0, "d": 1.0}, "higher_is_better")
    assert [got[k].rank for k in "abcd"] == [1, 2, 2, 4]
    got = semantics.standings({"a": 10.0, "b": 8.0, "c": 8.0, "d": 1.0}, "lower_is_better")
    assert [got[k].rank for k in "abcd"] == [4, 2, 2, 1]


def test_single_entry_is_best() -> None:
    got = semantics.standings({"only": 3.0}, "lower_is_better")["only"]
    assert (got.rank, got.percentile, got.quartile) == (1, 100.0, 1)


@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), max_size=40))
def test_peer_stats_use_disclosed_values_only(peer_values: list[float | None]) -> None:
    stats = semantics.peer_stats(peer_values)
    disclosed = [v for v in peer_values if v is not None]
    assert stats.count == len(disclosed)
    assert stats.suppressed == len(peer_values) - len(disclosed)
    if disclosed:
        assert math.isclose(stats.median, statistics.median(disclosed), rel_tol=1e-11)
        assert stats.minimum == min(disclosed) and stats.maximum == max(disclosed)
        assert stats.mean is not None and math.isclose(
            stats.mean, sum(disclosed) / len(disclosed), rel_tol=1e-9, abs_tol=1e-6
        )
    else:
        assert stats.median is None and stats.mean is None


def test_direction_respects_polarity() -> None:
    assert semantics.direction(50, 60, "higher_is_better") == "IMPROVING"
    assert semantics.direction(50, 60, "lower_is_better") == "WORSENING"
    assert semantics.direction(60, 50, "lower_is_better") == "IMPROVING"
    assert semantics.direction(50, 60, "neutral") == "INCREASING"
    assert semantics.direction(50, 50, "neutral") == "NO_CHANGE"
    assert semantics.direction(None, 50, "neutral") == "NOT_COMPARABLE"
