"""The installed `exchange` command, run as a user would (subprocesses on a temporary data folder);
the help of every command through Click's CliRunner (in-process: ~1 s a subprocess here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.importer.mapping import load_mapping
from seed import paths
from tests.conftest import Database

EXCHANGE = str(Path(sys.executable).parent / "exchange")


def _run(
    args: list[str], data_dir: Path, database_url: str | None = None, **kw: object
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXCHANGE_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    env.pop("EXCHANGE_DATABASE_URL", None)
    if database_url is not None:
        env["EXCHANGE_DATABASE_URL"] = database_url
    return subprocess.run(
        [EXCHANGE, *args], env=env, capture_output=True, text=True, timeout=600, **kw
    )  # type: ignore[call-overload]


def _commands() -> list[list[str]]:
    from click import Group

    from exchange.cli import main

    found: list[list[str]] = [[]]

    def walk(group: Group, prefix: list[str]) -> None:
        for name, cmd in group.commands.items():
            found.append([*prefix, name])
            if isinstance(cmd, Group):
                walk(cmd, [*prefix, name])

    walk(main, [])
    return found


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "exchange")
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    from exchange.cli import main

    env = {"EXCHANGE_DATA_DIR": str(tmp_path), "EXCHANGE_DATABASE_URL": None}
    result = CliRunner().invoke(main, [*command, "--help"], env=env, prog_name="exchange")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Usage: exchange" in result.stdout and len(result.stdout.splitlines()) > 3


def test_metrics_before_init_says_what_to_do(tmp_path: Path) -> None:
    result = _run(["metrics"], tmp_path)
    assert result.returncode != 0
    assert "exchange init" in (result.stdout + result.stderr)


@pytest.mark.slow
def test_init_then_import_reports_unchanged(tmp_path: Path) -> None:
    first = _run(["init"], tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "observations created" in first.stdout
    again = _run(["import", "ees", str(paths.DATA_DIR / "ees" / "annual_reviews.csv")], tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    out = again.stdout
    assert "observations created" in out
    created = next(line for line in out.splitlines() if "observations created" in line)
    unchanged = next(line for line in out.splitlines() if "observations unchanged" in line)
    assert created.split("│")[2].strip() == "0"
    # 153 authorities + 9 regions + England, one year, every metric of the file (mapped or derived)
    reviews = load_mapping(paths.MAPPING).files["annual_reviews.csv"]
    per_area = len(reviews.columns) + len(reviews.derived)
    assert int(unchanged.split("│")[2].strip().replace(",", "")) == 163 * per_area
    listing = _run(["metrics"], tmp_path)
    assert listing.returncode == 0 and "ehc_issued_20wk_pct" in listing.stdout


def test_import_of_an_unmapped_file_is_a_clear_error(fresh_db: Database, tmp_path: Path) -> None:
    # A database as `exchange init` leaves it, minus the DfE figures (a full init took ~15 s).
    other = tmp_path / "something.csv"
    other.write_text("a,b\n1,2\n")
    result = _run(["import", "ees", str(other)], tmp_path, fresh_db.url)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "no mapping for 'something.csv'" in result.stderr


@pytest.mark.slow
def test_a_second_init_duplicates_nothing(tmp_path: Path) -> None:
    import sqlite3

    tables = (
        "authorities",
        "statistical_neighbours",
        "metrics",
        "periods",
        "observations",
        "observation_revisions",
        "case_studies",
    )

    def counts() -> dict[str, int]:
        conn = sqlite3.connect(tmp_path / "exchange.db")
        try:
            return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        finally:
            conn.close()

    first = _run(["init"], tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    before = counts()
    assert before["authorities"] == 153 and before["case_studies"] >= 300
    again = _run(["init"], tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert counts() == before
    created = next(line for line in again.stdout.splitlines() if "observations created" in line)
    assert created.split("│")[2].strip() == "0"
    assert "Demo case studies: already present, none added" in again.stdout
