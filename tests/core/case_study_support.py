"""Helpers shared by the case-study tests (core and API): viewers, real-data loading, and an
independent oracle that reads the untouched DfE files with the csv module."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path
from typing import Any

from exchange.authorities import repository as authorities
from exchange.db import transaction
from exchange.viewer import Viewer, role_viewer
from seed import paths

TIMELINESS = paths.DATA_DIR / "ees" / "timeliness_20_week.csv"
EXCLUSIONS = paths.DATA_DIR / "derived" / "exclusion_rates_by_la_2016_2024.csv"
NEIGHBOURS = paths.DATA_DIR / "reference" / "statistical_neighbours_2025.csv"

WEST_BERKSHIRE = "869"
NHS_NUMBER = "943 476 5919"  # passes the mod-11 check (the NHS's own documentation example)


async def load_files(db: Any, *files: Path) -> None:
    from exchange.importer.mapping import load_mapping
    from exchange.importer.service import import_files

    async with transaction(db.sessions) as session:
        await import_files(session, list(files), load_mapping(paths.MAPPING))


async def publisher(db: Any, code: str) -> Viewer:
    async with db.sessions() as session:
        found = await authorities.get_by_code(session, code)
    assert found is not None
    return role_viewer("publisher", authority_id=found.id)  # every publisher scope


async def authority_id(db: Any, code: str) -> int:
    async with db.sessions() as session:
        found = await authorities.get_by_code(session, code)
    assert found is not None
    return found.id


def neighbours(la_code: str) -> list[str]:
    with NEIGHBOURS.open(encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle) if r["la_code"] == la_code]
    return [r["sn_la_code"] for r in sorted(rows, key=lambda r: int(r["rank"]))]


def all_la_codes() -> list[str]:
    with (paths.DATA_DIR / "reference" / "la_lookup.csv").open(encoding="utf-8-sig") as handle:
        return [r["la_code"] for r in csv.DictReader(handle)]


def timeliness_pct() -> dict[tuple[str, str], float]:
    """(la_code, calendar year) -> % of new EHC plans issued within 20 weeks, from the EES file."""
    out: dict[tuple[str, str], float] = {}
    with TIMELINESS.open(encoding="utf-8-sig") as handle:
        for r in csv.DictReader(handle):
            if r["geographic_level"] != "Local authority":
                continue
            if r["breakdown_topic"] != "All EHC plans issued":
                continue
            try:
                out[(r["old_la_code"], r["time_period"])] = float(
                    r["pc_plans_issued_within_20_weeks"]
                )
            except ValueError:
                continue  # a GSS symbol (x, c, ...) instead of a number
    return out


def median_change(
    values: dict[tuple[str, str], float], codes: list[str], start: str, end: str
) -> tuple[float | None, int]:
    changes = [
        values[(c, end)] - values[(c, start)]
        for c in codes
        if (c, start) in values and (c, end) in values
    ]
    return (statistics.median(changes) if changes else None), len(changes)


def case_study_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": "Specialist teachers cover the educational psychologist shortage",
        "summary": "Specialist teachers trained to give consultation while EP posts were vacant.",
        "context": "Four of twelve educational psychologist posts were vacant in 2023.",
        "what_was_done": "A twelve-week programme trained eight specialist teachers.",
        "results": "Statutory advice now arrives in five weeks, down from ten.",
        "lessons_learned": "Agree early which advice only an EP can give.",
        "phase": "IMPLEMENTATION",
        "themes": ["educational_psychology", "workforce"],
        "cost_band": "LOW",
        "evidence_strength": 2,
    }
    values.update(overrides)
    return values


def suspension_rates() -> dict[tuple[str, str], float]:
    """(la_code, academic year label) -> suspension rate, from the shipped LAIT extract."""
    out: dict[tuple[str, str], float] = {}
    with EXCLUSIONS.open(encoding="utf-8-sig") as handle:
        for r in csv.DictReader(handle):
            try:
                out[(r["la_code"], r["academic_year"])] = float(r["suspension_rate"])
            except ValueError:
                continue
    return out
