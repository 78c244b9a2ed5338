"""CSV publishing: the template, errors by line number, the `exchange publish` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exchange.observations.models import Observation
from exchange.publishing.csvfile import read_rows
from tests.conftest import Database, make_database
from tests.publishing_support import make_token

ROOT = Path(__file__).resolve().parents[2]
EXCHANGE = str(Path(sys.executable).parent / "exchange")
EXAMPLE = ROOT / "docs" / "templates" / "observations-example.csv"
TEMPLATE = ROOT / "docs" / "templates" / "observations-template.csv"


def test_shipped_template_and_example_match_the_seed_copies() -> None:
    for name in ("observations-template.csv", "observations-example.csv"):
        docs = (ROOT / "docs" / "templates" / name).read_bytes()
        assert docs == (ROOT / "seed" / "templates" / name).read_bytes()
    rows, errors = read_rows(TEMPLATE.read_bytes())
    assert rows == [] and errors == []
    rows, errors = read_rows(EXAMPLE.read_bytes())
    assert errors == [] and len(rows) == 11 and rows[0].line == 2


def test_spreadsheet_quirks_are_accepted() -> None:
    data = (
        "\ufeffMetric , PERIOD,Value,Symbol,flags,notes\r\n"
        'hnb_cumulative_deficit_gbp,2024-25,"£7,500,000",,p,forecast\r\n'
        "\r\n"
        'annual_reviews_on_time_pct,2024,70.3%,,,"multi\nline note"\r\n'
        "ep_fte,2024/25,12.4,,,\r\n"
    ).encode("utf-8")
    rows, errors = read_rows(data)
    assert errors == []
    assert [(r.line, r.metric, r.value) for r in rows] == [
        (2, "hnb_cumulative_deficit_gbp", "£7,500,000"),
        (4, "annual_reviews_on_time_pct", "70.3%"),
        (6, "ep_fte", "12.4"),
    ]
    windows = "metric,period,value,notes\nep_fte,2024/25,3,caf\xe9\n".encode("cp1252")
    assert read_rows(windows)[1] == []


def test_header_problems_are_reported_on_line_one() -> None:
    rows, errors = read_rows(b"metric,period,valeu,colour\nep_fte,2024/25,1,red\n")
    assert rows == []
    assert {(e.line, e.code, e.field) for e in errors} == {
        (1, "MISSING_COLUMN", "value"),
        (1, "UNKNOWN_COLUMN", "valeu"),
        (1, "UNKNOWN_COLUMN", "colour"),
    }
    assert [e.code for e in read_rows(b"")[1]] == ["EMPTY_FILE"]
    assert [e.code for e in read_rows(b"\x00\x01\x02")[1]] == ["NOT_CSV"]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("metric,period,value,symbol,flags,authority\n" + "\n".join(lines) + "\n")
    return path


@pytest.mark.slow  # CLI subprocesses, ~8 s
async def test_cli_publish_is_all_or_nothing_with_errors_by_line(tmp_path: Path) -> None:
    db, cleanup = await make_database("sqlite", tmp_path, load="reference")
    try:
        _, secret = await make_token(db)
        env = {
            **os.environ,
            "EXCHANGE_DATABASE_URL": db.url,
            "EXCHANGE_DATA_DIR": str(tmp_path),
            "COLUMNS": "250",
        }

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [EXCHANGE, "publish", "--token", secret, *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )

        bad = _write(
            tmp_path / "bad.csv",
            [
                "ep_fte,2024/25,12.5,,,",  # line 2: fine
                "ep_vacancies,2024/25,-1,,,",  # line 3
                "ep_fte,2024/25,13,,,",  # line 4: duplicate of line 2
                "annual_reviews_on_time_pct,2024,140,,,",  # line 5
                "ep_fte,2023/24,3,,,330",  # line 6: not our authority
            ],
        )
        result = run(str(bad))
        assert result.returncode == 1, result.stdout + result.stderr
        out = result.stdout
        assert "nothing was stored" in out
        for line, code in (
            (3, "NEGATIVE_COUNT"),
            (4, "DUPLICATE_ROW"),
            (5, "PERCENT_OVER_100"),
            (6, "NOT_YOUR_AUTHORITY"),
        ):
            assert f"line {line}: " in out and code in out, (line, code, out)
        async with db.sessions() as s:
            assert (await s.execute(select(func.count(Observation.id)))).scalar_one() == 0

        # A large valid file: 30 years x 2 metrics x 3 rows, and the example file.
        big_lines = []
        for year in range(1995, 2025):
            label = f"{year}/{(year + 1) % 100:02d}"
            big_lines += [
                f"ep_fte,{label},{10 + year % 7}.5,,,",
                f"ep_vacancies,{label},{year % 9},,,",
            ]
        big = _write(tmp_path / "big.csv", big_lines)
        ok = run(str(big), "--visibility", "public")
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "60 created, 0 revised, 0 unchanged (public)" in ok.stdout
        again = run(str(big), "--visibility", "public")
        assert "0 created, 0 revised, 60 unchanged" in again.stdout
        example = run(str(EXAMPLE))
        assert example.returncode == 0, example.stdout + example.stderr
        assert "9 created, 2 revised, 0 unchanged (members)" in example.stdout
        switched = run(str(EXAMPLE), "--pseudonymous")
        assert switched.returncode == 1 and "PSEUDONYMITY_FIXED" in switched.stdout
        nope = subprocess.run(
            [EXCHANGE, "publish", "--token", "dbvx_wrong", str(big)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert nope.returncode != 0 and "Authentication failed" in nope.stderr
    finally:
        await db.engine.dispose()
        await cleanup()


async def test_csv_line_numbers_reach_the_service(fresh_db: Database) -> None:
    from exchange.db import transaction
    from exchange.publishing.service import publish

    viewer, _ = await make_token(fresh_db)
    rows, errors = read_rows(
        b'metric,period,value,notes\nep_fte,2024/25,1,"a note\nover two lines"\nep_fte,2024,1,\n'
    )
    assert errors == []
    async with transaction(fresh_db.sessions) as s:
        result = await publish(s, viewer, rows)
    assert [(e.line, e.code) for e in result.errors] == [(4, "WRONG_PERIOD_KIND")]
    assert result.errors[0].message.startswith("line 4: ")
