"""Databases for the benchmark: the shipped data plus 20,000 case studies, and synthetic
observation tables of 367,200 and 1,199,520 rows."""

from __future__ import annotations

import asyncio
import csv
import secrets
import sqlite3
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.engine import Engine

from exchange.db import create_engine, session_factory, transaction
from exchange.settings import Settings

CASE_STUDIES = 20_000


def settings_for(base: Settings, data_dir: Path) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    return base.model_copy(
        update={
            "data_dir": data_dir,
            "database_url": f"sqlite+aiosqlite:///{data_dir / 'exchange.db'}",
            "meili_url": None,
            "redis_url": None,
            "cost_budget_per_hour": 10**12,
        }
    )


async def prepare_main(settings: Settings, case_studies: int = CASE_STUDIES) -> dict[str, Any]:
    """Migrate, load the shipped DfE data, add ``case_studies`` published case studies to the
    database and index them in tantivy through the search port."""
    from exchange.casestudies import indexing
    from exchange.casestudies.models import CaseStudy
    from exchange.migrate import upgrade_async
    from search.factory import open_backend
    from seed.bootstrap import initialise
    from seed.demo_case_studies import generate, linkable_spans

    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    factory = session_factory(engine)
    try:
        started = time.perf_counter()
        await initialise(factory)
        async with factory() as s:
            from exchange.authorities import repository as authorities

            everyone = list(await authorities.all_authorities(s))
            spans = await linkable_spans(s)
        now = datetime.now(UTC)
        rows = []
        for author, values, _pseudonymous, published in generate(everyone, spans, case_studies):
            rows.append(
                {
                    "public_id": secrets.token_urlsafe(12),
                    "authority_id": author.id,
                    "status": "published",
                    "pseudonymous": False,
                    "is_demo": True,
                    "title": values["title"][:200],
                    "summary": values["summary"],
                    "context": values["context"],
                    "what_was_done": values["what_was_done"],
                    "results": values["results"],
                    "lessons_learned": values["lessons_learned"],
                    "phase": values["phase"],
                    "themes": values["themes"],
                    "cost_band": values.get("cost_band"),
                    "evidence_strength": values.get("evidence_strength"),
                    "revision": 2,
                    "created_at": published,
                    "updated_at": now,
                    "published_at": published,
                }
            )
        async with transaction(factory) as s:
            for i in range(0, len(rows), 2000):
                await s.execute(insert(CaseStudy), rows[i : i + 2000])
        backend = open_backend(None, None, settings.search_index_dir)
        try:
            indexed = 0
            async with factory() as s:
                ids = list((await s.execute(select(CaseStudy.id).order_by(CaseStudy.id))).scalars())
                for i in range(0, len(ids), 1000):
                    chunk = ids[i : i + 1000]
                    found = (
                        await s.execute(select(CaseStudy).where(CaseStudy.id.in_(chunk)))
                    ).scalars()
                    docs = await indexing.documents(s, list(found), settings.secret_key)
                    await asyncio.to_thread(backend.upsert, docs)
                    indexed += len(docs)
            count = backend.count()
        finally:
            backend.close()
        return {"case_studies": indexed, "indexed": count, "seconds": time.perf_counter() - started}
    finally:
        await engine.dispose()


def parse_only(paths: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    rows = 0
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for _ in csv.DictReader(handle):
                rows += 1
    return time.perf_counter() - started, rows


async def import_once(base: Settings, folder: Path) -> tuple[float, int]:
    """Time ``import_files`` of the four EES files into a database with reference data only."""
    from exchange.importer.mapping import load_mapping
    from exchange.importer.service import import_files
    from exchange.migrate import upgrade_async
    from seed.bootstrap import load_reference
    from seed.paths import EES_FILES, MAPPING

    settings = settings_for(base, folder)
    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    factory = session_factory(engine)
    try:
        async with transaction(factory) as s:
            await load_reference(s)
        mapping = load_mapping(MAPPING)
        started = time.perf_counter()
        async with transaction(factory) as s:
            summary = await import_files(s, list(EES_FILES), mapping)
        return time.perf_counter() - started, summary.created
    finally:
        await engine.dispose()


async def import_vs_parse(base: Settings, work: Path, repeats: int = 3) -> dict[str, Any]:
    from seed.paths import EES_FILES

    parse_times, import_times = [], []
    rows = created = 0
    for i in range(repeats):
        t, rows = parse_only(list(EES_FILES))
        parse_times.append(t)
        t, created = await import_once(base, work / f"import-{i}")
        import_times.append(t)
    parse_s, import_s = statistics.median(parse_times), statistics.median(import_times)
    return {
        "rows": rows,
        "observations": created,
        "parse_s": parse_s,
        "import_s": import_s,
        "ratio": import_s / parse_s,
    }


async def synthetic_observations(
    base: Settings, folder: Path, metrics_count: int, periods_count: int
) -> tuple[Settings, int]:
    """153 authorities × ``metrics_count`` synthetic metrics × ``periods_count`` academic years
    (2030/31 onwards), inserted with executemany into a separate SQLite file."""
    from exchange.metrics.models import Metric
    from exchange.migrate import upgrade_async
    from exchange.periods import repository as periods
    from exchange.periods.labels import PeriodKey
    from seed.bootstrap import load_reference

    settings = settings_for(base, folder)
    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    factory = session_factory(engine)
    try:
        async with transaction(factory) as s:
            await load_reference(s)
            s.add_all(
                Metric(
                    code=f"synthetic_{i:03d}",
                    name=f"Synthetic metric {i}",
                    description="Benchmark data",
                    unit="count",
                    polarity="higher_is_better",
                    theme="benchmark",
                    source="synthetic",
                    period_kind="academic",
                    disclosure_rule="published",
                )
                for i in range(metrics_count)
            )
            await s.flush()
            keys = [PeriodKey("academic", 2030 + i) for i in range(periods_count)]
            await periods.ensure(s, keys)
    finally:
        await engine.dispose()
    path = str(folder / "exchange.db")
    conn = sqlite3.connect(path)
    try:
        metric_ids = [
            r[0] for r in conn.execute("SELECT id FROM metrics WHERE code LIKE 'synthetic_%'")
        ]
        period_ids = [r[0] for r in conn.execute("SELECT id FROM periods WHERE start_year >= 2030")]
        authorities = list(conn.execute("SELECT id, la_code FROM authorities"))
        stamp = datetime.now(UTC).isoformat(sep=" ")
        rng = secrets.SystemRandom()

        def rows() -> Any:
            for m in metric_ids:
                for p in period_ids:
                    for a_id, code in authorities:
                        yield (
                            secrets.token_urlsafe(12),
                            m,
                            p,
                            "local_authority",
                            code,
                            a_id,
                            float(rng.randint(10, 10_000)),
                            None,
                            "",
                            "synthetic",
                            "public",
                            0,
                            0,
                            0,
                            1,
                            stamp,
                        )

        conn.executemany(
            "INSERT INTO observations (public_id, metric_id, period_id, area_level, area_code,"
            " authority_id, value, symbol, flags, source, visibility, pseudonymous, withdrawn,"
            " is_demo, revision, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows(),
        )
        conn.commit()
        conn.execute("ANALYZE")
        count = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    finally:
        conn.close()
    return settings, int(count)


class StatementLog:
    """Every SQL statement (with its parameters) sent while active."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __enter__(self) -> StatementLog:
        event.listen(Engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *_: Any) -> None:
        event.remove(Engine, "before_cursor_execute", self._before)

    def _before(self, _c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append((statement, parameters))
