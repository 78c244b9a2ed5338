"""Query cost analysis (GitHub-style, plus the work behind each field), checked after validation
and before execution.

``nodes`` estimates how many objects an operation can return: every field of object type counts
once per time it can be resolved, a connection's ``edges``/``nodes`` count its ``first``/``last``
(20 when neither is given), and a plain list counts its declared maximum size; sizes multiply
down the tree. ``work`` estimates what the server does to produce them that the objects do not
show: a trend reads every peer's figure for every period even when only its ``direction`` is
asked for, a comparison ranks the whole peer group, a page of observations counts and sorts
every matching row, a search runs the engine and re-checks its hits (``FIELD_WORK`` below, one
unit being about what one returned object costs). Both are upper bounds computed from the
document alone, so a client can predict them. ``points = 1 + (nodes + work) // 100``.

An operation over ``max_query_cost`` points is refused before it runs (code
``MAX_COST_EXCEEDED``), as is a ``first``/``last`` outside 0..100 (``INVALID_PAGE_SIZE``) and any
text containing a control character (``INVALID_INPUT``): none of them reaches the database.
Over HTTP the points are then charged to the caller's hourly budget (see ``Admits``); the
estimate and the budget are reported in ``extensions.cost``. docs/limits.md gives the formula
and what a point costs in server time (``python -m bench.cost`` measures it).

Lists that are not connections declare their maximum size with
``strawberry.field(metadata={"list_size": 10})``, or in ``LIST_SIZES`` below; others count 50.
Introspection (``__schema``, ``__type``) counts a flat 10 nodes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, runtime_checkable

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    Undefined,
    VariableNode,
    get_named_type,
    is_composite_type,
    value_from_ast_untyped,
    visit,
)
from graphql.execution.values import get_variable_values
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from exchange.viewer import Viewer
from schema.relay import DEFAULT_PAGE, MAX_PAGE

DEFAULT_LIST_SIZE = 50
INTROSPECTION_NODES = 10
NODES_PER_POINT = 100

# Maximum sizes of the plain (non-connection) lists of objects, "Type.field" -> size.
LIST_SIZES: dict[str, int] = {
    "Query.metrics": 50,
    "Comparison.entries": 160,  # 153 authorities, plus pseudonymous entries
    "Authority.statisticalNeighbours": 10,
    "Trend.points": 40,
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
CATALOGUE_METRICS = 60
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


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__") or hasattr(value, "__strawberry_definition__"):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


def _arguments(field: Any, node: FieldNode, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The field's arguments as plain values (enums by value, inputs as dicts), defaults
    included. A value execution will refuse counts as absent: it will cost nothing."""
    args: dict[str, Any] = {}
    for name, definition in field.args.items():
        default = definition.default_value
        args[name] = None if default is Undefined else _plain(default)
    for arg in node.arguments or ():
        try:
            args[arg.name.value] = _plain(value_from_ast_untyped(arg.value, dict(variables)))
        except (GraphQLError, TypeError, ValueError):
            args[arg.name.value] = None
    return args


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


@dataclass(frozen=True)
class Estimate:
    nodes: int  # objects the operation can return
    work: int = 0  # what producing them costs beyond that, in the same units

    @property
    def points(self) -> int:
        return 1 + (self.nodes + self.work) // NODES_PER_POINT


