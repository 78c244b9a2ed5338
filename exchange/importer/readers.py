"""Read EES tidy files (and per-LA tidy extracts) into area x metric x period values.

Nothing here touches the database: the readers turn rows into ``ParsedValue`` records and say
exactly which rows (or single cells of otherwise usable rows) they could not use, why, and where.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from exchange.errors import DomainError, InvalidInput
from exchange.importer.mapping import FileMapping
from exchange.observations.models import SYMBOLS
from exchange.periods.labels import PeriodKey, from_ees, parse_label

NATIONAL_CODE = "E92000001"


@dataclass(frozen=True)
class AuthorityRef:
    id: int
    la_code: str


@dataclass(frozen=True)
class ParsedValue:
    line: int
    metric_code: str
    period: PeriodKey
    area_level: str
    area_code: str
    authority_id: int | None
    value: float | None
    symbol: str | None


ROW = "row"  # the whole row was not imported (its area, or its period, could not be used)
CELL = "cell"  # one indicator cell was not imported; the rest of its row was


@dataclass
class Skipped:
    """One reason something was not imported: what it skipped (ROW or CELL) and on which lines.

    Line numbers are the file's own: line 1 is the header."""

    unit: str
    lines: list[int] = field(default_factory=list)


def count_skipped(skips: dict[str, Skipped], unit: str) -> int:
    return sum(len(s.lines) for s in skips.values() if s.unit == unit)


def skip(skips: dict[str, Skipped], unit: str, reason: str, line: int) -> None:
    entry = skips.setdefault(reason, Skipped(unit))
    assert entry.unit == unit, f"reason {reason!r} used for both {entry.unit}s and {unit}s"
    entry.lines.append(line)


@dataclass
class ReadReport:
    rows_read: int = 0
    rows_matched: int = 0
    skips: dict[str, Skipped] = field(default_factory=dict)


AuthorityLookup = Callable[[str, str], AuthorityRef | None]


def parse_cell(raw: str) -> tuple[float | None, str | None]:
    """A cell is a number or a GSS symbol; anything else is an error naming the text.

    ``float`` also reads 'nan' and 'inf', which no publication means as a figure (and SQLite
    would store NaN as NULL): those are errors too."""
    text = raw.strip()
    if text == "":
        return None, "x"
    if text.lower() in SYMBOLS:
        return None, text.lower()
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput("value", f"'{raw}' is neither a number nor a GSS symbol")
    return value, None


def read_file(
    path: Path,
    mapping: FileMapping,
    lookup: AuthorityLookup,
    former: dict[str, str],
    report: ReadReport,
    progress: Callable[[int], None] | None = None,
) -> Iterator[ParsedValue]:
    # utf-8-sig strips the byte-order mark EES puts at the start of every file. Rows are lists
    # until they pass the mapping's filters: most rows of an EES file are breakdowns the mapping
    # does not use, and building a dict for each of them was half the import's time.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        _check_columns(path, mapping, dict.fromkeys(header, ""))
        position = {name: i for i, name in enumerate(header)}
        filters = [(position[col], want) for col, want in mapping.filters.items()]
        for fields in reader:
            report.rows_read += 1
            if progress and report.rows_read % 500 == 0:
                progress(500)
            if any((fields[i].strip() if i < len(fields) else "") != want for i, want in filters):
                continue
            report.rows_matched += 1
            row = dict(zip(header, fields, strict=False))
            try:
                yield from _values(reader.line_num, row, mapping, lookup, former, report)
            except DomainError as exc:
                skip(report.skips, ROW, exc.message, reader.line_num)
    if progress:
        progress(report.rows_read % 500)


def _check_columns(path: Path, mapping: FileMapping, row: dict[str, str]) -> None:
    needed = set(mapping.columns) | set(mapping.filters)
    if mapping.format == "ees":
        needed |= {"time_period", "time_identifier", "geographic_level"}
    else:
        needed |= {mapping.period_column or "", mapping.la_column or ""}
    missing = sorted(c for c in needed if c not in row)
    if missing:
        raise InvalidInput(
            "path", f"{path.name} has no column(s) {', '.join(missing)} named in the mapping"
        )


def _values(
    line: int,
    row: dict[str, str],
    mapping: FileMapping,
    lookup: AuthorityLookup,
    former: dict[str, str],
    report: ReadReport,
) -> Iterator[ParsedValue]:
    if mapping.format == "ees":
        period = from_ees(row["time_identifier"], row["time_period"])
        area = _ees_area(row, lookup, former)
    else:
        assert mapping.period_column and mapping.period_kind and mapping.la_column
        period = parse_label(row[mapping.period_column], mapping.period_kind)
        code = row[mapping.la_column].strip()
        area = _la_area(code, "", row.get("la_name", ""), lookup, former)
    if isinstance(area, str):
        skip(report.skips, ROW, area, line)
        return
    level, area_code, authority_id = area
    for column, metric in mapping.columns.items():
        try:
            value, symbol = parse_cell(row[column])
        except DomainError as exc:
            skip(report.skips, CELL, f"column {column}: {exc.message}", line)
            continue
        yield ParsedValue(line, metric, period, level, area_code, authority_id, value, symbol)


def _ees_area(
    row: dict[str, str], lookup: AuthorityLookup, former: dict[str, str]
) -> tuple[str, str, int | None] | str:
    level = row["geographic_level"].strip()
    if level == "National":
        return "national", row.get("country_code", "").strip() or NATIONAL_CODE, None
    if level == "Regional":
        return "regional", row["region_code"].strip(), None
    if level == "Local authority":
        return _la_area(
            row.get("old_la_code", "").strip(),
            row.get("new_la_code", "").strip(),
            row.get("la_name", ""),
            lookup,
            former,
        )
    return f"geographic level '{level}' is not imported"


def _la_area(
    la_code: str, gss_code: str, name: str, lookup: AuthorityLookup, former: dict[str, str]
) -> tuple[str, str, int | None] | str:
    ref = lookup(la_code, gss_code)
    if ref is not None:
        return "local_authority", ref.la_code, ref.id
    if la_code in former:
        return f"former authority {la_code} {former[la_code]}: not in the current 153"
    return f"unknown LA code {la_code or '-'} / {gss_code or '-'} ({name.strip() or 'no name'})"
