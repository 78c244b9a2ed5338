"""Publishing: validation of whole batches, all-or-nothing writes, revisions, withdrawal, audit,
disclosure of self-published figures, and concurrent publishers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from exchange.audit.models import AuditEntry
from exchange.authorities.models import Authority
from exchange.db import transaction
from exchange.errors import PermissionDenied, Unauthenticated
from exchange.metrics.models import Metric
from exchange.observations.models import Observation, ObservationRevision
from exchange.periods.models import Period
from exchange.publishing import service as publishing
from exchange.publishing.errors import PublishErrorCode
from exchange.publishing.retry import with_retries
from exchange.viewer import ANONYMOUS
from seed.demo_metrics import DEMO_SOURCE, pseudonymous_demo_authorities, seed_demo_metrics
from tests.conftest import Database, run_graphql
from tests.publishing_support import make_token, publish, row

LIST = """query($m: [String!], $a: [String!]) {
  observations(filter: {metrics: $m, authorities: $a}, first: 100) {
    totalCount edges { node { id value symbol revision isDemo visibility authority { laCode } } }
  }
}"""


async def _counts(db: Database) -> dict[str, int]:
    async with db.sessions() as s:
        out = {}
        for name, model in (
            ("observations", Observation),
            ("revisions", ObservationRevision),
            ("audit", AuditEntry),
            ("periods", Period),
        ):
            out[name] = int((await s.execute(select(func.count()).select_from(model))).scalar_one())
        return out


async def test_every_bad_row_is_reported_and_nothing_is_stored(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    await publish(fresh_db, viewer, [row("ep_fte", "2023/24", 10)])  # something already there
    before = await _counts(fresh_db)
    rows = [
        row("ep_fte", "2024/25", 12.5),  # 0: fine on its own
        row("no_such_metric", "2024/25", 1),  # 1
        row("ehc_plans", "2024/25", 1000),  # 2: a DfE statistic
        row("ep_fte", "2024", 3),  # 3: calendar year for an academic metric
        row("ep_vacancies", "24/25", 3),  # 4: malformed
        row("ep_vacancies", "2024/25", -2),  # 5
        row("annual_reviews_on_time_pct", "2024", 100.5),  # 6
        row("ep_fte", "2024/25", 13),  # 7: duplicate of row 0
        row("ep_vacancy_rate_pct", "2024/25", 10, authority="330"),  # 8: Birmingham
        row("annual_reviews_due", "2024", 100),  # 9: whole for row 10
        row("annual_reviews_on_time", "2024", 120),  # 10: part over whole
        row("ep_vacancies", "2023/24", 2.5),  # 11: not a whole count
        row("ep_fte", "2030/31", 9),  # 12: future
        row("ep_fte", "2022/23", "lots"),  # 13
        row("ep_fte", "2021/22"),  # 14: neither value nor symbol
        row("ep_fte", "2020/21", 4, symbol="c"),  # 15
        row("ep_fte", "2019/20", symbol="q"),  # 16
        row("ep_fte", "2018/19", 4, flags="pz"),  # 17
        row("ep_vacancies", "2024/26", 3),  # 18: the second year does not follow the first
    ]
    result = await publish(fresh_db, viewer, rows)
    got = {(e.index, e.code) for e in result.errors}
    expected = {
        (1, "UNKNOWN_METRIC"),
        (2, "NOT_SELF_REPORTED"),
        (3, "WRONG_PERIOD_KIND"),
        (4, "MALFORMED_PERIOD"),
        (5, "NEGATIVE_COUNT"),
        (6, "PERCENT_OVER_100"),
        (7, "DUPLICATE_ROW"),
        (8, "NOT_YOUR_AUTHORITY"),
        (10, "NUMERATOR_OVER_DENOMINATOR"),
        (11, "NOT_WHOLE_NUMBER"),
        (12, "FUTURE_PERIOD"),
        (13, "NOT_A_NUMBER"),
        (14, "MISSING_VALUE"),
        (15, "SYMBOL_WITH_VALUE"),
        (16, "UNKNOWN_SYMBOL"),
        (17, "UNKNOWN_FLAG"),
        (18, "MALFORMED_PERIOD"),
    }
    assert expected <= got, sorted(expected - got)
    fields = {(e.index, e.code): e.field for e in result.errors}
    assert fields[(4, "MALFORMED_PERIOD")] == fields[(18, "MALFORMED_PERIOD")] == "period"
    assert fields[(5, "NEGATIVE_COUNT")] == fields[(6, "PERCENT_OVER_100")] == "value"
    assert fields[(1, "UNKNOWN_METRIC")] == "metric"
    assert not any(e.index in (0, 9) for e in result.errors)
    assert all(e.message and e.field for e in result.errors)
    assert all(type(e.code) is PublishErrorCode for e in result.errors)  # as the schema lists
    assert result.observations == [] and result.created == 0
    assert await _counts(fresh_db) == before


async def test_batch_limits(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    before = await _counts(fresh_db)
    many = [row("ep_fte", f"{1990 + i % 30}/{(91 + i % 30) % 100:02d}", 1) for i in range(501)]
    result = await publish(fresh_db, viewer, many)
    assert [(e.index, e.code) for e in result.errors] == [(None, "TOO_MANY_ROWS")]
    assert [e.code for e in (await publish(fresh_db, viewer, [])).errors] == ["NO_ROWS"]
    assert await _counts(fresh_db) == before


async def test_only_publishers_publish_and_only_for_themselves(fresh_db: Database) -> None:
    analyst, _ = await make_token(fresh_db, role="analyst")
    read_only, _ = await make_token(fresh_db, scopes=["read:members"])
    rows = [row("ep_fte", "2024/25", 1)]
    with pytest.raises(Unauthenticated):
        await publish(fresh_db, ANONYMOUS, rows)
    for viewer in (analyst, read_only):
        with pytest.raises(PermissionDenied):
            await publish(fresh_db, viewer, rows)
    west_berks, _ = await make_token(fresh_db, authority="869")
    ok = await publish(fresh_db, west_berks, [row("ep_fte", "2024/25", 1, authority="E06000037")])
    assert ok.created == 1 and ok.observations[0].area_code == "869"


async def test_republishing_adds_revisions_and_history(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    first = await publish(fresh_db, viewer, [row("ep_fte", "2024/25", 12.5, flags="p")])
    assert (first.created, first.revised, first.unchanged) == (1, 0, 0)
    same = await publish(fresh_db, viewer, [row("ep_fte", "2024/25", 12.5, flags="p")])
    assert (same.created, same.revised, same.unchanged) == (0, 0, 1)
    changed = await publish(fresh_db, viewer, [row("ep_fte", "2024/25", 13.0, flags="r")])
    assert (changed.created, changed.revised) == (0, 1)
    public = await publish(
        fresh_db, viewer, [row("ep_fte", "2024/25", 13.0, flags="r")], visibility="public"
    )
    assert public.revised == 1
    obs_id = first.observations[0].public_id
    from schema.ids import Signer

    gid = Signer(fresh_db.settings.secret_key).global_id("Observation", obs_id)
    history = await run_graphql(
        fresh_db,
        "query($id: ID!) { observationHistory(id: $id) { observation { value revision flags } "
        "revisions { revision value flags withdrawn publishedAt } } }",
        {"id": gid},
        viewer,
    )
    h = history["data"]["observationHistory"]
    assert h["observation"] == {"value": 13.0, "revision": 3, "flags": "r"}
    assert [(r["revision"], r["value"], r["flags"]) for r in h["revisions"]] == [
        (1, 12.5, "p"),
        (2, 13.0, "r"),
        (3, 13.0, "r"),
    ]
    async with fresh_db.sessions() as s:
        audit = list((await s.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())
    publishes = [a for a in audit if a.action == "observation.publish"]
    assert len(publishes) == 3  # the unchanged re-send wrote nothing
    assert publishes[0].before is None and publishes[0].after["value"] == 12.5
    assert publishes[1].before["value"] == 12.5 and publishes[1].after["value"] == 13.0
    assert publishes[2].before["visibility"] == "members"
    assert publishes[2].after["visibility"] == "public"
    assert {a.actor_token_id for a in publishes} == {viewer.token_id}
    assert {a.actor_authority_id for a in publishes} == {viewer.authority_id}


async def test_withdrawal_is_a_revision_and_hides_the_figure(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    other, _ = await make_token(fresh_db, authority="330")
    analyst, _ = await make_token(fresh_db, role="analyst")
    published = await publish(
        fresh_db, viewer, [row("ep_fte", "2024/25", 12.5)], visibility="public"
    )
    public_id = published.observations[0].public_id

    async def withdraw(v: Any) -> Any:
        return await with_retries(
            lambda: transaction(fresh_db.sessions),
            lambda s: publishing.withdraw(s, v, public_id),
        )

    from exchange.errors import InvalidInput, NotFound

    with pytest.raises(NotFound) as refused:
        await withdraw(other)
    assert refused.value.message == "no observation you can withdraw has this id"
    # A token without the scope is refused before the id is looked up: the same for every id.
    with pytest.raises(PermissionDenied, match="observations:publish"):
        await withdraw(analyst)
    done = await withdraw(viewer)
    assert done.withdrawn and done.revision == 2
    with pytest.raises(InvalidInput):
        await withdraw(viewer)
    listed = await run_graphql(fresh_db, LIST, {"m": ["ep_fte"], "a": None})
    assert listed["data"]["observations"]["totalCount"] == 0
    again = await publish(fresh_db, viewer, [row("ep_fte", "2024/25", 12.0)], visibility="public")
    assert again.revised == 1 and again.observations[0].revision == 3
    async with fresh_db.sessions() as s:
        actions = list(
            (await s.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars()
        )
    assert actions.count("observation.withdraw") == 1


async def test_parts_cannot_exceed_wholes_across_batches(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    await publish(fresh_db, viewer, [row("annual_reviews_due", "2024", 100)])
    over = await publish(fresh_db, viewer, [row("annual_reviews_on_time", "2024", 101)])
    assert [e.code for e in over.errors] == ["NUMERATOR_OVER_DENOMINATOR"]
    assert "annual_reviews_due (100)" in over.errors[0].message
    ok = await publish(
        fresh_db,
        viewer,
        [row("annual_reviews_due", "2024", 200), row("annual_reviews_on_time", "2024", 150)],
    )
    assert ok.ok and ok.created == 1 and ok.revised == 1
    shrink = await publish(fresh_db, viewer, [row("annual_reviews_due", "2024", 149)])
    assert [(e.index, e.code) for e in shrink.errors] == [(0, "NUMERATOR_OVER_DENOMINATOR")]


async def test_pseudonymity_of_a_figure_is_fixed(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    await publish(fresh_db, viewer, [row("ep_fte", "2024/25", 12.5)])
    switch = await publish(fresh_db, viewer, [row("ep_fte", "2024/25", 12.5)], pseudonymous=True)
    assert [e.code for e in switch.errors] == ["PSEUDONYMITY_FIXED"]
    await publish(fresh_db, viewer, [row("ep_fte", "2023/24", 11)], pseudonymous=True)
    back = await publish(fresh_db, viewer, [row("ep_fte", "2023/24", 11)])
    assert [e.code for e in back.errors] == ["PSEUDONYMITY_FIXED"]
    assert "reveal your pseudonym" in back.errors[0].message


async def _all_demo_rows(db: Database) -> list[tuple[Any, ...]]:
    async with db.sessions() as s:
        rows = await s.execute(
            select(
                Observation.id,
                Observation.public_id,
                Observation.value,
                Observation.pseudonymous,
                Observation.revision,
                Observation.updated_at,
            )
            .where(Observation.is_demo.is_(True))
            .order_by(Observation.id)
        )
        return [tuple(r) for r in rows.all()]


@pytest.mark.parametrize("pseudonymous", [False, True])
async def test_a_real_figure_leaves_every_demo_row_as_it_was(
    fresh_db: Database, pseudonymous: bool
) -> None:
    """Demo rows are a dataset apart: publishing a real figure for a cell that has a demo one (the
    council's own, named or pseudonymous) neither deletes nor changes any demo row. Removing the
    demo row at that moment is what let anyone line a new pseudonymous label up with its council."""
    async with transaction(fresh_db.sessions) as s:
        await seed_demo_metrics(s)
    before = await _all_demo_rows(fresh_db)
    async with fresh_db.sessions() as s:
        everyone = list((await s.execute(select(Authority).order_by(Authority.la_code))).scalars())
    # An authority whose demo figures are pseudonymous, and one whose are named.
    demo_pseudonymous = pseudonymous_demo_authorities(everyone)
    for authority in (next(a for a in everyone if a.id in demo_pseudonymous), everyone[0]):
        viewer, _ = await make_token(fresh_db, authority=authority.la_code)
        async with fresh_db.sessions() as s:
            demo = (
                (
                    await s.execute(
                        select(Observation).where(
                            Observation.authority_id == authority.id,
                            Observation.is_demo.is_(True),
                        )
                    )
                )
                .scalars()
                .first()
            )
            assert demo is not None and demo.source == DEMO_SOURCE
            metric = await s.get(Metric, demo.metric_id)
            period = await s.get(Period, demo.period_id)
        assert metric is not None and period is not None
        result = await publish(
            fresh_db, viewer, [row(metric.code, period.label, 1)], pseudonymous=pseudonymous
        )
        assert result.ok, result.errors
        new = result.observations[0]
        assert not new.is_demo and new.revision == 1 and new.public_id != demo.public_id
        async with fresh_db.sessions() as s:
            entry = (
                (await s.execute(select(AuditEntry).where(AuditEntry.entity_id == new.public_id)))
                .scalars()
                .one()
            )
        assert entry.before is None  # a new real series, not a change to the demo one
    assert await _all_demo_rows(fresh_db) == before


async def test_self_published_figures_default_to_members_and_are_disclosure_controlled(
    fresh_db: Database,
) -> None:
    publisher, _ = await make_token(fresh_db)
    analyst, _ = await make_token(fresh_db, role="analyst")
    await publish(
        fresh_db,
        publisher,
        [
            row("ep_fte", "2024/25", 12.5),
            row("ep_vacancies", "2024/25", 3),
            row("ep_vacancy_rate_pct", "2024/25", 19.4),
        ],
    )
    anonymous = await run_graphql(fresh_db, LIST, {"m": ["ep_fte", "ep_vacancies"], "a": None})
    assert anonymous["data"]["observations"]["totalCount"] == 0
    member = await run_graphql(
        fresh_db, LIST, {"m": ["ep_vacancies", "ep_vacancy_rate_pct"], "a": None}, analyst
    )
    nodes = [e["node"] for e in member["data"]["observations"]["edges"]]
    assert [(n["value"], n["symbol"]) for n in nodes] == [(None, "c"), (None, "c")]
    assert {n["visibility"] for n in nodes} == {"MEMBERS"}
    own = await run_graphql(
        fresh_db, LIST, {"m": ["ep_vacancies", "ep_vacancy_rate_pct"], "a": None}, publisher
    )
    assert [e["node"]["value"] for e in own["data"]["observations"]["edges"]] == [3.0, 19.4]
    # Revising only the numerator does not unlock the stale rate: 19.4 was computed from 3, and
    # beside ep_fte 12.5 it gives the 3 back (0.194 × 12.5 / 0.806 = 3).
    await publish(fresh_db, publisher, [row("ep_vacancies", "2024/25", 5)])
    member = await run_graphql(
        fresh_db, LIST, {"m": ["ep_vacancies", "ep_vacancy_rate_pct"], "a": None}, analyst
    )
    nodes = [e["node"] for e in member["data"]["observations"]["edges"]]
    assert [(n["value"], n["symbol"]) for n in nodes] == [(5.0, None), (None, "c")]
    # Republished beside the larger numerator, the rate is shown.
    await publish(fresh_db, publisher, [row("ep_vacancy_rate_pct", "2024/25", 28.6)])
    member = await run_graphql(
        fresh_db, LIST, {"m": ["ep_vacancies", "ep_vacancy_rate_pct"], "a": None}, analyst
    )
    assert [e["node"]["value"] for e in member["data"]["observations"]["edges"]] == [5.0, 28.6]


async def test_concurrent_first_publications_of_one_series(fresh_db: Database) -> None:
    one, _ = await make_token(fresh_db)
    two, _ = await make_token(fresh_db)
    results = await asyncio.gather(
        publish(fresh_db, one, [row("ep_fte", "2024/25", 1.0)]),
        publish(fresh_db, two, [row("ep_fte", "2024/25", 2.0)]),
    )
    assert sorted((r.created, r.revised) for r in results) == [(0, 1), (1, 0)]
    async with fresh_db.sessions() as s:
        revs = list((await s.execute(select(ObservationRevision.revision))).scalars())
    assert sorted(revs) == [1, 2]
