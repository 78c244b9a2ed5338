"""Synthetic demo values for the self-reported DBV metrics, for every authority.

No public source exists for these figures, so the demo invents plausible ones (fixed seed, so every
installation gets the same). Every row is ``is_demo = True``, members-only, with the source
"Demo data (synthetic, not real)", and the API marks it as demo wherever it is shown. Demo rows are
a dataset apart: a council's own publication never replaces, changes or deletes them, and they play
no part in any decision about real figures (exchange/observations/anonymity.py).

A few authorities in two regions "publish" their demo figures pseudonymously, so the demo shows
pseudonymous entries: six London boroughs (the label shows "London, London borough") and six North
West authorities (the label shows "North West": some authority types there are too rare to name).

Idempotent: a series that already has a demo row is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.metrics import repository as metrics
from exchange.observations import repository as observations
from exchange.periods import repository as periods
from exchange.periods.labels import PeriodKey

DEMO_SOURCE = "Demo data (synthetic, not real)"
SEED = 20250101
YEARS = (2022, 2023, 2024)
PSEUDONYMOUS_REGIONS = {"E12000007": 6, "E12000002": 6}  # London, North West
METRIC_CODES = (
    "hnb_cumulative_deficit_gbp",
    "ep_fte",
    "ep_vacancies",
    "ep_vacancy_rate_pct",
    "annual_reviews_due",
    "annual_reviews_on_time",
    "annual_reviews_on_time_pct",
    "phase_transfer_reviews_due",
    "phase_transfer_reviews_completed",
    "phase_transfer_reviews_completed_pct",
    "ehc_plans_per_10k_0_25",
)
_POPULATION_0_25 = {  # plausible ranges of residents aged 0-25, by authority type
    "london_borough": (55_000, 115_000),
    "county": (150_000, 420_000),
    "metropolitan_district": (60_000, 320_000),
    "unitary": (35_000, 210_000),
}


@dataclass(frozen=True)
class DemoSummary:
    created: int
    pseudonymous_authorities: int


def pseudonymous_demo_authorities(everyone: list[Authority], seed: int = SEED) -> set[int]:
    rng = random.Random(f"{seed}:pseudonymous")
    chosen: set[int] = set()
    for region, n in sorted(PSEUDONYMOUS_REGIONS.items()):
        pool = sorted((a for a in everyone if a.region_code == region), key=lambda a: a.la_code)
        chosen |= {a.id for a in rng.sample(pool, min(n, len(pool)))}
    return chosen


def _values(authority: Authority, seed: int) -> dict[tuple[str, int], float]:
    """Every demo figure of one authority, keyed (metric code, start year)."""
    rng = random.Random(f"{seed}:{authority.la_code}")
    low, high = _POPULATION_0_25.get(authority.type, (40_000, 200_000))
    population = rng.uniform(low, high)
    rate = rng.uniform(280, 560)
    on_time_share = rng.uniform(0.25, 0.9)
    completed_share = rng.uniform(0.45, 0.98)
    ep_per_10k = rng.uniform(0.18, 0.45)
    deficit = population * rng.uniform(-20, 240)
    out: dict[tuple[str, int], float] = {}
    for year in YEARS:
        rate *= rng.uniform(1.04, 1.11)
        plans = population * rate / 10_000
        out[("ehc_plans_per_10k_0_25", year)] = round(rate, 1)
        due = round(plans * rng.uniform(0.85, 0.95))
        on_time_share = min(0.99, max(0.05, on_time_share + rng.uniform(-0.08, 0.08)))
        on_time = round(due * on_time_share)
        out[("annual_reviews_due", year)] = due
        out[("annual_reviews_on_time", year)] = on_time
        out[("annual_reviews_on_time_pct", year)] = round(100 * on_time / due, 1)
        transfer_due = round(plans * rng.uniform(0.10, 0.14))
        completed_share = min(1.0, max(0.2, completed_share + rng.uniform(-0.1, 0.1)))
        completed = round(transfer_due * completed_share)
        out[("phase_transfer_reviews_due", year)] = transfer_due
        out[("phase_transfer_reviews_completed", year)] = completed
        out[("phase_transfer_reviews_completed_pct", year)] = round(
            100 * completed / transfer_due, 1
        )
        fte = round(2 + population / 10_000 * ep_per_10k * rng.uniform(0.85, 1.1), 1)
        vacancies = rng.randint(0, 9)
        out[("ep_fte", year)] = fte
        out[("ep_vacancies", year)] = vacancies
        out[("ep_vacancy_rate_pct", year)] = round(100 * vacancies / (fte + vacancies), 1)
        deficit += population * rng.uniform(8, 90)
        out[("hnb_cumulative_deficit_gbp", year)] = round(deficit, -3)
    return out


async def seed_demo_metrics(session: AsyncSession, seed: int = SEED) -> DemoSummary:
    """Add the demo rows that are missing (flushes; the caller commits)."""
    catalogue = await metrics.get_many_by_code(session, METRIC_CODES)
    if not catalogue:
        return DemoSummary(0, 0)
    everyone = await authorities.all_authorities(session)
    pseudonymous = pseudonymous_demo_authorities(everyone, seed)
    keys = {PeriodKey(m.period_kind, y) for m in catalogue.values() for y in YEARS}
    period_rows = await periods.ensure(session, keys)
    existing = await observations.current_for_metrics(
        session, [m.id for m in catalogue.values()], demo=True
    )
    stamp = observations.now()
    rows: list[dict[str, Any]] = []
    for authority in everyone:
        values = _values(authority, seed)
        for (code, year), value in values.items():
            metric = catalogue.get(code)
            if metric is None:
                continue
            period = period_rows[PeriodKey(metric.period_kind, year)]
            key = (metric.id, period.id, "local_authority", authority.la_code)
            if key in existing:
                continue
            rows.append(
                {
                    "metric_id": metric.id,
                    "period_id": period.id,
                    "area_level": "local_authority",
                    "area_code": authority.la_code,
                    "authority_id": authority.id,
                    "value": float(value),
                    "symbol": None,
                    "flags": "",
                    "source": DEMO_SOURCE,
                    "visibility": "members",
                    "pseudonymous": authority.id in pseudonymous,
                    "withdrawn": False,
                    "is_demo": True,
                    "revision": 1,
                    "updated_at": stamp,
                    # A rate is published beside its numerator (exchange/observations/rates.py).
                    "numerator_floor": (
                        values.get((metric.numerator_code, year))
                        if metric.disclosure_rule == "rate" and metric.numerator_code
                        else None
                    ),
                }
            )
    await observations.insert_new(session, rows, "demo data")
    return DemoSummary(len(rows), len(pseudonymous))
