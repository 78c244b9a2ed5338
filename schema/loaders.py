"""DataLoaders, created per request so nothing cached outlives the viewer who asked.

``info.context.loaders.<name>`` builds its DataLoader on first use and keeps it for the rest of
the request (Saleor's per-context key): a request that never reads a period never makes the
period loader. The case-study loaders are reached as ``info.context.loaders.case_studies.<name>``.

The loaders need only what :class:`Reads` names, so this module never imports
``schema.context`` (an import-linter contract holds that direction): the context builds the
loaders, never the other way round.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property, lru_cache
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from exchange import pseudonyms
from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.casestudies import outcomes, reads
from exchange.casestudies.models import CaseStudy, CaseStudyOutcomeLink
from exchange.comparison import reference
from exchange.comparison.reference import NeighbourRef
from exchange.metrics import repository as metrics
from exchange.metrics.models import Metric
from exchange.observations import breakdowns
from exchange.periods import repository as periods
from exchange.periods.models import Period
from exchange.settings import Settings
from exchange.viewer import Viewer

T = TypeVar("T")


class Reads(Protocol):
    """What a loader needs of the request's context (schema.context.Context provides it)."""

    @property
    def viewer(self) -> Viewer: ...

    @property
    def settings(self) -> Settings: ...

    async def read(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T: ...


class Loaders:
    def __init__(self, ctx: Reads) -> None:
        self._ctx = ctx

    @cached_property
    def authority(self) -> DataLoader[int, Authority | None]:
        return DataLoader(self._authorities)

    @cached_property
    def neighbours(self) -> DataLoader[int, tuple[NeighbourRef, ...]]:
        return DataLoader(self._neighbours)

    @cached_property
    def metric(self) -> DataLoader[int, Metric | None]:
        return DataLoader(self._metrics)

    @cached_property
    def period(self) -> DataLoader[int, Period | None]:
        return DataLoader(self._periods)

    @cached_property
    def case_studies(self) -> CaseStudyLoaders:
        return CaseStudyLoaders(self._ctx)

    async def _authorities(self, ids: Sequence[int]) -> list[Authority | None]:
        rows = await self._ctx.read(lambda s: authorities.get_many(s, ids))
        by_id = {a.id: a for a in rows}
        return [by_id.get(i) for i in ids]

    @cached_property
    def breakdowns(self) -> DataLoader[int, list[tuple[str, str, int]]]:
        """metric id -> its (breakdown_topic, breakdown, figures)."""
        return DataLoader(self._breakdowns)

    async def _breakdowns(self, ids: Sequence[int]) -> list[list[tuple[str, str, int]]]:
        found = await self._ctx.read(lambda s: breakdowns.topics(s, ids))
        return [found.get(i, []) for i in ids]

    @cached_property
    def area_name(self) -> DataLoader[tuple[str, str], str | None]:
        """(area level, area code) -> England, the region's or the authority's name."""
        return DataLoader(self._area_names)

    async def _area_names(self, keys: Sequence[tuple[str, str]]) -> list[str | None]:
        found = await self._ctx.read(reference.load)
        return [found.area_name(level, code) for level, code in keys]

    async def _neighbours(self, ids: Sequence[int]) -> list[tuple[NeighbourRef, ...]]:
        # Reference data, read once per data version: a page of 50 authorities' neighbours would
        # otherwise build 1,000 ORM objects per request (the soak's busiest statement).
        found = await self._ctx.read(reference.load)
        return [found.neighbours.get(i, ()) for i in ids]

    async def _metrics(self, ids: Sequence[int]) -> list[Metric | None]:
        found = await self._ctx.read(lambda s: metrics.get_many(s, ids))
        return [found.get(i) for i in ids]

    async def _periods(self, ids: Sequence[int]) -> list[Period | None]:
        found = await self._ctx.read(lambda s: periods.get_many(s, ids))
        return [found.get(i) for i in ids]


# -- case studies ------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _pseudonymiser(secret: str) -> pseudonyms.Pseudonymiser:
    return pseudonyms.Pseudonymiser(secret)


class CaseStudyLoaders:
    """Each batches a whole page's worth of lookups into a fixed number of statements: the
    outcome links of every case study on a page, their figures, their authors, and the case
    studies linked to each (authority, metric) of an improvers list."""

    def __init__(self, ctx: Reads) -> None:
        self._ctx = ctx

    @cached_property
    def links(self) -> DataLoader[int, list[CaseStudyOutcomeLink]]:
        return DataLoader(self._links)

    @cached_property
    def outcome(self) -> DataLoader[outcomes.OutcomeKey, outcomes.Outcome]:
        return DataLoader(self._outcomes)

    @cached_property
    def author(self) -> DataLoader[CaseStudy, reads.Author]:
        return DataLoader(self._authors, cache_key_fn=lambda c: c.id)

    @cached_property
    def linked(self) -> DataLoader[tuple[int, int], list[CaseStudy]]:
        return DataLoader(self._linked)

    @property
    def pseudonymiser(self) -> pseudonyms.Pseudonymiser:
        return _pseudonymiser(self._ctx.settings.secret_key)

    async def _links(self, ids: Sequence[int]) -> list[list[CaseStudyOutcomeLink]]:
        found = await self._ctx.read(lambda s: reads.links(s, ids))
        return [found.get(i, []) for i in ids]

    async def _outcomes(self, keys: Sequence[outcomes.OutcomeKey]) -> list[outcomes.Outcome]:
        viewer = self._ctx.viewer
        return await self._ctx.read(lambda s: outcomes.resolve(s, viewer, keys))

    async def _authors(self, rows: Sequence[CaseStudy]) -> list[reads.Author]:
        viewer = self._ctx.viewer
        return await self._ctx.read(lambda s: reads.authors(s, viewer, rows, self.pseudonymiser))

    async def _linked(self, keys: Sequence[tuple[int, int]]) -> list[list[CaseStudy]]:
        found = await self._ctx.read(lambda s: reads.linked_to(s, keys))
        return [found.get(k, []) for k in keys]
