"""A checked batch against what its authority published before: a figure's pseudonymity is fixed
once published, and a part (a numerator, or a count with a denominator) cannot exceed its whole.

Only real rows count: demo rows are a dataset apart, never read or written by a publication.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.metrics import repository as metrics
from exchange.metrics.models import Metric
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
    ]


async def stored(
    session: AsyncSession, authority_id: int, valid: Sequence[ValidRow], *, lock: bool = False
) -> Stored:
    """The authority's current real rows for the batch's metrics (and their parts and wholes)."""
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
    pairs = _part_whole_pairs(
        _related(await metrics.all_metrics(session), {v.metric.code for v in valid})
    )

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


def _part_whole_pairs(related: Sequence[Metric]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for m in related:
        if m.numerator_code and m.denominator_code:
            pairs.add((m.numerator_code, m.denominator_code))
        if m.unit == "count" and m.denominator_code:
            pairs.add((m.code, m.denominator_code))
    return pairs
