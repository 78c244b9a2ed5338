"""The data versions, and a cache of what is derived from the data.

Two counters in ``data_versions``:

- ``data`` is raised by every transaction that writes observations or the reference data they
  hang on (authorities, statistical neighbours, metrics, periods);
- ``reference`` only by those that write the reference data. What is derived from the reference
  data alone (exchange/comparison/reference.py) outlives a council's publication: a publication
  raises ``data`` but not ``reference`` (unless it adds a period).

A write is an insert, update or delete through the ORM or an ORM-enabled statement. The counters
are raised just before the transaction commits, last, so a writer holds their row locks only for
the commit itself and can never deadlock on them. A reader reads a counter in its own
transaction, so what it derives after reading counter n reflects every commit up to n (or later,
never earlier).

The listeners that do this are registered by ``exchange.db.session_factory`` on the session class
of the sessions it makes (:func:`listen`), not on every Session of the process at import. This
module imports nothing of ours: it knows the tracked models by their tables, and the counters by
their table (the ORM model is ``exchange.observations.models.DataVersion``).

``DerivedCache`` keeps a few such derivations per database, keyed by one counter and its stamp. A
transaction that has itself written tables that counter tracks never reads from or stores into
it: its own uncommitted rows must neither be hidden from it nor leak into what other requests see.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import column, event, inspect, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, Session, SessionTransaction

NAME = "data"
REFERENCE = "reference"
# The tables of Authority, StatisticalNeighbour, Metric and Period; then Observation as well.
REFERENCE_TABLES = frozenset({"authorities", "statistical_neighbours", "metrics", "periods"})
TRACKED_TABLES = REFERENCE_TABLES | {"observations"}
_VERSIONS = table("data_versions", column("name"), column("counter"), column("stamp"))
_WRITTEN = "dbvx_data_written"
_SEEN = "dbvx_data_version"  # the counters as this transaction read them

T = TypeVar("T")
Version = tuple[int, str]


def listen(session_class: type[Session]) -> None:
    """Make every session of ``session_class`` raise the data version (idempotent)."""
    for name, fn in _LISTENERS:
        if not event.contains(session_class, name, fn):
            event.listen(session_class, name, fn)


def _counters(mapper: Mapper[Any]) -> set[str]:
    """The counters a write to ``mapper``'s table raises."""
    name = getattr(mapper.local_table, "name", None)
    if name in REFERENCE_TABLES:
        return {NAME, REFERENCE}
    return {NAME} if name in TRACKED_TABLES else set()


def written(session: Session, name: str = NAME) -> bool:
    """Whether this transaction has written a table that counter ``name`` tracks."""
    return name in session.info.get(_WRITTEN, ())


def _mark(session: Session, names: set[str]) -> None:
    if names:
        session.info[_WRITTEN] = session.info.get(_WRITTEN, frozenset()) | names


def _on_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _mark(state.session, set().union(*(_counters(m) for m in state.all_mappers)))


def _pending(session: Session) -> set[str]:
    changed = (*session.new, *session.dirty, *session.deleted)
    return set().union(*(_counters(inspect(o).mapper) for o in changed))


def _on_flush(session: Session, _context: Any, _instances: Any) -> None:
    _mark(session, _pending(session))


def _raise_counter(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the enclosing transaction's commit raises it
    # Objects still pending are flushed after this event, inside the same commit: count them too.
    names = set(session.info.pop(_WRITTEN, ())) | _pending(session)
    if names:
        session.execute(
            update(_VERSIONS)
            .where(_VERSIONS.c.name.in_(sorted(names)))  # sorted: one lock order for every writer
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


async def current(session: AsyncSession, name: str = NAME) -> Version | None:
    """(counter, stamp), or None where the database has no such counter row (nothing is cached).

    Read once per transaction: derivations used together in one request agree on the version."""
    seen: dict[str, Version | None] = session.sync_session.info.setdefault(_SEEN, {})
    if name in seen:
        return seen[name]
    found = (
        await session.execute(
            select(_VERSIONS.c.counter, _VERSIONS.c.stamp).where(_VERSIONS.c.name == name)
        )
    ).first()
    version = None if found is None else (int(found[0]), str(found[1]))
    seen[name] = version
    return version


class DerivedCache:
    """A bounded map from (database, key, version of counter ``counter``) to a value derived from
    the tables that counter tracks.

    Values are shared by every request of the process: callers must treat them as read-only.
    Requests that miss the same entry at once wait for the first one's computation instead of
    each repeating it: after a publication, sixteen concurrent requests used to rebuild the same
    value sixteen times on the one event loop. A waiter computes for itself when that first
    computation fails or is cancelled (its failure belongs to its own request)."""

    def __init__(self, maxsize: int = 32, counter: str = NAME) -> None:
        self._maxsize = maxsize
        self._counter = counter
        self._items: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
        self._computing: dict[tuple[Hashable, ...], asyncio.Future[Any]] = {}

    async def get(
        self,
        session: AsyncSession,
        key: Hashable,
        compute: Callable[[], Awaitable[T]],
    ) -> T:
        if written(session.sync_session, self._counter):
            return await compute()
        version = await current(session, self._counter)
        if version is None:
            return await compute()
        full = (_database(session), self._counter, key, version)
        while (running := self._computing.get(full)) is not None:
            try:
                shared: T = await asyncio.shield(running)
                return shared
            except Exception:
                continue  # that request's failure is its own: compute, or wait for the next one
        if full in self._items:
            self._items.move_to_end(full)
            value: T = self._items[full]
            return value
        mine: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._computing[full] = mine
        try:
            value = await compute()
        except BaseException as error:
            _fail(mine, error if isinstance(error, Exception) else RuntimeError("cancelled"))
            raise
        finally:
            self._computing.pop(full, None)
        if written(session.sync_session, self._counter):  # never hand on what saw own writes
            _fail(mine, RuntimeError("computed by a transaction that wrote"))
            return value
        mine.set_result(value)
        self._items[full] = value
        while len(self._items) > self._maxsize:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()
        self._computing.clear()


def _fail(future: asyncio.Future[Any], error: Exception) -> None:
    future.set_exception(error)
    future.exception()  # retrieved: no "exception was never retrieved" when nobody waited


def _database(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.engine.url.render_as_string(hide_password=False)
