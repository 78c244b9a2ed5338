"""Crash safety and concurrency: kill -9 in the middle of an import, between a publish and its
commit, and between a case study's commit and its indexing; concurrent publishers of one series.

A killed import or publish leaves nothing behind (one transaction); a committed revision is never
lost; the search index converges from the outbox on the next start; concurrent publishers get
consecutive revisions and no lost update. SQLite runs in WAL mode with a busy timeout.
"""

from __future__ import annotations

import asyncio
import csv
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from exchange.audit.models import AuditEntry
from exchange.db import create_engine, transaction
from exchange.importer.mapping import load_mapping
from exchange.observations.models import Observation, ObservationRevision
from exchange.periods.models import Period
from seed.paths import DATA_DIR, MAPPING
from tests.conftest import Database
from tests.security.procs import ROOT, server_env
from tests.security.support import app_client, bearer, count_sql, make_token

# 29 made-up academic years × 163 areas × every caseload metric: from 1990, the oldest year the importer takes,
# to 2018, before the shipped release's first year.
SYNTHETIC_YEARS = range(1990, 2019)


def big_caseload(folder: Path) -> Path:
    """The shipped caseload file's 2024/25 rows, repeated under 29 made-up academic years. The
    mapping matches files by name, so it keeps the name caseload.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    with (DATA_DIR / "ees" / "caseload.csv").open(encoding="utf-8-sig", newline="") as src:
        reader = csv.DictReader(src)
        fields = list(reader.fieldnames or [])
        rows = [
            r
            for r in reader
            if r["time_period"] == "202425"
            and r["breakdown_topic"] == r["breakdown"] == "All EHC plans"
        ]
    path = folder / "caseload.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for year in SYNTHETIC_YEARS:
            for r in rows:
                writer.writerow({**r, "time_period": f"{year}{(year + 1) % 100:02d}"})
    return path


async def wait_for_line(process: subprocess.Popen[bytes], marker: bytes) -> bytes:
    """The child's first output line; on anything else, kill it and fail with all it said."""
    assert process.stdout is not None
    line = await asyncio.to_thread(process.stdout.readline)
    if not line.startswith(marker):
        process.kill()
        rest = await asyncio.to_thread(process.stdout.read)
        pytest.fail((line + rest).decode(errors="replace")[-3000:])
    return line


def sqlite_path(db: Database) -> str:
    return db.url.split(":///", 1)[1]


async def writing(db: Database) -> bool:
    """True once another process holds an open write transaction on the database."""
    if db.backend == "sqlite":
        conn = sqlite3.connect(sqlite_path(db), timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    async with db.engine.connect() as conn:
        found = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
            )
        )
    return bool(found)


async def kill_while_writing(db: Database, process: subprocess.Popen[bytes], settle: float) -> None:
    deadline = time.monotonic() + 120
    while not await writing(db):
        assert process.poll() is None, "the process ended before it started writing"
        assert time.monotonic() < deadline, "no write transaction seen"
        await asyncio.sleep(0.01)
    await asyncio.sleep(settle)
    assert process.poll() is None, "the process finished before it could be killed mid-way"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL


async def counts(db: Database) -> tuple[int, int, int]:
    async with db.sessions() as s:
        observations = await s.scalar(select(func.count(Observation.id)))
        revisions = await s.scalar(select(func.count(ObservationRevision.id)))
        synthetic = await s.scalar(
            select(func.count(Period.id)).where(Period.time_period < str(SYNTHETIC_YEARS.stop))
        )
    return int(observations or 0), int(revisions or 0), int(synthetic or 0)


