"""Check a whole batch of figures before any is stored, and report every bad row.

Each row is checked field by field (authority, metric, period, value, symbol, flags, range, a
repeat in the batch); the rows that pass are then checked against what the authority published
before (exchange.publishing.consistency). Nothing here writes: it reads the catalogue, the
authority and its stored rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.errors import InvalidInput
from exchange.metrics import repository as metrics
from exchange.metrics.models import Metric
from exchange.observations.models import SYMBOLS
from exchange.periods.labels import PeriodKey, parse_label
from exchange.publishing.consistency import check_against_stored
from exchange.publishing.errors import PublishErrorCode as Code
from exchange.publishing.numbers import parse_number
from exchange.publishing.rows import RowError, RowInput, ValidRow
from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.viewer import Viewer

MAX_ROWS = 500
FLAGS = "pre"  # provisional, revised, estimated
MAX_ABS_VALUE = 1e12


def require_publisher(viewer: Viewer) -> int:
    """The publisher's authority id, or the reason this viewer cannot publish."""
    return scopes.require_authority(viewer, Scope.OBSERVATIONS_PUBLISH, to="publish figures")


@dataclass
class _Batch:
    """What every row of one batch is checked against."""

    rows: Sequence[RowInput]
    own: Authority
    catalogue: dict[str, Metric]
    this_year: int
    first_seen: dict[tuple[str, PeriodKey], int] = field(default_factory=dict)


@dataclass
class _Faults:
    """One row's errors, in the order its fields are checked."""

    row: RowInput
    index: int
    errors: list[RowError] = field(default_factory=list)

    def add(self, fld: str, code: Code, message: str) -> None:
        self.errors.append(RowError.at(self.row, self.index, fld, code, message))


async def validate(
    session: AsyncSession,
    viewer: Viewer,
    rows: Sequence[RowInput],
    *,
    pseudonymous: bool,
    max_rows: int | None = MAX_ROWS,
    now: datetime | None = None,
) -> tuple[list[ValidRow], list[RowError], Authority]:
    """The rows that passed, every error (batch-wide ones first, then by row), the publisher."""
    authority_id = require_publisher(viewer)
    own = (await authorities.get_many(session, [authority_id]))[0]
    refused = _check_batch_size(rows, max_rows)
    if refused is not None:
        return [], [refused], own
    catalogue = await metrics.get_many_by_code(
        session, sorted({r.metric.strip() for r in rows if r.metric})
    )
    batch = _Batch(rows, own, catalogue, (now or datetime.now(UTC)).year)
    errors: list[RowError] = []
    valid: list[ValidRow] = []
    for index, row in enumerate(rows):
        faults = _Faults(row, index)
        checked = _check_row(batch, faults)
        errors.extend(faults.errors)
        if checked is not None:
            valid.append(checked)
    errors.extend(
        await check_against_stored(session, authority_id, valid, pseudonymous=pseudonymous)
    )
    errors.sort(key=lambda e: -1 if e.index is None else e.index)
    return valid, errors, own


def _check_batch_size(rows: Sequence[RowInput], max_rows: int | None) -> RowError | None:
    if max_rows is not None and len(rows) > max_rows:
        return RowError(
            None,
            "observations",
            Code.TOO_MANY_ROWS,
            f"{len(rows)} rows: at most {max_rows} per call; split the batch "
            "(the command line `exchange publish` takes larger files)",
        )
    if not rows:
        return RowError(None, "observations", Code.NO_ROWS, "there is nothing to publish")
    return None


def _check_row(batch: _Batch, faults: _Faults) -> ValidRow | None:
    """Every check of one row, each reporting to ``faults``; the row as stored when all pass."""
    row = faults.row
    _check_authority(row, batch.own, faults)
    metric = _check_metric(row, batch.catalogue, faults)
    period = _check_period(row, metric, batch.this_year, faults) if metric is not None else None
    value, unreadable = _check_value(row, faults)
    symbol = _check_symbol(row, faults)
    _check_value_or_symbol(value, symbol, unreadable, faults)
    flags = _check_flags(row, faults)
    if metric is not None and value is not None:
        _check_range(metric, value, faults)
    if metric is not None and period is not None:
        _check_not_repeated(batch, metric, period, faults)
    if faults.errors or metric is None or period is None:
        return None
    return ValidRow(faults.index, row, metric, period, value, symbol, flags)


def _check_authority(row: RowInput, own: Authority, faults: _Faults) -> None:
    """An authority given on the row (optional) must be the token's own, by any of its codes."""
    if row.authority is None or not row.authority.strip():
        return
    code = row.authority.strip().upper()
    if code not in (own.la_code, own.gss_code, own.gss_code_dfe):
        faults.add(
            "authority",
            Code.NOT_YOUR_AUTHORITY,
            f"your token publishes for {own.name} ({own.la_code}) only, not '{code[:20]}'",
        )


