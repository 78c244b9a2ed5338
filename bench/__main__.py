"""``make bench``: every benchmark in one run; prints the figures and ratios and writes
docs/performance.md.

1. trivial-query throughput over HTTP (the floor);
2. the 153-authority comparison (peers: ENGLAND) over HTTP: p50/p99, throughput, ratio to the floor;
3. the raw SQL time of that comparison and the API's overhead above it;
4. search p50/p95 over HTTP with 20,000 case studies in the tantivy index;
5. importing the four EES files against merely parsing them with csv;
6. comparison latency with 367,200 and 1,199,520 observations;
7. SQL statements per request for the main queries.

Load comes from wrk (Debian package ``wrk``) against ``exchange serve`` (uvicorn, one worker,
uvloop + httptools, JSON access log on) on a SQLite database, as ``make run`` sets it up.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import data, load, machine, report
from exchange.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

TRIVIAL: dict[str, Any] = {"query": "{ __typename }"}
COMPARISON_QUERY = """query($a: String!) {
  comparison(metric: "ehc_plans", period: "2024/25", authority: $a, peers: ENGLAND) {
    peerCount peerMedian peerMean suppressedCount
    subject { value rank percentile quartile }
    entries { value symbol rank percentile quartile authority { laCode name } }
  }
}"""
COMPARISON: dict[str, Any] = {"query": COMPARISON_QUERY, "variables": {"a": "869"}}
SEARCHES = [
    "EHCP",
    "educational psycholgist",
    "annual rev",
    "SEMH alternative provision",
    "early help",
    "tribunal mediation",
    "EP triage",
    "inclusion mainstream",
    "transport",
    "needs assessment timeliness",
]
SEARCH = """query($q: String!) { caseStudies(query: $q, first: 10) {
  totalCount edges { node { id title } highlights { field snippets } }
  facets { field values { value count } } } }"""


def search_bodies() -> list[dict[str, Any]]:
    return [{"query": SEARCH, "variables": {"q": q}} for q in SEARCHES]


def comparison_bodies() -> list[dict[str, Any]]:
    return [{**COMPARISON, "variables": {"a": code}} for code in ("869", "850", "202", "936")]


async def in_process(settings: Settings, query: str, variables: dict[str, Any]) -> Any:
    from exchange.composition import build_services
    from exchange.db import create_engine, session_factory
    from schema.build import build_schema
    from schema.context import Context

    engine = create_engine(settings.database_url)
    services = build_services(settings, session_factory(engine))
    schema = build_schema(settings)

    async def run() -> Any:
        ctx = Context(services)
        try:
            result = await schema.execute(query, variable_values=variables, context_value=ctx)
        finally:
            await ctx.close()
        if result.errors:
            raise RuntimeError(result.errors)
        return result

    return engine, run


async def timed(run: Any, n: int) -> list[float]:
    for _ in range(10):
        await run()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await run()
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def sql_profile(settings: Settings, n: int) -> dict[str, Any]:
    """The comparison's SQL replayed on a plain sqlite3 connection, and the whole request run
    in-process (GraphQL, no HTTP)."""
    engine, run = await in_process(settings, COMPARISON_QUERY, COMPARISON["variables"])
    try:
        await run()
        with data.StatementLog() as log:
            await run()
        graphql_ms = await timed(run, n)
    finally:
        await engine.dispose()
    path = settings.database_url.split(":///", 1)[1]
    conn = sqlite3.connect(path)
    try:
        # The queries only: the request's own BEGIN (one snapshot per request) is not replayed.
        queries = [
            (statement, params)
            for statement, params in log.statements
            if statement.split(None, 1)[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}
        ]

        def replay() -> None:
            for statement, params in queries:
                conn.execute(statement, params or ()).fetchall()

        for _ in range(10):
            replay()
        sql_ms = []
        for _ in range(n):
            t = time.perf_counter()
            replay()
            sql_ms.append((time.perf_counter() - t) * 1000)
    finally:
        conn.close()
    return {
        "statements": len(log.statements),
        "sql_p50_ms": statistics.median(sql_ms),
        "graphql_p50_ms": statistics.median(graphql_ms),
    }


STATEMENT_QUERIES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "comparison (10 peers / 152 peers)",
        COMPARISON_QUERY.replace("peers: ENGLAND", "peers: $p").replace(
            "$a: String!", "$a: String!, $p: PeerGroup!"
        ),
        {"a": "869", "p": "STATISTICAL_NEIGHBOURS"},
        {"a": "869", "p": "ENGLAND"},
    ),
    (
        "trend (10 peers / 152 peers)",
        """query($p: PeerGroup!) { trend(metric: "ehc_plans", authority: "869", peers: $p) {
          points { period { label } value peerMedian england { value } } } }""",
        {"p": "STATISTICAL_NEIGHBOURS"},
        {"p": "ENGLAND"},
    ),
    (
        "authorities + neighbours (10 / 100)",
        """query($n: Int!) { authorities(first: $n) { edges { node { name
          statisticalNeighbours { rank authority { name } } } } } }""",
        {"n": 10},
        {"n": 100},
    ),
    (
        "observations (10 / 100)",
        """query($n: Int!) { observations(first: $n) { edges { node { value
          metric { code } period { label } authority { name } } } } }""",
        {"n": 10},
        {"n": 100},
    ),
    (
        "caseStudies search (10 / 50 hits)",
        """query($n: Int!) { caseStudies(query: "annual review", first: $n) { edges {
          node { title authorLabel } } } }""",
        {"n": 10},
        {"n": 50},
    ),
]


async def statement_counts(settings: Settings) -> list[tuple[str, int, int]]:
    out = []
    for name, query, small, large in STATEMENT_QUERIES:
        counts = []
        for variables in (small, large):
            engine, run = await in_process(settings, query, variables)
            try:
                await run()
                with data.StatementLog() as log:
                    await run()
                counts.append(len(log.statements))
            finally:
                await engine.dispose()
        out.append((name, counts[0], counts[1]))
    return out


async def scale(base: Settings, work: Path, n: int) -> list[dict[str, Any]]:
    out = []
    for metrics_count in (60, 196):
        t = time.perf_counter()
        settings, rows = await data.synthetic_observations(
            base, work / f"scale-{metrics_count}", metrics_count, 40
        )
        built = time.perf_counter() - t
        query = COMPARISON_QUERY.replace('"ehc_plans"', '"synthetic_007"').replace(
            '"2024/25"', '"2050/51"'
        )
        engine, run = await in_process(settings, query, {"a": "869"})
        try:
            ms = await timed(run, n)
        finally:
            await engine.dispose()
        out.append(
            {
                "observations": rows,
                "build_s": built,
                "p50_ms": statistics.median(ms),
                "p95_ms": pct(ms, 95),
            }
        )
    return out


def server_env(settings: Settings) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGE_")}
    env.update(
        EXCHANGE_DATA_DIR=str(settings.data_dir),
        EXCHANGE_DATABASE_URL=settings.database_url,
        EXCHANGE_SECRET_KEY=settings.secret_key,
        EXCHANGE_COST_BUDGET_PER_HOUR=str(10**12),
    )
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--quick", action="store_true", help="smaller corpus, shorter runs")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    seconds = 3 if args.quick else args.seconds
    samples = 50 if args.quick else 300
    base = Settings.from_env().model_copy(update={"secret_key": "benchmark-secret-" + "x" * 20})
    work = Path(tempfile.mkdtemp(prefix="dbvx-bench-"))
    results: dict[str, Any] = {"machine": machine.describe(), "seconds": seconds}
    say = print
    try:
        say(f"work folder {work}")
        settings = data.settings_for(base, work / "main")
        say("preparing: shipped DfE data + case studies in the database and the tantivy index ...")
        results["corpus"] = asyncio.run(
            data.prepare_main(settings, 2_000 if args.quick else data.CASE_STUDIES)
        )
        say(f"  {results['corpus']}")

        say("SQL statements per request ...")
        results["statements"] = asyncio.run(statement_counts(settings))
        for name, small, large in results["statements"]:
            say(f"  {name}: {small} / {large}")

        say("raw SQL of the 153-authority comparison ...")
        results["sql"] = asyncio.run(sql_profile(settings, samples))
        say(f"  {results['sql']}")

        if shutil.which("wrk"):
            with load.server(server_env(settings), work / "server.log") as url:
                load.check(url, [TRIVIAL, *comparison_bodies(), *search_bodies()])
                c = args.connections
                plan = [
                    ("trivial", [TRIVIAL], c),
                    ("comparison", comparison_bodies(), c),
                    ("comparison", comparison_bodies(), 1),
                    ("search", search_bodies(), c),
                    ("search", search_bodies(), 1),
                ]
                runs = [
                    load.wrk(url, name, bodies, connections=n, seconds=seconds)
                    for name, bodies, n in plan
                ]
            results["http"] = runs
            for r in runs:
                say(
                    f"  {r.name} c={r.connections}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.2f} ms, "
                    f"p95 {r.p95_ms:.2f} ms, p99 {r.p99_ms:.2f} ms, non-2xx {r.non2xx}"
                )
        else:
            say("wrk not found: HTTP figures skipped (apt-get install -y wrk)")
            results["http"] = []

        say("import of the four EES files vs parsing them ...")
        results["import"] = asyncio.run(data.import_vs_parse(base, work, 1 if args.quick else 3))
        say(f"  {results['import']}")

        say("comparison latency at 367,200 and 1,199,520 observations ...")
        results["scale"] = asyncio.run(scale(base, work, samples))
        for s in results["scale"]:
            say(f"  {s}")

        text = report.render(results)
        args.out.write_text(text)
        say("")
        say(report.summary(results))
        say(f"\nwritten to {args.out}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
