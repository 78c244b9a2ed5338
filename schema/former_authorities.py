"""Former authorities over GraphQL: who they were, what became of them, and the figures DfE
reports for them, so that England's (and a region's) figure for a year can be reconciled with the
authorities' own."""

from __future__ import annotations

import strawberry

from exchange.authorities import former
from exchange.authorities.models import FormerAuthority as FormerAuthorityModel
from exchange.authorities.models import FormerAuthorityFigure
from exchange.comparison import reference
from exchange.comparison.service import resolve_metric
from schema.context import Info
from schema.metrics import Metric, Period


@strawberry.type(description="A figure DfE reports for a former authority (never ranked).")
class FormerFigure:
    row: strawberry.Private[FormerAuthorityFigure]

    @strawberry.field
    async def metric(self, info: Info) -> Metric:
        found = await info.context.loaders.metric.load(self.row.metric_id)
        assert found is not None
        return Metric(model=found)

    @strawberry.field
    async def period(self, info: Info) -> Period:
        found = await info.context.loaders.period.load(self.row.period_id)
        assert found is not None
        return Period(model=found)

    @strawberry.field(description="The value, or null (see symbol).")
    def value(self) -> float | None:
        return self.row.value

    @strawberry.field(description="GSS symbol when there is no value.")
    def symbol(self) -> str | None:
        return self.row.symbol

    @strawberry.field
    def source(self) -> str:
        return self.row.source


@strawberry.type(
    description="An authority abolished before the current 153 (Cumbria, Northamptonshire, "
    "Dorset County, Poole, Bournemouth). DfE's files report it for the years it existed, and "
    "England's and its region's figures for those years include it; it is never among the "
    "authorities compared. England = the authorities' sum + the former authorities' sum, for "
    "counts of the same period."
)
class FormerAuthority:
    model: strawberry.Private[FormerAuthorityModel]

    @strawberry.field(description="Its DfE LA code (no longer in use).")
    def la_code(self) -> str:
        return self.model.la_code

    @strawberry.field
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="What became of it, e.g. split in 2023 into Cumberland 942 …")
    def note(self) -> str:
        return self.model.note

    @strawberry.field(description="Periods with figures for it, of any metric, oldest first.")
    async def periods(self, info: Info) -> list[str]:
        rows = await info.context.read(lambda s: former.figures(s, [self.model.id]))
        ref = await info.context.read(reference.load)
        by_id = {p.id: p for ps in ref.periods_by_kind.values() for p in ps}
        found = {by_id[r.period_id] for r in rows if r.period_id in by_id}
        return [p.label for p in sorted(found, key=lambda p: (p.start_year, p.kind))]

    @strawberry.field(description="Its figures of one metric, oldest period first.")
    async def figures(self, info: Info, metric: str) -> list[FormerFigure]:
        ctx = info.context
        found = await ctx.read(lambda s: resolve_metric(s, metric))
        rows = await ctx.read(lambda s: former.figures(s, [self.model.id], metric_id=found.id))
        ref = await ctx.read(reference.load)
        start = {p.id: p.start_year for ps in ref.periods_by_kind.values() for p in ps}
        rows.sort(key=lambda r: start.get(r.period_id, 0))
        return [FormerFigure(row=r) for r in rows]


async def former_authorities(info: Info) -> list[FormerAuthority]:
    rows = await info.context.read(former.all_former)
    return [FormerAuthority(model=r) for r in rows]
