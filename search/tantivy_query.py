"""Query planning for the tantivy adapter: the text query, filters, the search, facets.

Queries are always built programmatically from plain words (search.text.parse); user text is
never handed to tantivy's query parser, so no user syntax can reach the engine.

Per word the query ORs:
  * BM25 term queries on the *stemmed* fields, each boosted by its field weight;
  * fuzzy term queries (Meilisearch's typo budget) on *unstemmed* copies of the text: typos are
    edits of the word as typed, and "psycholgist" is two edits from the stem "psycholog";
  * for an unfinished last word, a prefix (fuzzy-prefix) query on the unstemmed copies:
    as-you-type. A trailing space or punctuation marks the word finished, as in Meilisearch.
Fuzzy and prefix queries score a constant, so an exact match always outranks a typo match.
Words are ANDed (stop words are optional); when that finds nothing the words are ORed instead,
which is roughly what Meilisearch's default matching strategy does.
Synonym terms (search.synonyms) found in the query become one unit: an OR over every term of
the group, each as a phrase query on the stemmed fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import tantivy

from search import text
from search.port import FACET_FIELDS, SearchQuery
from search.settings import MAX_FACET_VALUES, MIN_PREFIX_LEN, SEARCHABLE_FIELDS
from search.synonyms import SynonymGroup, find_spans
from search.tantivy_index import ALL_WORDS, TITLE_WORDS, stem

# Constant scores of typo and prefix matches: below a typical BM25 match, title above body.
FUZZY_BOOST_TITLE = 1.5
FUZZY_BOOST_ALL = 0.5


@dataclass(frozen=True)
class _Unit:
    """One required (or optional) part of the query: a word, or a synonym term."""

    words: tuple[str, ...]
    group: SynonymGroup | None
    prefix: bool  # the query's unfinished last word: also matched as a prefix

    @property
    def optional(self) -> bool:
        return self.group is None and all(w in text.STOPWORDS for w in self.words)


@dataclass(frozen=True)
class HighlightSpec:
    stems: frozenset[str]  # stemmed terms to mark
    fuzzy: tuple[tuple[str, int], ...]  # (word, typo budget): mark typo'd variants
    prefix: tuple[str, int] | None  # (last word, typo budget): mark words it begins


@dataclass(frozen=True)
class Plan:
    strict: tantivy.Query  # every non-stop word required
    relaxed: tantivy.Query | None  # any word will do: the fallback when strict finds nothing
    highlight: HighlightSpec


def _units(query: text.UserQuery) -> list[_Unit]:
    words = list(query.words)
    units: list[_Unit] = []
    spans = {span.start: span for span in find_spans(words)}
    position = 0
    while position < len(words):
        span = spans.get(position)
        end = span.end if span else position + 1
        # A finished synonym phrase ("alternative provision") is not a prefix of anything,
        # but a single word still may be ("sen" -> "senco"), as in Meilisearch.
        prefix = (
            query.last_is_partial
            and end == len(words)
            and end - position == 1
            and len(words[-1]) >= MIN_PREFIX_LEN
        )
        units.append(_Unit(tuple(words[position:end]), span.group if span else None, prefix))
        position = end
    return units


def should(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


class QueryBuilder:
    def __init__(self, schema: tantivy.Schema) -> None:
        self._schema = schema

    def plan(self, user_text: str) -> Plan | None:
        query = text.parse(user_text)
        if not query.words:
            return None
        units = _units(query)
        queries = [self._unit_query(unit) for unit in units]
        required = [q for q, u in zip(queries, units, strict=True) if not u.optional]
        optional = [q for q, u in zip(queries, units, strict=True) if u.optional]
        if not required:  # a query of stop words only: require them after all
            required, optional = optional, []
        strict = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, q) for q in required]
            + [(tantivy.Occur.Should, q) for q in optional]
        )
        # Stop words stay out of the fallback: "and" alone would match nearly everything.
        relaxed = should(required) if len(required) > 1 else None
        return Plan(strict, relaxed, _highlight_spec(units))

    def _unit_query(self, unit: _Unit) -> tantivy.Query:
        clauses: list[tantivy.Query] = []
        if unit.group is not None:
            for term in unit.group.terms:
                clauses.extend(self._exact_clauses([stem(w) for w in term]))
        else:
            clauses.extend(self._exact_clauses([stem(unit.words[0])]))
        if len(unit.words) == 1:
            # Typos and prefixes per word; a synonym phrase is matched as a phrase only, or
            # "alternative provision" would match any document saying "provision".
            clauses.extend(self._loose_clauses(unit.words[0], prefix=unit.prefix))
        return should(clauses)

    def _exact_clauses(self, stems: list[str]) -> list[tantivy.Query]:
        """BM25 on every stemmed field, weighted by field: a term or, for several, a phrase."""
        clauses = []
        for field in SEARCHABLE_FIELDS:
            if len(stems) == 1:
                query = tantivy.Query.term_query(self._schema, field.name, stems[0])
            else:  # phrase_query panics on a single word, hence the branch
                query = tantivy.Query.phrase_query(self._schema, field.name, list(stems))
            clauses.append(tantivy.Query.boost_query(query, field.boost))
        return clauses

    def _loose_clauses(self, word: str, *, prefix: bool) -> list[tantivy.Query]:
        """Typo-tolerant (and, for the last word, prefix) matches on the unstemmed copies."""
        budget = text.typo_budget(word)
        if budget == 0 and not prefix:
            return []
        return [
            tantivy.Query.boost_query(
                tantivy.Query.fuzzy_term_query(self._schema, field, word, budget, True, prefix),
                boost,
            )
            for field, boost in ((TITLE_WORDS, FUZZY_BOOST_TITLE), (ALL_WORDS, FUZZY_BOOST_ALL))
        ]

    def filter_query(self, query: SearchQuery) -> tantivy.Query | None:
        """AND across fields, OR within one; None when nothing is filtered."""
        clauses = [
            tantivy.Query.term_set_query(self._schema, name, list(values))
            for name, values in sorted(query.filters.items())
        ]
        if query.authority_codes is not None:
            # Pseudonymous documents have no authority_code term, so they never match.
            clauses.append(
                tantivy.Query.term_set_query(
                    self._schema, "authority_code", list(query.authority_codes)
                )
            )
        if not clauses:
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in clauses])


def _highlight_spec(units: list[_Unit]) -> HighlightSpec:
    stems: set[str] = set()
    fuzzy: list[tuple[str, int]] = []
    prefix: tuple[str, int] | None = None
    for unit in units:
        words = [w for term in unit.group.terms for w in term] if unit.group else unit.words
        stems.update(stem(w) for w in words if w not in text.STOPWORDS)
        last_word = unit.words[-1]
        if unit.prefix:
            prefix = (last_word, text.typo_budget(last_word))
        elif unit.group is None and not unit.optional and text.typo_budget(last_word) > 0:
            fuzzy.append((last_word, text.typo_budget(last_word)))
    return HighlightSpec(frozenset(stems), tuple(fuzzy), prefix)


def combine(text_query: tantivy.Query | None, filters: tantivy.Query | None) -> tantivy.Query:
    if text_query is None:
        return filters if filters is not None else tantivy.Query.all_query()
    if filters is None:
        return text_query
    # Filters must not move scores: wrap them in a zero constant score.
    return tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Must, text_query),
            (tantivy.Occur.Must, tantivy.Query.const_score_query(filters, 0.0)),
        ]
    )


def run(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    offset: int,
    limit: int,
    *,
    newest: bool,
) -> tuple[int, list[tuple[float, tantivy.DocAddress]]]:
    """(total, [(score, address)]) for one page. tantivy panics on limit 0, so never pass it."""
    if limit == 0:
        return _count(searcher.search(query, 1, count=True)), []
    if newest:
        result = searcher.search(
            query,
            limit,
            count=True,
            order_by_field="published_at",
            offset=offset,
            order=tantivy.Order.Desc,
        )
        return _count(result), [(0.0, address) for _, address in result.hits]
    result = searcher.search(query, limit, count=True, offset=offset)
    return _count(result), [(float(score), address) for score, address in result.hits]


def _count(result: Any) -> int:
    count = getattr(result, "count", None)
    return int(count) if count is not None else len(result.hits)


def facet_counts(searcher: tantivy.Searcher, query: tantivy.Query) -> dict[str, dict[str, int]]:
    """Counts per facet value over the whole result set: one terms aggregation per facet."""
    request = {name: {"terms": {"field": name, "size": MAX_FACET_VALUES}} for name in FACET_FIELDS}
    raw = searcher.aggregate(query, request)
    return {
        name: {
            str(bucket["key"]): int(bucket["doc_count"])
            for bucket in raw.get(name, {}).get("buckets", [])
        }
        for name in FACET_FIELDS
    }
