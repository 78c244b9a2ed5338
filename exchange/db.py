"""Engine and session factory. SQLite gets WAL and a busy timeout; PostgreSQL a bounded pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session

from exchange import dataversion

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=5, pool_pre_ping=True, pool_recycle=1800)
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers continue while a publisher writes;
    # busy_timeout turns lock contention into waiting.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Execution option marking a connection whose transaction will write (see ``transaction``).
WRITE = {"sqlite_write": True}
# A reading transaction that sees one snapshot for all its statements (see ``begin_read``).
_SQLITE_SNAPSHOT = {"sqlite_snapshot": True}
_PG_SNAPSHOT = {"isolation_level": "REPEATABLE READ"}


def _sqlite_begin(conn: Any) -> None:
    """A writing transaction takes SQLite's write lock when it starts (waiting up to the busy
    timeout for another writer): its reads then see the state it writes on. Otherwise the sqlite3
    module would only lock at the first INSERT/UPDATE, after SELECTs that each saw the latest
    commit, so two publishers could both read revision n and both write n + 1. Reading
    transactions keep the driver's default (no lock until a write): WAL readers never wait."""
    options = conn.get_execution_options()
    if options.get("sqlite_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif options.get("sqlite_snapshot"):
        conn.exec_driver_sql("BEGIN")  # deferred: the first read fixes the snapshot


async def begin_read(session: AsyncSession) -> None:
    """Start a reading transaction in which every statement sees the same committed state.

    By default each statement sees the latest commit (SQLite's driver runs a lone SELECT outside
    any transaction; PostgreSQL's READ COMMITTED takes a snapshot per statement), so a request
    could read the data version and the policy derived at it, then rows written after it: a
    pseudonymous figure published in between was served unchecked. One snapshot per request
    makes everything a request derives agree with the rows it serves."""
    if session.in_transaction():
        return
    sqlite = session.get_bind().dialect.name == "sqlite"
    await session.connection(execution_options=_SQLITE_SNAPSHOT if sqlite else _PG_SNAPSHOT)


async def end_read(session: AsyncSession) -> None:
    """End a reading transaction before the session writes: a write starts afresh (SQLite cannot
    turn an old read snapshot into a write lock, and PostgreSQL writes at READ COMMITTED)."""
    if not session.in_transaction():
        return
    conn = await session.connection()
    if not conn.sync_connection or not conn.sync_connection.get_execution_options().get(
        "sqlite_write"
    ):
        await session.commit()


class ExchangeSession(Session):
    """The ORM session under every AsyncSession that ``session_factory`` makes: the data-version
    listeners are registered on this class, not on every Session of the process."""


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    dataversion.listen(ExchangeSession)  # every committed write raises the data version
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=ExchangeSession
    )


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The unit of work: services flush, this boundary commits (or rolls back on any error)."""
    async with factory() as session, session.begin():
        await session.connection(execution_options=WRITE)
        yield session
