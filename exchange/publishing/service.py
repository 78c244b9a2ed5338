"""Councils publish their own figures: validate a whole batch, then store all of it or none of it.

Every bad row is reported (index, CSV line when there is one, field, code, message) and nothing is
written unless every row is good. A publisher writes only for its own authority and only
self-reported metrics (DfE statistics come from DfE). Re-publishing a changed figure adds a
revision; an unchanged one is left alone; a withdrawal is a revision too. Every write is audited in
the same transaction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.audit import service as audit
from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.errors import InvalidInput, NotFound
from exchange.metrics import repository as metrics
from exchange.metrics.models import Metric
from exchange.observations import rates
from exchange.observations import repository as observations
from exchange.observations.models import SYMBOLS, VISIBILITIES, Observation
from exchange.periods import repository as periods
from exchange.periods.labels import PeriodKey, parse_label
from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.viewer import Viewer

MAX_ROWS = 500
FLAGS = "pre"  # provisional, revised, estimated
MAX_ABS_VALUE = 1e12


@dataclass(frozen=True)
class RowInput:
    metric: str
    period: str
    value: float | str | None = None  # a number, or the text of a CSV cell
    symbol: str | None = None
    flags: str | None = None
    authority: str | None = None
    line: int | None = None  # CSV line number, when the row came from a file


@dataclass(frozen=True)
class RowError:
    index: int | None
    field: str | None
    code: str
    message: str
    line: int | None = None


@dataclass
class PublishResult:
    observations: list[Observation] = field(default_factory=list)
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Valid:
    index: int
    row: RowInput
    metric: Metric
    period: PeriodKey
    value: float | None
    symbol: str | None
    flags: str


def require_publisher(viewer: Viewer) -> int:
    """The publisher's authority id, or the reason this viewer cannot publish."""
    return scopes.require_authority(viewer, Scope.OBSERVATIONS_PUBLISH, to="publish figures")


def _where(row: RowInput, index: int | None = None) -> str:
    if row.line is not None:
        return f"line {row.line}: "
    # The input's own path (0-based, like userErrors.index): "row 1" read as the first row.
    return f"observations[{index}]: " if index is not None else ""


# A plain ASCII decimal (docs/publishing.md, "Numbers"): an optional minus, £ or both (-£5 or £-5),
# digits (grouped in threes by commas, or not at all), an optional decimal part, an optional %.
# [0-9], not \d, and no float() on the raw text: float() also reads '٣', '1_0.5', '1e3', 'nan'.
_NUMBER = re.compile(
    r"(?P<minus>-?)(?:(?P<gbp>£) ?(?P<minus2>-?))?"
    r"(?P<digits>(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?)(?: ?(?P<pct>%))?"
)


