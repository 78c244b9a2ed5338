"""Read EES tidy files (and per-LA tidy extracts) into area x metric x period values.

Nothing here touches the database: the readers turn rows into ``ParsedValue`` records and say
exactly which rows they did not use (an authority outside the current 153, a level not imported),
why, and where. Anything wrong with the file itself (not UTF-8 text, binary, a broken header or
row, a bad period, a cell that is not a plausible figure of its metric) is a ``Problem``: the
reader collects every one, and the caller refuses the whole run (checks.ImportRefused).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from exchange.comparison import semantics
from exchange.errors import DomainError
from exchange.importer.checks import Problem, check_period, check_value
from exchange.importer.checks import parse_cell as parse_cell  # where the importer tests find it
from exchange.importer.mapping import Derived, FileMapping
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
    breakdown: tuple[str, str] | None = None  # (breakdown_topic, breakdown); None: the total


# A former authority's row: not among the 153, its figures kept apart (exchange/authorities/former).
FORMER = "former_authority"
BREAKDOWN_COLUMNS = frozenset({"breakdown_topic", "breakdown"})
ROW = "row"  # the whole row was not imported (its area could not be used)
CELL = "cell"  # one indicator cell was not imported (a duplicate); the rest of its row was


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
    breakdown_rows: int = 0  # rows of a breakdown (not the total) whose figures were read
    skips: dict[str, Skipped] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


AuthorityLookup = Callable[[str, str], AuthorityRef | None]


def read_file(
    path: Path,
    mapping: FileMapping,
    lookup: AuthorityLookup,
    former: dict[str, str],
    report: ReadReport,
    progress: Callable[[int], None] | None = None,
    *,
    units: Mapping[str, str] | None = None,
    this_year: int | None = None,
) -> Iterator[ParsedValue]:
    """Values of the rows the mapping uses. ``units`` (metric code -> unit) decides what a cell
    may hold; every problem goes to ``report.problems`` and reading goes on where it can."""
    reading = _Reading(path.name, mapping, units or {}, this_year or datetime.now(UTC).year, report)
    with path.open("rb") as handle:
        # Rows are lists until they pass the mapping's filters: most rows of an EES file are
        # breakdowns the mapping does not use, and building a dict for each of them was half the
        # import's time.
        reader = csv.reader(_text_lines(handle, reading))
        try:
            header = next(reader, None)
            if header is None or not any(name.strip() for name in header):
                if not reading.broken:
                    reading.problem(1, None, "the file is empty: an EES file starts with a header")
                return
            if not _check_header(header, reading):
                return
            width = len(header)
            position = {name: i for i, name in enumerate(header)}
            filters = [(position[col], want) for col, want in mapping.filters.items()]
            # A row the filters leave out only for its breakdown is a breakdown row.
            other_filters = [(i, w) for i, w in filters if header[i] not in BREAKDOWN_COLUMNS]
            topic_at = position.get("breakdown_topic")
            breakdown_at = position.get("breakdown")
            by_breakdown = bool(mapping.breakdown_metrics) and None not in (topic_at, breakdown_at)
            repeated = [
                (name, [i for i, n in enumerate(header) if n == name])
                for name in sorted(mapping.repeated_columns)
            ]
            for fields in reader:
                if not fields:  # a blank line
                    continue
                report.rows_read += 1
                if progress and report.rows_read % 500 == 0:
                    progress(500)
                if len(fields) != width:
                    reading.problem(
                        reader.line_num,
                        None,
                        f"{len(fields)} cells but the header has {width} columns: a truncated "
                        "or broken row",
                    )
                    continue
                if any(fields[i].strip() != want for i, want in filters):
                    if not by_breakdown or any(
                        fields[i].strip() != want for i, want in other_filters
                    ):
                        continue
                    assert topic_at is not None and breakdown_at is not None
                    report.breakdown_rows += 1
                    row = dict(zip(header, fields, strict=True))
                    yield from _values(
                        reader.line_num,
                        row,
                        reading,
                        lookup,
                        former,
                        breakdown=(fields[topic_at].strip(), fields[breakdown_at].strip()),
                    )
                    continue
                report.rows_matched += 1
                if not _repeats_agree(reader.line_num, fields, repeated, reading):
                    continue
                row = dict(zip(header, fields, strict=True))
                yield from _values(reader.line_num, row, reading, lookup, former)
        except csv.Error as exc:
            reading.problem(reader.line_num, None, f"not readable as CSV ({exc})")
    if progress:
        progress(report.rows_read % 500)


@dataclass
class _Reading:
    """One file being read: what its cells may hold, and where its problems go."""

    name: str
    mapping: FileMapping
    units: Mapping[str, str]
    this_year: int
    report: ReadReport
    broken: bool = False  # the text itself could not be read: nothing after it is

    def problem(self, line: int | None, column: str | None, reason: str) -> None:
        self.report.problems.append(Problem(self.name, line, column, reason))


def _text_lines(handle: BinaryIO, reading: _Reading) -> Iterable[str]:
    """The file's lines as text, for csv.reader. EES files are UTF-8 and start with a byte-order
    mark (dropped here); a line that is not UTF-8, or holds a NUL (a binary file, or UTF-16
    without its byte-order mark), ends the file with a problem naming that line."""
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            utf16 = number == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff")
            reading.problem(
                number,
                None,
                "not UTF-8 text"
                + (" (this is UTF-16)" if utf16 else f" (byte {exc.start + 1} of the line)")
                + ": save the file as UTF-8 CSV, as EES publishes it",
            )
            reading.broken = True
            return
        if "\x00" in line:
            reading.problem(
                number,
                None,
                "a NUL byte: this is a binary file or UTF-16 text, not UTF-8 CSV as EES "
                "publishes it",
            )
            reading.broken = True
            return
        yield line[1:] if number == 1 and line.startswith("\ufeff") else line


def _repeats_agree(
    line: int, fields: list[str], repeated: list[tuple[str, list[int]]], reading: _Reading
) -> bool:
    """Whether each column the mapping says the file repeats holds the same text every time."""
    ok = True
    for name, at in repeated:
        if len({fields[i].strip() for i in at}) > 1:
            shown_cells = " and ".join(repr(fields[i].strip()) for i in at)
            reading.problem(
                line,
                name,
                f"column '{name}' is written {len(at)} times and they differ "
                f"({shown_cells}): which one is the figure?",
            )
            ok = False
    return ok


def _check_header(header: list[str], reading: _Reading) -> bool:
    """Whether the header has every column the import reads, each once, except the columns the
    mapping names in ``repeated_columns`` (DfE's annual_reviews.csv has two
    review_meeting_prior_24 columns; each row must hold the same figure in both)."""
    mapping = reading.mapping
    needed = set(mapping.columns) | set(mapping.filters)
    if mapping.format == "ees":
        needed |= {"time_period", "time_identifier", "geographic_level"}
        needed |= {"country_code", "region_code", "old_la_code", "new_la_code", "la_name"} & set(
            header
        )
    else:
        needed |= {mapping.period_column or "", mapping.la_column or ""}
    ok = True
    seen: set[str] = set()
    for name in header:
        if name in seen and name in needed and name not in mapping.repeated_columns:
            reading.problem(1, name, f"the header names column '{name}' twice")
            ok = False
        seen.add(name)
    missing = sorted(c for c in needed if c not in seen)
    if missing:
        # The file name twice: the reason reads on its own too (in the summary's words).
        reading.problem(
            1, None, f"{reading.name} has no column(s) {', '.join(missing)} named in the mapping"
        )
        ok = False
    return ok


def _values(
    line: int,
    row: dict[str, str],
    reading: _Reading,
    lookup: AuthorityLookup,
    former: dict[str, str],
    breakdown: tuple[str, str] | None = None,
) -> Iterator[ParsedValue]:
    """A row's values; for a breakdown row, only those of the mapping's breakdown metrics, and
    a row of an authority that is not imported is dropped without a report (its total row is
    reported)."""
    mapping = reading.mapping
    try:
        if mapping.format == "ees":
            period_column = "time_period"
            period = from_ees(row["time_identifier"], row["time_period"])
        else:
            assert mapping.period_column and mapping.period_kind and mapping.la_column
            period_column = mapping.period_column
            period = parse_label(row[mapping.period_column], mapping.period_kind)
    except DomainError as exc:
        column = exc.field if exc.field in row else period_column
        reading.problem(line, column, exc.message)
        return
    if (why := check_period(period, reading.this_year)) is not None:
        reading.problem(line, period_column, why)
        return
    if mapping.format == "ees":
        area = _ees_area(row, lookup, former)
    else:
        code = row[mapping.la_column or "la_code"].strip()
        area = _la_area(code, "", row.get("la_name", ""), lookup, former)
    if breakdown is not None and (isinstance(area, str) or area[0] == FORMER):
        return
    if isinstance(area, str):
        skip(reading.report.skips, ROW, area, line)
        return
    level, area_code, authority_id = area
    if level == FORMER:  # reported as not imported among the 153, and its figures kept apart
        why = f"former authority {area_code} {former[area_code]}: not in the current 153"
        skip(reading.report.skips, ROW, f"{why} (its figures: formerAuthorities)", line)
    cells: dict[str, tuple[float | None, str | None]] = {}
    for column, metric in mapping.columns.items():
        if breakdown is not None and metric not in mapping.breakdown_metrics:
            continue
        try:
            value, symbol = parse_cell(row[column])
        except DomainError as exc:
            reading.problem(line, column, exc.message)
            continue
        if value is not None:
            unit = reading.units.get(metric, "")
            why = check_value(value, unit, metric, row[column], signed=metric in mapping.signed)
            if why is not None:
                reading.problem(line, column, why)
                continue
        cells[metric] = (value, symbol)
        yield ParsedValue(
            line, metric, period, level, area_code, authority_id, value, symbol, breakdown
        )
    if breakdown is not None:
        return
    for d in mapping.derived:
        if any(code not in cells for code in d.inputs):
            continue  # an input cell is a problem already: the run is refused
        value, symbol = derive(d, cells)
        if value is not None:
            why = check_value(value, reading.units.get(d.metric, ""), d.metric, f"{value:g}")
            if why is not None:
                inputs = ", ".join(f"{c} {cells[c][0]:g}" for c in d.inputs)
                reading.problem(line, None, f"derived {why} (from {inputs})")
                continue
        cells[d.metric] = (value, symbol)
        yield ParsedValue(line, d.metric, period, level, area_code, authority_id, value, symbol)


# When inputs of a derived value have no figure, the symbol it takes: confidential first (a
# share must never reveal a suppressed count), then the others.
SYMBOL_PRECEDENCE = ("c", "low", "u", "x", "z")


def derive(
    d: Derived, cells: Mapping[str, tuple[float | None, str | None]]
) -> tuple[float | None, str | None]:
    """The derived value of one row from its inputs' (value, symbol): empty with the inputs'
    symbol when one has no figure; a share over a denominator of 0 is empty with z (not
    applicable). Values are rounded to 12 significant digits (semantics.tidy)."""
    values = [cells[c][0] for c in d.inputs]
    missing = [cells[c][1] or "x" for c in d.inputs if cells[c][0] is None]
    if missing:
        return None, min(missing, key=_symbol_order)
    numbers = [v for v in values if v is not None]
    if d.denominator is None:
        return _tidy(sum(numbers)), None
    numerator, denominator = numbers
    if denominator == 0:
        return None, "z"
    return _tidy(d.scale * numerator / denominator), None


def _symbol_order(symbol: str) -> int:
    return (
        SYMBOL_PRECEDENCE.index(symbol) if symbol in SYMBOL_PRECEDENCE else len(SYMBOL_PRECEDENCE)
    )


def _tidy(value: float) -> float:
    return semantics.tidy(value) or 0.0  # (and no -0)


def _ees_area(
    row: dict[str, str], lookup: AuthorityLookup, former: dict[str, str]
) -> tuple[str, str, int | None] | str:
    level = row["geographic_level"].strip()
    if level == "National":
        return "national", row.get("country_code", "").strip() or NATIONAL_CODE, None
    if level == "Regional":
        code = row.get("region_code", "").strip()
        return ("regional", code, None) if code else "regional row without a region_code"
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
        return FORMER, la_code, None
    return f"unknown LA code {la_code or '-'} / {gss_code or '-'} ({name.strip() or 'no name'})"
