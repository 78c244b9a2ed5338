"""DataLoaders, created per request so nothing cached outlives the viewer who asked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority, StatisticalNeighbour
from exchange.metrics import repository as metrics
from exchange.metrics.models import Metric
from exchange.periods import repository as periods
from exchange.periods.models import Period
from schema.case_study_loaders import CaseStudyLoaders

if TYPE_CHECKING:
    from schema.context import Context


class Loaders:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.authority = DataLoader[int, Authority | None](self._authorities)
        self.neighbours = DataLoader[int, list[tuple[StatisticalNeighbour, Authority]]](
            self._neighbours
        )
        self.metric = DataLoader[int, Metric | None](self._metrics)
        self.period = DataLoader[int, Period | None](self._periods)
        self.case_studies = CaseStudyLoaders(ctx)

    async def _authorities(self, ids: Sequence[int]) -> list[Authority | None]:
        rows = await self._ctx.read(lambda s: authorities.get_many(s, ids))
        by_id = {a.id: a for a in rows}
        return [by_id.get(i) for i in ids]

    async def _neighbours(
        self, ids: Sequence[int]
    ) -> list[list[tuple[StatisticalNeighbour, Authority]]]:
        found = await self._ctx.read(lambda s: authorities.neighbours_of(s, ids))
        return [found.get(i, []) for i in ids]

    async def _metrics(self, ids: Sequence[int]) -> list[Metric | None]:
        found = await self._ctx.read(lambda s: metrics.get_many(s, ids))
        return [found.get(i) for i in ids]

    async def _periods(self, ids: Sequence[int]) -> list[Period | None]:
        found = await self._ctx.read(lambda s: periods.get_many(s, ids))
        return [found.get(i) for i in ids]
