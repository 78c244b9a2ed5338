"""``python -m bench.cost``: what a query-cost point costs in server time.

Builds a database the way ``make run`` does (``exchange init``: the shipped DfE data, the demo
figures and case studies, the tantivy index), adds synthetic series so that one kind of period
has 40 periods (the most ``schema/cost_rules.py`` assumes), then runs a set of operations
in-process (schema + context, as the HTTP endpoint runs them, without the HTTP layer and with
budgets off) and prints, for each, its estimate (objects + work units, points), its median time,
and the time per point. The figures in docs/limits.md come from this script.

    .venv/bin/python -m bench.cost [--samples 15] [--keep DIR]

Each operation is warmed up, then timed ``--samples`` times; the median is reported. Run it on
an otherwise idle machine: the figures are noisy (±20–30 %) on a shared one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from exchange.settings import Settings
from exchange.viewer import ANONYMOUS, Viewer

ROOT = Path(__file__).resolve().parent.parent
SERIES_METRICS = 60
TARGET_PERIODS = 40

T = 'trend(metric: "{m}", authority: "869", peers: {g}{span}) {{ points {{ direction }} }}'
T_DIRECTION = 'trend(metric: "{m}", authority: "869", peers: {g}) {{ direction }}'
C = 'comparison(metric: "ehc_plans", period: "2024/25", authority: "869", peers: {g}) {{ {s} }}'
IMP = (
    'improvers(metric: "ehc_plans", from: "2019/20", to: "2024/25", authority: "869", '
    "peers: {g}) {{ {s} }}"
)
ENTRIES = "entries { value rank percentile authority { name } }"
SEARCH = (
    'caseStudies(query: "{q}", first: {n}) {{ totalCount edges {{ node {{ id title }} '
    "highlights {{ field snippets }} }} facets {{ field values {{ value count }} }} }}"
)
LINKS = (
    "caseStudies(first: {n}) {{ edges {{ node {{ title outcomeLinks {{ change peerMedianChange "
    "summary }} }} }} }}"
)


def aliases(template: str, n: int) -> str:
    return "{ " + " ".join(f"a{i}: {template}" for i in range(n)) + " }"


def operations(series_metric: str) -> dict[str, tuple[str, Viewer | None]]:
    """name -> (document, viewer; None for a publisher of 869)."""
    m = series_metric
    sn, eng = "STATISTICAL_NEIGHBOURS", "ENGLAND"
    few = ', from: "2034/35", to: "2038/39"'
    publish = ", ".join(
        f'{{metric: "ep_fte", period: "{2000 + i}/{(i + 1) % 100:02d}", value: {i}.5}}'
        for i in range(100)
    )
    ops: dict[str, tuple[str, Viewer | None]] = {
        "trivial { __typename }": ("{ __typename }", ANONYMOUS),
        "authority x30": (aliases('authority(code: "869") { name }', 30), ANONYMOUS),
        "authorities(100) x neighbours": (
            "{ authorities(first: 100) { edges { node { name statisticalNeighbours "
            "{ authority { name } } } } } }",
            ANONYMOUS,
        ),
        "trend SN (40 periods) x1": (aliases(T.format(m=m, g=sn, span=""), 1), ANONYMOUS),
        "trend SN (40 periods) x10": (aliases(T.format(m=m, g=sn, span=""), 10), ANONYMOUS),
        "trend ENGLAND (40 periods) x1": (aliases(T.format(m=m, g=eng, span=""), 1), ANONYMOUS),
        "trend ENGLAND (40 periods) x5": (aliases(T.format(m=m, g=eng, span=""), 5), ANONYMOUS),
        "trend ENGLAND direction only x5": (aliases(T_DIRECTION.format(m=m, g=eng), 5), ANONYMOUS),
        "trend ENGLAND (5 periods) x10": (aliases(T.format(m=m, g=eng, span=few), 10), ANONYMOUS),
        "trend ENGLAND shipped ehc_plans x10": (
            aliases(T.format(m="ehc_plans", g=eng, span=""), 10),
            ANONYMOUS,
        ),
        "comparison SN peerCount x30": (aliases(C.format(g=sn, s="peerCount"), 30), ANONYMOUS),
        "comparison ENGLAND peerCount x30": (
            aliases(C.format(g=eng, s="peerCount"), 30),
            ANONYMOUS,
        ),
        "comparison ENGLAND entries x1": (aliases(C.format(g=eng, s=ENTRIES), 1), ANONYMOUS),
        "improvers SN x30": (aliases(IMP.format(g=sn, s="peerCount"), 30), ANONYMOUS),
        "improvers ENGLAND x10": (aliases(IMP.format(g=eng, s="peerCount"), 10), ANONYMOUS),
        "improvers ENGLAND entries+caseStudies": (
            aliases(IMP.format(g=eng, s="entries { change caseStudies { title } }"), 1),
            ANONYMOUS,
        ),
        "observations unfiltered totalCount": (
            "{ observations(first: 1) { totalCount } }",
            ANONYMOUS,
        ),
        "observations unfiltered x5": (
            aliases("observations(first: 1) { totalCount }", 5),
            ANONYMOUS,
        ),
        "observations one metric, page of 100": (
            f'{{ observations(first: 100, filter: {{metrics: ["{m}"]}}) {{ totalCount '
            "edges { node { value period { label } authority { name } } } } }",
            ANONYMOUS,
        ),
        "search 10 hits": (aliases(SEARCH.format(q="EHCP annual review", n=10), 1), ANONYMOUS),
        "search 10 hits x10": (
            aliases(SEARCH.format(q="educational psycholgist", n=10), 10),
            ANONYMOUS,
        ),
        "search 100 hits": (aliases(SEARCH.format(q="", n=100), 1), ANONYMOUS),
        "case studies 50, titles only": (
            "{ caseStudies(first: 50) { edges { node { title } } } }",
            ANONYMOUS,
        ),
        "case studies 50 with outcome links": (aliases(LINKS.format(n=50), 1), ANONYMOUS),
        "improvers SN with case studies' links": (
            aliases(
                IMP.format(
                    g=sn,
                    s="entries { change caseStudies { title outcomeLinks { change summary } } }",
                ),
                1,
            ),
            ANONYMOUS,
        ),
        "publishObservations 100 rows": (
            "mutation { publishObservations(input: {observations: [" + publish + "]}) "
            "{ userErrors { code } } }",
            None,
        ),
    }
    return ops


def init_database(folder: Path) -> Settings:
    """``exchange init`` into ``folder`` (SQLite, tantivy), as ``make run`` does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGE_")}
    env.update(EXCHANGE_DATA_DIR=str(folder), EXCHANGE_SECRET_KEY=settings_for(folder).secret_key)
    subprocess.run(
        [sys.executable, "-m", "exchange.cli", "init"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return settings_for(folder)


def settings_for(folder: Path) -> Settings:
    """Budgets off and no per-query maximum: the script measures, it does not refuse."""
    return Settings.from_env().model_copy(
        update={
            "data_dir": folder,
            "database_url": f"sqlite+aiosqlite:///{folder / 'exchange.db'}",
            "secret_key": "bench-cost-" + "x" * 32,
            "meili_url": None,
            "redis_url": None,
            "cost_budget_per_hour": 0,
            "max_query_cost": 10**9,
        }
    )


def add_series(path: Path, metrics: int = SERIES_METRICS) -> tuple[str, int]:
    """Synthetic academic-year series for every authority, so that the academic kind has
    TARGET_PERIODS periods. Returns the first synthetic metric's code and the rows added."""
    conn = sqlite3.connect(path)
    try:
        have = conn.execute("SELECT count(*) FROM periods WHERE kind = 'academic'").fetchone()[0]
        years = range(2030, 2030 + max(0, TARGET_PERIODS - have))
        conn.executemany(
            "INSERT INTO periods (time_identifier, time_period, kind, label, start_year) "
            "VALUES ('Academic year', ?, 'academic', ?, ?)",
            [(f"{y}{(y + 1) % 100:02d}", f"{y}/{(y + 1) % 100:02d}", y) for y in years],
        )
        conn.executemany(
            "INSERT INTO metrics (code, name, description, unit, polarity, theme, source, "
            "period_kind, disclosure_rule, disclosure_threshold, self_reported) VALUES "
            "(?, ?, 'Benchmark series', 'percent', 'higher_is_better', 'benchmark', "
            "'synthetic', 'academic', 'published', 5, 0)",
            [(f"bench_series_{i:03d}", f"Bench series {i}") for i in range(metrics)],
        )
        metric_ids = [
            r[0] for r in conn.execute("SELECT id FROM metrics WHERE code LIKE 'bench_series_%'")
        ]
        period_ids = [r[0] for r in conn.execute("SELECT id FROM periods WHERE start_year >= 2030")]
        people = list(conn.execute("SELECT id, la_code FROM authorities"))
        stamp = datetime.now(UTC).isoformat(sep=" ")
        rng = secrets.SystemRandom()
        rows = [
            (secrets.token_urlsafe(12), m, p, "local_authority", code, a, rng.uniform(1, 99), stamp)
            for m in metric_ids
            for p in period_ids
            for a, code in people
        ]
        conn.executemany(
            "INSERT INTO observations (public_id, metric_id, period_id, area_level, area_code,"
            " authority_id, value, symbol, flags, source, visibility, pseudonymous, withdrawn,"
            " is_demo, revision, updated_at) VALUES (?,?,?,?,?,?,?,NULL,'','synthetic','public',"
            "0,0,0,1,?)",
            rows,
        )
        conn.commit()
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return "bench_series_000", len(rows)


@dataclass
class Row:
    name: str
    points: int
    nodes: int
    work: int
    ms: float

    @property
    def units(self) -> int:
        return self.nodes + self.work


async def measure(settings: Settings, samples: int) -> list[Row]:
    from exchange.casestudies import indexing
    from exchange.composition import build_services, close_search_backends
    from exchange.db import create_engine, session_factory
    from schema.build import build_schema
    from schema.context import Context

    engine = create_engine(settings.database_url)
    services = build_services(settings, session_factory(engine))
    await indexing.drain_quietly(services.sessions, services.search, settings.secret_key)
    schema = build_schema(settings)
    async with services.sessions() as s:
        from exchange.authorities import repository as authorities

        west_berks = await authorities.get_by_code(s, "869")
    assert west_berks is not None
    from exchange.tokens.service import ROLE_SCOPES

    publisher = Viewer(
        role="publisher", authority_id=west_berks.id, scopes=frozenset(ROLE_SCOPES["publisher"])
    )
    rows = []
    try:
        for name, (document, viewer) in operations("bench_series_000").items():

            async def run(
                doc: str = document, who: Viewer = viewer or publisher, label: str = name
            ) -> Any:
                ctx = Context(services, who)
                try:
                    result = await schema.execute(doc, context_value=ctx)
                finally:
                    await ctx.close()
                if result.errors:
                    raise RuntimeError(f"{label}: {result.errors}")
                return result

            first = await run()
            cost = (first.extensions or {})["cost"]
            times = []
            for i in range(samples + 2):
                started = time.perf_counter()
                await run()
                if i >= 2:
                    times.append((time.perf_counter() - started) * 1000)
            row = Row(name, cost["requestedQueryCost"], cost["nodes"], cost["work"], 0.0)
            row.ms = statistics.median(times)
            rows.append(row)
            print(
                f"  {name:40s} {row.points:5d} pts {row.units:7d} units "
                f"{row.ms:8.1f} ms  {row.ms / row.points:5.2f} ms/pt",
                flush=True,
            )
    finally:
        close_search_backends()
        await engine.dispose()
    return rows


def summary(rows: list[Row]) -> str:
    costly = [r for r in rows if r.points >= 5]
    per_point = sorted(r.ms / r.points for r in costly)
    per_unit = sorted(1000 * r.ms / r.units for r in costly)
    n = len(rows)
    mean_u = sum(r.units for r in rows) / n
    mean_t = sum(r.ms for r in rows) / n
    slope = sum((r.units - mean_u) * (r.ms - mean_t) for r in rows) / sum(
        (r.units - mean_u) ** 2 for r in rows
    )
    intercept = mean_t - slope * mean_u
    return "\n".join(
        [
            f"operations of 5 points or more: {len(costly)}",
            f"  ms per point: median {statistics.median(per_point):.2f}, "
            f"min {per_point[0]:.2f}, max {per_point[-1]:.2f}",
            f"  µs per unit:  median {statistics.median(per_unit):.1f}, "
            f"min {per_unit[0]:.1f}, max {per_unit[-1]:.1f}",
            f"least squares over all: ms ≈ {intercept:.2f} + {slope * 100:.2f} × (units / 100)",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cost", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--keep", type=Path, default=None, help="build into (or reuse) this folder")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="dbvx-bench-cost-"))
    try:
        if (folder / "exchange.db").exists():
            print(f"reusing {folder}")
        else:
            print(f"exchange init into {folder} ...", flush=True)
            init_database(folder)
            code, added = add_series(folder / "exchange.db")
            print(f"  + {added:,} synthetic observations ({code} …)", flush=True)
        rows = asyncio.run(measure(settings_for(folder), args.samples))
        print(summary(rows))
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