def parse_number(raw: float | str | None) -> float | None:
    """A cell as a number (see _NUMBER); None for an empty cell. A number given as a number
    (GraphQL's Float) must be finite.

    Raises ValueError for anything else."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError("not a number")
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:  # an int beyond any float
            raise ValueError("not a number") from None
        if not math.isfinite(value):
            raise ValueError("not a number")
        return value
    text = raw.strip()
    if text == "":
        return None
    m = _NUMBER.fullmatch(text)
    if m is None or (m["minus"] and m["minus2"]) or (m["gbp"] and m["pct"]):
        raise ValueError("not a number")
    value = float(m["digits"].replace(",", ""))
    return -value if (m["minus"] or m["minus2"]) and value else value


async def validate(
    session: AsyncSession,
    viewer: Viewer,
    rows: Sequence[RowInput],
    *,
    pseudonymous: bool,
    max_rows: int | None = MAX_ROWS,
    now: datetime | None = None,
) -> tuple[list[_Valid], list[RowError], Authority]:
    authority_id = require_publisher(viewer)
    own = (await authorities.get_many(session, [authority_id]))[0]
    if max_rows is not None and len(rows) > max_rows:
        return (
            [],
            [
                RowError(
                    None,
                    "observations",
                    "TOO_MANY_ROWS",
                    f"{len(rows)} rows: at most {max_rows} per call; split the batch "
                    "(the command line `exchange publish` takes larger files)",
                )
            ],
            own,
        )
    if not rows:
        return [], [RowError(None, "observations", "NO_ROWS", "there is nothing to publish")], own
    catalogue = await metrics.get_many_by_code(
        session, sorted({r.metric.strip() for r in rows if r.metric})
    )
    this_year = (now or datetime.now(UTC)).year
    errors: list[RowError] = []
    valid: list[_Valid] = []
    first_seen: dict[tuple[str, PeriodKey], int] = {}
    for index, row in enumerate(rows):
        row_errors: list[RowError] = []

        def fail(
            fld: str,
            code: str,
            message: str,
            r: RowInput = row,
            i: int = index,
            sink: list[RowError] = row_errors,
        ) -> None:
            sink.append(RowError(i, fld, code, f"{_where(r, i)}{message}", r.line))

        if row.authority is not None and row.authority.strip():
            code = row.authority.strip().upper()
            if code not in (own.la_code, own.gss_code, own.gss_code_dfe):
                fail(
                    "authority",
                    "NOT_YOUR_AUTHORITY",
                    f"your token publishes for {own.name} ({own.la_code}) only, not '{code[:20]}'",
                )
        metric = catalogue.get((row.metric or "").strip())
        if metric is None:
            fail(
                "metric",
                "UNKNOWN_METRIC",
                f"no metric with code '{(row.metric or '')[:64]}': see `exchange metrics` or the "
                "metrics query for the self-reported codes",
            )
        elif not metric.self_reported:
            fail(
                "metric",
                "NOT_SELF_REPORTED",
                f"{metric.code} is a DfE statistic: it comes from DfE's own release and cannot "
                "be published by a council",
            )
        period: PeriodKey | None = None
        if metric is not None:
            try:
                period = parse_label(row.period or "", metric.period_kind)
            except InvalidInput as exc:
                fail("period", exc.code, exc.message)
            if period is not None and period.start_year > this_year:
                fail("period", "FUTURE_PERIOD", f"{period.label} has not started yet")
                period = None
        value: float | None = None
        try:
            value = parse_number(row.value)
            if value is not None and not math.isfinite(value):
                raise ValueError
        except ValueError:
            fail("value", "NOT_A_NUMBER", f"'{str(row.value)[:30]}' is not a number")
            value = None
            bad_value = True
        else:
            bad_value = False
        symbol = (row.symbol or "").strip().lower() or None
        if symbol is not None and symbol not in SYMBOLS:
            fail(
                "symbol",
                "UNKNOWN_SYMBOL",
                f"'{symbol[:10]}' is not a symbol: use c (confidential), x (not available), "
                "z (not applicable), low or u, and leave value empty",
            )
        if value is not None and symbol is not None:
            fail("symbol", "SYMBOL_WITH_VALUE", "give a value or a symbol, not both")
        if value is None and symbol is None and not bad_value:
            fail(
                "value",
                "MISSING_VALUE",
                "no value: give a number, or a symbol (x not available, c confidential) "
                "with an empty value",
            )
        flags = "".join(ch for ch in (row.flags or "").lower() if ch not in " ,;")
        if any(ch not in FLAGS for ch in flags):
            fail("flags", "UNKNOWN_FLAG", "flags are p (provisional), r (revised), e (estimated)")
        flags = "".join(sorted(set(flags) & set(FLAGS)))
        if metric is not None and value is not None:
            _check_range(metric, value, fail)
        if metric is not None and period is not None:
            key = (metric.code, period)
            if key in first_seen:
                fail(
                    "period",
                    "DUPLICATE_ROW",
                    f"{metric.code} for {period.label} is already row {first_seen[key]}"
                    + (
                        f" (line {rows[first_seen[key]].line})"
                        if rows[first_seen[key]].line
                        else ""
                    )
                    + " of this batch",
                )
            else:
                first_seen[key] = index
        if row_errors:
            errors.extend(row_errors)
        elif metric is not None and period is not None:
            valid.append(_Valid(index, row, metric, period, value, symbol, flags))
    stored = await _stored(session, authority_id, valid)
    errors.extend(_fixed_pseudonymity(valid, stored, pseudonymous))
    errors.extend(await _parts_within_wholes(session, valid, stored))
    errors.sort(key=lambda e: -1 if e.index is None else e.index)
    return valid, errors, own


def _check_range(metric: Metric, value: float, fail: Callable[[str, str, str], None]) -> None:
    if abs(value) > MAX_ABS_VALUE:
        fail("value", "OUT_OF_RANGE", f"{value:g} is out of range")
    elif metric.unit in ("count", "fte") and value < 0:
        fail("value", "NEGATIVE_COUNT", f"{metric.code} counts something: it cannot be negative")
    elif metric.unit in ("percent", "rate") and value < 0:
        fail("value", "NEGATIVE_VALUE", f"{metric.code} cannot be negative")
    elif metric.unit == "percent" and value > 100:
        fail("value", "PERCENT_OVER_100", f"{metric.code} is a percentage: {value:g} is over 100")
    elif metric.unit == "count" and not float(value).is_integer():
        fail("value", "NOT_WHOLE_NUMBER", f"{metric.code} is a count: {value:g} is not whole")


async def _stored(
    session: AsyncSession, authority_id: int, valid: Sequence[_Valid], *, lock: bool = False
) -> dict[tuple[str, PeriodKey], Observation]:
    """The authority's current real rows for the batch's metrics (and their parts and wholes):
    demo rows are a dataset apart, never read or written by a publication."""
    if not valid:
        return {}
    catalogue = _related(await metrics.all_metrics(session), {v.metric.code for v in valid})
    by_metric_id = {m.id: m.code for m in catalogue}
    period_rows = {}
    for key in {v.period for v in valid}:
        found = await periods.get(session, key)
        if found is not None:
            period_rows[found.id] = key
    rows = await observations.for_authority_series(
        session, authority_id, list(by_metric_id), list(period_rows), lock=lock
    )
    return {(by_metric_id[m], period_rows[p]): o for (m, p), o in rows.items()}


def _related(catalogue: Sequence[Metric], codes: set[str]) -> list[Metric]:
    """The batch's metrics, the parts and wholes they name, and the metrics that name them."""
    wanted = set(codes)
    for m in catalogue:
        refs = {c for c in (m.numerator_code, m.denominator_code) if c}
        if m.code in codes:
            wanted |= refs
        elif refs & codes:
            wanted.add(m.code)
            wanted |= refs
    return [m for m in catalogue if m.code in wanted]


