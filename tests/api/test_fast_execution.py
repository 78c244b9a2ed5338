"""schema/fast_resolvers.py: the one-step path for plain leaf fields answers exactly as
graphql-core's own path, errors included."""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema import fast_resolvers


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"


@strawberry.type
class Item:
    name: str
    maybe: str | None
    count: int
    colour: Colour
    flags: list[int]

    @strawberry.field
    def doubled(self) -> int:
        return self.count * 2

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError("boom")

    @strawberry.field
    def wrong_type(self) -> int | None:
        return "not a number"  # type: ignore[return-value]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return [
            Item(name="a", maybe=None, count=1, colour=Colour.RED, flags=[1, 2]),
            Item(name=None, maybe="m", count=2, colour=Colour.RED, flags=[]),  # type: ignore[arg-type]
        ]


QUERY = "{ items { __typename name maybe count colour flags doubled broken wrongType } }"


def _run(cls: type | None) -> tuple[Any, list[tuple[str, Any]]]:
    schema = strawberry.Schema(query=Query)
    assert fast_resolvers.install(schema) > 0
    if cls is not None:
        schema.execution_context_class = cls
    result = schema.execute_sync(QUERY)
    return result.data, sorted((e.message, e.path) for e in result.errors or [])


def test_install_uses_the_fast_context() -> None:
    schema = strawberry.Schema(query=Query)
    fast_resolvers.install(schema)
    assert schema.execution_context_class is fast_resolvers.FastExecutionContext


def test_same_data_and_errors_as_graphql_core() -> None:
    fast = _run(None)
    plain = _run(StrawberryGraphQLCoreExecutionContext)
    assert fast == plain
    data, errors = fast
    assert data is not None and data["items"][0]["doubled"] == 2
    assert data["items"][1] is None  # a null name for a non-null field nulls the item
    messages = " ".join(m for m, _ in errors)
    assert "boom" in messages and "non-nullable" in messages and "Int cannot represent" in messages


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Leaf(Named):
    size: int


@strawberry.type
class Branch:
    label: str
    leaves: list[Leaf]
    best: Leaf | None
    required: Leaf

    @strawberry.field
    def tail(self) -> list[Leaf | None]:
        return [*self.leaves, None]

    @strawberry.field
    def sized(self, at_least: int) -> list[Leaf]:  # an argument: graphql-core's path
        return [leaf for leaf in self.leaves if leaf.size >= at_least]


@strawberry.type
class TreeQuery:
    @strawberry.field
    def branches(self) -> list[Branch | None]:
        leaves = [Leaf(name="a", size=1), Leaf(name="b", size=2)]
        broken = Leaf(name=None, size=3)  # type: ignore[arg-type]
        return [
            Branch(label="x", leaves=leaves, best=leaves[1], required=leaves[0]),
            Branch(label="y", leaves=[broken], best=None, required=broken),
        ]


TREE_QUERY = """
fragment L on Leaf { name size __typename }
{ branches {
    label __typename
    leaves { ...L }
    first: best { ...L }
    required { name }
    tail { size }
    sized(atLeast: 2) { name }
    ... on Branch { again: label }
} }
"""


def _run_tree(cls: type | None) -> tuple[Any, list[tuple[str, Any]]]:
    schema = strawberry.Schema(query=TreeQuery, types=[Leaf])
    fast_resolvers.install(schema)
    if cls is not None:
        schema.execution_context_class = cls
    result = schema.execute_sync(TREE_QUERY)
    return result.data, sorted((e.message, e.path) for e in result.errors or [])


def test_nested_objects_lists_fragments_and_interfaces_match_graphql_core() -> None:
    fast = _run_tree(None)
    plain = _run_tree(StrawberryGraphQLCoreExecutionContext)
    assert fast == plain
    data, errors = fast
    first = data["branches"][0]
    assert first["leaves"] == [
        {"name": "a", "size": 1, "__typename": "Leaf"},
        {"name": "b", "size": 2, "__typename": "Leaf"},
    ]
    assert first["first"]["name"] == "b" and first["again"] == "x"
    assert first["tail"] == [{"size": 1}, {"size": 2}, None]
    assert first["sized"] == [{"name": "b"}]
    # The second branch's leaf has a null non-null name: the error has the same path either way
    # and nulls the nearest nullable parent (the branch itself, through non-null `required`).
    assert data["branches"][1] is None
    assert any(path and path[:2] == ["branches", 1] for _, path in errors)


class Counting(fast_resolvers.FastExecutionContext):
    plans_built = 0

    def _build_plan(self, return_type: Any, field_details_list: Any) -> Any:
        Counting.plans_built += 1
        return super()._build_plan(return_type, field_details_list)


def test_one_plan_per_selection_not_per_object() -> None:
    schema = strawberry.Schema(query=Query)
    fast_resolvers.install(schema)
    schema.execution_context_class = Counting
    Counting.plans_built = 0
    schema.execute_sync("{ items { count colour } }")
    # Item's selection is planned once although there are two items.
    assert Counting.plans_built == 1
