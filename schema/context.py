"""The per-request context: one database session (used one resolver at a time), the viewer,
DataLoaders created for this request only, and the ID signer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.types import Info as _Info

from exchange.db import WRITE
from exchange.settings import Settings
from exchange.viewer import ANONYMOUS, Viewer
from schema.ids import Signer

T = TypeVar("T")


@dataclass
class Services:
    """Process-wide collaborators, built once by the composition root."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    signer: Signer
    extras: dict[str, Any] = field(default_factory=dict)


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
        from schema.loaders import Loaders

        self.loaders = Loaders(self)

    async def read(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._lock:
            if self._session is None:
                self._session = self.services.sessions()
            return await fn(self._session)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A mutation's transaction: commit when the block completes, roll back on any exception."""
        async with self._lock:
            if self._session is None:
                self._session = self.services.sessions()
            session = self._session
            try:
                if not session.in_transaction():
                    await session.connection(execution_options=WRITE)  # SQLite: lock first
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def close(self) -> None:
        if self._session is not None:
            await self._session.rollback()
            await self._session.close()
            self._session = None


Info = _Info[Context, None]
