"""Former authorities over GraphQL: who they were, what became of them, and the figures DfE
reports for them, so that England's (and a region's) figure for a year can be reconciled with the
authorities' own."""

from __future__ import annotations

import strawberry

from exchange.authorities import former
from exchange.authorities.models import FormerAuthority as FormerAuthorityModel
from exchange.comparison import reference
from exchange.comparison.reference import PeriodRef
from exchange.comparison.service import resolve_metric
from schema.context import Info
from schema.metrics import Metric, Period


@strawberry.type(description="A figure DfE reports for a former authority (never ranked).")
class FormerFigure:
    metric: Metric
    period: Period
    value: float | None = strawberry.field(description="The value, or null (see symbol).")
    symbol: str | None = strawberry.field(description="GSS symbol when there is no value.")
    source: str


@strawberry.type(
    description="An authority abolished before the current 153 (Cumbria, Northamptonshire, "
    "Dorset County, Poole, Bournemouth). DfE's files report it for the years it existed, and "
    "England's and its region's figures for those years include it; it is never among the "
    "authorities compared. England = the authorities' sum + the former authorities' sum, for "
    "counts of the same period."
)
class FormerAuthority:
    model: strawberry.Private[FormerAuthorityModel]
    la_code: str = strawberry.field(description="Its DfE LA code (no longer in use).")
    name: str
    note: str = strawberry.field(description="What became of it: split in 2023 into Cumberland …")

    @strawberry.field(description="Periods with figures for it, of any metric, oldest first.")
    async def periods(self, info: Info) -> list[str]:
        rows = await info.context.read(lambda s: former.figures(s, [self.model.id]))
        found = _periods(await info.context.read(reference.load))
        shown = {found[r.period_id] for r in rows if r.period_id in found}
        return [p.label for p in sorted(shown, key=lambda p: (p.start_year, p.kind))]

    @strawberry.field(description="Its figures of one metric, oldest period first.")
    async def figures(self, info: Info, metric: str) -> list[FormerFigure]:
        ctx = info.context
        chosen = await ctx.read(lambda s: resolve_metric(s, metric))
        rows = await ctx.read(lambda s: former.figures(s, [self.model.id], metric_id=chosen.id))
        found = _periods(await ctx.read(reference.load))
        shown = [
            FormerFigure(
                metric=Metric(model=chosen),
                period=Period(model=found[r.period_id]),
                value=r.value,
                symbol=r.symbol,
                source=r.source,
            )
            for r in rows
            if r.period_id in found
        ]
        return sorted(shown, key=lambda f: f.period.model.start_year)


def _periods(ref: reference.Reference) -> dict[int, PeriodRef]:
    return {p.id: p for kind in ref.periods_by_kind.values() for p in kind}


async def former_authorities(info: Info) -> list[FormerAuthority]:
    rows = await info.context.read(former.all_former)
    return [FormerAuthority(model=r, la_code=r.la_code, name=r.name, note=r.note) for r in rows]
