"""Read the publishing CSV template (docs/templates/observations-template.csv).

Columns: ``metric``, ``period``, ``value`` (required), ``symbol``, ``flags``, ``authority``
(optional), ``notes`` (ignored). Header names are matched case-insensitively. UTF-8 with or without
a byte-order mark, or Windows-1252 as older Excel saves "CSV"; blank lines are skipped. Every
problem is reported with the line number a spreadsheet shows (the header is line 1).
"""

from __future__ import annotations

import csv
import io

from exchange.publishing.errors import PublishErrorCode as Code
from exchange.publishing.rows import RowError, RowInput

COLUMNS = ("metric", "period", "value", "symbol", "flags", "authority")
REQUIRED = ("metric", "period", "value")
IGNORED = ("notes", "note", "comment", "comments")


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header(name: str | None) -> str:
    return "_".join((name or "").strip().lower().split())


def read_rows(data: bytes | str) -> tuple[list[RowInput], list[RowError]]:
    text = decode(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    if "\x00" in text:
        return [], [RowError(None, "file", Code.NOT_CSV, "this is not a CSV text file", 1)]
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[RowError] = []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [RowError(None, "file", Code.MALFORMED_CSV, f"line 1: {exc}", 1)]
    if header is None or not any(h.strip() for h in header):
        return [], [
            RowError(None, "file", Code.EMPTY_FILE, "the file is empty: start from the template", 1)
        ]
    names = [_header(h) for h in header]
    for col in REQUIRED:
        if col not in names:
            errors.append(
                RowError(
                    None,
                    col,
                    Code.MISSING_COLUMN,
                    f"line 1: the header has no '{col}' column (expected: {', '.join(COLUMNS)})",
                    1,
                )
            )
    for position, name in enumerate(names):
        if name and name not in COLUMNS and name not in IGNORED:
            errors.append(
                RowError(
                    None,
                    name[:40],
                    Code.UNKNOWN_COLUMN,
                    f"line 1: unknown column '{header[position][:40]}' "
                    f"(columns: {', '.join(COLUMNS)}; a 'notes' column is ignored)",
                    1,
                )
            )
        if name and names.count(name) > 1 and names.index(name) == position:
            errors.append(
                RowError(None, name[:40], Code.DUPLICATE_COLUMN, f"line 1: two '{name}' columns", 1)
            )
    if errors:
        return [], errors
    rows: list[RowInput] = []
    previous_end = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = reader.line_num
            errors.append(RowError(None, "file", Code.MALFORMED_CSV, f"line {line}: {exc}", line))
            break
        line = previous_end + 1
        previous_end = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names) :]):
            errors.append(
                RowError(
                    len(rows),
                    None,
                    Code.TOO_MANY_CELLS,
                    f"line {line}: {len(cells)} cells but the header has {len(names)} columns "
                    "(a number with a comma must be quoted, or written without the comma)",
                    line,
                )
            )
        record = dict(zip(names, cells, strict=False))
        rows.append(
            RowInput(
                metric=record.get("metric", "").strip(),
                period=record.get("period", "").strip(),
                value=record.get("value", ""),
                symbol=record.get("symbol") or None,
                flags=record.get("flags") or None,
                authority=record.get("authority") or None,
                line=line,
            )
        )
    return rows, errors
