"""The data version, and a cache of what is derived from the data.

Every transaction that writes observations or the reference data they hang on (authorities,
statistical neighbours, metrics, periods) — an insert, update or delete through the ORM or an
ORM-enabled statement — raises the ``data`` counter in ``data_versions`` just before it commits.
The counter is raised last, so a writer holds its row lock only for the commit itself and can never
deadlock on it. A reader reads it in its own transaction, so what it derives after reading counter
n reflects every commit up to n (or later, never earlier).

The listeners that do this are registered by ``exchange.db.session_factory`` on the session class
of the sessions it makes (:func:`listen`), not on every Session of the process at import. This
module imports nothing of ours: it knows the tracked models by their tables, and the counter by
its table (the ORM model is ``exchange.observations.models.DataVersion``).

``DerivedCache`` keeps a few such derivations per database, keyed by the counter and its stamp. A
transaction that has itself written tracked data never reads from or stores into it: its own
uncommitted rows must neither be hidden from it nor leak into what other requests see.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import column, event, inspect, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, Session, SessionTransaction

NAME = "data"
# The tables of Observation, Authority, StatisticalNeighbour, Metric and Period.
TRACKED_TABLES = frozenset(
    {"observations", "authorities", "statistical_neighbours", "metrics", "periods"}
)
_VERSIONS = table("data_versions", column("name"), column("counter"), column("stamp"))
_WRITTEN = "dbvx_data_written"
_SEEN = "dbvx_data_version"  # the counter as this transaction read it

T = TypeVar("T")
Version = tuple[int, str]


def listen(session_class: type[Session]) -> None:
    """Make every session of ``session_class`` raise the data version (idempotent)."""
    for name, fn in _LISTENERS:
        if not event.contains(session_class, name, fn):
            event.listen(session_class, name, fn)


def _tracked(mapper: Mapper[Any]) -> bool:
    return getattr(mapper.local_table, "name", None) in TRACKED_TABLES


def written(session: Session) -> bool:
    return bool(session.info.get(_WRITTEN))


def _on_statement(state: Any) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and any(
        _tracked(m) for m in state.all_mappers
    ):
        state.session.info[_WRITTEN] = True


def _pending(session: Session) -> bool:
    changed = (*session.new, *session.dirty, *session.deleted)
    return any(_tracked(inspect(o).mapper) for o in changed)


def _on_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _pending(session):
        session.info[_WRITTEN] = True


def _raise_counter(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the enclosing transaction's commit raises it
    # Objects still pending are flushed after this event, inside the same commit: count them too.
    if session.info.pop(_WRITTEN, False) or _pending(session):
        session.execute(
            update(_VERSIONS)
            .where(_VERSIONS.c.name == NAME)
            .values(counter=_VERSIONS.c.counter + 1, stamp=uuid.uuid4().hex)
        )


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    # The next transaction reads the counter anew (a request's read-only session never commits).
    session.info.pop(_SEEN, None)
    if transaction.parent is None:
        # The whole transaction is over, committed or rolled back. A savepoint's rollback is not
        # the end: what the enclosing transaction wrote before it still counts.
        session.info.pop(_WRITTEN, None)


_LISTENERS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("do_orm_execute", _on_statement),
    ("before_flush", _on_flush),
    ("before_commit", _raise_counter),
    ("after_transaction_end", _transaction_ended),
)


async def current(session: AsyncSession) -> Version | None:
    """(counter, stamp), or None where the database has no counter row (nothing is cached).

    Read once per transaction: derivations used together in one request agree on the version."""
    info = session.sync_session.info
    if _SEEN in info:
        seen: Version | None = info[_SEEN]
        return seen
    found = (
        await session.execute(
            select(_VERSIONS.c.counter, _VERSIONS.c.stamp).where(_VERSIONS.c.name == NAME)
        )
    ).first()
    version = None if found is None else (int(found[0]), str(found[1]))
    info[_SEEN] = version
    return version


class DerivedCache:
    """A bounded map from (database, key, data version) to a value derived from the data.

    Values are shared by every request of the process: callers must treat them as read-only."""

    def __init__(self, maxsize: int = 32) -> None:
        self._maxsize = maxsize
        self._items: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()

    async def get(
        self,
        session: AsyncSession,
        key: Hashable,
        compute: Callable[[], Awaitable[T]],
    ) -> T:
        if written(session.sync_session):
            return await compute()
        version = await current(session)
        if version is None:
            return await compute()
        full = (_database(session), key, version)
        if full in self._items:
            self._items.move_to_end(full)
            value: T = self._items[full]
            return value
        value = await compute()
        if not written(session.sync_session):
            self._items[full] = value
            while len(self._items) > self._maxsize:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()


def _database(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.engine.url.render_as_string(hide_password=False)
