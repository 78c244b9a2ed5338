"""Query cost analysis (GitHub-style), checked after validation and before execution.

``nodes`` estimates how many objects an operation can return: every field of object type counts
once per time it can be resolved, a connection's ``edges``/``nodes`` count its ``first``/``last``
(20 when neither is given), and a plain list counts its declared maximum size; sizes multiply
down the tree. ``points = 1 + nodes // 100``. An operation over ``max_query_cost`` points is
refused before it runs (code ``MAX_COST_EXCEEDED``), as is a ``first``/``last`` outside
0..100 (``INVALID_PAGE_SIZE``) and any text containing a NUL character: none of them reaches the
database. Over HTTP the points are then charged to the caller's hourly budget (see
``Admits``); the estimate and the budget are reported in ``extensions.cost``.

Lists that are not connections declare their maximum size with
``strawberry.field(metadata={"list_size": 10})``, or in ``LIST_SIZES`` below; others count 50.
Introspection (``__schema``, ``__type``) counts a flat 10 nodes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
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
    VariableNode,
    get_named_type,
    is_composite_type,
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


@dataclass(frozen=True)
class Estimate:
    nodes: int

    @property
    def points(self) -> int:
        return 1 + self.nodes // NODES_PER_POINT


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


def _declared_size(parent: GraphQLObjectType, field_name: str, field: Any) -> int:
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
    """The node estimate of a validated document; raises CostError for a bad page size."""
    variables = variables or {}
    op = _operation(document, operation_name)
    if op is None:
        return Estimate(0)
    root = schema.get_root_type(op.operation)
    if root is None:
        return Estimate(0)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    total = 0

    def walk(
        selection_set: SelectionSetNode | None,
        parent: Any,
        multiplier: int,
        page: int | None,
        visiting: frozenset[str],
    ) -> None:
        nonlocal total
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
                named = get_named_type(field.type)
                if not is_composite_type(named):
                    continue
                count = multiplier
                if _is_list(field.type):
                    size = (
                        page
                        if page is not None and name in ("edges", "nodes")
                        else _declared_size(parent, name, field)
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
                walk(sel.selection_set, named, count, child_page, visiting)
            elif isinstance(sel, InlineFragmentNode):
                target = parent
                if sel.type_condition is not None:
                    target = schema.get_type(sel.type_condition.name.value) or parent
                walk(sel.selection_set, target, multiplier, page, visiting)
            elif isinstance(sel, FragmentSpreadNode):
                frag_name = sel.name.value
                frag = fragments.get(frag_name)
                if frag is None or frag_name in visiting:
                    continue
                target = schema.get_type(frag.type_condition.name.value) or parent
                walk(frag.selection_set, target, multiplier, page, visiting | {frag_name})

    walk(op.selection_set, root, 1, None, frozenset())
    return Estimate(total)


class _NulFinder(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if "\x00" in node.value:
            self.found = True
            return self.BREAK
        return None


def _has_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > 50:
        return False
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def contains_nul(query: str | None, document: Any, variables: Mapping[str, Any] | None) -> bool:
    """A NUL in a string literal or a variable: PostgreSQL text cannot hold one."""
    if variables and _has_nul(dict(variables)):
        return True
    if query is not None and "\\u" not in query:
        return False  # a NUL can only reach a GraphQL string through an escape sequence
    finder = _NulFinder()
    visit(document, finder)
    return finder.found


@dataclass(frozen=True)
class Budget:
    """The caller's hourly budget after this request was charged."""

    limit: int
    remaining: int
    reset_at: int  # unix seconds
    allowed: bool
    retry_after: int  # seconds; 0 when allowed


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
        yield

    async def _gate(self, document: Any) -> ExecutionResult | None:
        ec = self.execution_context
        if contains_nul(ec.query, document, ec.variables):
            return _refuse("text must not contain NUL characters", "INVALID_INPUT")
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
        self.report = {"requestedQueryCost": est.points, "nodes": est.nodes}
        if est.points > self.max_points:
            return _refuse(
                f"This query would cost {est.points:,} points (about {est.nodes:,} objects); the "
                f"maximum for one query is {self.max_points:,}. Ask for fewer items (first/last) "
                "or split the query.",
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
