"""Per-request DataLoaders for case studies (reached as ``info.context.loaders.case_studies``).

Each batches a whole page's worth of lookups into a fixed number of statements: the outcome
links of every case study on a page, their figures, their authors, and the case studies linked
to each (authority, metric) of an improvers list.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from exchange import pseudonyms
from exchange.casestudies import outcomes, service
from exchange.casestudies.models import CaseStudy, CaseStudyOutcomeLink

if TYPE_CHECKING:
    from schema.context import Context


@lru_cache(maxsize=8)
def _pseudonymiser(secret: str) -> pseudonyms.Pseudonymiser:
    return pseudonyms.Pseudonymiser(secret)


class CaseStudyLoaders:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.links = DataLoader[int, list[CaseStudyOutcomeLink]](self._links)
        self.outcome = DataLoader[outcomes.OutcomeKey, outcomes.Outcome](self._outcomes)
        self.author = DataLoader[CaseStudy, service.Author](
            self._authors,
            cache_key_fn=lambda c: c.id,  # type: ignore[arg-type]
        )
        self.linked = DataLoader[tuple[int, int], list[CaseStudy]](self._linked)

    @property
    def pseudonymiser(self) -> pseudonyms.Pseudonymiser:
        return _pseudonymiser(self._ctx.settings.secret_key)

    async def _links(self, ids: Sequence[int]) -> list[list[CaseStudyOutcomeLink]]:
        found = await self._ctx.read(lambda s: service.links(s, ids))
        return [found.get(i, []) for i in ids]

    async def _outcomes(self, keys: Sequence[outcomes.OutcomeKey]) -> list[outcomes.Outcome]:
        viewer = self._ctx.viewer
        return await self._ctx.read(lambda s: outcomes.resolve(s, viewer, keys))

    async def _authors(self, rows: Sequence[CaseStudy]) -> list[service.Author]:
        viewer = self._ctx.viewer
        return await self._ctx.read(lambda s: service.authors(s, viewer, rows, self.pseudonymiser))

    async def _linked(self, keys: Sequence[tuple[int, int]]) -> list[list[CaseStudy]]:
        found = await self._ctx.read(lambda s: service.linked_to(s, keys))
        return [found.get(k, []) for k in keys]
