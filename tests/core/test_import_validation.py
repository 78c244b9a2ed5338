"""The EES importer refuses nonsense: the whole run, with every problem by file, line and column.

Files are written in tmp_path in the exact EES layout: the header line of a shipped file as shipped
(byte-order mark included) and real rows of it, with single cells edited.
"""

from __future__ import annotations

import asyncio
import csv
import io
import math
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, update

from exchange.cli import main
from exchange.comparison.semantics import peer_stats
from exchange.db import transaction
from exchange.importer.checks import ImportRefused
from exchange.importer.mapping import load_mapping
from exchange.importer.readers import AuthorityRef, ReadReport, read_file
from exchange.importer.service import ImportSummary, import_files
from exchange.metrics.models import Metric
from exchange.observations.models import Observation, ObservationRevision
from seed import paths
from tests.conftest import Database, run_graphql
from tests.core.import_support import observation_value

MAPPING = load_mapping(paths.MAPPING)
EES = paths.DATA_DIR / "ees"
HUGE = "17" + "0" * 307  # 1.7e308 written out: a plain decimal, still finite as a float
_PLAIN = re.compile(r"[0-9]+(\.[0-9]+)?")


class Layout:
    """A shipped EES file's header line (bytes, as shipped) and its first usable LA rows."""

    def __init__(self, name: str, count: int, time_period: str | None = None) -> None:
        src = EES / name
        self.name = name
        self.mapping = MAPPING.for_file(src)
        with src.open("rb") as handle:
            self.header_line = handle.readline()
        assert self.header_line.startswith(b"\xef\xbb\xbf")  # untouched: BOM included
        with src.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            self.header = next(reader)
            self.rows: list[list[str]] = []
            codes: set[str] = set()
            for fields in reader:
                code = self.get(fields, "old_la_code")
                if (
                    self.get(fields, "geographic_level") == "Local authority"
                    and all(self.get(fields, c) == v for c, v in self.mapping.filters.items())
                    and time_period in (None, self.get(fields, "time_period"))
                    and code not in MAPPING.former_authorities
                    and code not in codes
                    # a plain number in the first mapped cell, a number or x (the shipped
                    # files' only symbol) in the others: every caseload.csv column is mapped
                    and _PLAIN.fullmatch(self.get(fields, next(iter(self.mapping.columns))))
                    and all(
                        _PLAIN.fullmatch(self.get(fields, c)) or self.get(fields, c) == "x"
                        for c in self.mapping.columns
                    )
                ):
                    codes.add(code)
                    self.rows.append(fields)
                    if len(self.rows) == count:
                        break
        assert len(self.rows) == count

    def get(self, fields: list[str], column: str) -> str:
        return fields[self.header.index(column)]

    def edited(self, index: int, **cells: str) -> list[str]:
        fields = list(self.rows[index])
        for column, value in cells.items():
            fields[self.header.index(column)] = value
        return fields

    def text(self, rows: list[list[str]]) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)  # as EES writes them
        return self.header_line + out.getvalue().encode("utf-8")

    def write(self, folder: Path, rows: list[list[str]]) -> Path:
        path = folder / self.name
        path.write_bytes(self.text(rows))
        return path


async def _import(db: Database, files: list[Path]) -> ImportSummary:
    async with transaction(db.sessions) as session:  # as `exchange import ees` does
        return await import_files(session, files, MAPPING, created_by="exchange import ees")


async def _refused(db: Database, files: list[Path]) -> list[str]:
    before = await _state(db)
    with pytest.raises(ImportRefused) as caught:
        await _import(db, files)
    assert await _state(db) == before  # nothing in the database changed
    return [str(p) for p in caught.value.problems]


async def _state(db: Database) -> tuple[int, int, list[tuple[str, float | None]]]:
    async with db.sessions() as s:
        obs = (await s.execute(select(func.count(Observation.id)))).scalar_one()
        revs = (await s.execute(select(func.count(ObservationRevision.id)))).scalar_one()
        values = (
            await s.execute(
                select(Observation.area_code, Observation.value).order_by(Observation.id)
            )
        ).all()
    return obs, revs, [(a, v) for a, v in values]


