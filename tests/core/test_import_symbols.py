"""EES files built in tmp_path from real rows of the shipped files (never retyped figures).

The shipped files only use the `x` symbol; these check the other GSS symbols end to end, and what
`exchange import ees` reports about rows it cannot use.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exchange.db import transaction
from exchange.errors import InvalidInput
from exchange.importer.mapping import load_mapping
from exchange.importer.readers import parse_cell
from exchange.importer.service import ImportSummary, import_files
from exchange.observations.models import Observation, ObservationRevision
from exchange.periods.labels import from_ees
from exchange.periods.models import Period
from seed import paths
from tests.conftest import Database
from tests.core.import_support import observation_value

EXCHANGE = str(Path(sys.executable).parent / "exchange")
MAPPING = load_mapping(paths.MAPPING)


class Sample:
    """The header line of a shipped EES file exactly as shipped (BOM included), and real rows."""

    def __init__(self, src: Path, count: int) -> None:
        self.mapping = MAPPING.for_file(src)
        with src.open("rb") as handle:
            self.header_line = handle.readline()
        assert self.header_line.startswith(b"\xef\xbb\xbf")
        with src.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            self.position = {name: i for i, name in enumerate(next(reader))}
            self.rows: list[list[str]] = []
            codes: set[str] = set()
            for fields in reader:
                # Local-authority rows the mapping uses, of distinct current authorities, with
                # a number in the first mapped cell and a number or x in every other one (every
                # column of caseload.csv is mapped, and no row has a number in all of them).
                code = self.cell(fields, "old_la_code")
                if (
                    self.cell(fields, "geographic_level") == "Local authority"
                    and all(self.cell(fields, c) == v for c, v in self.mapping.filters.items())
                    and code not in MAPPING.former_authorities
                    and code not in codes
                    and _is_number(self.cell(fields, next(iter(self.mapping.columns))))
                    and all(
                        _is_number(self.cell(fields, c)) or self.cell(fields, c) == "x"
                        for c in self.mapping.columns
                    )
                ):
                    codes.add(code)
                    self.rows.append(fields)
                    if len(self.rows) == count:
                        break
        assert len(self.rows) == count, f"{src.name} has fewer than {count} usable rows"

    def cell(self, fields: list[str], column: str) -> str:
        return fields[self.position[column]]

    def set(self, fields: list[str], column: str, value: str) -> None:
        fields[self.position[column]] = value

    def write(self, path: Path, rows: list[list[str]], header_line: bytes | None = None) -> Path:
        text = io.StringIO()
        csv.writer(text, lineterminator="\r\n").writerows(rows)  # as EES writes them
        path.write_bytes((header_line or self.header_line) + text.getvalue().encode("utf-8"))
        return path


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


async def _import(db: Database, files: list[Path]) -> ImportSummary:
    async with transaction(db.sessions) as session:  # as `exchange import ees` does
        return await import_files(session, files, MAPPING, created_by="exchange import ees")


async def _counts(db: Database) -> tuple[int, int, int]:
    async with db.sessions() as s:
        return (
            (await s.execute(select(func.count(Observation.id)))).scalar_one(),
            (await s.execute(select(func.count(ObservationRevision.id)))).scalar_one(),
            (await s.execute(select(func.count(Period.id)))).scalar_one(),
        )


SYMBOLS = ["c", "z", "low", "u"]


@pytest.mark.parametrize("name", ["caseload.csv", "timeliness_20_week.csv"])
async def test_every_symbol_is_kept_without_a_value_and_reimport_changes_nothing(
    fresh_db: Database, tmp_path: Path, name: str
) -> None:
    sample = Sample(paths.DATA_DIR / "ees" / name, len(SYMBOLS) + 1)
    columns = list(sample.mapping.columns)
    control, *edited = (list(r) for r in sample.rows)
    expected: dict[tuple[str, str, str], tuple[float | None, str | None]] = {}
    for i, fields in enumerate([control, *edited]):
        label = from_ees(
            sample.cell(fields, "time_identifier"), sample.cell(fields, "time_period")
        ).label
        code = sample.cell(fields, "old_la_code")
        for j, column in enumerate(columns):
            key = (sample.mapping.columns[column], label, code)
            if i == 0:  # the control row keeps its real figures (and its x cells)
                expected[key] = parse_cell(sample.cell(fields, column))
            else:  # every symbol in every column, once
                symbol = SYMBOLS[(i - 1 + j) % len(SYMBOLS)]
                sample.set(fields, column, symbol)
                expected[key] = (None, symbol)
    assert {s for v, s in expected.values() if v is None} >= set(SYMBOLS)  # (and x: control)
    path = sample.write(tmp_path / name, [control, *edited])

    # Every derived metric of the file has a value in each row (shares of the edited rows are
    # empty: their inputs are symbols).
    stored_values = len(expected) + len(sample.mapping.derived) * len(sample.rows)
    first = await _import(fresh_db, [path])
    assert (first.created, first.revised, first.unchanged) == (stored_values, 0, 0)
    assert first.skips == {}
    for (metric, label, code), want in expected.items():
        assert await observation_value(fresh_db, metric, label, code) == want, (metric, code)
    stored = await _counts(fresh_db)
    assert stored[:2] == (stored_values, stored_values)

    again = await _import(fresh_db, [path])
    assert (again.created, again.revised, again.unchanged) == (0, 0, stored_values)
    assert await _counts(fresh_db) == stored
    for (metric, label, code), want in expected.items():
        assert await observation_value(fresh_db, metric, label, code) == want, (metric, code)


@pytest.mark.parametrize("text", ["c", "Z", " low ", "U", "x", ""])
def test_a_symbol_cell_has_no_value(text: str) -> None:
    value, symbol = parse_cell(text)
    assert value is None and symbol == (text.strip().lower() or "x")


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity", "forty", "12%"])
def test_a_cell_that_is_not_a_finite_number_or_symbol_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="neither a number nor a GSS symbol"):
        parse_cell(text)


def _cli(args: list[str], db: Database) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": db.url,
        "EXCHANGE_DATA_DIR": str(db.settings.data_dir),
        "EXCHANGE_SECRET_KEY": db.settings.secret_key,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [EXCHANGE, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _summary_figure(out: str, label: str) -> int:
    line = next(line for line in out.splitlines() if line.strip("│ ").startswith(label))
    return int(line.split("│")[2].strip().replace(",", ""))


async def test_cli_reports_an_unknown_authority_row_and_a_failing_run_stores_nothing(
    fresh_db: Database, tmp_path: Path
) -> None:
    timeliness = Sample(paths.DATA_DIR / "ees" / "timeliness_20_week.csv", 5)
    rows = [list(r) for r in timeliness.rows]
    bogus = rows[3]  # a real row, its authority's codes changed to ones no authority has
    timeliness.set(bogus, "old_la_code", "999")
    timeliness.set(bogus, "new_la_code", "E09999999")
    bogus_line = 3 + 2  # line 1 is the header
    good = timeliness.write(tmp_path / "timeliness_20_week.csv", rows)
    values = (len(rows) - 1) * len(timeliness.mapping.columns)

    # A release that renamed a mapped column: refused, and the good file before it in the same
    # run is not stored either (`exchange import ees` is one transaction).
    caseload = Sample(paths.DATA_DIR / "ees" / "caseload.csv", 3)
    renamed = caseload.header_line.replace(b",ehcplans,", b",ehc_plans_total,")
    assert renamed != caseload.header_line
    bad = caseload.write(tmp_path / "caseload.csv", caseload.rows, header_line=renamed)
    before = await _counts(fresh_db)
    failed = _cli(["import", "ees", str(good), str(bad)], fresh_db)
    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "caseload.csv has no column(s) ehcplans" in failed.stderr
    assert "Import summary" not in failed.stdout
    assert await _counts(fresh_db) == before == (0, 0, before[2])

    done = _cli(["import", "ees", str(good)], fresh_db)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert _summary_figure(out, "observations created") == values
    assert _summary_figure(out, "rows skipped") == 1
    assert _summary_figure(out, "cells skipped") == 0
    name = timeliness.cell(bogus, "la_name")
    reason = f"timeliness_20_week.csv: unknown LA code 999 / E09999999 ({name})"
    row = next((line for line in out.splitlines() if reason in line), None)
    assert row is not None, out
    assert [c.strip() for c in row.split("│")[1:-1]] == [reason, "1 row", str(bogus_line)]
    assert (await _counts(fresh_db))[:2] == (values, values)
