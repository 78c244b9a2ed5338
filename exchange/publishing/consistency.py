"""A checked batch against what its authority published before: a figure's pseudonymity is fixed
once published, a part (a numerator, or a count with a denominator) cannot exceed its whole, and a
share whose numerator and denominator are known (in the batch or stored) must agree with them to
the precision it was given (``shares_agree_with_parts``).

Only real rows count: demo rows are a dataset apart, never read or written by a publication.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.comparison import reference
from exchange.comparison.reference import MetricRef
from exchange.observations import repository as observations
from exchange.observations.models import Observation
from exchange.periods import repository as periods
from exchange.periods.labels import PeriodKey
from exchange.publishing.errors import PublishErrorCode
from exchange.publishing.rows import RowError, ValidRow

Stored = dict[tuple[str, PeriodKey], Observation]


async def check_against_stored(
    session: AsyncSession, authority_id: int, valid: Sequence[ValidRow], *, pseudonymous: bool
) -> list[RowError]:
    current = await stored(session, authority_id, valid)
    return [
        *fixed_pseudonymity(valid, current, pseudonymous),
        *await parts_within_wholes(session, valid, current),
        *await shares_agree_with_parts(session, valid, current),
    ]


async def stored(
    session: AsyncSession, authority_id: int, valid: Sequence[ValidRow], *, lock: bool = False
) -> Stored:
    """The authority's current real rows for the batch's metrics (and their parts and wholes)."""
    if not valid:
        return {}
    related = _related(await catalogue(session), {v.metric.code for v in valid})
    by_metric_id = {m.id: m.code for m in related}
    period_rows = {}
    for key in {v.period for v in valid}:
        found = await periods.get(session, key)
        if found is not None:
            period_rows[found.id] = key
    rows = await observations.for_authority_series(
        session, authority_id, list(by_metric_id), list(period_rows), lock=lock
    )
    return {(by_metric_id[m], period_rows[p]): o for (m, p), o in rows.items()}


async def catalogue(session: AsyncSession) -> list[MetricRef]:
    """Every metric, from the reference cache: a batch is checked before anything is written, so
    this is read once per data version, not once per check (six times a publication, before)."""
    return list((await reference.load(session)).metrics.values())


def _related(catalogue: Sequence[MetricRef], codes: set[str]) -> list[MetricRef]:
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


def fixed_pseudonymity(
    valid: Sequence[ValidRow], current: Stored, pseudonymous: bool
) -> list[RowError]:
    out = []
    for v in valid:
        found = current.get((v.metric.code, v.period))
        if found is None or found.pseudonymous == pseudonymous:
            continue
        if found.pseudonymous:
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
            RowError.at(
                v.row,
                v.index,
                "pseudonymous",
                PublishErrorCode.PSEUDONYMITY_FIXED,
                f"{v.metric.code} for {v.period.label}: {why}",
            )
        )
    return out


async def parts_within_wholes(
    session: AsyncSession, valid: Sequence[ValidRow], current: Stored
) -> list[RowError]:
    """Each part against its whole, in the batch or as stored; one error a row at most."""
    in_batch = {(v.metric.code, v.period): v for v in valid}
    pairs = _part_whole_pairs(_related(await catalogue(session), {v.metric.code for v in valid}))

    def value_of(code: str, period: PeriodKey) -> tuple[float | None, ValidRow | None]:
        if (code, period) in in_batch:
            return in_batch[(code, period)].value, in_batch[(code, period)]
        found = current.get((code, period))
        if found is None or found.withdrawn:
            return None, None
        return found.value, None

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
                RowError.at(
                    target.row,
                    target.index,
                    "value",
                    PublishErrorCode.NUMERATOR_OVER_DENOMINATOR,
                    f"{part} ({p_val:g}) is more than {whole} ({w_val:g}) for {period.label}: "
                    "a part cannot exceed its whole",
                )
            )
    return out


def _part_whole_pairs(related: Sequence[MetricRef]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for m in related:
        if m.numerator_code and m.denominator_code:
            pairs.add((m.numerator_code, m.denominator_code))
        if m.unit == "count" and m.denominator_code:
            pairs.add((m.code, m.denominator_code))
    return pairs


# A share is 100 x numerator / denominator (unit percent). "rate" metrics have no scale recorded
# (per 10,000? per 100?), so only percentages are checked.
SHARE_SCALE = {"percent": 100.0}
# Float slack on top of the rounding allowance: relative, for figures given to many places.
FLOAT_SLACK = 1e-9


def decimals_given(raw: float | str | None) -> int | None:
    """How many decimal places the publisher wrote: ``"70.3"`` 1, ``"70"`` or ``70.0`` 0,
    ``"70.30"`` 2. A number sent as a number (GraphQL Float) has lost its trailing zeros: a whole
    number counts as 0 places, anything else as the places of its shortest form. None when it
    cannot be told."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return 0
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None
        if raw.is_integer():
            return 0
        text = repr(raw)
        if "e" in text or "E" in text:
            return None
    else:
        text = raw.strip().rstrip("%").strip()
    if "." not in text:
        return 0
    return sum(1 for ch in text.split(".", 1)[1] if ch.isdigit())


