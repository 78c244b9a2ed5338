"""The numerator floor of rate figures: what a rate's current revision has stood beside.

A rate (``disclosure_rule = "rate"``) is shown only when its numerator is at least the threshold.
Checking only today's numerator is not enough: publish ``ep_vacancies`` = 3 (suppressed) beside
``ep_vacancy_rate_pct`` = 19.4 and ``ep_fte`` = 12.5, then revise only the vacancies to 8, and the
stale 19.4 would be served although 0.194 × 12.5 / 0.806 gives the 3 back. So each rate row keeps
the smallest numerator value its current revision has stood beside: the numerator in force when
the rate was (re)published, and every later one. Every write of a rate or of a numerator updates
it in the same transaction; disclosure control (exchange/observations/disclosure.py) reads it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.metrics import repository as metrics
from exchange.observations import repository
from exchange.observations.models import Observation

_RESET, _LOWER = "reset", "lower"


class Linked(Protocol):
    """What the floors need of a metric (a Metric row, or the reference cache's copy)."""

    @property
    def id(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def numerator_code(self) -> str | None: ...
    @property
    def disclosure_rule(self) -> str: ...


async def record_written(
    session: AsyncSession,
    written: Sequence[Observation],
    catalogue: Sequence[Linked] | None = None,
) -> None:
    """Update the floors after ``written`` (current rows just created, revised or withdrawn).

    ``catalogue`` is every metric, where the caller has it (read before it wrote anything)."""
    if catalogue is None:
        catalogue = await metrics.all_metrics(session)
    by_id = {m.id: m for m in catalogue}
    by_code = {m.code: m for m in catalogue}
    rates_of: dict[int, list[int]] = defaultdict(list)  # numerator metric id -> rate metric ids
    numerator_of: dict[int, int] = {}  # rate metric id -> numerator metric id
    for m in catalogue:
        part = by_code.get(m.numerator_code or "")
        if m.disclosure_rule == "rate" and part is not None:
            rates_of[part.id].append(m.id)
            numerator_of[m.id] = part.id
    # (authority, demo) -> {(rate metric, period): mode}
    wanted: dict[tuple[int, bool], dict[tuple[int, int], str]] = defaultdict(dict)
    for o in written:
        if o.authority_id is None or o.metric_id not in by_id:
            continue
        cells = wanted[(o.authority_id, o.is_demo)]
        if o.metric_id in numerator_of:
            cells[(o.metric_id, o.period_id)] = _RESET  # a new rate revision starts afresh
        for rate_id in rates_of.get(o.metric_id, []):
            cells.setdefault((rate_id, o.period_id), _LOWER)
    for (authority_id, demo), cells in wanted.items():
        metric_ids = {m for m, _ in cells} | {numerator_of[m] for m, _ in cells}
        rows = await repository.for_authority_series(
            session, authority_id, sorted(metric_ids), sorted({p for _, p in cells}), demo=demo
        )
        for (rate_id, period_id), mode in cells.items():
            rate = rows.get((rate_id, period_id))
            if rate is None:
                continue
            numerator = rows.get((numerator_of[rate_id], period_id))
            value = None if numerator is None or numerator.withdrawn else numerator.value
            if mode == _RESET or rate.numerator_floor is None or value is None:
                floor = value if mode == _RESET else None
            else:
                floor = min(rate.numerator_floor, value)
            if floor != rate.numerator_floor:
                await session.execute(
                    update(Observation)
                    .where(Observation.id == rate.id)
                    .values(numerator_floor=floor)
                )