class CostError(Exception):
    def __init__(self, message: str, code: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


def _operation(document: Any, operation_name: str | None) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return ops[0] if len(ops) == 1 else None
    return next((o for o in ops if o.name and o.name.value == operation_name), None)


def _page_argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> int | None:
    for arg in node.arguments or ():
        if arg.name.value != name:
            continue
        value: Any = None
        if isinstance(arg.value, IntValueNode):
            value = int(arg.value.value)
        elif isinstance(arg.value, VariableNode):
            value = variables.get(arg.value.name.value)
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value <= MAX_PAGE:
                raise CostError(
                    f"'{name}' must be between 0 and {MAX_PAGE}, got {value}",
                    "INVALID_PAGE_SIZE",
                    {"field": name},
                )
            return value
        return None  # null, or a value execution will refuse with a type error
    return None


def _declared_size(
    parent: GraphQLObjectType, field_name: str, field: Any, hints: Mapping[str, int]
) -> int:
    if field_name in hints:
        return hints[field_name]
    definition = (field.extensions or {}).get("strawberry-definition")
    metadata = getattr(definition, "metadata", None) or {}
    if "list_size" in metadata:
        return int(metadata["list_size"])
    return LIST_SIZES.get(f"{parent.name}.{field_name}", DEFAULT_LIST_SIZE)


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def estimate(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Estimate:
    """The estimate of a validated document; raises CostError for a bad page size."""
    variables = variables or {}
    op = _operation(document, operation_name)
    if op is None:
        return Estimate(0)
    root = schema.get_root_type(op.operation)
    if root is None:
        return Estimate(0)
    root_kind = op.operation.value  # "query", "mutation" or "subscription"
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    total = 0
    work = 0

    def walk(
        selection_set: SelectionSetNode | None,
        parent: Any,
        multiplier: int,
        page: int | None,
        visiting: frozenset[str],
        hints: Mapping[str, int],
    ) -> None:
        nonlocal total, work
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if name.startswith("__"):
                    if name in ("__schema", "__type"):
                        total += INTROSPECTION_NODES * multiplier
                    continue
                fields = getattr(parent, "fields", None)
                field = fields.get(name) if fields else None
                if field is None:
                    continue
                args = _arguments(field, sel, variables) if field.args else {}
                work += multiplier * field_work(
                    parent, name, args, root_kind if parent is root else None
                )
                named = get_named_type(field.type)
                if not is_composite_type(named):
                    continue
                count = multiplier
                if _is_list(field.type):
                    size = (
                        page
                        if page is not None and name in ("edges", "nodes")
                        else _declared_size(parent, name, field, hints)
                    )
                    count = multiplier * size
                total += count
                child_page = None
                if "first" in field.args or "last" in field.args:
                    first = _page_argument(sel, "first", variables)
                    last = _page_argument(sel, "last", variables)
                    child_page = first if first is not None else last
                    if child_page is None:
                        child_page = DEFAULT_PAGE
                hint = LIST_SIZE_HINTS.get(f"{parent.name}.{name}")
                child_hints = hint(args) if hint is not None else {}
                walk(sel.selection_set, named, count, child_page, visiting, child_hints)
            elif isinstance(sel, InlineFragmentNode):
                target = parent
                if sel.type_condition is not None:
                    target = schema.get_type(sel.type_condition.name.value) or parent
                walk(sel.selection_set, target, multiplier, page, visiting, hints)
            elif isinstance(sel, FragmentSpreadNode):
                frag_name = sel.name.value
                frag = fragments.get(frag_name)
                if frag is None or frag_name in visiting:
                    continue
                target = schema.get_type(frag.type_condition.name.value) or parent
                walk(frag.selection_set, target, multiplier, page, visiting | {frag_name}, hints)

    walk(op.selection_set, root, 1, None, frozenset(), {})
    return Estimate(total, work)


# C0 control characters other than tab, line feed and carriage return. No text needs them;
# PostgreSQL cannot store NUL; stored, they would be indexed and served back in highlights.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _named(char: str) -> str:
    return f"U+{ord(char):04X}"


class _EscapedControlFinder(Visitor):
    """String literals whose value holds a control character written as an escape."""

    found: tuple[str, Any] | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        hit = CONTROL_CHARACTERS.search(node.value)
        if hit is not None:
            self.found = (hit.group(), node.loc)
            return self.BREAK
        return None


def _line_column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - text.rfind(chr(10), 0, offset)}"


def control_character(
    query: str | None, document: Any, variables: Mapping[str, Any] | None
) -> str | None:
    """Where the first control character is (``U+0000 in variables.input.title``), or None.

    The document is searched as sent (a raw character inside a string literal, block strings
    and comments included) and as parsed (one written as an escape: ``\\u0001``, ``\\b``,
    ``\\f``); variables are searched whole, keys too."""
    if query is not None:
        hit = CONTROL_CHARACTERS.search(query)
        if hit is not None:
            return f"{_named(hit.group())} in the query at {_line_column(query, hit.start())}"
    if document is not None and (query is None or "\\" in query):  # an escape: \u0001, \b
        finder = _EscapedControlFinder()
        visit(document, finder)
        if finder.found is not None:
            char, loc = finder.found
            where = f" at {_line_column(query, loc.start)}" if query and loc else ""
            return f"{_named(char)} (an escape) in the query{where}"
    stack: list[tuple[Any, str]] = [(dict(variables or {}), "variables")]
    while stack:  # no recursion: any depth the JSON parser accepted
        value, path = stack.pop()
        if isinstance(value, str):
            hit = CONTROL_CHARACTERS.search(value)
            if hit is not None:
                return f"{_named(hit.group())} in {path[:120]}"
        elif isinstance(value, Mapping):
            for key, item in value.items():
                hit = CONTROL_CHARACTERS.search(key) if isinstance(key, str) else None
                if hit is not None:
                    return f"{_named(hit.group())} in a key of {path[:120]}"
                stack.append((item, f"{path}.{key}"))
        elif isinstance(value, list | tuple):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
    return None


@dataclass(frozen=True)
class Budget:
    """The caller's hourly budget after this request was charged."""

    limit: int
    remaining: int
    reset_at: int  # unix seconds
    allowed: bool
    retry_after: int  # seconds; 0 when allowed


class RateLimiter(Protocol):
    """Hourly budgets of query-cost points (exchange/http/ratelimit.py: in memory or Redis)."""

    name: str
    limit: int
    window: int

    async def charge(self, key: str, points: int) -> Budget: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Admission:
    viewer: Viewer | None = None  # who is asking, once authenticated
    budget: Budget | None = None  # None: no budget applies
    rejected: Any = None  # a ready HTTP response (authentication failed): sent as is


@runtime_checkable
class Admits(Protocol):
    """A request context that authenticates lazily and charges points to a budget.

    The HTTP endpoint's context implements it, so a request refused for its size or cost costs
    neither a token lookup nor any other SQL."""

    viewer: Viewer

    async def admit(self, points: int) -> Admission: ...


def _refuse(message: str, code: str, extra: dict[str, Any] | None = None) -> ExecutionResult:
    return ExecutionResult(
        data=None, errors=[GraphQLError(message, extensions={"code": code, **(extra or {})})]
    )


class QueryCost(SchemaExtension):
    """Refuses over-cost operations before execution and charges the rest to the budget."""

    def __init__(self, *, max_points: int) -> None:
        super().__init__()
        self.max_points = max_points
        self.report: dict[str, Any] | None = None

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        ec = self.execution_context
        document = ec.graphql_document
        if document is not None and ec.result is None:
            ec.result = await self._gate(document)
            deadline = getattr(ec.context, "deadline", None)
            if ec.result is None and deadline is not None:
                deadline.start()  # admitted: the time limit runs from here (schema/deadline.py)
        yield

    async def _gate(self, document: Any) -> ExecutionResult | None:
        ec = self.execution_context
        where = control_character(ec.query, document, ec.variables)
        if where is not None:
            return _refuse(
                f"Text must not contain control characters (NUL, or any other below U+0020 but "
                f"tab, line feed and carriage return): found {where}.",
                "INVALID_INPUT",
            )
        schema = ec.schema._schema
        variables: Mapping[str, Any] = ec.variables or {}
        op = _operation(document, ec.operation_name)
        if op is not None and op.variable_definitions:
            # Coerce the variables now (execution would, later): a bad one is a request error
            # that must not cost a token lookup.
            coerced = get_variable_values(
                schema, op.variable_definitions, dict(variables), max_errors=20
            )
            if isinstance(coerced, list):
                return ExecutionResult(data=None, errors=coerced)
            variables = coerced.coerced
        try:
            est = estimate(schema, document, ec.operation_name, variables)
        except CostError as exc:
            return _refuse(exc.message, exc.code, exc.extra)
        self.report = {"requestedQueryCost": est.points, "nodes": est.nodes, "work": est.work}
        if est.points > self.max_points:
            return _refuse(
                f"This query would cost {est.points:,} points (about {est.nodes:,} objects and "
                f"{est.work:,} units of work to produce them); the maximum for one query is "
                f"{self.max_points:,}. Ask for fewer items (first/last), a smaller peer group or "
                "fewer periods (from/to), or split the query.",
                "MAX_COST_EXCEEDED",
                {"cost": est.points, "maxCost": self.max_points},
            )
        ctx = ec.context
        admit = getattr(ctx, "admit", None)  # an Admits context (a Protocol isinstance is slow)
        if admit is None:
            return None
        admission: Admission = await admit(est.points)
        if admission.rejected is not None:
            return _refuse("Authentication failed", "UNAUTHENTICATED")
        if admission.viewer is not None:
            ctx.viewer = admission.viewer
        budget = admission.budget
        if budget is None:
            return None
        self.report.update(limit=budget.limit, remaining=budget.remaining, resetAt=budget.reset_at)
        if not budget.allowed:
            return _refuse(
                f"Rate limit exceeded: this query costs {est.points:,} points and "
                f"{budget.remaining:,} of your {budget.limit:,} points remain until the budget "
                f"resets in {budget.retry_after:,} seconds.",
                "RATE_LIMITED",
                {"retryAfter": budget.retry_after},
            )
        return None

    def get_results(self) -> dict[str, Any]:
        return {"cost": self.report} if self.report is not None else {}