def rounding_allowance(decimals: int | None, expected: float) -> float:
    """How far a share given to ``decimals`` places may be from the exact one: half a unit in its
    last place (70.3 stands for anything in [70.25, 70.35]), plus float slack."""
    slack = FLOAT_SLACK * max(1.0, abs(expected))
    if decimals is None:
        return slack
    return 0.5 * 10.0 ** (-decimals) + slack


async def shares_agree_with_parts(
    session: AsyncSession, valid: Sequence[ValidRow], current: Stored
) -> list[RowError]:
    """Each percentage whose numerator and denominator are known for the same period (each from
    the batch or as stored; at least one of the three in the batch) against 100 x num / den.

    The error goes on the batch's share row, or else on its numerator or denominator row, and
    names the other two rows (line numbers for a CSV, ``observations[i].value`` for the API, or
    "as stored"). One error a row at most."""
    in_batch = {(v.metric.code, v.period): v for v in valid}
    related = _related(await catalogue(session), {v.metric.code for v in valid})
    shares = [
        m for m in related if m.unit in SHARE_SCALE and m.numerator_code and m.denominator_code
    ]

    def known(code: str, period: PeriodKey) -> tuple[float, str, ValidRow | None] | None:
        if (code, period) in in_batch:
            v = in_batch[(code, period)]
            if v.value is None:
                return None
            return v.value, _row_name(v), v
        found = current.get((code, period))
        if found is None or found.withdrawn or found.value is None:
            return None
        return found.value, f"as stored (revision {found.revision})", None

    out: list[RowError] = []
    reported: set[int] = set()
    periods_in_batch = sorted({v.period for v in valid}, key=lambda p: (p.kind, p.start_year))
    for share in sorted(shares, key=lambda m: m.code):
        assert share.numerator_code and share.denominator_code
        for period in periods_in_batch:
            s = known(share.code, period)
            n = known(share.numerator_code, period)
            d = known(share.denominator_code, period)
            if s is None or n is None or d is None or d[0] <= 0:
                continue
            rows = [r for r in (s[2], n[2], d[2]) if r is not None]
            if not rows:
                continue
            expected = SHARE_SCALE[share.unit] * n[0] / d[0]
            # As written in the batch, or a stored share as precise as it was stored.
            places = decimals_given(s[2].row.value if s[2] is not None else s[0])
            allowed = rounding_allowance(places, expected)
            if abs(s[0] - expected) <= allowed:
                continue
            target = rows[0]
            if target.index in reported:
                continue
            reported.add(target.index)
            shown = f"{expected:.{places}f}" if places is not None else f"{expected:g}"
            parts = [
                (share.code, s),
                (share.numerator_code, n),
                (share.denominator_code, d),
            ]
            others = "; ".join(
                f"{code} {_g(val)} ({where})" for code, (val, where, r) in parts if r is not target
            )
            out.append(
                RowError.at(
                    target.row,
                    target.index,
                    "value",
                    PublishErrorCode.SHARE_DISAGREES_WITH_PARTS,
                    f"{share.code} {_g(s[0])} for {period.label} does not agree with "
                    f"{share.numerator_code} {_g(n[0])} of {share.denominator_code} {_g(d[0])}: "
                    f"100 x {_g(n[0])} / {_g(d[0])} = {expected:.4g}"
                    + (
                        f", which to the {places} decimal place{'s' if places != 1 else ''} "
                        f"given is {shown}"
                        if places is not None
                        else ""
                    )
                    + f" (the other rows: {others})",
                )
            )
    return out


def _row_name(v: ValidRow) -> str:
    if v.row.line is not None:
        return f"line {v.row.line}"
    return f"observations[{v.index}].value"


def _g(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.10g}"
