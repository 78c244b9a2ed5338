"""DfE's figures by breakdown over GraphQL: which breakdowns a metric has, and their figures."""

from __future__ import annotations

from typing import Annotated

import strawberry

from exchange.comparison import breakdowns as breakdown_reads
from exchange.observations.models import BreakdownFigure as BreakdownFigureModel
from schema import relay
from schema.authorities import Authority
from schema.context import Info
from schema.enums import AreaLevel
from schema.metrics import Metric, Period


@strawberry.type(
    description="A DfE figure for one breakdown of an area's total (never mixed with the totals "
    "that comparison, trend and observations give)."
)
class BreakdownFigure:
    row: strawberry.Private[BreakdownFigureModel]
    breakdown_topic: str
    breakdown: str
    value: float | None = strawberry.field(description="The value, or null (see symbol).")
    symbol: str | None = strawberry.field(description="GSS symbol when there is no value.")
    source: str

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

    @strawberry.field(description="NATIONAL (England), REGIONAL or LOCAL_AUTHORITY.")
    def area_level(self) -> AreaLevel:
        return AreaLevel(self.row.area_level)

    @strawberry.field(description="E92000001 for England, the region's GSS code, or the DfE code.")
    def area_code(self) -> str:
        return self.row.area_code

    @strawberry.field(description="England, the region's name or the authority's name.")
    async def area_name(self, info: Info) -> str:
        key = (self.row.area_level, self.row.area_code)
        return await info.context.loaders.area_name.load(key) or self.row.area_code

    @strawberry.field
    async def authority(self, info: Info) -> Authority | None:
        if self.row.authority_id is None:
            return None
        found = await info.context.loaders.authority.load(self.row.authority_id)
        return Authority(model=found) if found else None


async def breakdown_figures(
    info: Info,
    metric: str,
    breakdown_topic: str,
    breakdown: str | None = None,
    periods: list[str] | None = None,
    authorities: Annotated[
        list[str] | None, strawberry.argument(description="DfE or GSS codes.")
    ] = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> relay.Connection[BreakdownFigure]:
    ctx = info.context

    async def fetch(offset: int, limit: int) -> tuple[list[BreakdownFigureModel], int]:
        return await ctx.read(
            lambda s: breakdown_reads.list_breakdown_figures(
                s,
                metric_code=metric,
                topic=breakdown_topic,
                breakdown=breakdown,
                period_labels=periods,
                authority_codes=authorities,
                offset=offset,
                limit=limit,
            )
        )

    return await relay.paginate(
        ctx.signer,
        fetch,
        lambda r: BreakdownFigure(
            row=r,
            breakdown_topic=r.breakdown_topic,
            breakdown=r.breakdown,
            value=r.value,
            symbol=r.symbol,
            source=r.source,
        ),
        first=first,
        after=after,
        last=last,
        before=before,
    )
