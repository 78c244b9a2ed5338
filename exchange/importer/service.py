"""Import mapped files as observations: new values create, changed values revise, equal ones stay.

A whole import runs in the caller's transaction, so a crash or a bad file leaves nothing behind.
Rows of authorities outside the current 153 (or of levels not imported) do not fail the import:
they are reported, with the reason and the lines, in ``ImportSummary.skips``; a former
authority's figures (Cumbria, Northamptonshire, ...) are kept apart as well
(exchange/authorities/former.py), so that England's figure for a year can be reconciled. A file
that is not what it claims (not UTF-8 text, a broken header or row, an implausible period, a cell
that is not a sane figure of its metric's unit) refuses the whole run before anything is written:
``checks.ImportRefused`` lists every such problem with its file, line and column.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities import former
from exchange.authorities import repository as authorities
from exchange.errors import InvalidInput
from exchange.importer.checks import ImportRefused, Problem
from exchange.importer.mapping import Derived, ImportMapping
from exchange.importer.readers import (
    CELL,
    FORMER,
    ROW,
    AuthorityRef,
    ParsedValue,
    ReadReport,
    Skipped,
    count_skipped,
    read_file,
    skip,
)
from exchange.metrics import repository as metrics
from exchange.observations import breakdowns
from exchange.observations import repository as observations
from exchange.periods import repository as periods


@dataclass
class ImportSummary:
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_matched: int = 0
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    former_figures: int = 0  # figures of former authorities, stored apart from the 153's
    breakdown_figures: int = 0  # figures of breakdown rows, stored apart from the totals
    breakdown_rows: int = 0
    # "file: reason" -> what it skipped and where
    skips: dict[str, Skipped] = field(default_factory=dict)

    @property
    def skipped(self) -> Counter[str]:
        """Reason -> how many rows or cells it skipped."""
        return Counter({reason: len(s.lines) for reason, s in self.skips.items()})

    @property
    def rows_skipped(self) -> int:
        """Whole rows not imported (unknown or former authority, unusable period or level)."""
        return count_skipped(self.skips, ROW)

    @property
    def cells_skipped(self) -> int:
        """Single values not imported from rows that were otherwise used (bad cell, duplicate)."""
        return count_skipped(self.skips, CELL)


async def import_files(
    session: AsyncSession,
    paths: list[Path],
    mapping: ImportMapping,
    *,
    progress: Callable[[int], None] | None = None,
    created_by: str = "import",
) -> ImportSummary:
    summary = ImportSummary()
    catalogue = await metrics.get_many_by_code(session, sorted(mapping.metric_codes()))
    lookup = await _authority_lookup(session)
    units = {code: m.unit for code, m in catalogue.items()}
    this_year = datetime.now(UTC).year
    parsed: list[tuple[ParsedValue, str, str]] = []  # (value, source, file name)
    imported_metrics: set[str] = set()
    breakdown_metrics: set[str] = set()
    problems: list[Problem] = []
    for path in paths:
        fm = mapping.for_file(path)
        unknown = sorted(
            ({*fm.columns.values()} | {d.metric for d in fm.derived}) - catalogue.keys()
        )
        if unknown:
            raise InvalidInput(
                "mapping", f"{path.name}: metric(s) {', '.join(unknown)} not in the catalogue"
            )
        _check_derived(path.name, fm.derived, catalogue)
        imported_metrics |= {*fm.columns.values(), *(d.metric for d in fm.derived)}
        breakdown_metrics |= fm.breakdown_metrics
        report = ReadReport()
        kind_problems: dict[str, Problem] = {}  # metric -> its first period of the wrong kind
        values = read_file(
            path,
            fm,
            lookup,
            mapping.former_authorities,
            report,
            progress,
            units=units,
            this_year=this_year,
        )
        for pv in values:
            kind = catalogue[pv.metric_code].period_kind
            if pv.period.kind != kind:
                kind_problems.setdefault(  # once a metric: it is the mapping that is wrong
                    pv.metric_code,
                    Problem(
                        path.name,
                        pv.line,
                        "time_identifier" if fm.format == "ees" else fm.period_column,
                        f"metric {pv.metric_code} is {kind} but the file has "
                        f"{pv.period.kind} periods",
                    ),
                )
                continue
            parsed.append((pv, fm.source, path.name))
        problems.extend(
            sorted([*report.problems, *kind_problems.values()], key=lambda p: p.line or 0)
        )
        summary.files.append(path.name)
        summary.rows_read += report.rows_read
        summary.rows_matched += report.rows_matched
        summary.breakdown_rows += report.breakdown_rows
        for reason, skipped in report.skips.items():
            for line in skipped.lines:
                skip(summary.skips, skipped.unit, f"{path.name}: {reason}", line)
    if problems:
        raise ImportRefused(problems)

    period_rows = await periods.ensure(session, {pv.period for pv, _, _ in parsed})
    kept_apart = [
        former.Figure(
            pv.area_code,
            catalogue[pv.metric_code].id,
            period_rows[pv.period].id,
            pv.value,
            pv.symbol,
            source,
        )
        for pv, source, _ in parsed
        if pv.area_level == FORMER
    ]
    parsed = [item for item in parsed if item[0].area_level != FORMER]
    summary.breakdown_figures = await _store_breakdowns(
        session,
        [item for item in parsed if item[0].breakdown is not None],
        sorted({catalogue[code].id for code in breakdown_metrics}),
        {code: m.id for code, m in catalogue.items()},
        {k: p.id for k, p in period_rows.items()},
        summary,
    )
    parsed = [item for item in parsed if item[0].breakdown is None]
    summary.former_figures = await former.replace(
        session,
        mapping.former_authorities,
        sorted({catalogue[code].id for code in imported_metrics}),
        kept_apart,
    )
    metric_ids = sorted({catalogue[pv.metric_code].id for pv, _, _ in parsed})
    current = await observations.current_for_metrics(session, metric_ids)
    stamp = observations.now()
    new_rows: list[dict[str, Any]] = []
    changes: list[tuple[int, int, dict[str, Any]]] = []
    seen: set[observations.SeriesKey] = set()
    for pv, source, file_name in parsed:
        metric_id = catalogue[pv.metric_code].id
        key = (metric_id, period_rows[pv.period].id, pv.area_level, pv.area_code)
        if key in seen:
            reason = f"duplicate value for {pv.metric_code} {pv.period.label} {pv.area_code}"
            skip(summary.skips, CELL, f"{file_name}: {reason}", pv.line)
            continue
        seen.add(key)
        vals = {
            "value": pv.value,
            "symbol": pv.symbol,
            "source": source,
            "updated_at": stamp,
            "created_by": created_by,
            "visibility": "public",
        }
        state = current.get(key)
        if state is None:
            new_rows.append(
                {
                    "metric_id": key[0],
                    "period_id": key[1],
                    "area_level": key[2],
                    "area_code": key[3],
                    "authority_id": pv.authority_id,
                    "flags": "",
                    "pseudonymous": False,
                    "withdrawn": False,
                    "is_demo": False,
                    "revision": 1,
                    **{k: v for k, v in vals.items() if k != "created_by"},
                }
            )
        elif state.value == pv.value and state.symbol == pv.symbol:
            summary.unchanged += 1
        else:
            changes.append((state.id, state.revision + 1, vals))
    await observations.insert_new(session, new_rows, created_by)
    await observations.add_revisions(session, changes)
    summary.created = len(new_rows)
    summary.revised = len(changes)
    return summary


async def _store_breakdowns(
    session: AsyncSession,
    parsed: list[tuple[ParsedValue, str, str]],
    metric_ids: list[int],
    metric_id_of: dict[str, int],
    period_id_of: dict[Any, int],
    summary: ImportSummary,
) -> int:
    rows: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for pv, source, file_name in parsed:
        assert pv.breakdown is not None
        topic, breakdown = pv.breakdown
        row = {
            "metric_id": metric_id_of[pv.metric_code],
            "period_id": period_id_of[pv.period],
            "area_level": pv.area_level,
            "area_code": pv.area_code,
            "authority_id": pv.authority_id,
            "breakdown_topic": topic,
            "breakdown": breakdown,
            "value": pv.value,
            "symbol": pv.symbol,
            "source": source,
        }
        key = tuple(row[k] for k in ("metric_id", "period_id", "area_level", "area_code"))
        key += (topic, breakdown)
        if key in seen:
            reason = (
                f"duplicate value for {pv.metric_code} {pv.period.label} {pv.area_code} "
                f"({topic}: {breakdown})"
            )
            skip(summary.skips, CELL, f"{file_name}: {reason}", pv.line)
            continue
        seen.add(key)
        rows.append(row)
    return await breakdowns.replace(session, metric_ids, rows)


def _check_derived(file_name: str, derived: tuple[Derived, ...], catalogue: dict[str, Any]) -> None:
    """A derived share is what the catalogue says it is: the metric's numerator_code and
    denominator_code name the two metrics the mapping divides."""
    for d in derived:
        if d.denominator is None:
            continue
        m = catalogue[d.metric]
        if (m.numerator_code, m.denominator_code) != (d.numerator, d.denominator):
            raise InvalidInput(
                "mapping",
                f"{file_name}: derived {d.metric} divides {d.numerator} by {d.denominator}, but "
                f"the catalogue records numerator_code {m.numerator_code!r} and denominator_code "
                f"{m.denominator_code!r}",
            )


async def _authority_lookup(session: AsyncSession) -> Callable[[str, str], AuthorityRef | None]:
    by_code: dict[str, AuthorityRef] = {}
    for a in await authorities.all_authorities(session):
        ref = AuthorityRef(a.id, a.la_code)
        for code in (a.la_code, a.gss_code, a.gss_code_dfe):
            by_code[code] = ref

    def lookup(la_code: str, gss_code: str) -> AuthorityRef | None:
        # The 3-digit code decides; a GSS code that names another authority is a conflict.
        ref = by_code.get(la_code) if la_code else by_code.get(gss_code)
        if ref is not None and la_code and gss_code and by_code.get(gss_code) not in (None, ref):
            return None
        return ref

    return lookup
