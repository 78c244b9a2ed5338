"""The observations' data version, and a cache of what is derived from them.

Every transaction that writes observations (insert, update or delete, through the ORM or an
ORM-enabled statement) raises the ``observations`` counter in ``data_versions`` just before it
commits. The counter is raised last, so a writer holds its row lock only for the commit itself and
can never deadlock on it; it is read in the reader's own transaction, so what a reader derives
after reading counter n reflects every commit up to n (or later, never earlier).

``DerivedCache`` keeps a few such derivations per database, keyed by the counter. A transaction
that has itself written observations never reads from or stores into it: its own uncommitted rows
must neither be hidden from it nor leak into what other requests see.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from exchange.observations.models import DataVersion, Observation

NAME = "observations"
_WRITTEN = "dbvx_observations_written"

T = TypeVar("T")


def written(session: Session) -> bool:
    return bool(session.info.get(_WRITTEN))


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state: Any) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and any(
        m.class_ is Observation for m in state.all_mappers
    ):
        state.session.info[_WRITTEN] = True


@event.listens_for(Session, "before_flush")
def _on_flush(session: Session, _context: Any, _instances: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(o, Observation) for o in changed):
        session.info[_WRITTEN] = True


@event.listens_for(Session, "before_commit")
def _raise_counter(session: Session) -> None:
    if session.info.pop(_WRITTEN, False):
        session.execute(
            update(DataVersion)
            .where(DataVersion.name == NAME)
            .values(counter=DataVersion.counter + 1, stamp=uuid.uuid4().hex)
        )


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_soft(session: Session, _previous: SessionTransaction) -> None:
    session.info.pop(_WRITTEN, None)


async def current(session: AsyncSession) -> tuple[int, str] | None:
    """(counter, stamp), or None where the database has no counter row (nothing is cached)."""
    found = (
        await session.execute(
            select(DataVersion.counter, DataVersion.stamp).where(DataVersion.name == NAME)
        )
    ).first()
    return None if found is None else (int(found[0]), str(found[1]))


class DerivedCache:
    """A bounded map from (database, key, data version) to a value derived from observations."""

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
