"""schema/fast_resolvers.py: the one-step path for plain leaf fields answers exactly as
graphql-core's own path, errors included; EXCHANGE_FAST_EXECUTION=0 turns it off."""

from __future__ import annotations

import enum
import os
from typing import Any, cast

import pytest
import strawberry
from graphql import GraphQLObjectType
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from exchange.settings import Settings
from schema import fast_resolvers
from schema.build import SCHEMA_SETTINGS, build_schema
from tests.conftest import Database, run_graphql, schema_for


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


# A directive on a field changes how graphql-core completes it: @stream sends the first items of
# a list at once and the rest later. A plan that ignored the directive would send the whole list
# in the initial result.
@strawberry.type
class StreamQuery:
    @strawberry.field
    def branch(self) -> Branch:
        leaves = [Leaf(name=n, size=i) for i, n in enumerate("abc")]
        return Branch(label="x", leaves=leaves, best=None, required=leaves[0])

    @strawberry.field
    def item(self) -> Item:
        return Item(name="a", maybe=None, count=1, colour=Colour.RED, flags=[1, 2, 3])


STREAM_QUERY = """{
  branch { label leaves @stream(initialCount: 1) { name } }
  item { name flags @stream(initialCount: 2) }
}"""


async def _streamed(cls: type | None) -> tuple[Any, list[Any]]:
    schema = strawberry.Schema(
        query=StreamQuery,
        config=StrawberryConfig(enable_experimental_incremental_execution=True),
    )
    fast_resolvers.install(schema)
    if cls is not None:
        schema.execution_context_class = cls
    result: Any = await schema.execute(STREAM_QUERY)
    initial = result.initial_result  # an incremental result: the stream was honoured
    later = [
        [(item.id, item.items) for item in part.incremental or []]
        async for part in result.subsequent_results
    ]
    return initial.data, later


async def test_a_field_with_a_directive_takes_graphql_cores_path() -> None:
    fast = await _streamed(None)
    assert fast == await _streamed(StrawberryGraphQLCoreExecutionContext)
    data, later = fast
    assert data == {
        "branch": {"label": "x", "leaves": [{"name": "a"}]},
        "item": {"name": "a", "flags": [1, 2]},
    }
    streamed = [items for part in later for _, items in part]
    assert len(streamed) == 2
    assert [3] in streamed and [{"name": "b"}, {"name": "c"}] in streamed


# EXCHANGE_FAST_EXECUTION (Settings.fast_execution) turns the shortcut off.


def test_the_setting_is_on_by_default_and_0_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXCHANGE_FAST_EXECUTION", raising=False)
    assert Settings.from_env().fast_execution is True
    for off in ("0", "false"):
        monkeypatch.setenv("EXCHANGE_FAST_EXECUTION", off)
        assert Settings.from_env().fast_execution is False


def test_off_builds_the_schema_without_the_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGE_FAST_EXECUTION", "1")
    on = build_schema(Settings.from_env())
    monkeypatch.setenv("EXCHANGE_FAST_EXECUTION", "0")
    off = build_schema(Settings.from_env())
    assert on.execution_context_class is fast_resolvers.FastExecutionContext
    assert off.execution_context_class is not fast_resolvers.FastExecutionContext
    authority = off._schema.type_map["Authority"]
    assert isinstance(authority, GraphQLObjectType)
    assert not hasattr(authority.fields["name"].resolve, "_dbvx_shape")


async def test_the_api_tests_run_the_configured_path(loaded_db: Database) -> None:
    """`make test` runs tests/api again with EXCHANGE_FAST_EXECUTION=0: this is what makes that
    second run a run without the shortcut."""
    wanted = os.environ.get("EXCHANGE_FAST_EXECUTION", "1") not in {"0", "false"}
    fast = schema_for(loaded_db.settings).execution_context_class
    assert (fast is fast_resolvers.FastExecutionContext) is wanted
    result = await run_graphql(loaded_db, '{ authority(code: "869") { name } }')
    assert result == {"data": {"authority": {"name": "West Berkshire"}}}


class _Recording:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._settings, name)


async def test_schema_key_names_every_setting_the_schema_reads() -> None:
    """The tests share one schema per schema_key: a setting build_schema reads but the key
    left out would hand a test a schema built for other settings."""
    recording = _Recording(Settings.from_env())
    schema = build_schema(cast(Settings, recording))
    result = await schema.execute("{ __typename }")  # the extension factories read theirs here
    assert result.errors is None
    assert recording.read == set(SCHEMA_SETTINGS)
