"""Timing: nothing served lets a pseudonymous label be lined up with a council's named changes.

Real pseudonymous figures are released to others at the release times (daily by default): until
then they look like no figure; afterwards every read shows them as they stood at the last release,
and the time shown for them is the release time, never the moment they were published.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from exchange.comparison import service as comparison
from exchange.db import transaction
from exchange.errors import NotFound
from exchange.observations import service as listing
from exchange.pseudonyms import DAILY, Pseudonymiser, ReleaseSchedule
from exchange.publishing import service as publishing
from exchange.publishing.retry import with_retries
from exchange.viewer import Viewer
from tests.conftest import Database, run_graphql
from tests.publishing_support import make_token, row

T = datetime(2026, 3, 10, 10, 30, 15, 123456, tzinfo=UTC)  # a Tuesday morning
MIDNIGHT_AFTER_T = datetime(2026, 3, 11, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _pseudonymiser(db: Database, clock: Clock) -> Pseudonymiser:
    return Pseudonymiser(db.settings.secret_key, ReleaseSchedule(DAILY, clock=clock))


async def _publish(
    db: Database, viewer: Viewer, rows: list[Any], at: datetime, *, pseudonymous: bool
) -> None:
    async def work(session: Any) -> publishing.PublishResult:
        return await publishing.publish(
            session, viewer, rows, visibility="public", pseudonymous=pseudonymous, now=at
        )

    result = await with_retries(lambda: transaction(db.sessions), work)
    assert result.ok, result.errors


async def _values(db: Database, viewer: Viewer, pz: Pseudonymiser) -> list[float | None]:
    async with db.sessions() as s:
        shown, total = await listing.list_observations(
            s,
            viewer,
            metric_codes=["ep_fte"],
            authority_codes=None,
            period_labels=["2024/25"],
            offset=0,
            limit=100,
            pseudonymiser=pz,
        )
    assert total == len(shown)
    return [x.disclosed.value for x in shown]


async def _labels(db: Database, viewer: Viewer, pz: Pseudonymiser, subject: str) -> list[str]:
    async with db.sessions() as s:
        try:
            found = await comparison.compare(
                s,
                viewer,
                metric_code="ep_fte",
                period_label="2024/25",
                authority_code=subject,
                peers="ENGLAND",
                pseudonymiser=pz,
            )
        except NotFound:  # nothing this viewer may see for that period
            return []
    return sorted(e.label for e in found.entries if e.pseudonym is not None)


async def test_a_pseudonymous_figure_waits_for_the_release_and_shows_its_time(
    fresh_db: Database,
) -> None:
    clock = Clock(T)
    pz = _pseudonymiser(fresh_db, clock)
    owner, _ = await make_token(fresh_db, authority="869")
    analyst, _ = await make_token(fresh_db, role="analyst")
    await _publish(fresh_db, owner, [row("ep_fte", "2024/25", 12.5)], T, pseudonymous=True)

    # Published, not yet released: others see nothing at all; the publisher sees it at once.
    assert await _values(fresh_db, analyst, pz) == []
    assert await _values(fresh_db, owner, pz) == [12.5]
    clock.now = MIDNIGHT_AFTER_T - timedelta(microseconds=1)
    assert await _values(fresh_db, analyst, pz) == []

    clock.now = MIDNIGHT_AFTER_T + timedelta(minutes=5)
    assert await _values(fresh_db, analyst, pz) == [12.5]
    async with fresh_db.sessions() as s:
        shown, _ = await listing.list_observations(
            s, analyst, metric_codes=["ep_fte"], authority_codes=None, period_labels=None,
            offset=0, limit=10, pseudonymiser=pz,
        )  # fmt: skip
        public_id = shown[0].observation.public_id
        theirs = await listing.history(s, analyst, public_id, pz)
        own = await listing.history(s, owner, public_id, pz)
    assert theirs is not None and own is not None
    assert [r.published_at for r in theirs[1]] == [MIDNIGHT_AFTER_T]  # not 10:30:15.123456
    assert [r.published_at for r in own[1]] == [T]

    # A revision after the release is held back until the next one, history included.
    revised_at = MIDNIGHT_AFTER_T + timedelta(hours=9)
    await _publish(fresh_db, owner, [row("ep_fte", "2024/25", 13.0)], revised_at, pseudonymous=True)
    clock.now = revised_at + timedelta(hours=1)
    assert await _values(fresh_db, analyst, pz) == [12.5]
    assert await _values(fresh_db, owner, pz) == [13.0]
    async with fresh_db.sessions() as s:
        theirs = await listing.history(s, analyst, public_id, pz)
    assert theirs is not None and [r.revision.revision for r in theirs[1]] == [1]
    assert theirs[0].observation.revision == 1

    clock.now = MIDNIGHT_AFTER_T + timedelta(days=1, minutes=1)
    assert await _values(fresh_db, analyst, pz) == [13.0]
    async with fresh_db.sessions() as s:
        theirs = await listing.history(s, analyst, public_id, pz)
    assert theirs is not None
    assert [r.published_at for r in theirs[1]] == [
        MIDNIGHT_AFTER_T,
        MIDNIGHT_AFTER_T + timedelta(days=1),
    ]


async def test_labels_appear_together_whenever_their_councils_published(
    fresh_db: Database,
) -> None:
    """Three councils publish at different times of one day, each with a named figure in the same
    moment (as five councils did while an observer polled a comparison every 0.2 s): at every
    moment before the release no label is shown, and at the release all three appear at once, so
    no appearance lines up with any council's named change."""
    clock = Clock(T)
    pz = _pseudonymiser(fresh_db, clock)
    analyst, _ = await make_token(fresh_db, role="analyst")
    councils = ("202", "330", "869")
    moments = [T + timedelta(hours=h) for h in range(len(councils))]
    seen: list[list[str]] = []
    for code, moment in zip(councils, moments, strict=True):
        viewer, _ = await make_token(fresh_db, authority=code)
        await _publish(fresh_db, viewer, [row("ep_vacancies", "2024/25", 7)], moment,
                       pseudonymous=False)  # fmt: skip
        await _publish(fresh_db, viewer, [row("ep_fte", "2024/25", 10.0)], moment,
                       pseudonymous=True)  # fmt: skip
        clock.now = moment + timedelta(seconds=1)
        seen.append(await _labels(fresh_db, analyst, pz, "330"))
    assert seen == [[], [], []]
    clock.now = MIDNIGHT_AFTER_T
    assert len(await _labels(fresh_db, analyst, pz, "330")) == 3


async def test_the_default_schedule_holds_a_new_label_back_over_graphql(
    fresh_db: Database,
) -> None:
    """Through the API with the shipped default (daily): a figure published now is not shown to
    others now (the release is at the next 00:00 UTC)."""
    db = replace(
        fresh_db,
        settings=fresh_db.settings.model_copy(update={"pseudonym_release_seconds": 86_400}),
    )
    owner, _ = await make_token(db, authority="869")
    analyst, _ = await make_token(db, role="analyst")
    await _publish(db, owner, [row("ep_fte", "2024/25", 12.5)], datetime.now(UTC),
                   pseudonymous=True)  # fmt: skip
    query = '{ observations(filter: {metrics: ["ep_fte"]}, first: 10) { totalCount edges { node { value } } } }'
    theirs = await run_graphql(db, query, None, analyst)
    own = await run_graphql(db, query, None, owner)
    assert theirs["data"]["observations"]["totalCount"] == 0
    assert [e["node"]["value"] for e in own["data"]["observations"]["edges"]] == [12.5]