async def test_nonsense_values_and_periods_refuse_the_run_and_revise_nothing(
    fresh_db: Database, tmp_path: Path
) -> None:
    caseload = Layout("caseload.csv", 6, time_period="202425")
    good = caseload.write(tmp_path, caseload.rows)
    per_row = len(caseload.mapping.columns) + len(caseload.mapping.derived)
    first = await _import(fresh_db, [good])
    assert first.created == 6 * per_row and first.skips == {}
    code = caseload.get(caseload.rows[0], "old_la_code")
    real = float(caseload.get(caseload.rows[0], "ehcplans"))

    rows = [
        caseload.edited(0, ehcplans="-5"),  # line 2
        caseload.edited(1, ehcplans="1e308", special_total_pc="250"),  # line 3
        caseload.edited(2, time_period="209899"),  # line 4
        caseload.edited(3, ehcplans=HUGE, special_independent=HUGE),  # line 5
        caseload.edited(4, ehcplans="12.5", mainstream_total_pc="-0.1"),  # line 6
        caseload.rows[5],  # line 7: fine
    ]
    problems = await _refused(fresh_db, [caseload.write(tmp_path, rows)])
    assert [p.split(": ", 1)[0] for p in problems] == [
        "caseload.csv:2:ehcplans",
        "caseload.csv:3:ehcplans",
        "caseload.csv:3:special_total_pc",
        "caseload.csv:4:time_period",
        "caseload.csv:5:ehcplans",
        "caseload.csv:5:special_independent",
        "caseload.csv:6:ehcplans",
        "caseload.csv:6:mainstream_total_pc",
    ]
    assert "'-5' is out of range: ehc_plans is a count" in problems[0]
    assert "'1e308' is neither a number nor a GSS symbol" in problems[1]
    assert "'250' is out of range: ehc_plans_special_pct is a percentage" in problems[2]
    assert "2098/99 has not started yet" in problems[3]
    assert "'12.5' is not a whole number" in problems[6]
    assert await observation_value(fresh_db, "ehc_plans", "2024/25", code) == (real, None)
    assert (await _state(fresh_db))[1] == 6 * per_row  # still one revision each


async def test_implausible_periods_of_every_kind_are_refused(
    fresh_db: Database, tmp_path: Path
) -> None:
    next_year = str(datetime.now(UTC).year + 1)
    timeliness = Layout("timeliness_20_week.csv", 3)
    rows = [
        timeliness.edited(0, time_period=next_year),
        timeliness.edited(1, time_period="1850"),
        timeliness.edited(2, time_period="20x4"),
        timeliness.edited(0, time_identifier="Year \x1b[2J"),  # a terminal escape
    ]
    problems = await _refused(fresh_db, [timeliness.write(tmp_path, rows)])
    assert problems == [
        f"timeliness_20_week.csv:2:time_period: {next_year} has not started yet "
        f"(the current year is {int(next_year) - 1})",
        "timeliness_20_week.csv:3:time_period: 1850 is before 1990: no release has figures "
        "that old",
        "timeliness_20_week.csv:4:time_period: calendar year '20x4' must be four digits",
        "timeliness_20_week.csv:5:time_identifier: unsupported time_identifier 'Year \\x1b[2J'",
    ]


async def test_every_problem_of_every_file_is_listed_and_a_good_file_is_not_stored(
    fresh_db: Database, tmp_path: Path
) -> None:
    timeliness = Layout("timeliness_20_week.csv", 2)
    good = timeliness.write(tmp_path, timeliness.rows)
    caseload = Layout("caseload.csv", 2)
    short = caseload.rows[1][:10]  # a truncated row
    bad = caseload.write(tmp_path, [caseload.edited(0, special_total_pc="101"), short])
    problems = await _refused(fresh_db, [good, bad])
    assert problems == [
        "caseload.csv:2:special_total_pc: '101' is out of range: ehc_plans_special_pct is a "
        "percentage: from 0 to 100",
        f"caseload.csv:3: 10 cells but the header has {len(caseload.header)} columns: a "
        "truncated or broken row",
    ]
    assert (await _state(fresh_db))[0] == 0


