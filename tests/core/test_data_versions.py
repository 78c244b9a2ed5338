"""The observations' data version: raised by every committed write, and what the pseudonym policy
cache relies on to never serve a policy older than the data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from exchange import dataversion
from exchange.authorities import repository as authorities
from exchange.db import create_engine, session_factory, transaction
from exchange.metrics import repository as metrics
from exchange.observations import anonymity, repository_pseudonyms
from exchange.observations import repository as observations
from exchange.observations.models import Observation
from exchange.periods import repository as periods
from exchange.periods.labels import PeriodKey
from exchange.pseudonyms import Pseudonymiser, ReleaseSchedule

AT_ONCE = ReleaseSchedule(timedelta(0))  # the release schedule has tests of its own
PSEUDONYMISER = Pseudonymiser("test-secret", AT_ONCE)


async def _version(db: Any) -> tuple[int, str] | None:
    async with db.sessions() as session:
        return await dataversion.current(session)


async def _row(session: Any, la_code: str, *, pseudonymous: bool) -> dict[str, Any]:
    metric = await metrics.get_by_code(session, "ep_fte")
    assert metric is not None
    period = (await periods.ensure(session, [PeriodKey(metric.period_kind, 2031)]))[
        PeriodKey(metric.period_kind, 2031)
    ]
    authority = await authorities.get_by_code(session, la_code)
    assert authority is not None
    return {
        "metric_id": metric.id,
        "period_id": period.id,
        "area_level": "local_authority",
        "area_code": authority.la_code,
        "authority_id": authority.id,
        "value": 7.0,
        "symbol": None,
        "flags": "",
        "source": "test",
        "visibility": "members",
        "pseudonymous": pseudonymous,
        "withdrawn": False,
        "is_demo": False,
        "revision": 1,
        "updated_at": observations.now(),
    }


async def test_committed_writes_raise_the_version_and_nothing_else_does(fresh_db: Any) -> None:
    start = await _version(fresh_db)
    assert start is not None

    async with transaction(fresh_db.sessions) as session:  # reads only
        await repository_pseudonyms.pseudonymous_series(session)
    assert await _version(fresh_db) == start

    async with fresh_db.sessions() as session, session.begin():
        await observations.insert_new(session, [await _row(session, "869", pseudonymous=True)], "t")
        await session.rollback()
    assert await _version(fresh_db) == start  # rolled back: nothing changed

    async with transaction(fresh_db.sessions) as session:
        await observations.insert_new(session, [await _row(session, "869", pseudonymous=True)], "t")
    after_insert = await _version(fresh_db)
    assert after_insert is not None and after_insert[0] == start[0] + 1
    assert after_insert[1] != start[1]

    # A plain ORM-enabled UPDATE (no repository function) raises it as well.
    async with transaction(fresh_db.sessions) as session:
        await session.execute(update(Observation).values(pseudonymous=False))
    after_update = await _version(fresh_db)
    assert after_update is not None and after_update[0] == start[0] + 2


async def test_the_policy_follows_a_write_from_another_worker(fresh_db: Any) -> None:
    async with fresh_db.sessions() as session:
        before = await anonymity.load_policy(session, PSEUDONYMISER)
        again = await anonymity.load_policy(session, PSEUDONYMISER)
    assert again == before  # served from the cache: same data version

    # Another worker: its own engine on the same database.
    other = create_engine(fresh_db.url)
    try:
        async with transaction(session_factory(other)) as session:
            row = await _row(session, "869", pseudonymous=True)
            await observations.insert_new(session, [row], "t")
    finally:
        await other.dispose()

    async with fresh_db.sessions() as session:
        after = await anonymity.load_policy(session, PSEUDONYMISER)
    assert row["authority_id"] in after.real.visible
    assert row["authority_id"] not in before.real.visible


async def test_a_writer_sees_its_own_rows_and_they_never_reach_the_cache(fresh_db: Any) -> None:
    async with fresh_db.sessions() as session:
        before = await anonymity.load_policy(session, PSEUDONYMISER)
    async with fresh_db.sessions() as session, session.begin():
        row = await _row(session, "869", pseudonymous=True)
        await observations.insert_new(session, [row], "t")
        inside = await anonymity.load_policy(session, PSEUDONYMISER)
        assert row["authority_id"] in inside.real.visible
        await session.rollback()
    async with fresh_db.sessions() as session:
        after = await anonymity.load_policy(session, PSEUDONYMISER)
    assert after == before
    assert row["authority_id"] not in after.real.visible


async def test_labels_come_from_the_callers_pseudonymiser(fresh_db: Any) -> None:
    async with transaction(fresh_db.sessions) as session:
        await observations.insert_new(session, [await _row(session, "869", pseudonymous=True)], "t")
    other = Pseudonymiser("another-secret", AT_ONCE)
    async with fresh_db.sessions() as session:
        first = await anonymity.load_policy(session, PSEUDONYMISER)
        second = await anonymity.load_policy(session, other)
        west_berkshire = await authorities.get_by_code(session, "869")
    assert west_berkshire is not None
    assert first.real == second.real
    one, two = first.pseudonym(west_berkshire), second.pseudonym(west_berkshire)
    assert one is not None and two is not None and one.label != two.label


async def test_a_period_created_by_a_publication_is_comparable_at_once(fresh_db: Any) -> None:
    """The comparison's reference snapshot (periods among it) follows writes too."""
    import pytest

    from exchange.comparison import service as comparison
    from exchange.errors import NotFound
    from exchange.viewer import role_viewer
    from tests.publishing_support import make_token, publish, row

    viewer, _ = await make_token(fresh_db, authority="869")
    member = role_viewer("analyst")
    async with fresh_db.sessions() as session:
        with pytest.raises(NotFound):
            await comparison.compare(
                session, member, metric_code="ep_fte", period_label="2010/11", authority_code="869"
            )
    published = await publish(fresh_db, viewer, [row("ep_fte", "2010/11", 9.5)])
    assert published.ok, published.errors
    async with fresh_db.sessions() as session:
        result = await comparison.compare(
            session, member, metric_code="ep_fte", period_label="2010/11", authority_code="869"
        )
    assert result.subject.disclosed.value == 9.5


