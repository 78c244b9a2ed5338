"""Outcome links and improvers against the real DfE files (an independent csv oracle)."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import update

from exchange.casestudies import outcomes, repository, service
from exchange.casestudies.models import CaseStudy
from exchange.db import transaction
from exchange.errors import InvalidInput, NotFound
from exchange.metrics import repository as metrics
from exchange.observations.models import Observation
from exchange.periods import repository as periods
from exchange.periods.labels import PeriodKey
from exchange.viewer import ANONYMOUS, Viewer
from tests.core.case_study_support import (
    EXCLUSIONS,
    TIMELINESS,
    WEST_BERKSHIRE,
    all_la_codes,
    authority_id,
    case_study_values,
    load_files,
    median_change,
    neighbours,
    publisher,
    suspension_rates,
    timeliness_pct,
)

METRIC = "ehc_issued_20wk_pct"


@pytest_asyncio.fixture
async def data_db(fresh_db: Any) -> Any:
    await load_files(fresh_db, TIMELINESS, EXCLUSIONS)
    return fresh_db


async def _key(db: Any, code: str, start: str, end: str, *, withheld: bool = False) -> Any:
    async with db.sessions() as session:
        metric = await metrics.get_by_code(session, METRIC)
        a = await periods.get(session, PeriodKey("calendar", int(start)))
        b = await periods.get(session, PeriodKey("calendar", int(end)))
    assert metric and a and b
    return outcomes.OutcomeKey(await authority_id(db, code), metric.id, a.id, b.id, withheld)


async def _resolve(db: Any, viewer: Viewer, key: Any) -> outcomes.Outcome:
    async with db.sessions() as session:
        return (await outcomes.resolve(session, viewer, [key]))[0]


async def test_west_berkshire_20_week_rate_63_to_48_beside_its_neighbours(data_db: Any) -> None:
    outcome = await _resolve(
        data_db, ANONYMOUS, await _key(data_db, WEST_BERKSHIRE, "2023", "2024")
    )
    assert outcome.baseline.value == 63.0
    assert outcome.follow_up.value == 48.0
    assert outcome.change == pytest.approx(-15.0)
    assert outcome.direction == "WORSENING"  # higher is better for this metric
    expected, n = median_change(timeliness_pct(), neighbours(WEST_BERKSHIRE), "2023", "2024")
    assert expected is not None
    assert outcome.peer_group == "STATISTICAL_NEIGHBOURS"
    assert outcome.peer_count == n
    assert outcome.peer_median_change == pytest.approx(expected)
    verb = "rose" if expected > 0 else "fell"
    assert outcome.summary is not None
    assert outcome.summary.startswith("down 15 points while statistical neighbours " + verb)


async def test_a_withheld_author_shows_englands_median_change_only(data_db: Any) -> None:
    key = await _key(data_db, WEST_BERKSHIRE, "2023", "2024", withheld=True)
    outcome = await _resolve(data_db, ANONYMOUS, key)
    assert outcome.withheld
    assert outcome.baseline.value is None and outcome.follow_up.value is None
    assert outcome.change is None
    expected, n = median_change(timeliness_pct(), all_la_codes(), "2023", "2024")
    assert outcome.peer_group == "ENGLAND"
    assert outcome.peer_count == n
    assert outcome.peer_median_change == pytest.approx(expected)
    assert outcome.summary is not None and outcome.summary.startswith("England's median")


async def test_a_pseudonymous_figure_never_completes_a_named_series(data_db: Any) -> None:
    key = await _key(data_db, WEST_BERKSHIRE, "2023", "2024")
    async with transaction(data_db.sessions) as session:
        await session.execute(
            update(Observation)
            .where(
                Observation.authority_id == key.authority_id,
                Observation.metric_id == key.metric_id,
                Observation.period_id == key.follow_up_period_id,
            )
            .values(pseudonymous=True)
        )
    seen_by_others = await _resolve(data_db, ANONYMOUS, key)
    assert seen_by_others.baseline.value == 63.0
    assert seen_by_others.follow_up.value is None and seen_by_others.change is None
    seen_by_owner = await _resolve(data_db, await publisher(data_db, WEST_BERKSHIRE), key)
    assert seen_by_owner.follow_up.value == 48.0


async def test_outcomes_for_many_links_resolve_together(data_db: Any) -> None:
    keys = [
        await _key(data_db, WEST_BERKSHIRE, "2023", "2024"),
        await _key(data_db, "872", "2021", "2023"),
        await _key(data_db, WEST_BERKSHIRE, "2023", "2024", withheld=True),
    ]
    async with data_db.sessions() as session:
        found = await outcomes.resolve(session, ANONYMOUS, keys)
    values = timeliness_pct()
    assert found[0].change == pytest.approx(-15.0)
    assert found[1].baseline.value == values[("872", "2021")]
    assert found[1].follow_up.value == values[("872", "2023")]
    assert found[2].withheld and found[2].baseline.value is None


def _ranked(changes: dict[str, float]) -> list[str]:
    return [c for c, _ in sorted(changes.items(), key=lambda kv: -kv[1])]


async def test_improvers_rank_neighbours_by_improvement_higher_is_better(data_db: Any) -> None:
    async with data_db.sessions() as session:
        result = await outcomes.improvers(
            session,
            ANONYMOUS,
            metric_code=METRIC,
            from_label="2023",
            to_label="2024",
            authority_code=WEST_BERKSHIRE,
        )
    values = timeliness_pct()
    group = [WEST_BERKSHIRE, *neighbours(WEST_BERKSHIRE)]
    changes = {
        c: values[(c, "2024")] - values[(c, "2023")]
        for c in group
        if (c, "2023") in values and (c, "2024") in values
    }
    ranked = [e for e in result.entries if e.standing is not None]
    assert ranked[0].authority.la_code == _ranked(changes)[0]
    assert {e.authority.la_code: e.change for e in ranked} == pytest.approx(changes)
    assert all(e.improvement == pytest.approx(e.change) for e in ranked)
    assert [e.standing.rank for e in ranked if e.standing] == sorted(
        e.standing.rank for e in ranked if e.standing
    )
    assert len(result.entries) == 11  # the subject and its ten neighbours
    assert sum(e.is_subject for e in result.entries) == 1
    subject = next(e for e in result.entries if e.is_subject)
    assert subject.change == pytest.approx(-15.0)
    expected, n = median_change(values, neighbours(WEST_BERKSHIRE), "2023", "2024")
    assert result.peer_median_change == pytest.approx(expected) and result.peer_count == n


async def test_improvers_respect_polarity_a_fall_in_suspensions_is_an_improvement(
    data_db: Any,
) -> None:
    async with data_db.sessions() as session:
        result = await outcomes.improvers(
            session,
            ANONYMOUS,
            metric_code="suspension_rate",
            from_label="2021/22",
            to_label="2022/23",
            authority_code=WEST_BERKSHIRE,
        )
    rates = suspension_rates()
    group = [WEST_BERKSHIRE, *neighbours(WEST_BERKSHIRE)]
    falls = {
        c: rates[(c, "2021/22")] - rates[(c, "2022/23")]
        for c in group
        if (c, "2021/22") in rates and (c, "2022/23") in rates
    }
    ranked = [e for e in result.entries if e.standing is not None]
    assert [e.authority.la_code for e in ranked] == _ranked(falls)
    best = ranked[0]
    assert best.change is not None and best.improvement == pytest.approx(-best.change)


async def test_improvers_attach_each_authoritys_named_published_case_studies(
    data_db: Any,
) -> None:
    neighbour = neighbours(WEST_BERKSHIRE)[0]
    author = await publisher(data_db, neighbour)
    link = [service.LinkInput(METRIC, "2023", "2024")]

    async def make(title: str, *, publish: bool = True, **extra: Any) -> CaseStudy:
        async with transaction(data_db.sessions) as session:
            cs = await service.create(
                session,
                author,
                case_study_values(**{"title": title, "outcome_links": link, **extra}),
            )
            if publish:
                await service.publish(session, author, cs.public_id)
            return cs

    shown = await make("Named and published")
    await make("A draft", publish=False)
    await make("Pseudonymous", pseudonymous=True)
    withdrawn = await make("Withdrawn later")
    async with transaction(data_db.sessions) as session:
        await service.withdraw(session, author, withdrawn.public_id)
    await make(
        "Linked to another metric",
        outcome_links=[service.LinkInput("suspension_rate", "2021/22", "2022/23")],
    )
    async with data_db.sessions() as session:
        metric = await metrics.get_by_code(session, METRIC)
        assert metric is not None
        pair = (await authority_id(data_db, neighbour), metric.id)
        found = await repository.published_linked_to(session, [pair])
    assert [c.public_id for c in found[pair]] == [shown.public_id]


async def test_improvers_refuse_periods_in_the_wrong_order_or_without_data(data_db: Any) -> None:
    async with data_db.sessions() as session:
        with pytest.raises(InvalidInput) as order:
            await outcomes.improvers(
                session,
                ANONYMOUS,
                metric_code=METRIC,
                from_label="2024",
                to_label="2023",
                authority_code=WEST_BERKSHIRE,
            )
        with pytest.raises(NotFound) as missing:
            await outcomes.improvers(
                session,
                ANONYMOUS,
                metric_code=METRIC,
                from_label="2010",
                to_label="2024",
                authority_code=WEST_BERKSHIRE,
            )
        with pytest.raises(InvalidInput) as kind:
            await outcomes.improvers(
                session,
                ANONYMOUS,
                metric_code=METRIC,
                from_label="2023",
                to_label="2024/25",
                authority_code=WEST_BERKSHIRE,
            )
    assert (order.value.field, order.value.code) == ("to", "PERIOD_ORDER")
    assert missing.value.field == "from"
    assert (kind.value.field, kind.value.code) == ("to", "WRONG_PERIOD_KIND")


def test_summaries_read_like_a_sentence() -> None:
    assert (
        outcomes.summarise(12.0, 3.0, "STATISTICAL_NEIGHBOURS", "percent")
        == "up 12 points while statistical neighbours rose 3 points"
    )
    assert outcomes.summarise(-150.0, None, "STATISTICAL_NEIGHBOURS", "count") == "down 150"
    assert (
        outcomes.summarise(0.0, -0.25, "STATISTICAL_NEIGHBOURS", "rate")
        == "unchanged while statistical neighbours fell 0.25"
    )
    assert outcomes.summarise(None, None, "ENGLAND", "percent") is None