@pytest.mark.parametrize(
    ("encode", "reason"),
    [
        (lambda b: b.decode("utf-8").encode("utf-16"), "not UTF-8 text (this is UTF-16)"),
        (lambda b: b[3:].decode("utf-8").encode("utf-16-le"), "a NUL byte"),
        (lambda b: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b, "not UTF-8 text"),
        (lambda b: b[:3] + b"\x00\x01\x02\x03" * 50, "a NUL byte"),
    ],
    ids=["utf-16", "utf-16-le-no-bom", "png", "binary"],
)
async def test_a_file_that_is_not_utf8_text_is_refused_on_its_line(
    fresh_db: Database, tmp_path: Path, encode: object, reason: str
) -> None:
    annual = Layout("annual_reviews.csv", 2)
    path = tmp_path / annual.name
    path.write_bytes(encode(annual.text(annual.rows)))  # type: ignore[operator]
    problems = await _refused(fresh_db, [path])
    assert len(problems) == 1 and problems[0].startswith(f"annual_reviews.csv:1: {reason}")


async def test_a_bad_line_further_down_is_named(fresh_db: Database, tmp_path: Path) -> None:
    annual = Layout("annual_reviews.csv", 3)
    data = annual.text(annual.rows).split(b"\r\n")
    data[2] = data[2].replace(b"All annual reviews", b"All annual r\xe9views")  # Latin-1 é
    byte = data[2].index(b"\xe9") + 1
    path = tmp_path / annual.name
    path.write_bytes(b"\r\n".join(data))
    problems = await _refused(fresh_db, [path])
    assert problems == [
        f"annual_reviews.csv:3: not UTF-8 text (byte {byte} of the line): save the file as "
        "UTF-8 CSV, as EES publishes it"
    ]


async def test_header_problems_are_refused_on_line_one(fresh_db: Database, tmp_path: Path) -> None:
    requests = Layout("requests.csv", 1)
    rows = "".join(f"{','.join(r)}\r\n" for r in requests.rows).encode()
    cases = {
        "empty": (b"", "requests.csv:1: the file is empty"),
        "bom only": (b"\xef\xbb\xbf", "requests.csv:1: the file is empty"),
        "no time_identifier": (
            requests.header_line.replace(b",time_identifier,", b",time_id,") + rows,
            "requests.csv:1: requests.csv has no column(s) time_identifier named in the mapping",
        ),
        "mapped column twice": (
            requests.header_line.replace(b",la_name,", b",requests_received_in_year,") + rows,
            "requests.csv:1:requests_received_in_year: the header names column "
            "'requests_received_in_year' twice",
        ),
    }
    for case, (data, expected) in cases.items():
        path = tmp_path / "requests.csv"
        path.write_bytes(data)
        problems = await _refused(fresh_db, [path])
        assert len(problems) == 1 and problems[0].startswith(expected), (case, problems)


def test_every_shipped_file_reads_without_a_problem() -> None:
    catalogue = tomllib.loads(paths.METRICS.read_text(encoding="utf-8"))["metric"]
    units = {m["code"]: m["unit"] for m in catalogue}
    assert set(units.values()) == {"count", "percent", "rate", "gbp", "fte"}
    for path in paths.SHIPPED_FILES:
        report = ReadReport()
        lookup = lambda la, gss: AuthorityRef(1, la)  # noqa: E731 - every code is an authority
        values = list(read_file(path, MAPPING.for_file(path), lookup, {}, report, units=units))
        assert report.problems == [], (path.name, report.problems[:3])
        assert len(values) > 100 and any(v.symbol == "x" for v in values) == (
            path in paths.EES_FILES
        )


