"""Query cost analysis: connections cost by first/last, lists by their declared size, nested
sizes multiply; points = 1 + nodes // 100; reported in extensions.cost."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from exchange.settings import Settings
from schema.build import build_schema
from schema.cost_estimate import NODES_PER_POINT, CostError, estimate
from schema.cost_rules import COMPARISON_BASE, COMPARISON_PER_ENTRY
from tests.conftest import Database, run_graphql


@pytest.fixture(scope="module")
def graphql_schema() -> Any:
    return build_schema(Settings.from_env())._schema


def nodes(schema: Any, query: str, variables: dict[str, Any] | None = None) -> int:
    return estimate(schema, parse(query), None, variables).nodes


def test_scalars_are_free_and_objects_count_once(graphql_schema: Any) -> None:
    assert nodes(graphql_schema, "{ __typename }") == 0
    assert nodes(graphql_schema, '{ authority(code: "869") { name laCode } }') == 1
    assert (
        nodes(
            graphql_schema,
            '{ a: authority(code: "869") { name } b: authority(code: "1") { name } }',
        )
        == 2
    )


def test_connections_cost_by_first_and_last_and_multiply(graphql_schema: Any) -> None:
    page = "{ authorities(first: 10) { totalCount edges { node { name } } } }"
    assert nodes(graphql_schema, page) == 1 + 10 + 10
    nested = "{ authorities(first: 10) { edges { node { statisticalNeighbours { authority { name } } } } } }"
    # 1 connection + 10 edges + 10 nodes + 10×10 neighbours + 10×10 authorities
    assert nodes(graphql_schema, nested) == 1 + 10 + 10 + 100 + 100
    assert nodes(graphql_schema, page.replace("first: 10", "last: 5")) == 1 + 5 + 5
    assert nodes(graphql_schema, page.replace("(first: 10)", "")) == 1 + 20 + 20  # default page
    via_variable = "query($n: Int) { authorities(first: $n) { edges { node { name } } } }"
    assert nodes(graphql_schema, via_variable, {"n": 3}) == 1 + 3 + 3


def test_fragments_count_like_inline_selections(graphql_schema: Any) -> None:
    inline = "{ authorities(first: 10) { edges { node { statisticalNeighbours { rank } } } } }"
    fragment = (
        "{ authorities(first: 10) { edges { node { ...N } } } } "
        "fragment N on Authority { statisticalNeighbours { rank } }"
    )
    typed = "{ authorities(first: 10) { edges { node { ... on Authority { statisticalNeighbours { rank } } } } } }"
    assert (
        nodes(graphql_schema, inline)
        == nodes(graphql_schema, fragment)
        == nodes(graphql_schema, typed)
    )


def test_page_sizes_outside_the_limit_are_refused_before_execution(graphql_schema: Any) -> None:
    for bad in ("first: 101", "first: -1", "last: 1000000"):
        with pytest.raises(CostError) as caught:
            nodes(graphql_schema, f"{{ authorities({bad}) {{ totalCount }} }}")
        assert caught.value.code == "INVALID_PAGE_SIZE"


async def test_cost_is_reported_in_extensions(loaded_db: Database) -> None:
    result = await run_graphql_with_extensions(
        loaded_db,
        '{ comparison(metric: "ehc_plans", period: "2024/25", authority: "869", peers: ENGLAND) '
        "{ entries { value authority { name } } } }",
    )
    cost = result["extensions"]["cost"]
    # comparison 1 + entries 160 + authority 160; the work of ranking all 153 authorities
    work = COMPARISON_BASE + 153 * COMPARISON_PER_ENTRY
    points = 1 + (321 + work) // NODES_PER_POINT
    assert cost == {"requestedQueryCost": points, "nodes": 321, "work": work}


async def run_graphql_with_extensions(db: Database, query: str) -> dict[str, Any]:
    from schema.context import Context
    from tests.conftest import services_for

    schema = build_schema(db.settings)
    ctx = Context(services_for(db))
    try:
        result = await schema.execute(query, context_value=ctx)
    finally:
        await ctx.close()
    assert not result.errors, result.errors
    return {"data": result.data, "extensions": result.extensions}


async def test_in_process_execution_enforces_the_maximum_cost(loaded_db: Database) -> None:
    heavy = (
        "{ "
        + " ".join(
            f"x{i}: authorities(first: 100) {{ edges {{ node {{ statisticalNeighbours {{ authority "
            "{ statisticalNeighbours { authority { name } } } } } } }"
            for i in range(10)
        )
        + " }"
    )
    out = await run_graphql(loaded_db, heavy)
    assert out["data"] is None
    assert out["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
