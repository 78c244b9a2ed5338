"""Disclosure control, property-tested: nothing any viewer can ask depends on a value it may not see.

Hypothesis generates self-reported data (counts, some below the threshold, some members-only, and
rates whose numerator is that count) and a battery of queries: comparisons against every named
peer group and random custom groups, for two periods and two subjects; trends; observation lists
with metric, authority and period filters and several page windows. Then it changes one value the
viewer may not see (a suppressed count to another small count, a suppressed rate to any rate, or a
members-only figure for an anonymous viewer, even deleting it) and asks everything again.

Every answer must be identical. If the answers cannot tell two values apart, no combination of
them (peerMean x peerCount differences, totals, ranks, pages, counts) can recover the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities.models import Authority
from exchange.comparison import service as comparison
from exchange.errors import DomainError
from exchange.metrics.models import Metric
from exchange.observations import repository as observations
from exchange.observations import service as listing
from exchange.observations.models import Observation, ObservationRevision
from exchange.periods import repository as periods
from exchange.periods.labels import PeriodKey
from exchange.pseudonyms import Pseudonymiser
from exchange.viewer import ANONYMOUS, Viewer
from tests.conftest import Database

# South East authorities (a REGION group), West Berkshire's statistical neighbours and a few more.
POOL = [
    "869", "867", "868", "870", "871", "872", "825", "850", "931", "886",
    "936", "938", "826", "921", "851", "852", "202", "330", "919", "873",
]  # fmt: skip
PERIODS = (2031, 2032)
THRESHOLD = 5


@dataclass(frozen=True)
class Cell:
    la_code: str
    year: int
    count: int | None  # None: no row
    count_visibility: str
    rate: float | None
    rate_visibility: str


cells = st.builds(
    Cell,
    la_code=st.sampled_from(POOL),
    year=st.sampled_from(PERIODS),
    count=st.one_of(st.none(), st.integers(0, 12), st.integers(0, 4)),
    count_visibility=st.sampled_from(["public", "members"]),
    rate=st.one_of(st.none(), st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1))),
    rate_visibility=st.sampled_from(["public", "members"]),
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(st.lists(cells, min_size=3, max_size=30, unique_by=lambda c: (c.la_code, c.year)))
    viewer = draw(st.sampled_from(["anonymous", "analyst", "other_publisher"]))
    polarity = draw(st.sampled_from(["higher_is_better", "lower_is_better", "neutral"]))
    customs = draw(
        st.lists(st.lists(st.sampled_from(POOL), min_size=1, max_size=8, unique=True), max_size=2)
    )
    subjects = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=2, unique=True))
    author_filters = draw(
        st.lists(st.lists(st.sampled_from(POOL), min_size=1, max_size=5, unique=True), max_size=2)
    )
    return {
        "data": data,
        "viewer": viewer,
        "polarity": polarity,
        "customs": customs,
        "subjects": subjects,
        "author_filters": author_filters,
        "choice": draw(st.integers(0, 10_000)),
        "alt_small": draw(st.integers(0, THRESHOLD - 1)),
        "alt_any": draw(st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1))),
        "delete": draw(st.booleans()),
    }


async def _setup(s: AsyncSession, sc: dict[str, Any]) -> dict[tuple[str, str, int], int]:
    count = Metric(
        code="prop_count", name="c", description="d", unit="count", polarity=sc["polarity"],
        theme="t", source="s", period_kind="calendar", disclosure_rule="count",
        disclosure_threshold=THRESHOLD, self_reported=True,
    )  # fmt: skip
    rate = Metric(
        code="prop_rate", name="r", description="d", unit="percent", polarity=sc["polarity"],
        theme="t", source="s", period_kind="calendar", disclosure_rule="rate",
        disclosure_threshold=THRESHOLD, numerator_code="prop_count", self_reported=True,
    )  # fmt: skip
    s.add_all([count, rate])
    await s.flush()
    keys = [PeriodKey("calendar", y) for y in PERIODS]
    period_rows = await periods.ensure(s, keys)
    people = {
        a.la_code: a
        for a in (await s.execute(select(Authority).where(Authority.la_code.in_(POOL)))).scalars()
    }
    rows, where = [], []
    for c in sc["data"]:
        for metric, value, vis in (
            (count, c.count, c.count_visibility),
            (rate, c.rate, c.rate_visibility),
        ):
            if value is None:
                continue
            rows.append(
                {
                    "metric_id": metric.id,
                    "period_id": period_rows[PeriodKey("calendar", c.year)].id,
                    "area_level": "local_authority",
                    "area_code": c.la_code,
                    "authority_id": people[c.la_code].id,
                    "value": float(value),
                    "symbol": None,
                    "flags": "",
                    "source": "test",
                    "visibility": vis,
                    "pseudonymous": False,
                    "withdrawn": False,
                    "is_demo": False,
                    "revision": 1,
                    "updated_at": observations.now(),
                }
            )
            where.append((metric.code, c.la_code, c.year))
    ids = await observations.insert_new(s, rows, "test")
    return dict(zip(where, ids, strict=True))


async def _viewer(s: AsyncSession, kind: str, target_la: str) -> Viewer:
    if kind == "anonymous":
        return ANONYMOUS
    if kind == "analyst":
        return Viewer(role="analyst", token_id=1, scopes=frozenset({"read:members"}))
    other = next(c for c in POOL if c != target_la)
    found = (await s.execute(select(Authority).where(Authority.la_code == other))).scalar_one()
    return Viewer(role="publisher", authority_id=found.id, token_id=2, scopes=frozenset())


async def _answer(call: Any, shape: Any) -> Any:
    """The answer, or the error the viewer would get instead (errors must not differ either)."""
    try:
        return shape(await call)
    except DomainError as exc:
        return ("error", exc.code, exc.field, exc.message)


def _cmp(c: comparison.Comparison) -> tuple[Any, ...]:
    return (
        c.peer_group,
        tuple(
            (
                e.name,
                e.is_subject,
                e.disclosed.value,
                e.disclosed.symbol,
                e.standing.rank if e.standing else None,
                e.standing.percentile if e.standing else None,
                e.standing.quartile if e.standing else None,
            )
            for e in c.entries
        ),
        c.stats,
        c.england,
        c.region,
    )


async def _battery(s: AsyncSession, viewer: Viewer, sc: dict[str, Any]) -> list[Any]:
    s.expire_all()
    secret = Pseudonymiser("property-test")
    people = {
        a.la_code: a
        for a in (await s.execute(select(Authority).where(Authority.la_code.in_(POOL)))).scalars()
    }
    out: list[Any] = []
    for metric in ("prop_count", "prop_rate"):
        for subject in sc["subjects"]:
            for year in PERIODS:
                for group in comparison.PEER_GROUPS:
                    out.append(
                        await _answer(
                            comparison.compare(
                                s, viewer, metric_code=metric, period_label=str(year),
                                authority_code=subject, peers=group, pseudonymiser=secret,
                            ),
                            _cmp,
                        )
                    )  # fmt: skip
                for members in sc["customs"]:
                    out.append(
                        await _answer(
                            comparison.compare(
                                s, viewer, metric_code=metric, period_label=str(year),
                                authority_code=subject,
                                custom_members=[people[m] for m in members], pseudonymiser=secret,
                            ),
                            _cmp,
                        )
                    )  # fmt: skip
            for group in ("STATISTICAL_NEIGHBOURS", "REGION", "ENGLAND"):
                t = await comparison.trend(
                    s, viewer, metric_code=metric, authority_code=subject, peers=group,
                    pseudonymiser=secret,
                )  # fmt: skip
                out.append(
                    (
                        t.direction,
                        tuple(
                            (p.period.label, p.value, p.peer_median, p.peer_count, p.direction)
                            for p in t.points
                        ),
                    )
                )
    filters: list[dict[str, Any]] = [
        {"metric_codes": ["prop_count"], "authority_codes": None, "period_labels": None},
        {"metric_codes": ["prop_count", "prop_rate"], "authority_codes": None,
         "period_labels": [str(PERIODS[0])]},
    ]  # fmt: skip
    filters += [
        {"metric_codes": ["prop_rate", "prop_count"], "authority_codes": a, "period_labels": None}
        for a in sc["author_filters"]
    ]
    for f in filters:
        for offset, limit in ((0, 100), (0, 3), (3, 3), (7, 5)):
            shown, total = await listing.list_observations(
                s, viewer, offset=offset, limit=limit, pseudonymiser=secret, **f
            )
            out.append(
                (
                    total,
                    tuple(
                        (
                            x.observation.public_id,
                            x.metric.code,
                            x.disclosed.value,
                            x.disclosed.symbol,
                        )
                        for x in shown
                    ),
                )
            )
    return out


def _hidden_targets(
    sc: dict[str, Any], ids: dict[tuple[str, str, int], int]
) -> list[tuple[str, Cell]]:
    """Values this kind of viewer may not see: (what to change, where)."""
    out: list[tuple[str, Cell]] = []
    for c in sc["data"]:
        count_visible = sc["viewer"] != "anonymous" or c.count_visibility == "public"
        rate_visible = sc["viewer"] != "anonymous" or c.rate_visibility == "public"
        if c.count is not None and c.count < THRESHOLD and count_visible:
            out.append(("small_count", c))
        if (
            c.rate is not None
            and rate_visible
            and (c.count is None or c.count < THRESHOLD or not count_visible)
        ):
            out.append(("suppressed_rate", c))
        if sc["viewer"] == "anonymous" and c.count is not None and c.count_visibility == "members":
            out.append(("members_count", c))
        if sc["viewer"] == "anonymous" and c.rate is not None and c.rate_visibility == "members":
            out.append(("members_rate", c))
    return [
        (k, c)
        for k, c in out
        if (("prop_count" if "count" in k else "prop_rate"), c.la_code, c.year) in ids
    ]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sc=scenarios())
async def test_no_hidden_value_changes_any_answer(fresh_db: Database, sc: dict[str, Any]) -> None:
    async with fresh_db.sessions() as s:
        try:
            ids = await _setup(s, sc)
            targets = _hidden_targets(sc, ids)
            if not targets:
                return
            kind, cell = targets[sc["choice"] % len(targets)]
            metric = "prop_count" if "count" in kind else "prop_rate"
            oid = ids[(metric, cell.la_code, cell.year)]
            viewer = await _viewer(s, sc["viewer"], cell.la_code)
            before = await _battery(s, viewer, sc)
            if kind.startswith("members") and sc["delete"]:
                await s.execute(
                    delete(ObservationRevision).where(ObservationRevision.observation_id == oid)
                )
                await s.execute(delete(Observation).where(Observation.id == oid))
            else:
                new = {
                    "small_count": float(sc["alt_small"]),
                    "suppressed_rate": sc["alt_any"],
                    "members_count": float(sc["alt_small"] + 7),
                    "members_rate": sc["alt_any"],
                }[kind]
                await s.execute(update(Observation).where(Observation.id == oid).values(value=new))
            after = await _battery(s, viewer, sc)
            assert before == after, (kind, cell, sc["viewer"])
        finally:
            await s.rollback()


async def test_the_battery_does_see_disclosed_changes(fresh_db: Database) -> None:
    """The check above is not vacuous: changing a value the viewer may see changes answers."""
    sc = {
        "data": [
            Cell("869", 2031, 9, "public", 50.0, "public"),
            Cell("867", 2031, 12, "public", 40.0, "public"),
            Cell("868", 2031, 3, "public", 30.0, "public"),
        ],
        "viewer": "anonymous",
        "polarity": "neutral",
        "customs": [["867", "868"]],
        "subjects": ["869"],
        "author_filters": [],
    }
    async with fresh_db.sessions() as s:
        try:
            ids = await _setup(s, sc)
            before = await _battery(s, ANONYMOUS, sc)
            await s.execute(
                update(Observation)
                .where(Observation.id == ids[("prop_count", "867", 2031)])
                .values(value=11.0)
            )
            assert await _battery(s, ANONYMOUS, sc) != before
            again = await _battery(s, ANONYMOUS, sc)
            await s.execute(
                update(Observation)
                .where(Observation.id == ids[("prop_count", "868", 2031)])
                .values(value=4.0)
            )
            assert await _battery(s, ANONYMOUS, sc) == again  # 3 -> 4: both suppressed
        finally:
            await s.rollback()