async def test_a_negative_balance_in_pounds_is_a_figure(fresh_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "dsg_allocations_by_la_2020_2024.csv"
    path.write_text("financial_year,la_code,high_needs_block_gbp\n2023-24,869,-1234567.5\n")
    summary = await _import(fresh_db, [path])
    assert summary.created == 1
    assert await observation_value(fresh_db, "high_needs_block_gbp", "2023-24", "869") == (
        -1234567.5,
        None,
    )
    path.write_text(
        "financial_year,la_code,high_needs_block_gbp\n2023-24,869,-1e12\n2099-00,869,1\n"
    )
    assert [p.split(": ")[0] for p in await _refused(fresh_db, [path])] == [
        "dsg_allocations_by_la_2020_2024.csv:2:high_needs_block_gbp",
        "dsg_allocations_by_la_2020_2024.csv:3:financial_year",
    ]


def _cli(db: Database, *args: str) -> Result:
    env = {
        "EXCHANGE_DATABASE_URL": db.url,
        "EXCHANGE_DATA_DIR": str(db.settings.data_dir),
        "EXCHANGE_SECRET_KEY": db.settings.secret_key,
        "COLUMNS": "200",
    }
    return CliRunner(env=env).invoke(main, list(args))


async def test_cli_lists_every_bad_cell_exits_non_zero_and_prints_no_traceback(
    fresh_db: Database, tmp_path: Path
) -> None:
    caseload = Layout("caseload.csv", 3)
    rows = [
        caseload.edited(0, ehcplans="-5"),
        caseload.edited(1, special_total_pc="250", ehcplans="\u0663"),  # ARABIC-INDIC THREE
        caseload.rows[2][:5],
    ]
    path = caseload.write(tmp_path, rows)
    before = await _state(fresh_db)
    # In a thread: the command runs its own event loop, as it does from a shell.
    result = await asyncio.to_thread(_cli, fresh_db, "import", "ees", str(path))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    err = result.stderr
    assert "Traceback" not in result.output + err
    assert "import refused, nothing was stored: 4 problems (file:line:column: reason" in err
    assert "caseload.csv:2:ehcplans: '-5' is out of range: ehc_plans is a count" in err
    assert "caseload.csv:3:ehcplans: '\u0663' is neither a number nor a GSS symbol" in err
    assert "caseload.csv:3:special_total_pc: '250' is out of range" in err
    assert "caseload.csv:4: 5 cells but the header has" in err
    assert "Import summary" not in result.stdout
    assert await _state(fresh_db) == before

    # A skipped row quoting the file (an unknown authority's name) is text, not rich markup.
    odd = caseload.edited(2, old_la_code="999", new_la_code="E09999999", la_name="[/x] Town")
    done = await asyncio.to_thread(
        _cli, fresh_db, "import", "ees", str(caseload.write(tmp_path, [caseload.rows[0], odd]))
    )
    assert done.exit_code == 0, f"{done.output}\n{done.stderr}\n{done.exception!r}"
    assert "[/x] Town" in done.stdout and "Traceback" not in done.output + done.stderr


def test_peer_statistics_of_extreme_finite_values_stay_finite() -> None:
    top = 1.7976931348623157e308
    cases = [  # values, their mean and median (exact arithmetic)
        ([1.7e308, 1.7e308], 1.7e308, 1.7e308),
        ([top, top, top], top, top),
        ([top, top, 5.0, top], top * 0.75, top),
        ([-top, -top], -top, -top),
        ([-top, top, top], top / 3, top),
    ]
    for values, mean, median in cases:
        stats = peer_stats(values)
        assert stats.mean is not None and stats.median is not None
        assert math.isfinite(stats.mean) and math.isfinite(stats.median), values
        assert math.isclose(stats.mean, mean, rel_tol=1e-11), (values, stats)
        assert math.isclose(stats.median, median, rel_tol=1e-11), (values, stats)
    assert peer_stats([40.1, 40.2]).median == 40.15 == peer_stats([40.1, 40.2]).mean


COMPARE = """query($a: String!) {
  comparison(metric: "ehc_plans", period: "2024/25", authority: $a, peers: ENGLAND) {
    peerMean peerMedian peerMax peerCount subject { rank }
  }
}"""


async def test_england_comparison_answers_over_extreme_stored_values(
    fresh_db: Database, tmp_path: Path
) -> None:
    """Values stored before the importer checked them (or by a future path) cannot break it."""
    caseload = Layout("caseload.csv", 3, time_period="202425")
    await _import(fresh_db, [caseload.write(tmp_path, caseload.rows)])
    extreme = [caseload.get(r, "old_la_code") for r in caseload.rows[:2]]
    async with transaction(fresh_db.sessions) as s:
        metric_id = select(Metric.id).where(Metric.code == "ehc_plans").scalar_subquery()
        await s.execute(
            update(Observation)
            .where(Observation.metric_id == metric_id, Observation.area_code.in_(extreme))
            .values(value=1.7e308)
        )
    subject = caseload.get(caseload.rows[2], "old_la_code")
    out = await run_graphql(fresh_db, COMPARE, {"a": subject})
    assert "errors" not in out, out
    got = out["data"]["comparison"]
    assert got["peerCount"] == 2 and got["peerMean"] == got["peerMedian"] == 1.7e308
