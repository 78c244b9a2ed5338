"""Query cost analysis (GitHub-style, plus the work behind each field), checked after validation
and before execution.

Every operation is estimated from its document alone (schema/cost_estimate.py): ``nodes``, the
objects it can return, and ``work``, what the server does to produce them that the objects do
not show (a trend reads every peer's figure for every period, a comparison ranks the whole peer
group: ``FIELD_WORK`` in schema/cost_rules.py, one unit being about what one returned object
costs). ``points = 1 + (nodes + work) // 100``.

An operation over ``max_query_cost`` points is refused before it runs (code
``MAX_COST_EXCEEDED``), as is a ``first``/``last`` outside 0..100 (``INVALID_PAGE_SIZE``) and any
text containing a control character (``INVALID_INPUT``): none of them reaches the database.
Over HTTP the points are then charged to the caller's hourly budget (see ``Admits``); the
estimate and the budget are reported in ``extensions.cost``. docs/limits.md gives the formula
and what a point costs in server time (``python -m bench.cost`` measures it).

Where it lives: the estimate (nodes, work, points) in schema/cost_estimate.py, the work and list
sizes per field in schema/cost_rules.py, the control-character check in schema/document_checks.py;
this module holds the budget protocol and the extension that applies them all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from graphql import GraphQLError
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from exchange.viewer import Viewer
from schema.cost_estimate import CostError, estimate, find_operation
from schema.document_checks import control_character


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
        op = find_operation(document, ec.operation_name)
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
