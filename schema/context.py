"""The per-request context: one database session (used one resolver at a time), the viewer,
DataLoaders created for this request only, and the ID signer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.types import Info as _Info

from exchange.db import WRITE, begin_read, end_read
from exchange.settings import Settings
from exchange.viewer import ANONYMOUS, Viewer
from schema.cost import RateLimiter
from schema.deadline import Deadline
from schema.ids import Signer
from schema.loaders import Loaders
from search.port import SearchBackend

T = TypeVar("T")


@dataclass
class Services:
    """Process-wide collaborators, built once by the composition root."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    signer: Signer
    search: SearchBackend | None = None  # None: no index (search answers from nothing)
    rate_limiter: RateLimiter | None = None  # None: no hourly budgets


class Context:
    def __init__(self, services: Services, viewer: Viewer = ANONYMOUS, request: Any = None) -> None:
        self.services = services
        self.viewer = viewer
        self.request = request
        self.signer = services.signer
        self.settings = services.settings
        self._session: AsyncSession | None = None
        # graphql-core resolves sibling fields concurrently; an AsyncSession must not be.
        self._lock = asyncio.Lock()
        self._closed = False
        # The operation's time limit, set by schema.deadline.execute (None: no limit).
        self.deadline: Deadline | None = None
        self._driver: Any = None  # the aiosqlite connection in use (see interrupt)
        self._interrupting: asyncio.Future[None] | None = None
        self.loaders = Loaders(self)  # each DataLoader is built on first use

    async def read(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._lock:
            if self._closed:  # a DataLoader batch still running after a timed-out operation
                raise RuntimeError("the request's context is closed")
            if self._session is None:
                self._session = self.services.sessions()
            await begin_read(self._session)
            await self._track(self._session)
            try:
                return await fn(self._session)
            finally:
                self._released()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A mutation's transaction: commit when the block completes, roll back on any exception."""
        async with self._lock:
            if self._closed:  # a DataLoader batch still running after a timed-out operation
                raise RuntimeError("the request's context is closed")
            if self._session is None:
                self._session = self.services.sessions()
            session = self._session
            try:
                self._driver = None  # end_read may hand the connection back to the pool
                await end_read(session)
                if not session.in_transaction():
                    await session.connection(execution_options=WRITE)  # SQLite: lock first
                await self._track(session)
                yield session
                if self.deadline is not None:
                    self.deadline.hold()  # a commit is never cut short by the time limit
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                self._released()

    async def _track(self, session: AsyncSession) -> None:
        if self.settings.is_sqlite:
            conn = await session.connection()
            self._driver = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]

    def interrupt(self) -> bool:
        """On SQLite, stop the statement this context is running, if any, and say so (True):
        the deadline then cancels the operation once that statement has returned, which it
        does at once with an error (schema/deadline.py). A task cancelled in the middle of an
        aiosqlite statement leaves it running in its thread, and SQLAlchemy hard-closes the
        connection, which then keeps SQLite's write lock until its statement is freed.
        PostgreSQL needs none of this: asyncpg cancels a cancelled task's statement."""
        driver = self._driver
        if driver is None or not self._lock.locked():  # no read or write in progress
            return False
        raw = getattr(driver, "_connection", None)  # the sqlite3 connection: thread-safe
        if raw is not None:
            raw.interrupt()
        else:
            self._interrupting = asyncio.ensure_future(driver.interrupt())
        return True

    def _released(self) -> None:
        if self.deadline is not None:
            self.deadline.released()

    async def close(self) -> None:
        """Roll back and release the session. After a timed-out operation a DataLoader batch
        may still be reading (its task is not the operation's): the lock is taken, so the
        rollback never runs beside it, and no read starts afterwards."""
        self._closed = True
        session = self._session
        if session is None:
            return
        async with self._lock:
            self._session = None
            self._driver = None
            try:
                await session.rollback()
            finally:
                await session.close()


Info = _Info[Context, None]