async def test_reference_writes_alone_raise_the_version(fresh_db: Any) -> None:
    from exchange.comparison import reference

    async with fresh_db.sessions() as session:
        before = await reference.load(session)
    assert "2009/10" not in before.periods
    async with transaction(fresh_db.sessions) as session:  # a period and nothing else
        await periods.ensure(session, [PeriodKey("academic", 2009)])
    async with fresh_db.sessions() as session:
        after = await reference.load(session)
    assert "2009/10" in after.periods


async def test_a_publication_raises_data_but_not_reference(fresh_db: Any) -> None:
    """The reference counter moves only with authorities, neighbours, metrics and periods: the
    reference snapshot outlives a council's figures (one built per publication, before)."""
    from exchange.comparison import reference

    async def versions() -> tuple[Any, Any]:
        async with fresh_db.sessions() as session:
            return (
                await dataversion.current(session),
                await dataversion.current(session, dataversion.REFERENCE),
            )

    async with transaction(fresh_db.sessions) as session:  # creates the period the rows use
        await observations.insert_new(
            session, [await _row(session, "850", pseudonymous=False)], "t"
        )
    data_0, ref_0 = await versions()
    async with fresh_db.sessions() as session:
        snapshot = await reference.load(session)
    async with transaction(fresh_db.sessions) as session:
        await observations.insert_new(
            session, [await _row(session, "869", pseudonymous=False)], "t"
        )
    data_1, ref_1 = await versions()
    assert data_0 is not None and data_1 is not None and data_1[0] == data_0[0] + 1
    assert ref_1 == ref_0 is not None
    async with fresh_db.sessions() as session:
        assert await reference.load(session) is snapshot  # not rebuilt
    async with transaction(fresh_db.sessions) as session:
        await periods.ensure(session, [PeriodKey("academic", 2007)])
    data_2, ref_2 = await versions()
    assert data_2 is not None and data_2[0] == data_1[0] + 1
    assert ref_2 is not None and ref_0 is not None and ref_2[0] == ref_0[0] + 1
    async with fresh_db.sessions() as session:
        rebuilt = await reference.load(session)
    assert rebuilt is not snapshot and "2007/08" in rebuilt.periods


