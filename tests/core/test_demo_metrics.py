"""Demo values for the self-reported DBV metrics: every authority, plausible, marked as demo."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from exchange.db import transaction
from exchange.metrics.models import Metric
from exchange.observations.models import Observation
from seed.demo_metrics import DEMO_SOURCE, METRIC_CODES, YEARS, seed_demo_metrics
from seed.reference import read_catalogue
from tests.conftest import Database, run_graphql
from tests.publishing_support import make_token


def test_catalogue_has_the_self_reported_metrics_with_rules() -> None:
    catalogue = {m["code"]: m for m in read_catalogue()}
    own = {c: m for c, m in catalogue.items() if m.get("self_reported")}
    assert set(METRIC_CODES) == set(own) and len(own) >= 6
    for code, m in own.items():
        assert len(m["description"]) > 80, code  # a definition an officer can follow
        rule = m["disclosure_rule"]
        if m["unit"] == "count":
            assert rule == "count", code
        if rule == "rate":
            assert catalogue[m["numerator_code"]]["unit"] == "count", code
    # An amount in pounds grows with the authority: never better or worse (docs/metrics.md);
    # the DSG balance as a share of the grant is what compares.
    assert own["hnb_cumulative_deficit_gbp"]["polarity"] == "neutral"
    assert catalogue["dsg_cumulative_balance_pct"]["polarity"] == "higher_is_better"
    assert own["ep_vacancy_rate_pct"]["numerator_code"] == "ep_vacancies"


async def test_demo_values_for_every_authority_idempotent_and_plausible(
    fresh_db: Database,
) -> None:
    async with transaction(fresh_db.sessions) as s:
        first = await seed_demo_metrics(s)
    async with transaction(fresh_db.sessions) as s:
        again = await seed_demo_metrics(s)
    assert first.created == 153 * len(METRIC_CODES) * len(YEARS)
    assert again.created == 0
    async with fresh_db.sessions() as s:
        rows = list(
            (
                await s.execute(
                    select(Metric.code, Observation)
                    .join(Metric, Metric.id == Observation.metric_id)
                    .where(Metric.self_reported.is_(True))
                )
            ).all()
        )
        total = (await s.execute(select(func.count(Observation.id)))).scalar_one()
    assert total == len(rows)
    assert all(o.is_demo and o.source == DEMO_SOURCE and o.visibility == "members" for _, o in rows)
    by = defaultdict(dict)
    for code, o in rows:
        by[(o.area_code, o.period_id)][code] = o.value
    for values in by.values():
        if "ep_vacancies" in values:
            assert 0 <= values["ep_vacancies"] <= 9 and 2 <= values["ep_fte"] <= 60
            assert 0 <= values["ep_vacancy_rate_pct"] <= 100
        if "annual_reviews_due" in values:
            assert 0 < values["annual_reviews_on_time"] <= values["annual_reviews_due"]
            assert 0 <= values["annual_reviews_on_time_pct"] <= 100
        if "phase_transfer_reviews_due" in values:
            assert (
                values["phase_transfer_reviews_completed"] <= values["phase_transfer_reviews_due"]
            )
        if "ehc_plans_per_10k_0_25" in values:
            assert 200 < values["ehc_plans_per_10k_0_25"] < 1000
    deficits = [o.value for c, o in rows if c == "hnb_cumulative_deficit_gbp"]
    assert max(deficits) > 10_000_000 and min(deficits) < max(deficits)


async def test_demo_data_is_shown_as_demo(fresh_db: Database) -> None:
    async with transaction(fresh_db.sessions) as s:
        await seed_demo_metrics(s)
    analyst, _ = await make_token(fresh_db, role="analyst")
    out = await run_graphql(
        fresh_db,
        '{ comparison(metric: "ep_fte", period: "2024/25", authority: "869") '
        "{ subject { value isDemo } entries { isDemo } } "
        'trend(metric: "annual_reviews_on_time_pct", authority: "869") '
        "{ points { isDemo value } } "
        'observations(filter: {metrics: ["ep_fte"], authorities: ["869"]}) '
        "{ edges { node { isDemo source } } } }",
        None,
        analyst,
    )
    assert "errors" not in out, out
    assert out["data"]["comparison"]["subject"]["isDemo"] is True
    assert all(e["isDemo"] for e in out["data"]["comparison"]["entries"])
    assert [p["isDemo"] for p in out["data"]["trend"]["points"]] == [True, True, True]
    node = out["data"]["observations"]["edges"][0]["node"]
    assert node == {"isDemo": True, "source": "Demo data (synthetic, not real)"}
