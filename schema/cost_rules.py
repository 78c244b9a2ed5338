"""What each field costs: the per-field rules of the query-cost estimate (schema/cost_estimate.py).

``FIELD_WORK`` gives the work units of one resolution of a field from its arguments,
``LIST_SIZES`` and ``LIST_SIZE_HINTS`` the sizes of the plain (non-connection) lists. A new field
that does real work gets its rule here; calibrate it with ``python -m bench.cost``
(docs/limits.md gives the formula and the figures).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLObjectType

from schema.relay import DEFAULT_PAGE, MAX_PAGE

DEFAULT_LIST_SIZE = 50

# Maximum sizes of the plain (non-connection) lists of objects, "Type.field" -> size.
LIST_SIZES: dict[str, int] = {
    "Query.metrics": 50,
    "Comparison.entries": 160,  # 153 authorities, plus pseudonymous entries
    "Authority.statisticalNeighbours": 10,
    "Trend.points": 40,
    "Query.formerAuthorities": 10,  # five today
    "FormerAuthority.figures": 40,  # one a period
    "Metric.breakdowns": 100,  # annual reviews: 92 (age, ethnicity, sex, placement, years in place)
}


# -- The work behind a field -----------------------------------------------------------------
# One unit is about what returning one object costs (~10-15 µs of server time on the 2-core
# development machine; ``python -m bench.cost`` measures it, docs/limits.md has the figures). Each
# entry of FIELD_WORK is charged once per time its field can be resolved (an alias, or a
# parent in a list, multiplies it), whatever is selected below it.

# Upper bounds of the reference data the estimate assumes; a group's size counts its subject.
# tests/security/test_cost_follows_work.py checks them against the shipped data.
GROUP_SIZES: dict[str, int] = {
    "STATISTICAL_NEIGHBOURS": 11,  # the DfE list: 10 neighbours
    "REGION": 33,  # London, the largest region
    "AUTHORITY_TYPE": 63,  # unitary authorities, the largest type
    "ENGLAND": 153,
}
CUSTOM_GROUP_SIZE = 153  # a custom peer group holds at most 152 members
SERIES_PERIODS = 41  # a trend covers up to 40 periods, and reads the one before the first
CATALOGUE_METRICS = 160  # the whole DfE release (130 shipped, self-reported included), with room
CATALOGUE_PERIODS = 40
AREAS = 163  # 153 authorities, 9 regions and England
CASE_STUDY_LINKS = 10  # outcome links per case study

# Work units, calibrated with ``python -m bench.cost`` (docs/limits.md has the figures).
READ_BASE = 80  # a root field that reads the database: a statement or two
TREND_BASE = 300  # a trend's statements before and after it reads the series
TREND_PER_MEMBER = 7  # each member of the group: looked up, its rows fetched
TREND_PER_FIGURE = 1  # each (member, period) figure: read, disclosed, in the peer median
COMPARISON_BASE = 200
COMPARISON_PER_ENTRY = 4  # read, disclosed, ranked, with its authority and numerator
IMPROVERS_BASE = 200
IMPROVERS_PER_ENTRY = 6  # two figures each, the change ranked, the authority loaded
# Two figures for each peer (England's 153 for a pseudonymous study), for up to 10 links;
# calibrated on the demo case studies' one or two links each.
OUTCOME_PER_LINK = 30
OBSERVATIONS_BASE = 300  # the page's seven or so statements
OBSERVATION_ROWS_PER_UNIT = 20  # a matching row, counted and sorted by the database
OBSERVATION_PER_RESULT = 20  # a row on the page: disclosed, its numerator and pseudonym checked
SEARCH_BASE = 200  # the engine's query and facets, the database re-check of the hits
SEARCH_PER_HIT = 5  # a hit's highlights and re-check
WRITE_BASE = 200  # a mutation: validation, screening, its transaction and commit
WRITE_PER_ROW = 40  # each published figure: checked, stored with its revision and audit entry
PUBLISH_MAX_ROWS = 500  # a publishObservations call or CSV file holds at most this many


def _group(args: Mapping[str, Any]) -> int:
    if args.get("peerGroup") is not None:
        return CUSTOM_GROUP_SIZE
    return GROUP_SIZES.get(str(args.get("peers")), max(GROUP_SIZES.values()))


_YEAR = re.compile(r"\s*(\d{4})")


def _start_year(label: Any) -> int | None:
    found = _YEAR.match(label) if isinstance(label, str) else None
    return int(found.group(1)) if found else None


def _series_periods(args: Mapping[str, Any]) -> int:
    start, end = _start_year(args.get("from")), _start_year(args.get("to"))
    if start is None or end is None:
        return SERIES_PERIODS
    return max(1, min(SERIES_PERIODS, end - start + 2))


def _count(values: Any, bound: int) -> int:
    if not isinstance(values, list):
        return bound
    return min(bound, len({str(v) for v in values}))


def _page(args: Mapping[str, Any]) -> int:
    for name in ("first", "last"):
        value = args.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PAGE:
            return value
    return DEFAULT_PAGE


def _observation_rows(args: Mapping[str, Any]) -> int:
    f = args.get("filter")
    f = f if isinstance(f, Mapping) else {}
    return (
        _count(f.get("metrics"), CATALOGUE_METRICS)
        * _count(f.get("authorities"), AREAS)
        * _count(f.get("periods"), CATALOGUE_PERIODS)
    )


def _published_rows(args: Mapping[str, Any]) -> int:
    given = args.get("input")
    rows = given.get("observations") if isinstance(given, Mapping) else None
    return min(len(rows), PUBLISH_MAX_ROWS) if isinstance(rows, list) else 0


WorkFn = Callable[[Mapping[str, Any]], int]

# "Type.field" -> work units per resolution, from its arguments. Mutations not listed here
# cost WRITE_BASE; query root fields not listed here READ_BASE.
FIELD_WORK: dict[str, WorkFn] = {
    "Query.trend": lambda a: (
        TREND_BASE + _group(a) * (TREND_PER_MEMBER + _series_periods(a) * TREND_PER_FIGURE)
    ),
    "Query.comparison": lambda a: COMPARISON_BASE + _group(a) * COMPARISON_PER_ENTRY,
    "Query.improvers": lambda a: IMPROVERS_BASE + _group(a) * IMPROVERS_PER_ENTRY,
    "Query.observations": lambda a: (
        OBSERVATIONS_BASE
        + _observation_rows(a) // OBSERVATION_ROWS_PER_UNIT
        + _page(a) * OBSERVATION_PER_RESULT
    ),
    "Query.caseStudies": lambda a: SEARCH_BASE + _page(a) * SEARCH_PER_HIT,
    "CaseStudy.outcomeLinks": lambda a: CASE_STUDY_LINKS * OUTCOME_PER_LINK,
    "FormerAuthority.figures": lambda a: READ_BASE,  # a statement per former authority
    "Query.breakdownFigures": lambda a: OBSERVATIONS_BASE + _page(a) * OBSERVATION_PER_RESULT,
    "FormerAuthority.periods": lambda a: READ_BASE,
    "Mutation.publishObservations": lambda a: WRITE_BASE + _published_rows(a) * WRITE_PER_ROW,
    "Mutation.publishObservationsCsv": lambda a: WRITE_BASE + PUBLISH_MAX_ROWS * WRITE_PER_ROW,
}
FREE_ROOT_FIELDS = frozenset({"viewer", "caseStudyVocabulary"})  # no database


def _entries(args: Mapping[str, Any], limit: int) -> int:
    """A comparison's entries: its group, plus pseudonymous entries where they join it."""
    group = _group(args)
    if args.get("peerGroup") is None and args.get("peers") != "STATISTICAL_NEIGHBOURS":
        group *= 2  # region, type, England: a pseudonymous figure is an entry of its own
    return min(limit, group)


# "Type.field" -> the sizes of the lists below it, from its arguments: a statistical-neighbour
# comparison has 11 entries, not the 160 an England one may have.
LIST_SIZE_HINTS: dict[str, Callable[[Mapping[str, Any]], dict[str, int]]] = {
    "Query.comparison": lambda a: {"entries": _entries(a, LIST_SIZES["Comparison.entries"])},
    "Query.improvers": lambda a: {"entries": _group(a)},
    "Query.trend": lambda a: {"points": max(1, _series_periods(a) - 1)},
}


def field_work(
    parent: GraphQLObjectType, name: str, args: Mapping[str, Any], root: str | None = None
) -> int:
    """The work units of one resolution of ``parent.name`` with these arguments; ``root`` is
    "query" or "mutation" when ``parent`` is that root type."""
    work = FIELD_WORK.get(f"{parent.name}.{name}")
    if work is not None:
        return work(args)
    if root == "mutation":
        return WRITE_BASE
    if root == "query" and name not in FREE_ROOT_FIELDS:
        return READ_BASE
    return 0