def _check_metric(row: RowInput, catalogue: dict[str, Metric], faults: _Faults) -> Metric | None:
    """The row's metric, when it exists; a DfE statistic is returned too but refused."""
    metric = catalogue.get((row.metric or "").strip())
    if metric is None:
        faults.add(
            "metric",
            Code.UNKNOWN_METRIC,
            f"no metric with code '{(row.metric or '')[:64]}': see `exchange metrics` or the "
            "metrics query for the self-reported codes",
        )
    elif not metric.self_reported:
        faults.add(
            "metric",
            Code.NOT_SELF_REPORTED,
            f"{metric.code} is a DfE statistic: it comes from DfE's own release and cannot "
            "be published by a council",
        )
    return metric


def _check_period(
    row: RowInput, metric: Metric, this_year: int, faults: _Faults
) -> PeriodKey | None:
    """A label of the metric's own period kind, for a period that has started."""
    try:
        period = parse_label(row.period or "", metric.period_kind)
    except InvalidInput as exc:
        faults.add("period", Code(exc.code), exc.message)
        return None
    if period.start_year > this_year:
        faults.add("period", Code.FUTURE_PERIOD, f"{period.label} has not started yet")
        return None
    return period


def _check_value(row: RowInput, faults: _Faults) -> tuple[float | None, bool]:
    """The value (None when empty), and whether it was there but not a number."""
    try:
        value = parse_number(row.value)
        if value is not None and not math.isfinite(value):  # digits beyond any float
            raise ValueError
    except ValueError:
        faults.add("value", Code.NOT_A_NUMBER, f"'{str(row.value)[:30]}' is not a number")
        return None, True
    return value, False


def _check_symbol(row: RowInput, faults: _Faults) -> str | None:
    symbol = (row.symbol or "").strip().lower() or None
    if symbol is not None and symbol not in SYMBOLS:
        faults.add(
            "symbol",
            Code.UNKNOWN_SYMBOL,
            f"'{symbol[:10]}' is not a symbol: use c (confidential), x (not available), "
            "z (not applicable), low or u, and leave value empty",
        )
    return symbol


def _check_value_or_symbol(
    value: float | None, symbol: str | None, unreadable: bool, faults: _Faults
) -> None:
    """Exactly one of a value and a symbol (an unreadable value was reported already)."""
    if value is not None and symbol is not None:
        faults.add("symbol", Code.SYMBOL_WITH_VALUE, "give a value or a symbol, not both")
    if value is None and symbol is None and not unreadable:
        faults.add(
            "value",
            Code.MISSING_VALUE,
            "no value: give a number, or a symbol (x not available, c confidential) "
            "with an empty value",
        )


def _check_flags(row: RowInput, faults: _Faults) -> str:
    """The known flags, sorted and once each; separators (space , ;) are ignored."""
    flags = "".join(ch for ch in (row.flags or "").lower() if ch not in " ,;")
    if any(ch not in FLAGS for ch in flags):
        faults.add(
            "flags", Code.UNKNOWN_FLAG, "flags are p (provisional), r (revised), e (estimated)"
        )
    return "".join(sorted(set(flags) & set(FLAGS)))


def _check_range(metric: Metric, value: float, faults: _Faults) -> None:
    """The one range rule of the metric's unit that the value breaks first."""
    if abs(value) > MAX_ABS_VALUE:
        faults.add("value", Code.OUT_OF_RANGE, f"{value:g} is out of range")
    elif metric.unit in ("count", "fte") and value < 0:
        faults.add(
            "value", Code.NEGATIVE_COUNT, f"{metric.code} counts something: it cannot be negative"
        )
    elif metric.unit in ("percent", "rate") and value < 0:
        faults.add("value", Code.NEGATIVE_VALUE, f"{metric.code} cannot be negative")
    elif metric.unit == "percent" and value > 100:
        faults.add(
            "value", Code.PERCENT_OVER_100, f"{metric.code} is a percentage: {value:g} is over 100"
        )
    elif metric.unit == "count" and not float(value).is_integer():
        faults.add(
            "value", Code.NOT_WHOLE_NUMBER, f"{metric.code} is a count: {value:g} is not whole"
        )


def _check_not_repeated(batch: _Batch, metric: Metric, period: PeriodKey, faults: _Faults) -> None:
    """One row per metric and period in a batch: a repeat names the row it repeats."""
    key = (metric.code, period)
    first = batch.first_seen.setdefault(key, faults.index)
    if first == faults.index:
        return
    line = batch.rows[first].line
    faults.add(
        "period",
        Code.DUPLICATE_ROW,
        f"{metric.code} for {period.label} is already row {first}"
        + (f" (line {line})" if line else "")
        + " of this batch",
    )
