"""The whole DfE release in the catalogue (issue 12): every metric the shipped files feed is
recomputed here from the raw files, for a sample of authorities and every period they cover,
and compared with what the import stored.

The test reads the files with the csv module and does its own arithmetic: it shares with the
importer only the mapping (which column is which metric) and the catalogue (which share divides
which count by which). Derived sums are the mapping's ``sum`` lists, added up here.
"""

from __future__ import annotations

import csv
import math
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from exchange.metrics.models import Metric
from exchange.observations.models import Observation
from exchange.periods.models import Period
from seed import catalogue_doc, paths
from seed.reference import read_catalogue
from tests.conftest import Database

# Authorities of every size and kind: West Berkshire (a small unitary), Kent (the largest county),
# the Isles of Scilly and the City of London (the smallest), Camden and Westminster (inner London),
# Birmingham (a metropolitan district), Cumberland (a unitary since 2023), Leicestershire.
SAMPLE = ("869", "886", "420", "201", "202", "213", "330", "942", "855")
SYMBOLS = {"c", "low", "u", "x", "z", "k", ":", "[c]", "[x]", "[z]", "[low]", "[u]"}
MAPPING = tomllib.loads(paths.MAPPING.read_text(encoding="utf-8"))
CATALOGUE = {m["code"]: m for m in read_catalogue()}


def _label(time_period: str, identifier: str) -> str:
    """EES's period as the exchange labels it: 202425 -> 2024/25, 2024, 202324 -> 2023-24."""
    if identifier.lower().startswith("academic"):
        return f"{time_period[:4]}/{time_period[4:]}"
    if identifier.lower().startswith("financial"):
        return f"{time_period[:4]}-{time_period[4:]}"
    return time_period


def _number(cell: str) -> float | None:
    text = cell.strip().replace(",", "")
    if not text or text in SYMBOLS:
        return None
    return float(text)


def _rows(entry: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(authority code, period label, row) of the file's sampled local-authority rows."""
    folder = "ees" if entry["format"] == "ees" else "derived"
    path = paths.DATA_DIR / folder / entry["name"]
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if entry["format"] == "ees":
                if row["geographic_level"] != "Local authority":
                    continue
                if any(row[k].strip() != v for k, v in entry.get("filters", {}).items()):
                    continue
                code, label = row["old_la_code"], _label(row["time_period"], row["time_identifier"])
            else:
                code, label = row[entry.get("la_column", "la_code")], row[entry["period_column"]]
            if code in SAMPLE:
                yield code, label, row


def _expected(entry: dict[str, Any], row: dict[str, str]) -> dict[str, float | None]:
    """Every metric of the file for one row: the mapped columns, then the derived metrics in
    the mapping's order (a sum adds its inputs; a share is scale x numerator / denominator,
    with the numerator and denominator the catalogue records)."""
    values: dict[str, float | None] = {
        metric: _number(row[column]) for column, metric in entry["columns"].items()
    }
    for d in MAPPING.get("derived", []):
        if d["file"] != entry["name"]:
            continue
        if "sum" in d:
            parts = [values[c] for c in d["sum"]]
            values[d["metric"]] = None if None in parts else math.fsum(p or 0.0 for p in parts)
        else:
            m = CATALOGUE[d["metric"]]
            num, den = values[m["numerator_code"]], values[m["denominator_code"]]
            scale = float(d["share"].get("scale", 1))
            values[d["metric"]] = None if num is None or not den else scale * num / den
    return values


async def _stored(db: Database) -> dict[tuple[str, str, str], float | None]:
    async with db.sessions() as s:
        rows = await s.execute(
            select(Metric.code, Period.label, Observation.area_code, Observation.value)
            .join(Metric, Metric.id == Observation.metric_id)
            .join(Period, Period.id == Observation.period_id)
            .where(
                Observation.area_level == "local_authority",
                Observation.area_code.in_(SAMPLE),
                Observation.is_demo.is_(False),
            )
        )
        return {(m, p, a): v for m, p, a, v in rows}


def test_the_catalogue_holds_the_whole_release() -> None:
    fed = {m for f in MAPPING["file"] for m in f["columns"].values()}
    fed |= {d["metric"] for d in MAPPING.get("derived", [])}
    dfe = [c for c, m in CATALOGUE.items() if not m.get("self_reported")]
    assert len(dfe) >= 60
    assert set(dfe) == fed  # every DfE metric is fed by a shipped file, and only those
    for name in ("caseload.csv", "requests.csv", "annual_reviews.csv", "timeliness_20_week.csv"):
        (entry,) = [f for f in MAPPING["file"] if f["name"] == name]
        header = (paths.DATA_DIR / "ees" / name).read_text(encoding="utf-8-sig").split("\n")[0]
        indicators = [c for c in header.split(",") if c not in _EES_KEYS]
        assert set(indicators) == set(entry["columns"]), name  # every indicator column


_EES_KEYS = {
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
    "breakdown_topic",
    "breakdown",
}


@pytest.mark.parametrize("name", [f["name"] for f in MAPPING["file"]])
async def test_every_metric_of_a_file_is_what_the_raw_file_says(
    loaded_db: Database, name: str
) -> None:
    (entry,) = [f for f in MAPPING["file"] if f["name"] == name]
    stored = await _stored(loaded_db)
    checked = 0
    seen_codes: set[str] = set()
    for code, label, row in _rows(entry):
        seen_codes.add(code)
        for metric, want in _expected(entry, row).items():
            got = stored.get((metric, label, code), "missing")
            assert got != "missing", (metric, label, code)
            if want is None:
                assert got is None, (metric, label, code, got)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-9), (metric, label, code)
            checked += 1
    assert len(seen_codes) >= 5, seen_codes  # the sample is in every file
    assert checked >= 5 * len(entry["columns"]), checked


def test_counts_and_amounts_never_carry_polarity() -> None:
    for code, m in CATALOGUE.items():
        if m["unit"] in ("count", "gbp", "fte"):
            assert m["polarity"] == "neutral", code
    shares = [c for c, m in CATALOGUE.items() if m.get("numerator_code") and m["unit"] != "count"]
    assert len(shares) >= 20


def test_the_metrics_page_lists_the_catalogue_as_it_is() -> None:
    text = catalogue_doc.DOC.read_text(encoding="utf-8")
    assert catalogue_doc.written(text) == text, "run: python -m seed.catalogue_doc"
    assert text.count("\n| `") == len(CATALOGUE)
