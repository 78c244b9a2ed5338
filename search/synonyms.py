"""SEND vocabulary: acronyms and the phrases they stand for.

Each group is a set of interchangeable terms; searching for any of them finds documents that
use any other. The first term of a group is its canonical form. Meilisearch receives the
groups as its `synonyms` setting; tantivy has no synonym feature, so its adapter expands the
query itself into an OR of phrase queries (see `find_spans`).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("EHCP", "EHC plan", "education health and care plan"),
    ("EHCNA", "EHC needs assessment", "education health and care needs assessment"),
    ("EP", "educational psychologist"),
    ("EPS", "educational psychology service"),
    ("AP", "alternative provision"),
    ("SEMH", "social emotional and mental health"),
    (
        "SENCO",
        "SENCo",
        "special educational needs coordinator",
        "special educational needs co-ordinator",
    ),
    ("HNB", "high needs block"),
    ("DSG", "dedicated schools grant"),
    ("PfA", "preparation for adulthood"),
    ("SEN", "special educational needs"),
    (
        "SEND",
        "special educational needs and disabilities",
        "special educational needs and disability",
    ),
    (
        "CAMHS",
        "child and adolescent mental health services",
        "child and adolescent mental health service",
    ),
    ("PRU", "pupil referral unit"),
    ("ASD", "autism", "autistic", "autism spectrum disorder", "ASC", "autism spectrum condition"),
    ("EHE", "elective home education"),
    ("LA", "local authority"),
    ("DBV", "delivering better value"),
    ("SALT", "speech and language therapy"),
    ("SLCN", "speech language and communication needs"),
    ("OT", "occupational therapy"),
    ("ADHD", "attention deficit hyperactivity disorder"),
    ("CLA", "LAC", "looked after children", "children looked after"),
    ("EYFS", "early years foundation stage"),
    ("NEET", "not in education employment or training"),
    ("MLD", "moderate learning difficulties"),
    ("SLD", "severe learning difficulties"),
    ("PMLD", "profound and multiple learning difficulties"),
    ("SpLD", "specific learning difficulties"),
    ("HTST", "home to school transport"),
    ("EOTAS", "education otherwise than at school"),
    (
        "EBSA",
        "EBSNA",
        "emotionally based school avoidance",
        "emotionally based school non attendance",
    ),
    ("INMSS", "independent non maintained special school"),
    ("SENDIASS", "SEND information advice and support service"),
    ("DfE", "department for education"),
    ("ICB", "integrated care board"),
    ("MAT", "multi academy trust"),
    ("TA", "teaching assistant"),
)

# The same word split as search.text.words(); the phrases above are ASCII, so the two agree.
_WORD_RE = re.compile(r"[^\W_]+")

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class SynonymGroup:
    terms: tuple[Phrase, ...]  # normalised, de-duplicated, canonical (first) term first

    @property
    def canonical(self) -> Phrase:
        return self.terms[0]


@dataclass(frozen=True)
class Span:
    """Words [start, end) of a query that spell one term of `group`."""

    start: int
    end: int
    group: SynonymGroup


def phrase(term: str) -> Phrase:
    """Normalise a term to its words: SENCo -> ("senco",), co-ordinator -> ("co", "ordinator")."""
    return tuple(_WORD_RE.findall(term.lower()))


def _build_groups(raw: tuple[tuple[str, ...], ...]) -> tuple[SynonymGroup, ...]:
    groups = []
    for terms in raw:
        normalised = tuple(dict.fromkeys(phrase(term) for term in terms))
        groups.append(SynonymGroup(normalised))
    return tuple(groups)


def _build_lookup(groups: tuple[SynonymGroup, ...]) -> dict[Phrase, SynonymGroup]:
    lookup: dict[Phrase, SynonymGroup] = {}
    for group in groups:
        for term in group.terms:
            if term in lookup:
                # One phrase in two groups would make expansion depend on group order.
                raise ValueError(f"synonym {' '.join(term)!r} is in two groups")
            lookup[term] = group
    return lookup


GROUPS = _build_groups(SYNONYM_GROUPS)
_LOOKUP = _build_lookup(GROUPS)
MAX_PHRASE_WORDS = max(len(term) for term in _LOOKUP)


def group_of(term: str) -> SynonymGroup | None:
    return _LOOKUP.get(phrase(term))


def find_spans(words: Sequence[str]) -> list[Span]:
    """Non-overlapping synonym terms in `words`, longest match first, left to right.

    Longest match matters: "special educational needs coordinator" is a SENCO, not a SEN
    followed by the word "coordinator".
    """
    spans: list[Span] = []
    start = 0
    while start < len(words):
        span = _longest_at(words, start)
        if span is None:
            start += 1
            continue
        spans.append(span)
        start = span.end
    return spans


def _longest_at(words: Sequence[str], start: int) -> Span | None:
    longest = min(MAX_PHRASE_WORDS, len(words) - start)
    for size in range(longest, 0, -1):
        group = _LOOKUP.get(tuple(words[start : start + size]))
        if group is not None:
            return Span(start, start + size, group)
    return None


def meilisearch_synonyms() -> dict[str, list[str]]:
    """The `synonyms` setting: every term maps to every other term of its group (mutual)."""
    mapping: dict[str, list[str]] = {}
    for group in GROUPS:
        spelled = [" ".join(term) for term in group.terms]
        for term in spelled:
            mapping[term] = [other for other in spelled if other != term]
    return mapping
