"""improvers: which peers improved a metric between two periods, with their case studies."""

from __future__ import annotations

from typing import Annotated

import strawberry

from exchange.casestudies import outcomes
from schema.authorities import Authority
from schema.case_studies.types import CaseStudy
from schema.comparison import Figure
from schema.context import Info
from schema.enums import Direction, PeerGroup
from schema.metrics import Metric, Period


@strawberry.type
class ImproverEntry:
    entry: strawberry.Private[outcomes.ImproverEntry]
    metric_id: strawberry.Private[int]

    @strawberry.field
    def authority(self) -> Authority:
        return Authority(model=self.entry.authority)

    @strawberry.field
    def is_subject(self) -> bool:
        return self.entry.is_subject

    @strawberry.field
    def baseline(self) -> Figure:
        return Figure.of(self.entry.baseline)

    @strawberry.field
    def follow_up(self) -> Figure:
        return Figure.of(self.entry.follow_up)

    @strawberry.field(description="followUp - baseline, when both are disclosed.")
    def change(self) -> float | None:
        return self.entry.change

    @strawberry.field(
        description="The change signed so that larger is better (negated when lower is better)."
    )
    def improvement(self) -> float | None:
        return self.entry.improvement

    @strawberry.field
    def direction(self) -> Direction:
        return Direction(self.entry.direction)

    @strawberry.field(description="Why the direction is NOT_COMPARABLE, in words; else null.")
    def direction_reason(self) -> str | None:
        return self.entry.reason

    @strawberry.field(description="1 = most improved; ties share the lower rank; null if unranked.")
    def rank(self) -> int | None:
        return self.entry.standing.rank if self.entry.standing else None

    @strawberry.field(
        description="This authority's published (named) case studies linked to the metric, "
        "newest first (at most 10).",
        metadata={"list_size": 10},
    )
    async def case_studies(self, info: Info) -> list[CaseStudy]:
        rows = await info.context.loaders.case_studies.linked.load(
            (self.entry.authority.id, self.metric_id)
        )
        return [CaseStudy(model=r) for r in rows]


@strawberry.type(
    description="Which peers improved a metric between two periods, and what they did about it."
)
class Improvers:
    result: strawberry.Private[outcomes.Improvers]

    @strawberry.field
    def metric(self) -> Metric:
        return Metric(model=self.result.metric)

    @strawberry.field(name="from")
    def from_(self) -> Period:
        return Period(model=self.result.baseline_period)

    @strawberry.field
    def to(self) -> Period:
        return Period(model=self.result.follow_up_period)

    @strawberry.field
    def subject(self) -> Authority:
        return Authority(model=self.result.subject)

    @strawberry.field
    def peer_group(self) -> str:
        return self.result.peer_group

    @strawberry.field(description="Median change among peers (subject excluded).")
    def peer_median_change(self) -> float | None:
        return self.result.peer_median_change

    @strawberry.field
    def peer_count(self) -> int:
        return self.result.peer_count

    @strawberry.field(
        description="Why no change is measured between the two periods (one is demo data and "
        "the other real: they are never compared); null when changes are measured."
    )
    def direction_reason(self) -> str | None:
        return self.result.reason

    @strawberry.field(
        description="True when the baseline figures (from) are demo data (synthetic, not real)."
    )
    def baseline_is_demo(self) -> bool:
        return self.result.baseline_demo

    @strawberry.field(
        description="True when the follow-up figures (to) are demo data (synthetic, not real)."
    )
    def follow_up_is_demo(self) -> bool:
        return self.result.follow_up_demo

    @strawberry.field(
        description="The subject and its peers, most improved first; then those without both "
        "values.",
        metadata={"list_size": 160},
    )
    def entries(self) -> list[ImproverEntry]:
        return [
            ImproverEntry(entry=e, metric_id=self.result.metric.id) for e in self.result.entries
        ]


async def improvers(
    info: Info,
    metric: str,
    from_: Annotated[str, strawberry.argument(name="from")],
    to: str,
    authority: str,
    peers: PeerGroup = PeerGroup.STATISTICAL_NEIGHBOURS,
) -> Improvers:
    ctx = info.context
    result = await ctx.read(
        lambda s: outcomes.improvers(
            s,
            ctx.viewer,
            metric_code=metric,
            from_label=from_,
            to_label=to,
            authority_code=authority,
            peers=peers.value,
        )
    )
    return Improvers(result=result)


@strawberry.type
class ImproversQuery:
    improvers: Improvers = strawberry.field(
        resolver=improvers,
        description="Which of an authority's peers improved a metric between two periods, "
        "ranked by improvement (polarity-aware), each with its case studies on that metric.",
    )
