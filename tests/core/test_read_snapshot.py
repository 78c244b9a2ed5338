"""Readers against concurrent publishing: a request never serves a pseudonymous figure that the
policy it applies did not judge.

The cause of the race: a request read the data version (and the pseudonym policy cached at it)
in one statement and the rows in later ones, each seeing the latest commit. A figure published in
between was served unchecked. Every request now reads one snapshot, and the policy is applied as
an allow-list of the series it judged.

Setting: the five East of England counties form one descriptor cell ("East of England, county").
Essex publishes ep_fte 2024/25 under its name, so any county publishing the same series under a
pseudonym has at most four candidates and must be withheld from everyone but itself.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from exchange.observations import service as listing
from exchange.pseudonyms import Pseudonymiser, ReleaseSchedule
from exchange.viewer import Viewer
from schema.context import Context
from tests.conftest import Database, services_for
from tests.publishing_support import make_token, publish, row

ESSEX, SUFFOLK = "881", "935"
OTHERS = ("926", "873", "919")  # Norfolk, Cambridgeshire, Hertfordshire
WITHHELD = 77.0  # the pseudonymous value that must never be served to others


async def _served(ctx: Context) -> list[float | None]:
    """One read of a request: the 2024/25 ep_fte figures this viewer is served."""
    pz = Pseudonymiser(ctx.settings.secret_key, ReleaseSchedule(timedelta(0)))  # released at once

    async def read(s: Any) -> list[float | None]:
        shown, total = await listing.list_observations(
            s,
            ctx.viewer,
            metric_codes=["ep_fte"],
            authority_codes=None,
            period_labels=["2024/25"],
            offset=0,
            limit=100,
            pseudonymiser=pz,
        )
        assert total == len(shown)
        return [x.disclosed.value for x in shown]

    return await ctx.read(read)


async def test_a_figure_published_during_a_request_is_not_served_unchecked(
    fresh_db: Database,
) -> None:
    essex, _ = await make_token(fresh_db, authority=ESSEX)
    suffolk, _ = await make_token(fresh_db, authority=SUFFOLK)
    analyst, _ = await make_token(fresh_db, role="analyst")
    result = await publish(fresh_db, essex, [row("ep_fte", "2024/25", 9.0)], visibility="public")
    assert result.ok

    ctx = Context(services_for(fresh_db), analyst)
    try:
        assert await _served(ctx) == [9.0]  # the request has read the version and the policy
        result = await publish(
            fresh_db,
            suffolk,
            [row("ep_fte", "2024/25", WITHHELD)],
            visibility="public",
            pseudonymous=True,
        )
        assert result.ok
        # Later in the same request: the new figure was never judged by the policy in use.
        assert WITHHELD not in await _served(ctx)
    finally:
        await ctx.close()

    fresh = Context(services_for(fresh_db), analyst)
    try:
        assert await _served(fresh) == [9.0]  # judged now: four candidates, withheld
    finally:
        await fresh.close()


async def test_readers_polling_while_councils_publish_never_see_a_withheld_figure(
    fresh_db: Database,
) -> None:
    essex, _ = await make_token(fresh_db, authority=ESSEX)
    analyst, _ = await make_token(fresh_db, role="analyst")
    assert (await publish(fresh_db, essex, [row("ep_fte", "2024/25", 9.0)], visibility="public")).ok
    publishers: list[Viewer] = []
    for code in (SUFFOLK, *OTHERS):
        viewer, _ = await make_token(fresh_db, authority=code)
        publishers.append(viewer)
    done = asyncio.Event()
    served: list[list[float | None]] = []

    async def reader() -> None:
        while not done.is_set():
            ctx = Context(services_for(fresh_db), analyst)
            try:
                for _ in range(3):  # several reads in one request, as a page makes
                    served.append(await _served(ctx))
            finally:
                await ctx.close()
            await asyncio.sleep(0)

    async def writer() -> None:
        try:
            for round_ in range(3):
                for viewer in publishers:  # a first publication each, then republications
                    result = await publish(
                        fresh_db,
                        viewer,
                        [row("ep_fte", "2024/25", WITHHELD + round_)],
                        visibility="public",
                        pseudonymous=True,
                    )
                    assert result.ok
                    await asyncio.sleep(0)
        finally:
            done.set()

    await asyncio.gather(writer(), reader(), reader())
    assert len(served) > 10  # the readers did run beside the writer
    leaked = [values for values in served if any(v is not None and v >= WITHHELD for v in values)]
    assert leaked == []
