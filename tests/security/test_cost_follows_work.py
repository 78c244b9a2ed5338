"""Query cost follows the work, not only the objects returned.

Thirty aliases of ``trend(..., peers: ENGLAND) { direction }`` used to cost one point (30
objects) while the server read and disclosed 153 authorities' figures for every period thirty
times. Now each trend is charged for its group × periods, a comparison and improvers for their
entries, a page of observations for the rows it counts and sorts, a search for the engine's
work, per alias and per parent in a list; the hourly budget therefore bounds the work a caller
can cause. Work is measured here in disclosed figures (schema/cost_rules.py's unit), never in
time."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from exchange.comparison import reference
from exchange.comparison import service as comparison
from exchange.peergroups.service import MAX_MEMBERS
from exchange.settings import Settings
from schema.build import build_schema
from schema.cost_estimate import NODES_PER_POINT, Estimate, estimate
from schema.cost_rules import (
    AREAS,
    CATALOGUE_METRICS,
    CATALOGUE_PERIODS,
    COMPARISON_PER_ENTRY,
    CUSTOM_GROUP_SIZE,
    GROUP_SIZES,
    OBSERVATION_ROWS_PER_UNIT,
    SERIES_PERIODS,
)
from tests.conftest import Database
from tests.security.support import GRAPHQL_RESPONSE, app_client, count_sql, error_codes

ENGLAND = 153


def trend(peers: str = "ENGLAND", select: str = "points { direction }", extra: str = "") -> str:
    return f'trend(metric: "ehc_plans", authority: "869", peers: {peers}{extra}) {{ {select} }}'


def aliases(field: str, n: int) -> str:
    return "{ " + " ".join(f"a{i}: {field}" for i in range(n)) + " }"


@pytest.fixture(scope="module")
def graphql_schema() -> Any:
    return build_schema(Settings.from_env())._schema


def cost(schema: Any, query: str, variables: dict[str, Any] | None = None) -> Estimate:
    return estimate(schema, parse(query), None, variables)


@pytest.mark.parametrize("n", [1, 10, 30])
def test_n_england_trends_cost_at_least_n_times_153_times_the_periods(
    graphql_schema: Any, n: int
) -> None:
    floor = n * ENGLAND * SERIES_PERIODS
    for select in ("points { direction }", "direction"):  # asking for less reads as much
        est = cost(graphql_schema, aliases(trend(select=select), n))
        assert est.work >= floor, (select, est)
        assert est.points >= floor // NODES_PER_POINT
    # The same through a variable, and through a fragment spread.
    variable = "query($g: PeerGroup!) " + aliases(trend(peers="$g"), n)
    assert cost(graphql_schema, variable, {"g": "ENGLAND"}).work >= floor
    fragment = (
        "{ "
        + " ".join(
            f'a{i}: trend(metric: "m", authority: "869", peers: ENGLAND) {{ ...T }}'
            for i in range(n)
        )
        + " } fragment T on Trend { direction }"
    )
    assert cost(graphql_schema, fragment).work >= floor


def test_trend_cost_follows_the_group_and_the_periods(graphql_schema: Any) -> None:
    england = cost(graphql_schema, aliases(trend(), 1)).work
    neighbours = cost(graphql_schema, aliases(trend("STATISTICAL_NEIGHBOURS"), 1)).work
    region = cost(graphql_schema, aliases(trend("REGION"), 1)).work
    assert neighbours < region < england
    assert neighbours >= GROUP_SIZES["STATISTICAL_NEIGHBOURS"] * SERIES_PERIODS
    # from/to bound the periods: 2019/20..2024/25 reads six periods and the one before.
    span = cost(graphql_schema, aliases(trend(extra=', from: "2019/20", to: "2024/25"'), 1))
    assert ENGLAND * 7 <= span.work < england
    # A custom group counts as its largest possible size.
    custom = cost(
        graphql_schema, aliases(trend("STATISTICAL_NEIGHBOURS", extra=', peerGroup: "x"'), 1)
    )
    assert custom.work == england and CUSTOM_GROUP_SIZE == MAX_MEMBERS + 1


def test_comparisons_and_improvers_cost_their_entries(graphql_schema: Any) -> None:
    c = 'comparison(metric: "ehc_plans", period: "2024/25", authority: "869", peers: {g}) {{ peerCount }}'
    i = (
        'improvers(metric: "ehc_plans", from: "2019/20", to: "2024/25", authority: "869", '
        "peers: {g}) {{ peerCount }}"
    )
    for template in (c, i):
        england = cost(graphql_schema, aliases(template.format(g="ENGLAND"), 30))
        assert england.nodes == 30  # thirty objects returned ...
        assert england.work >= 30 * ENGLAND  # ... after ranking 153 entries thirty times
        neighbours = cost(graphql_schema, aliases(template.format(g="STATISTICAL_NEIGHBOURS"), 30))
        assert neighbours.work < england.work
    one = cost(graphql_schema, aliases(c.format(g="ENGLAND"), 1)).work
    assert one >= ENGLAND * COMPARISON_PER_ENTRY
    # The entries a comparison can return follow its group too.
    entries = c.replace("{{ peerCount }}", "{{ entries {{ value }} }}")
    assert cost(graphql_schema, aliases(entries.format(g="STATISTICAL_NEIGHBOURS"), 1)).nodes == 12
    assert cost(graphql_schema, aliases(entries.format(g="ENGLAND"), 1)).nodes == 161


def test_a_page_of_observations_costs_the_rows_it_counts_and_sorts(graphql_schema: Any) -> None:
    unfiltered = cost(graphql_schema, "{ observations(first: 1) { totalCount } }")
    rows = CATALOGUE_METRICS * AREAS * CATALOGUE_PERIODS
    assert unfiltered.work >= rows // OBSERVATION_ROWS_PER_UNIT
    narrow = cost(
        graphql_schema,
        '{ observations(first: 1, filter: {metrics: ["ehc_plans"], authorities: ["869"]}) '
        "{ totalCount } }",
    )
    assert narrow.work < unfiltered.work // 50
    # Five unfiltered pages in one request count and sort five times.
    five = cost(graphql_schema, aliases("observations(first: 1) { totalCount }", 5))
    assert five.work == 5 * unfiltered.work


def test_searches_and_outcome_links_cost_their_work(graphql_schema: Any) -> None:
    search = cost(graphql_schema, '{ caseStudies(query: "EHCP", first: 10) { totalCount } }')
    plain = cost(graphql_schema, '{ caseStudy(id: "x") { title } }')
    assert search.work > plain.work
    ten = aliases('caseStudies(query: "EHCP", first: 10) { totalCount }', 10)
    assert cost(graphql_schema, ten).work == 10 * search.work
    links = cost(
        graphql_schema,
        "{ caseStudies(first: 50) { edges { node { outcomeLinks { peerMedianChange } } } } }",
    )
    no_links = cost(graphql_schema, "{ caseStudies(first: 50) { edges { node { title } } } }")
    assert links.work >= no_links.work + 50 * 10  # each study's links, each over its peers


def test_every_root_field_that_reads_costs_something(graphql_schema: Any) -> None:
    lookups = cost(graphql_schema, aliases('authority(code: "869") { name }', 30))
    assert lookups.work >= 30 * 10  # thirty statements, not thirty free objects
    assert cost(graphql_schema, "{ __typename }").work == 0


async def test_the_reported_attack_is_refused_before_any_sql(loaded_db: Database) -> None:
    query = aliases(trend(), 30)
    async with app_client(loaded_db) as client:
        with count_sql() as statements:
            r = await client.post("/graphql", json={"query": query}, headers=GRAPHQL_RESPONSE)
    assert r.status_code == 400 and error_codes(r.json()) == ["MAX_COST_EXCEEDED"], r.text
    assert r.json()["errors"][0]["extensions"]["cost"] >= 30 * ENGLAND * SERIES_PERIODS // 100
    assert statements == []


async def test_the_hourly_budget_bounds_the_work_done(
    loaded_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every figure a trend discloses is counted: the work done never exceeds the work units
    charged, and once the budget is spent the next operation is refused before any SQL."""
    disclosed = [0]
    real = comparison.disclose

    def counting(*args: Any, **kwargs: Any) -> Any:
        disclosed[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(comparison, "disclose", counting)
    query = aliases(trend(select="direction"), 5)
    budget = 1_000
    charged = 0
    async with app_client(loaded_db, cost_budget_per_hour=budget) as client:
        for _ in range(budget):  # a bound, not a count: the loop ends at the first refusal
            with count_sql() as statements:
                r = await client.post("/graphql", json={"query": query}, headers=GRAPHQL_RESPONSE)
            if r.status_code == 429:
                assert statements == [] and error_codes(r.json()) == ["RATE_LIMITED"]
                break
            assert r.status_code == 200, r.text
            charged += r.json()["extensions"]["cost"]["requestedQueryCost"]
        else:
            pytest.fail("the budget never ran out")
    assert 0 < charged <= budget
    assert disclosed[0] > 0
    assert disclosed[0] <= charged * NODES_PER_POINT  # the work done is within what was paid


async def test_the_assumed_sizes_bound_the_shipped_reference_data(loaded_db: Database) -> None:
    async with loaded_db.sessions() as session:
        ref = await reference.load(session)
    people = list(ref.by_id.values())
    assert len(people) <= GROUP_SIZES["ENGLAND"]
    for subject in people:
        for group, size in GROUP_SIZES.items():
            assert len(ref.peer_ids(subject, group)) + 1 <= size, (subject.la_code, group)
    for kind, periods in ref.periods_by_kind.items():
        assert len(periods) + 1 <= SERIES_PERIODS, kind  # a trend reads one period before
    assert len(ref.periods) <= CATALOGUE_PERIODS
    assert len(ref.metrics) <= CATALOGUE_METRICS
    regions = {a.region_code for a in people}
    assert len(people) + len(regions) + 1 <= AREAS