async def test_requests_missing_the_same_entry_compute_it_once(fresh_db: Any) -> None:
    import asyncio

    cache = dataversion.DerivedCache()
    calls: list[int] = []
    release = asyncio.Event()

    async def compute() -> list[int]:
        calls.append(1)
        await release.wait()
        return [len(calls)]

    async def one() -> list[int]:
        async with fresh_db.sessions() as session:
            return await cache.get(session, "k", compute)

    waiting = [asyncio.ensure_future(one()) for _ in range(5)]
    for _ in range(20):  # let every request read the version and find the computation running
        await asyncio.sleep(0.01)
    release.set()
    results = await asyncio.gather(*waiting)
    assert calls == [1]
    assert all(r is results[0] for r in results)


async def test_a_failed_first_computation_leaves_the_others_to_compute(fresh_db: Any) -> None:
    import asyncio

    import pytest

    cache = dataversion.DerivedCache()
    started, fail = asyncio.Event(), asyncio.Event()

    async def failing() -> str:
        started.set()
        await fail.wait()
        raise ValueError("the first request's own failure")

    async def fine() -> str:
        return "computed by the waiter"

    async def get(compute: Any) -> str:
        async with fresh_db.sessions() as session:
            value: str = await cache.get(session, "k", compute)
            return value

    first = asyncio.ensure_future(get(failing))
    await started.wait()
    second = asyncio.ensure_future(get(fine))
    await asyncio.sleep(0.05)
    fail.set()
    with pytest.raises(ValueError, match="own failure"):
        await first
    assert await second == "computed by the waiter"
    async with fresh_db.sessions() as session:  # and the waiter's value is what is cached
        assert await cache.get(session, "k", failing) == "computed by the waiter"


async def test_objects_flushed_by_the_commit_itself_raise_the_version(fresh_db: Any) -> None:
    """SQLAlchemy flushes pending objects after its before-commit event: they count too."""
    from exchange.periods.models import Period

    start = await _version(fresh_db)
    assert start is not None
    async with transaction(fresh_db.sessions) as session:
        key = PeriodKey("academic", 2008)
        session.add(
            Period(
                time_identifier=key.time_identifier,
                time_period=key.time_period,
                kind=key.kind,
                label=key.label,
                start_year=key.start_year,
            )
        )  # no flush: the commit flushes it
    after = await _version(fresh_db)
    assert after is not None and after[0] == start[0] + 1


async def test_a_savepoint_rolled_back_keeps_what_was_written_before_it(fresh_db: Any) -> None:
    start = await _version(fresh_db)
    assert start is not None
    async with transaction(fresh_db.sessions) as session:
        await observations.insert_new(session, [await _row(session, "869", pseudonymous=True)], "t")
        savepoint = await session.begin_nested()
        await savepoint.rollback()
    after = await _version(fresh_db)
    assert after is not None and after[0] == start[0] + 1


def test_the_tracked_tables_are_those_of_the_tracked_models() -> None:
    """exchange.dataversion knows the tracked models by their tables (it imports no model)."""
    from exchange.authorities.models import Authority, StatisticalNeighbour
    from exchange.metrics.models import Metric
    from exchange.periods.models import Period

    tracked = (Observation, Authority, StatisticalNeighbour, Metric, Period)
    assert {m.__table__.name for m in tracked} == dataversion.TRACKED_TABLES  # type: ignore[attr-defined]


def test_the_cached_reference_rows_hold_every_column() -> None:
    """The comparison's reference cache holds frozen copies: none may lose a column."""
    from dataclasses import fields

    from sqlalchemy import inspect

    from exchange.authorities.models import Authority
    from exchange.comparison import reference
    from exchange.metrics.models import Metric
    from exchange.periods.models import Period

    for ref, model in (
        (reference.AuthorityRef, Authority),
        (reference.MetricRef, Metric),
        (reference.PeriodRef, Period),
    ):
        assert [f.name for f in fields(ref)] == [c.key for c in inspect(model).column_attrs]
