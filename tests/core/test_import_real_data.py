"""The importer against the real, untouched DfE files shipped in seed/data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exchange.db import transaction
from exchange.errors import InvalidInput
from exchange.importer.checks import ImportRefused
from exchange.importer.mapping import load_mapping
from exchange.importer.service import ImportSummary, import_files
from exchange.metrics.models import Metric
from exchange.observations.models import Observation, ObservationRevision
from exchange.periods.models import Period
from seed import paths
from tests.conftest import Database
from tests.core.import_support import observation_value


async def test_england_ehc_plans_match_published_totals(loaded_db: Database) -> None:
    assert await observation_value(loaded_db, "ehc_plans", "2022/23", "E92000001") == (517048, None)
    assert await observation_value(loaded_db, "ehc_plans", "2023/24", "E92000001") == (576474, None)
    assert await observation_value(loaded_db, "ehc_plans", "2024/25", "E92000001") == (638745, None)


async def test_england_equals_sum_of_local_authorities(loaded_db: Database) -> None:
    async with loaded_db.sessions() as s:
        total = (
            await s.execute(
                select(func.sum(Observation.value))
                .join(Metric, Metric.id == Observation.metric_id)
                .join(Period, Period.id == Observation.period_id)
                .where(
                    Metric.code == "ehc_plans",
                    Period.label == "2024/25",
                    Observation.area_level == "local_authority",
                )
            )
        ).scalar_one()
    assert total == 638745


async def test_west_berkshire_known_figures(loaded_db: Database) -> None:
    assert await observation_value(loaded_db, "ehc_plans", "2024/25", "869") == (1685, None)
    assert await observation_value(loaded_db, "ehc_issued_20wk_pct", "2024", "869") == (48.0, None)
    assert await observation_value(loaded_db, "ehc_new_plans", "2024", "869") == (269, None)


async def test_symbols_are_kept_without_a_value(loaded_db: Database) -> None:
    # West Berkshire's 2022 20-week rate is published as 'x' (not available).
    assert await observation_value(loaded_db, "ehc_issued_20wk_pct", "2022", "869") == (None, "x")


async def test_regional_rows_and_derived_files_imported(loaded_db: Database) -> None:
    value, _ = await observation_value(loaded_db, "ehc_plans", "2024/25", "E12000008")  # South East
    assert value is not None and value > 50000
    value, _ = await observation_value(loaded_db, "high_needs_block_gbp", "2023-24", "869")
    assert value is not None and value > 1_000_000
    value, _ = await observation_value(loaded_db, "suspension_rate", "2015/16", "869")
    assert value is not None


async def _import(db: Database, files: list[Path]) -> ImportSummary:
    async with transaction(db.sessions) as session:
        return await import_files(session, files, load_mapping(paths.MAPPING))


async def test_reimport_changes_nothing_and_a_changed_value_is_a_revision(
    fresh_db: Database, tmp_path: Path
) -> None:
    src = paths.DATA_DIR / "ees" / "annual_reviews.csv"
    first = await _import(fresh_db, [src])
    assert first.created > 0 and first.revised == 0
    again = await _import(fresh_db, [src])
    assert again.created == 0 and again.revised == 0
    assert again.unchanged == first.created

    # West Berkshire's 2024 figure re-published with a different value: one new revision.
    text = src.read_text(encoding="utf-8-sig").splitlines()
    changed = []
    for line in text:
        if (
            line.startswith("2024,Calendar year,Local authority")
            and ",869,West Berkshire,All annual reviews,All annual reviews," in line
        ):
            cells = line.split(",")
            cells[-2] = "99.9"
            line = ",".join(cells)
        changed.append(line)
    edited = tmp_path / "annual_reviews.csv"
    edited.write_text("\ufeff" + "\n".join(changed) + "\n", encoding="utf-8")
    third = await _import(fresh_db, [edited])
    assert third.revised == 1 and third.created == 0
    assert await observation_value(fresh_db, "annual_review_decision_4wk_pct", "2024", "869") == (
        99.9,
        None,
    )
    async with fresh_db.sessions() as s:
        revisions = (
            await s.execute(
                select(ObservationRevision.revision, ObservationRevision.value)
                .join(Observation, Observation.id == ObservationRevision.observation_id)
                .where(Observation.area_code == "869")
                .join(Metric, Metric.id == Observation.metric_id)
                .where(Metric.code == "annual_review_decision_4wk_pct")
                .order_by(ObservationRevision.revision)
            )
        ).all()
    assert [r[0] for r in revisions] == [1, 2]
    assert revisions[1][1] == 99.9 and revisions[0][1] != 99.9


async def test_unknown_and_former_authorities_are_reported(
    fresh_db: Database, tmp_path: Path
) -> None:
    src = paths.DATA_DIR / "ees" / "requests.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    bogus = next(line for line in lines if ",869,West Berkshire," in line).replace(
        ",869,West Berkshire,", ",999,Atlantis,"
    )
    edited = tmp_path / "requests.csv"
    edited.write_text("\n".join([*lines, bogus]) + "\n", encoding="utf-8")
    summary = await _import(fresh_db, [edited])
    reasons = " | ".join(summary.skipped)
    assert "unknown LA code 999" in reasons and "Atlantis" in reasons
    assert "former authority 909 Cumbria" in reasons


async def test_a_file_with_a_malformed_value_is_refused_naming_the_line(
    fresh_db: Database, tmp_path: Path
) -> None:
    src = paths.DATA_DIR / "ees" / "annual_reviews.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    idx = next(
        i for i, line in enumerate(lines) if ",869,West Berkshire,All annual reviews," in line
    )
    cells = lines[idx].split(",")
    cells[-2] = "forty"
    lines[idx] = ",".join(cells)
    edited = tmp_path / "annual_reviews.csv"
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        await _import(fresh_db, [edited])
    problems = [str(p) for p in refused.value.problems]
    assert len(problems) == 1
    assert problems[0].startswith(
        f"annual_reviews.csv:{idx + 1}:pc_decsion_4weeks: 'forty' is neither a number"
    )
    async with fresh_db.sessions() as s:  # all or nothing: not one observation stored
        assert (await s.execute(select(func.count(Observation.id)))).scalar_one() == 0


async def test_a_file_missing_mapped_columns_is_refused_and_stores_nothing(
    fresh_db: Database, tmp_path: Path
) -> None:
    edited = tmp_path / "caseload.csv"
    edited.write_text(
        "time_period,time_identifier,geographic_level\n202425,Academic year,National\n"
    )
    with pytest.raises(InvalidInput, match="no column"):
        await _import(fresh_db, [edited])
    async with fresh_db.sessions() as s:
        assert (await s.execute(select(func.count(Observation.id)))).scalar_one() == 0


def test_shipped_files_are_untouched_copies() -> None:
    """Every shipped data file has the SHA-256 recorded when it was copied from the DfE files
    (seed/data/SHA256SUMS); where ../shared/data is beside the checkout, it is compared too."""
    manifest = paths.DATA_DIR / "SHA256SUMS"
    recorded = dict(
        reversed(line.split(maxsplit=1)) for line in manifest.read_text().splitlines() if line
    )
    for f in [*paths.SHIPPED_FILES, paths.LA_LOOKUP, paths.NEIGHBOURS]:
        name = f.relative_to(paths.DATA_DIR).as_posix()
        assert hashlib.sha256(f.read_bytes()).hexdigest() == recorded[name], name
    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    if shared.exists():
        for name, digest in recorded.items():
            assert hashlib.sha256((shared / name).read_bytes()).hexdigest() == digest, name
