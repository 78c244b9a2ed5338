"""Run a write again when a concurrent writer got there first.

Two publishers of the same series both read revision n and both try to write n + 1: the unique
(observation_id, revision) constraint (or the unique series key for a first publication) refuses the
second, which rolls back and runs again from a fresh read, so revisions stay consecutive and no
update is lost. PostgreSQL also takes row locks (SELECT … FOR UPDATE) so this is rare there;
SQLite serialises writers and reports a stale reader the same way.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
ATTEMPTS = 6


def retryable(exc: BaseException) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        return "locked" in text or "busy" in text or "deadlock" in text
    if isinstance(exc, DBAPIError):
        code = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(
            getattr(exc, "orig", None), "pgcode", None
        )
        return code in ("40001", "40P01")  # serialization failure, deadlock
    return False


async def with_retries(
    begin: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    work: Callable[[AsyncSession], Awaitable[T]],
    attempts: int = ATTEMPTS,
) -> T:
    for attempt in range(attempts):
        try:
            async with begin() as session:
                return await work(session)
        except DBAPIError as exc:
            if attempt == attempts - 1 or not retryable(exc):
                raise
            await asyncio.sleep(random.uniform(0.005, 0.03) * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover
