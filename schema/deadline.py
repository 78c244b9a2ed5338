"""A time limit per GraphQL operation (``EXCHANGE_OPERATION_TIMEOUT_MS``).

The clock starts once the operation has been admitted (parsed, validated, costed, authenticated
and charged: ``schema/cost.py`` calls ``start()``), so the limit is on the work itself, and a
token lookup's own little commit is never cut short. When it runs out:

1. on SQLite, the context interrupts the statement it is running (``Context.interrupt``),
   which then returns at once with an error, and the cancellation waits for that
   (``released()``): aiosqlite runs statements in a thread that cancelling a task does not
   stop, and SQLAlchemy would hard-close a connection cancelled mid-statement, leaving SQLite's
   write lock held. asyncpg cancels a PostgreSQL statement itself when its task is cancelled;
2. the task executing the operation is cancelled: every resolver in flight stops at its
   ``await``, a mutation's transaction rolls back (``Context.unit_of_work``), and the context
   closes its session (``Context.close`` waits for a DataLoader batch still reading);
3. the caller gets one error with code ``TIMEOUT`` and no data.

A mutation is never cancelled during or after its commit: ``Context.unit_of_work`` calls
``hold()`` just before committing, which stops the clock for the rest of the operation (once a
write is committed, the answer must say so, so the operation is allowed to finish).

Cancellation only happens at an ``await``: a resolver's plain Python work between two awaits
runs to its end. The cost limits (``schema/cost.py``) keep those stretches short.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from graphql import GraphQLError
from strawberry.types.execution import ExecutionResult

T = TypeVar("T")
TIMEOUT = "TIMEOUT"


class Deadline:
    def __init__(self, timeout_ms: int, on_expiry: Callable[[], bool] | None = None) -> None:
        self.timeout_ms = timeout_ms
        self.expired = False  # the time ran out: the operation was (or is being) cancelled
        self.held = False  # a commit started: no cancellation from here on
        self._cancelled = False
        self._on_expiry = on_expiry
        self._scope: asyncio.Timeout | None = None
        self._timer: asyncio.TimerHandle | None = None

    async def run(self, work: Awaitable[T]) -> T:
        """Await ``work`` under this deadline; raises TimeoutError when it was cut short."""
        try:
            async with asyncio.timeout(None) as scope:
                self._scope = scope
                return await work
        finally:
            self._scope = None
            self._stop_timer()

    def start(self) -> None:
        """Start the clock (once the operation is admitted). No-op without a limit."""
        if self._scope is None or self.held or self.timeout_ms <= 0 or self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.timeout_ms / 1000, self._expire)

    def hold(self) -> None:
        """Stop the clock for good: a commit is about to start.

        Called between two awaits, so the deadline cannot fire in between: had it fired, the
        task would already be unwinding with CancelledError and never get here."""
        self.held = True
        self._stop_timer()

    def released(self) -> None:
        """The context finished a read or write: if the time ran out meanwhile, cancel now."""
        if self.expired and not self.held and not self._cancelled:
            self._cancel()

    def _expire(self) -> None:
        self._timer = None
        if self.held or self._scope is None or self._cancelled:
            return
        self.expired = True
        if self._on_expiry is not None and self._on_expiry():
            # A SQLite statement was interrupted: cancel once it has returned (released()),
            # interrupting again meanwhile should another statement start.
            self._timer = asyncio.get_running_loop().call_later(0.05, self._expire)
            return
        self._cancel()

    def _cancel(self) -> None:
        self._stop_timer()
        if self._scope is not None:
            self._cancelled = True
            self._scope.reschedule(asyncio.get_running_loop().time())  # cancel the task now

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def timeout_error(timeout_ms: int) -> GraphQLError:
    return GraphQLError(
        f"The operation was stopped after {timeout_ms:,} ms, the limit for one operation. "
        "Ask for less (fewer aliases or items, a smaller peer group, fewer periods) or split "
        "it into several requests.",
        extensions={"code": TIMEOUT, "timeoutMs": timeout_ms},
    )


async def execute(
    schema: Any, context: Any, timeout_ms: int, query: str, **kwargs: Any
) -> ExecutionResult:
    """``schema.execute(query, context_value=context, **kwargs)`` under a deadline of
    ``timeout_ms`` (0: none), set on ``context.deadline``. A timed-out operation answers one
    ``TIMEOUT`` error and no data (whatever its resolvers managed before they were stopped)."""
    deadline = Deadline(timeout_ms, getattr(context, "interrupt", None))
    context.deadline = deadline
    try:
        result: ExecutionResult = await deadline.run(
            schema.execute(query, context_value=context, **kwargs)
        )
    except TimeoutError:
        if not deadline.expired:
            raise  # the work's own TimeoutError, not ours
        return ExecutionResult(data=None, errors=[timeout_error(timeout_ms)])
    if deadline.expired:  # it finished (an interrupted statement's error) before the cancel
        return ExecutionResult(data=None, errors=[timeout_error(timeout_ms)])
    return result