def cli(db: Database, tmp: Path, *args: str) -> subprocess.Popen[bytes]:
    env = server_env(db.url, tmp / "data")
    return subprocess.Popen(
        [sys.executable, "-m", "exchange.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
async def test_kill_9_during_import_leaves_nothing_and_the_import_then_completes(
    fresh_db: Database, tmp_path: Path
) -> None:
    big = big_caseload(tmp_path / "big")
    before = await counts(fresh_db)
    assert before == (0, 0, 0)

    importer = cli(fresh_db, tmp_path, "import", "ees", str(big))
    await kill_while_writing(fresh_db, importer, settle=0.3)
    assert await counts(fresh_db) == before  # no partial import: not a row, not a period

    done = cli(fresh_db, tmp_path, "import", "ees", str(big))
    out, _ = done.communicate(timeout=600)
    assert done.returncode == 0, out.decode()[-2000:]
    observations, revisions, periods = await counts(fresh_db)
    caseload = load_mapping(MAPPING).files["caseload.csv"]
    per_area = len(caseload.columns) + len(caseload.derived)  # every mapped and derived metric
    expected = len(SYNTHETIC_YEARS) * 163 * per_area
    assert observations == revisions == expected
    assert periods == len(SYNTHETIC_YEARS)

    again = cli(fresh_db, tmp_path, "import", "ees", str(big))
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0
    assert await counts(fresh_db) == (expected, expected, len(SYNTHETIC_YEARS))
    assert "observations unchanged" in out.decode() and f"{expected:,}" in out.decode()


# Publishes rows in one transaction, flushes every write, then waits to be killed before commit.
PUBLISH_AND_HANG = """
import asyncio, json, os
from exchange.db import create_engine, session_factory
from exchange.publishing import service as publishing
from exchange.publishing.service import RowInput
from exchange.tokens import service as tokens

async def main():
    engine = create_engine(os.environ["EXCHANGE_DATABASE_URL"])
    factory = session_factory(engine)
    async with factory() as s:
        viewer = await tokens.authenticate_token(s, os.environ["TOKEN"])
        await s.commit()
    rows = [RowInput(**r) for r in json.loads(os.environ["ROWS"])]
    async with factory() as s, s.begin():
        result = await publishing.publish(s, viewer, rows, max_rows=None)
        assert result.ok, result.errors
        await s.flush()
        print("FLUSHED", result.created, result.revised, flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


def publish_rows(value: float) -> list[dict[str, Any]]:
    """Every self-reported series West Berkshire can publish for 35 years: 385 figures."""
    rows = []
    for year in range(1990, 2025):
        academic, financial = f"{year}/{(year + 1) % 100:02d}", f"{year}-{(year + 1) % 100:02d}"
        rows += [
            {"metric": "ep_fte", "period": academic, "value": value},
            {"metric": "ep_vacancies", "period": academic, "value": value},
            {"metric": "ehc_plans_per_10k_0_25", "period": academic, "value": value},
            # value% of value x 100 reviews: the share agrees with its parts (consistency.py).
            {"metric": "phase_transfer_reviews_due", "period": academic, "value": value * 100},
            {"metric": "phase_transfer_reviews_completed", "period": academic, "value": value**2},
            {"metric": "phase_transfer_reviews_completed_pct", "period": academic, "value": value},
            {"metric": "hnb_cumulative_deficit_gbp", "period": financial, "value": value * 1e5},
            {"metric": "annual_reviews_due", "period": str(year), "value": value * 100},
            {"metric": "annual_reviews_on_time", "period": str(year), "value": value**2},
            {"metric": "annual_reviews_on_time_pct", "period": str(year), "value": value},
            {"metric": "ep_vacancy_rate_pct", "period": academic, "value": value},
        ]
    return rows


async def publish_in_process(db: Database, secret: str, rows: list[dict[str, Any]]) -> Any:
    from exchange.publishing import service as publishing
    from exchange.publishing.retry import with_retries
    from exchange.publishing.service import RowInput
    from exchange.tokens import service as tokens

    async with db.sessions() as s:
        viewer = await tokens.authenticate_token(s, secret)
        await s.commit()
    assert viewer is not None
    inputs = [RowInput(**r) for r in rows]
    return await with_retries(
        lambda: transaction(db.sessions),
        lambda s: publishing.publish(s, viewer, inputs, max_rows=None),
    )


async def revision_state(db: Database) -> tuple[int, int, float, list[int]]:
    async with db.sessions() as s:
        n_obs = await s.scalar(select(func.count(Observation.id)))
        n_rev = await s.scalar(select(func.count(ObservationRevision.id)))
        total = await s.scalar(select(func.sum(Observation.value)))
        revs = list((await s.execute(select(ObservationRevision.revision).distinct())).scalars())
    return int(n_obs or 0), int(n_rev or 0), float(total or 0), sorted(revs)


@pytest.mark.slow
async def test_kill_9_during_a_large_publish_loses_no_committed_revision(
    fresh_db: Database, tmp_path: Path
) -> None:
    secret = await make_token(fresh_db, authority="869")
    first = await publish_in_process(fresh_db, secret, publish_rows(3))
    assert first.ok and first.created == 385, first.errors[:3]
    committed = await revision_state(fresh_db)
    assert committed[:2] == (385, 385) and committed[3] == [1]

    env = {
        **server_env(fresh_db.url, tmp_path),
        "TOKEN": secret,
        "ROWS": json.dumps(publish_rows(4)),
    }
    hang = subprocess.Popen(
        [sys.executable, "-c", PUBLISH_AND_HANG],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        line = await wait_for_line(hang, b"FLUSHED")
        assert line.startswith(b"FLUSHED 0 385"), line
        assert await writing(fresh_db)  # every write flushed, none committed
    finally:
        hang.send_signal(signal.SIGKILL)
        hang.wait(10)

    assert await revision_state(fresh_db) == committed  # revision 1 intact, no revision 2
    again = await publish_in_process(fresh_db, secret, publish_rows(4))
    assert again.ok and again.revised == 385
    n_obs, n_rev, _, revs = await revision_state(fresh_db)
    assert (n_obs, n_rev, revs) == (385, 770, [1, 2])


async def test_concurrent_publishers_get_consecutive_revisions(fresh_db: Database) -> None:
    """Eight publishers (two tokens of one authority) change one series at once, each with its
    own connection pool as separate workers would. (The only test of concurrent revisions of one
    series: tests/core/test_publishing.py had a weaker copy, two publishers on one pool.)"""
    secrets = [await make_token(fresh_db, authority="869") for _ in range(2)]
    series = {"metric": "ep_fte", "period": "2024/25"}
    assert (await publish_in_process(fresh_db, secrets[0], [{**series, "value": 1.0}])).ok
    # Separate engines: separate connection pools, as separate workers would have.
    engines = [create_engine(fresh_db.url) for _ in range(8)]

    async def publisher(i: int) -> Any:
        db = Database(fresh_db.backend, fresh_db.url, fresh_db.settings, engines[i])
        return await publish_in_process(db, secrets[i % 2], [{**series, "value": 10.0 + i}])

    try:
        results = await asyncio.gather(*(publisher(i) for i in range(8)))
    finally:
        for e in engines:
            await e.dispose()
    assert all(r.ok and r.revised == 1 for r in results), [r.errors for r in results]
    async with fresh_db.sessions() as s:
        obs = (await s.execute(select(Observation))).scalars().one()
        history = (
            await s.execute(
                select(ObservationRevision.revision, ObservationRevision.value)
                .where(ObservationRevision.observation_id == obs.id)
                .order_by(ObservationRevision.revision)
            )
        ).all()
        audit = (
            await s.execute(select(func.count()).where(AuditEntry.action == "observation.publish"))
        ).scalar_one()
    assert [r for r, _ in history] == list(range(1, 10))  # consecutive, none lost, none doubled
    assert sorted(v for _, v in history[1:]) == [10.0 + i for i in range(8)]  # no lost update
    assert obs.revision == 9 and obs.value == history[-1][1]  # current row = latest revision
    assert audit == 9  # one audit entry per committed publish, none from a retried attempt


# Creates and publishes a case study (its outbox row commits with it), then waits to be killed
# before the index is updated.
CASE_STUDY_AND_HANG = """
import asyncio, os
from exchange.casestudies import service
from exchange.db import create_engine, session_factory, transaction
from exchange.tokens import service as tokens

async def main():
    factory = session_factory(create_engine(os.environ["EXCHANGE_DATABASE_URL"]))
    async with factory() as s:
        viewer = await tokens.authenticate_token(s, os.environ["TOKEN"])
        await s.commit()
    async with transaction(factory) as s:
        cs = await service.create(s, viewer, {
            "title": "Quokkafish triage for annual reviews",
            "summary": "Crash-safety test case study.",
            "what_was_done": "A weekly triage of late annual reviews.",
            "phase": "IMPLEMENTATION", "themes": ["annual_reviews"], "evidence_strength": 2})
        await service.publish(s, viewer, cs.public_id)
    print("COMMITTED", cs.public_id, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_kill_9_after_commit_search_index_converges_from_the_outbox(
    fresh_db: Database, tmp_path: Path
) -> None:
    secret = await make_token(fresh_db, authority="869")
    env = {**server_env(fresh_db.url, fresh_db.settings.data_dir), "TOKEN": secret}
    hang = subprocess.Popen(
        [sys.executable, "-c", CASE_STUDY_AND_HANG],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        await wait_for_line(hang, b"COMMITTED")
    finally:
        hang.send_signal(signal.SIGKILL)
        hang.wait(10)
    search = '{ caseStudies(query: "quokkafish") { totalCount edges { node { title } } } }'
    # The next process to start drains the outbox before it serves.
    async with app_client(fresh_db) as client:
        r = await client.post("/graphql", json={"query": search}, headers=bearer(secret))
    data = r.json()["data"]["caseStudies"]
    assert data["totalCount"] == 1, r.text
    assert data["edges"][0]["node"]["title"].startswith("Quokkafish")


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(fresh_db: Database) -> None:
    if fresh_db.backend != "sqlite":
        engine = fresh_db.engine
        assert engine.pool.size() == 10  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 5  # type: ignore[attr-defined]
        return
    async with fresh_db.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 30000
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    # A writing transaction locks first, so its reads see the state it writes on.
    with count_sql() as sent:
        async with transaction(fresh_db.sessions) as s:
            await s.scalar(text("SELECT count(*) FROM authorities"))
    assert sent[0] == "BEGIN IMMEDIATE"
    # WAL: a reader is not blocked by an open write transaction.
    writer = sqlite3.connect(sqlite_path(fresh_db), timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE authorities SET name = name || '' WHERE la_code = '869'")
        async with fresh_db.sessions() as s:
            # No waiting allowed: a reader blocked by the writer fails at once ("database is
            # locked") instead of waiting out the busy timeout.
            await s.execute(text("PRAGMA busy_timeout = 0"))
            n = await s.scalar(text("SELECT count(*) FROM authorities"))
        assert n == 153
    finally:
        writer.rollback()
        writer.close()