def _fixed_pseudonymity(
    valid: Sequence[_Valid], stored: dict[tuple[str, PeriodKey], Observation], pseudonymous: bool
) -> list[RowError]:
    out = []
    for v in valid:
        current = stored.get((v.metric.code, v.period))
        if current is None or current.pseudonymous == pseudonymous:
            continue
        if current.pseudonymous:
            why = (
                "it was published pseudonymously; publishing it under your name would reveal "
                "your pseudonym, and with it every figure you published under that label"
            )
        else:
            why = (
                "it was published under your name and may already have been seen, so it "
                "cannot become pseudonymous"
            )
        out.append(
            RowError(
                v.index,
                "pseudonymous",
                "PSEUDONYMITY_FIXED",
                f"{_where(v.row, v.index)}{v.metric.code} for {v.period.label}: {why}",
                v.row.line,
            )
        )
    return out


async def _parts_within_wholes(
    session: AsyncSession, valid: Sequence[_Valid], stored: dict[tuple[str, PeriodKey], Observation]
) -> list[RowError]:
    """A part (a numerator, or a count with a denominator) cannot exceed its whole."""
    in_batch = {(v.metric.code, v.period): v for v in valid}
    related = _related(await metrics.all_metrics(session), {v.metric.code for v in valid})
    pairs: set[tuple[str, str]] = set()
    for m in related:
        if m.numerator_code and m.denominator_code:
            pairs.add((m.numerator_code, m.denominator_code))
        if m.unit == "count" and m.denominator_code:
            pairs.add((m.code, m.denominator_code))

    def value_of(code: str, period: PeriodKey) -> tuple[float | None, _Valid | None]:
        if (code, period) in in_batch:
            return in_batch[(code, period)].value, in_batch[(code, period)]
        current = stored.get((code, period))
        if current is None or current.withdrawn:
            return None, None
        return current.value, None

    out: list[RowError] = []
    reported: set[int] = set()
    for part, whole in sorted(pairs):
        for period in sorted({v.period for v in valid}, key=lambda p: (p.kind, p.start_year)):
            p_val, p_row = value_of(part, period)
            w_val, w_row = value_of(whole, period)
            if p_val is None or w_val is None or p_val <= w_val:
                continue
            target = p_row or w_row
            if target is None or target.index in reported:
                continue
            reported.add(target.index)
            out.append(
                RowError(
                    target.index,
                    "value",
                    "NUMERATOR_OVER_DENOMINATOR",
                    f"{_where(target.row, target.index)}{part} ({p_val:g}) is more than "
                    f"{whole} ({w_val:g}) for {period.label}: a part cannot exceed its whole",
                    target.row.line,
                )
            )
    return out


