"""Pseudonyms (pure rules): keyed labels, descriptors that keep 5 candidates, and the matching
argument that decides whether a label can be shown."""

from __future__ import annotations

import csv
import hashlib
import hmac
import itertools
from collections import Counter
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from exchange import pseudonyms
from seed import paths

TYPES = {
    "County": "county",
    "Unitary authority": "unitary",
    "Metropolitan district": "metropolitan_district",
    "London borough": "london_borough",
}


@dataclass(frozen=True)
class A:
    id: int
    la_code: str
    region_code: str
    region_name: str
    type: str


def real_authorities() -> list[A]:
    with paths.LA_LOOKUP.open(encoding="utf-8-sig", newline="") as handle:
        return [
            A(i, r["la_code"], r["region_code"], r["region_name"], TYPES[r["la_type"]])
            for i, r in enumerate(csv.DictReader(handle), start=1)
        ]


def test_pseudonym_is_keyed_stable_and_unguessable_without_the_secret() -> None:
    p1, p2 = pseudonyms.Pseudonymiser("secret-one"), pseudonyms.Pseudonymiser("secret-two")
    assert p1.code("869") == pseudonyms.Pseudonymiser("secret-one").code("869")
    assert p1.code("869") != p2.code("869")
    assert p1.label("869") == f"Authority {p1.code('869')}"
    # Not a plain hash of the code, nor an HMAC with an empty or default key.
    for guess_key in (b"", b"secret", b"pseudonym:"):
        digest = hmac.new(guess_key, b"869", hashlib.sha256).digest()
        assert p1.code("869") not in (digest.hex().upper()[:6], digest.hex()[:6])
    assert "869" not in p1.label("869")


def test_labels_are_distinct_for_all_153_authorities() -> None:
    codes = [a.la_code for a in real_authorities()]
    for secret in ("a", "b", "production-like-" + "x" * 40):
        p = pseudonyms.Pseudonymiser(secret)
        labels = {p.label(c) for c in codes}
        assert len(labels) == len(codes) == 153
        assert all(set(p.code(c)) <= set("23456789ABCDEFGHJKMNPQRSTVWXYZ") for c in codes)


def test_descriptors_always_leave_five_candidates_and_are_decided_per_region() -> None:
    everyone = real_authorities()
    descs = pseudonyms.descriptors(everyone)
    cells = pseudonyms.cells(descs)
    for a in everyone:
        assert len(cells[descs[a.id]]) >= 5, a
        assert a.id in cells[descs[a.id]]
    by_region: dict[str, set[bool]] = {}
    for a in everyone:
        by_region.setdefault(a.region_code, set()).add(descs[a.id].type is not None)
    assert all(len(v) == 1 for v in by_region.values()), "type shown or not: per region"
    named = {a.la_code: descs[a.id].text for a in everyone}
    assert named["869"] == "South East, unitary authority"  # SE: 6 counties, 13 unitaries
    assert named["202"] == "London, London borough"
    assert named["830"] == "East Midlands"  # Derbyshire: only 4 East Midlands counties
    assert named["888"] == "North West"  # Lancashire: the only North West county


def test_a_small_region_is_shown_as_england() -> None:
    tiny = [A(1, "001", "R1", "Tiny", "county"), A(2, "002", "R1", "Tiny", "unitary")]
    big = [A(10 + i, f"1{i:02d}", "R2", "Big", "unitary") for i in range(6)]
    descs = pseudonyms.descriptors(tiny + big)
    assert descs[1] == pseudonyms.ENGLAND and descs[1].text == "England"
    assert descs[10].text == "Big, unitary authority"


def _brute_force(candidates: dict[int, frozenset[int]]) -> dict[int, frozenset[int]]:
    labels = sorted(candidates)
    universe = sorted(set().union(*candidates.values()))
    feasible: dict[int, set[int]] = {p: set() for p in labels}
    for choice in itertools.permutations(universe, len(labels)):
        if all(c in candidates[p] for p, c in zip(labels, choice, strict=True)):
            for p, c in zip(labels, choice, strict=True):
                feasible[p].add(c)
    return {p: frozenset(f) for p, f in feasible.items()}


@st.composite
def candidate_sets(draw: st.DrawFn) -> dict[int, frozenset[int]]:
    universe = draw(st.integers(min_value=2, max_value=7))
    owners = draw(
        st.lists(st.integers(0, universe - 1), min_size=1, max_size=min(4, universe), unique=True)
    )
    out = {}
    for o in owners:
        extra = draw(st.sets(st.integers(0, universe - 1), max_size=universe))
        out[o] = frozenset(extra | {o})
    return out


@settings(max_examples=300, deadline=None)
@given(candidate_sets())
def test_feasible_publishers_match_brute_force(candidates: dict[int, frozenset[int]]) -> None:
    assert pseudonyms.feasible_publishers(candidates) == _brute_force(candidates)


@settings(max_examples=300, deadline=None)
@given(candidate_sets(), st.integers(min_value=1, max_value=4))
def test_every_shown_label_keeps_k_candidates(
    candidates: dict[int, frozenset[int]], k: int
) -> None:
    shown = pseudonyms.visible_owners(candidates, k)
    remaining = {p: c for p, c in candidates.items() if p in shown}
    if remaining:
        assert all(len(f) >= k for f in _brute_force(remaining).values())


def test_elimination_by_matching_hides_a_label_with_seven_naive_candidates() -> None:
    # Six labels can each only be one of six authorities (they have named figures everywhere
    # else); a seventh label's naive candidates are those six plus its own publisher, 7 in all.
    # The six take the six, so the seventh can only be its own publisher: it must be hidden.
    six = frozenset(range(6))
    candidates = {i: six for i in range(6)}
    candidates[6] = six | {6}
    feasible = pseudonyms.feasible_publishers(candidates)
    assert feasible[6] == frozenset({6})
    assert all(feasible[i] == six for i in range(6))
    assert pseudonyms.visible_owners(candidates) == six


def test_descriptor_text_counts() -> None:
    descs = pseudonyms.descriptors(real_authorities())
    counts = Counter(d.text for d in descs.values())
    assert min(counts.values()) >= 5


def test_demo_labels_are_a_separate_keyed_domain() -> None:
    """Demo figures come from public generator code, so a demo label can be traced to its
    authority by anyone; the same authority's label for real figures must not follow from it."""
    p = pseudonyms.Pseudonymiser("secret-one")
    codes = [a.la_code for a in real_authorities()]
    real = {p.label(c) for c in codes}
    demo = {p.label(c, demo=True) for c in codes}
    assert len(demo) == len(codes)  # still one distinct demo label per authority
    assert not real & demo
    assert p.label("869", demo=True) == pseudonyms.Pseudonymiser("secret-one").label(
        "869", demo=True
    )
    assert p.code("869", demo=True) != pseudonyms.Pseudonymiser("secret-two").code("869", demo=True)
