"""The comparison service on real databases, checked against the reference rules on random data."""

from __future__ import annotations

import random
import statistics

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from exchange.authorities.models import Authority
from exchange.comparison import service
from exchange.comparison.semantics import tidy
from exchange.db import transaction
from exchange.metrics.models import Metric
from exchange.observations import repository as observations
from exchange.periods import repository as periods
from exchange.periods.labels import PeriodKey
from exchange.viewer import ANONYMOUS
from tests.conftest import Database
from tests.core.test_comparison_semantics import reference_rank


async def _seed_random_metric(db: Database, seed: int) -> dict[str, float | None]:
    """A test metric for 2030 with random values (some missing, some symbol-only)."""
    rng = random.Random(seed)
    async with transaction(db.sessions) as s:
        metric = Metric(
            code="test_random",
            name="Random",
            description="test",
            unit="count",
            polarity="lower_is_better",
            theme="test",
            source="test",
            period_kind="calendar",
            disclosure_rule="published",
            disclosure_threshold=5,
        )
        s.add(metric)
        await s.flush()
        period = (await periods.ensure(s, [PeriodKey("calendar", 2030)]))[
            PeriodKey("calendar", 2030)
        ]
        authorities = list((await s.execute(select(Authority))).scalars())
        rows, truth = [], {}
        for a in authorities:
            roll = rng.random()
            if roll < 0.1:
                truth[a.la_code] = None
                continue  # no observation at all
            value = None if roll < 0.2 else float(rng.randint(0, 30))
            truth[a.la_code] = value
            rows.append(
                {
                    "metric_id": metric.id,
                    "period_id": period.id,
                    "area_level": "local_authority",
                    "area_code": a.la_code,
                    "authority_id": a.id,
                    "value": value,
                    "symbol": "c" if value is None else None,
                    "flags": "",
                    "source": "test",
                    "visibility": "public",
                    "pseudonymous": False,
                    "withdrawn": False,
                    "is_demo": False,
                    "revision": 1,
                    "updated_at": observations.now(),
                }
            )
        await observations.insert_new(s, rows, "test")
    return truth


async def test_every_peer_group_matches_the_reference(fresh_db: Database) -> None:
    truth = await _seed_random_metric(fresh_db, 7)
    for group in service.PEER_GROUPS:
        for code in ("869", "202", "330"):
            async with fresh_db.sessions() as s:
                result = await service.compare(
                    s,
                    ANONYMOUS,
                    metric_code="test_random",
                    period_label="2030",
                    authority_code=code,
                    peers=group,
                )
            codes = [e.authority.la_code for e in result.entries]
            assert len(codes) == len(set(codes)) and code in codes
            ranked = {
                e.authority.la_code: e.disclosed.value
                for e in result.entries
                if e.disclosed.value is not None
            }
            for e in result.entries:
                assert e.disclosed.value == truth[e.authority.la_code]
                if e.disclosed.value is None:
                    assert e.standing is None and e.disclosed.symbol in ("c", "x")
                else:
                    assert e.standing is not None
                    assert e.standing.rank == reference_rank(
                        e.disclosed.value, list(ranked.values()), "lower_is_better"
                    )
            peers = [truth[c] for c in codes if c != code]
            disclosed = [v for v in peers if v is not None]
            assert result.stats.count == len(disclosed)
            assert result.stats.suppressed == len(peers) - len(disclosed)
            assert result.stats.median == (
                tidy(statistics.median(disclosed)) if disclosed else None
            )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    members=st.lists(
        st.sampled_from(["869", "825", "850", "931", "867", "202", "330", "919", "873", "886"]),
        min_size=1,
        max_size=10,
        unique=True,
    )
)
async def test_custom_groups_match_the_reference(loaded_db: Database, members: list[str]) -> None:
    async with loaded_db.sessions() as s:
        people = [
            a
            for a in (
                await s.execute(select(Authority).where(Authority.la_code.in_(members)))
            ).scalars()
        ]
        result = await service.compare(
            s,
            ANONYMOUS,
            metric_code="ehc_plans",
            period_label="2024/25",
            authority_code="869",
            custom_members=people,
        )
    assert result.peer_group == "CUSTOM"
    peer_values = [e.disclosed.value for e in result.entries if not e.is_subject]
    assert len(peer_values) == len([m for m in members if m != "869"])
    disclosed = [v for v in peer_values if v is not None]
    assert result.stats.median == (tidy(statistics.median(disclosed)) if disclosed else None)


async def test_any_code_of_an_authority_gives_the_same_comparison(loaded_db: Database) -> None:
    """DfE code, current GSS code and the older GSS code DfE files still use (Buckinghamshire)."""
    answers = []
    for code in ("825", "E06000060", "E10000002", " e10000002 "):
        async with loaded_db.sessions() as s:
            result = await service.compare(
                s, ANONYMOUS, metric_code="ehc_plans", period_label="2024/25", authority_code=code
            )
        answers.append(
            (result.subject.name, result.subject.disclosed, [e.name for e in result.entries])
        )
    assert answers[0][0] == "Buckinghamshire"
    assert all(a == answers[0] for a in answers)