def _state(metric: Metric, period: PeriodKey, la_code: str, vals: dict[str, Any]) -> dict[str, Any]:
    return {
        "metric": metric.code,
        "period": period.label,
        "authority": la_code,
        "value": vals.get("value"),
        "symbol": vals.get("symbol"),
        "flags": vals.get("flags", ""),
        "visibility": vals.get("visibility"),
        "pseudonymous": vals.get("pseudonymous"),
        "withdrawn": vals.get("withdrawn", False),
        "is_demo": vals.get("is_demo", False),
        "revision": vals.get("revision"),
    }


def _obs_vals(o: Observation) -> dict[str, Any]:
    return {
        "value": o.value,
        "symbol": o.symbol,
        "flags": o.flags,
        "visibility": o.visibility,
        "pseudonymous": o.pseudonymous,
        "withdrawn": o.withdrawn,
        "is_demo": o.is_demo,
        "revision": o.revision,
    }


def source_for(authority: Authority) -> str:
    return f"Published by the authority ({authority.name}) to DBV Exchange"


async def publish(
    session: AsyncSession,
    viewer: Viewer,
    rows: Sequence[RowInput],
    *,
    visibility: str = "members",
    pseudonymous: bool = False,
    max_rows: int | None = MAX_ROWS,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> PublishResult:
    """Validate every row; when all are good, store them in the caller's transaction."""
    if visibility not in VISIBILITIES:
        raise InvalidInput("visibility", f"visibility is one of {', '.join(VISIBILITIES)}")
    valid, errors, own = await validate(
        session, viewer, rows, pseudonymous=pseudonymous, max_rows=max_rows, now=now
    )
    if errors:
        return PublishResult(errors=errors)
    stamp = now or observations.now()
    period_rows = await periods.ensure(session, {v.period for v in valid})
    current = await _stored(session, own.id, valid, lock=True)
    created_by = f"token:{viewer.token_id}"
    source = (
        "Published pseudonymously by an authority to DBV Exchange"
        if pseudonymous
        else source_for(own)
    )
    new_rows: list[dict[str, Any]] = []
    new_meta: list[_Valid] = []
    changes: list[tuple[int, int, dict[str, Any]]] = []
    result = PublishResult()
    changes_audit: list[audit.Change] = []
    touched: list[int] = []
    for v in valid:
        vals = {
            "value": v.value,
            "symbol": v.symbol,
            "flags": v.flags,
            "source": source,
            "visibility": visibility,
            "pseudonymous": pseudonymous,
            "withdrawn": False,
            "is_demo": False,
            "updated_at": stamp,
            "created_by": created_by,
        }
        existing = current.get((v.metric.code, v.period))
        if existing is None:
            new_rows.append(
                {
                    "metric_id": v.metric.id,
                    "period_id": period_rows[v.period].id,
                    "area_level": "local_authority",
                    "area_code": own.la_code,
                    "authority_id": own.id,
                    "revision": 1,
                    **{k: val for k, val in vals.items() if k != "created_by"},
                }
            )
            new_meta.append(v)
        elif _same(existing, vals):
            result.unchanged += 1
            touched.append(existing.id)
        else:
            revision = existing.revision + 1
            changes.append((existing.id, revision, vals))
            changes_audit.append(
                audit.Change(
                    "observation.publish",
                    "observation",
                    existing.public_id,
                    _state(v.metric, v.period, own.la_code, _obs_vals(existing)),
                    _state(v.metric, v.period, own.la_code, {**vals, "revision": revision}),
                )
            )
            touched.append(existing.id)
        if progress is not None:
            progress(1)
    new_ids = await observations.insert_new(session, new_rows, created_by)
    await observations.add_revisions(session, changes)
    written = await observations.get_many(session, [*new_ids, *(oid for oid, _, _ in changes)])
    await rates.record_written(session, written)
    by_id = {o.id: o for o in await observations.get_many(session, [*new_ids, *touched])}
    for oid, v in zip(new_ids, new_meta, strict=True):
        changes_audit.append(
            audit.Change(
                "observation.publish",
                "observation",
                by_id[oid].public_id,
                None,
                _state(v.metric, v.period, own.la_code, _obs_vals(by_id[oid])),
            )
        )
    await audit.record(session, audit.actor_of(viewer), changes_audit)
    result.created = len(new_ids)
    result.revised = len(changes)
    order = {**{oid: i for i, oid in enumerate(new_ids)}}
    result.observations = sorted(
        by_id.values(), key=lambda o: (order.get(o.id, len(order)), o.metric_id, o.period_id)
    )
    return result


def _same(existing: Observation, vals: dict[str, Any]) -> bool:
    return (
        not existing.withdrawn
        and existing.value == vals["value"]
        and existing.symbol == vals["symbol"]
        and (existing.flags or "") == vals["flags"]
        and existing.visibility == vals["visibility"]
        and existing.pseudonymous == vals["pseudonymous"]
    )


async def withdraw(session: AsyncSession, viewer: Viewer, public_id: str) -> Observation:
    """Withdraw a figure: a new revision that takes it off every read path.

    Anyone but its publisher (or an administrator moderating) gets the same NotFound as for an id
    that does not exist, so the answer says nothing about who published it."""
    scopes.require(
        viewer, Scope.OBSERVATIONS_PUBLISH, Scope.OBSERVATIONS_MODERATE, to="withdraw figures"
    )
    missing = NotFound("no observation you can withdraw has this id", field="id")
    found = await observations.get_by_public_id(session, public_id)
    if found is None:
        raise missing
    metric = (await metrics.get_many(session, [found.metric_id]))[found.metric_id]
    owner = viewer.owns(found.authority_id) and scopes.has(viewer, Scope.OBSERVATIONS_PUBLISH)
    moderator = scopes.has(viewer, Scope.OBSERVATIONS_MODERATE)
    if not metric.self_reported or not (owner or moderator):
        raise missing
    locked = await observations.for_authority_series(
        session,
        found.authority_id or 0,
        [found.metric_id],
        [found.period_id],
        lock=True,
        demo=found.is_demo,
    )
    obs = locked.get((found.metric_id, found.period_id))
    if obs is None:
        raise missing
    if obs.withdrawn:
        raise InvalidInput("id", "this figure is already withdrawn", "ALREADY_WITHDRAWN")
    period = (await periods.get_many(session, [obs.period_id]))[obs.period_id]
    key = PeriodKey(period.kind, period.start_year)
    before = _state(metric, key, obs.area_code, _obs_vals(obs))
    stamp = observations.now()
    vals = {
        "value": None,
        "symbol": "x",
        "flags": "",
        "source": obs.source,
        "visibility": obs.visibility,
        "pseudonymous": obs.pseudonymous,
        "withdrawn": True,
        "is_demo": obs.is_demo,
        "updated_at": stamp,
        "created_by": f"token:{viewer.token_id}",
    }
    revision = obs.revision + 1
    await observations.add_revisions(session, [(obs.id, revision, vals)])
    await rates.record_written(session, await observations.get_many(session, [obs.id]))
    await audit.record(
        session,
        audit.actor_of(viewer),
        [
            audit.Change(
                "observation.withdraw",
                "observation",
                obs.public_id,
                before,
                _state(metric, key, obs.area_code, {**vals, "revision": revision}),
            )
        ],
    )
    refreshed = await observations.get_many(session, [obs.id])
    return refreshed[0]
