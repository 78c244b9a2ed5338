from __future__ import annotations

from typing import Annotated

import strawberry

from exchange.authorities.models import Authority as AuthorityModel
from exchange.comparison import breakdowns, service
from exchange.errors import InvalidInput, NotFound
from exchange.observations.disclosure import Disclosed
from exchange.peergroups import service as peergroups
from schema.authorities import Authority
from schema.context import Info
from schema.enums import Direction, PeerGroup
from schema.metrics import Metric, Period
from schema.pseudonyms import Pseudonym, pseudonymiser


@strawberry.type(
    description="A value after disclosure control: a number, or null with its GSS symbol."
)
class Figure:
    value: float | None
    symbol: str | None = strawberry.field(
        description="c confidential/suppressed, x not available, z not applicable, low, u."
    )

    @staticmethod
    def of(d: Disclosed) -> Figure:
        return Figure(value=d.value, symbol=d.symbol)


@strawberry.type
class ComparisonEntry:
    entry: strawberry.Private[service.Entry]

    @strawberry.field(description="The authority; null for a pseudonymous entry.")
    def authority(self) -> Authority | None:
        return Authority(model=self.entry.authority) if self.entry.authority else None

    @strawberry.field(
        description="How the entry is shown: the authority's name, or a pseudonymous entry's label."
    )
    def label(self) -> str:
        return self.entry.name

    @strawberry.field(description="True when the figure is demo data (synthetic, not real).")
    def is_demo(self) -> bool:
        return self.entry.is_demo

    @strawberry.field(
        description="True for a figure published under a pseudonym (see pseudonym). Only "
        "ENGLAND, REGION and AUTHORITY_TYPE comparisons include them, by their descriptors."
    )
    def is_pseudonymous(self) -> bool:
        return self.entry.pseudonym is not None

    @strawberry.field(description="Label and descriptors of a pseudonymous entry.")
    def pseudonym(self) -> Pseudonym | None:
        return Pseudonym(model=self.entry.pseudonym) if self.entry.pseudonym else None

    @strawberry.field
    def is_subject(self) -> bool:
        return self.entry.is_subject

    @strawberry.field
    def value(self) -> float | None:
        return self.entry.disclosed.value

    @strawberry.field
    def symbol(self) -> str | None:
        return self.entry.disclosed.symbol

    @strawberry.field(
        description="1 = best by polarity (neutral: highest first); ties "
        "share the lower rank. Null when not ranked."
    )
    def rank(self) -> int | None:
        return self.entry.standing.rank if self.entry.standing else None

    @strawberry.field(description="100 x (n - rank) / (n - 1); 100 = best.")
    def percentile(self) -> float | None:
        return self.entry.standing.percentile if self.entry.standing else None

    @strawberry.field(description="1 = best quarter.")
    def quartile(self) -> int | None:
        return self.entry.standing.quartile if self.entry.standing else None


@strawberry.type(
    description=(
        "An authority against a peer group for one metric and period. "
        "Peer statistics exclude the subject and use disclosed values only."
    )
)
class Comparison:
    result: strawberry.Private[service.Comparison]

    @strawberry.field
    def metric(self) -> Metric:
        return Metric(model=self.result.metric)

    @strawberry.field
    def period(self) -> Period:
        return Period(model=self.result.period)

    @strawberry.field(
        description="STATISTICAL_NEIGHBOURS, REGION, AUTHORITY_TYPE, ENGLAND or CUSTOM."
    )
    def peer_group(self) -> str:
        return self.result.peer_group

    @strawberry.field(description="The breakdown topic compared; null for the totals.")
    def breakdown_topic(self) -> str | None:
        return self.result.breakdown_topic

    @strawberry.field(description="The breakdown compared (e.g. Female); null for the totals.")
    def breakdown(self) -> str | None:
        return self.result.breakdown

    @strawberry.field
    def subject(self) -> ComparisonEntry:
        return ComparisonEntry(entry=self.result.subject)

    @strawberry.field(
        description="The subject and every peer: ranked entries best first, then unranked ones."
    )
    def entries(self) -> list[ComparisonEntry]:
        return [ComparisonEntry(entry=e) for e in self.result.entries]

    @strawberry.field
    def peer_median(self) -> float | None:
        return self.result.stats.median

    @strawberry.field
    def peer_mean(self) -> float | None:
        return self.result.stats.mean

    @strawberry.field
    def peer_min(self) -> float | None:
        return self.result.stats.minimum

    @strawberry.field
    def peer_max(self) -> float | None:
        return self.result.stats.maximum

    @strawberry.field(description="Peers with a disclosed value.")
    def peer_count(self) -> int:
        return self.result.stats.count

    @strawberry.field(description="Peers left out of the statistics: no disclosed value.")
    def suppressed_count(self) -> int:
        return self.result.stats.suppressed

    @strawberry.field(
        description="England's figure for the same metric and period, where published."
    )
    def england(self) -> Figure:
        return Figure.of(self.result.england)

    @strawberry.field(description="The subject's region, where published.")
    def region(self) -> Figure:
        return Figure.of(self.result.region)


@strawberry.type
class TrendPoint:
    point: strawberry.Private[service.TrendPoint]

    @strawberry.field
    def period(self) -> Period:
        return Period(model=self.point.period)

    @strawberry.field
    def value(self) -> float | None:
        return self.point.value.value

    @strawberry.field
    def symbol(self) -> str | None:
        return self.point.value.symbol

    @strawberry.field
    def peer_median(self) -> float | None:
        return self.point.peer_median

    @strawberry.field
    def peer_count(self) -> int:
        return self.point.peer_count

    @strawberry.field
    def england(self) -> Figure:
        return Figure.of(self.point.england)

    @strawberry.field
    def region(self) -> Figure:
        return Figure.of(self.point.region)

    @strawberry.field(
        description="The judgement: against the period just before this one, respecting "
        "polarity. NOT_COMPARABLE (see directionReason) when either figure is missing, when the "
        "period before has no figures at all (a direction never skips a period), or when one "
        "figure is demo data and the other real."
    )
    def direction(self) -> Direction:
        return Direction(self.point.direction)

    @strawberry.field(
        description="The movement: value minus the previous period's value (positive = up), "
        "whatever the polarity; null when the direction is NOT_COMPARABLE."
    )
    def change(self) -> float | None:
        return self.point.change

    @strawberry.field(description="Why the direction is NOT_COMPARABLE, in words; else null.")
    def direction_reason(self) -> str | None:
        return self.point.reason

    @strawberry.field(
        description="The period the direction compares with (the one just before), when it has "
        "figures stored; null otherwise."
    )
    def previous_period(self) -> Period | None:
        return Period(model=self.point.previous) if self.point.previous else None

    @strawberry.field(
        description="The dataset of this point: true when the authority's figure and the peer "
        "statistics are demo data (synthetic, not real). A point is never part demo, part real."
    )
    def is_demo(self) -> bool:
        return self.point.is_demo

    @strawberry.field(
        description="Where the authority's figure comes from (a DfE release, the publishing "
        "authority, or demo data); null when it has no figure."
    )
    def source(self) -> str | None:
        return self.point.source


@strawberry.type
class Trend:
    result: strawberry.Private[service.Trend]

    @strawberry.field(description="The breakdown topic of the series; null for the totals.")
    def breakdown_topic(self) -> str | None:
        return self.result.breakdown_topic

    @strawberry.field(description="The breakdown of the series (e.g. Female); null for totals.")
    def breakdown(self) -> str | None:
        return self.result.breakdown

    @strawberry.field
    def metric(self) -> Metric:
        return Metric(model=self.result.metric)

    @strawberry.field
    def authority(self) -> Authority:
        return Authority(model=self.result.authority)

    @strawberry.field
    def peer_group(self) -> str:
        return self.result.peer_group

    @strawberry.field(
        description="The latest point's direction: the latest period against the one just "
        "before it (directionFrom, directionTo)."
    )
    def direction(self) -> Direction:
        return Direction(self.result.direction)

    @strawberry.field(description="The latest point's change (movement, positive = up).")
    def change(self) -> float | None:
        return self.result.latest.change if self.result.latest else None

    @strawberry.field(description="Why the direction is NOT_COMPARABLE, in words; else null.")
    def direction_reason(self) -> str | None:
        return self.result.reason

    @strawberry.field(description="The earlier of the two periods the direction compares.")
    def direction_from(self) -> Period | None:
        latest = self.result.latest
        return Period(model=latest.previous) if latest and latest.previous else None

    @strawberry.field(description="The later of the two periods the direction compares.")
    def direction_to(self) -> Period | None:
        latest = self.result.latest
        return Period(model=latest.period) if latest else None

    @strawberry.field(
        description="One point per period, oldest first, from the metric's first period with "
        "figures to its last: a period where neither the authority nor any peer has a value is "
        "a point with no values, never dropped."
    )
    def points(self) -> list[TrendPoint]:
        return [TrendPoint(point=p) for p in self.result.points]


PEER_GROUP_ARG = strawberry.argument(
    description="A custom peer group you own (createPeerGroup); overrides peers. Custom groups "
    "never include pseudonymous figures."
)


BREAKDOWN_TOPIC_ARG = strawberry.argument(
    description="Compare one breakdown instead of the totals: its topic, as Metric.breakdowns "
    "lists it (with breakdown). Breakdowns are DfE's figures: never demo or pseudonymous."
)
BREAKDOWN_ARG = strawberry.argument(description="The breakdown of breakdownTopic, e.g. Female.")


def _breakdown_asked(topic: str | None, breakdown: str | None) -> tuple[str, str] | None:
    """The breakdown asked for; None for the totals. One of the two alone is INVALID."""
    if topic is None and breakdown is None:
        return None
    if topic is None or breakdown is None:
        raise InvalidInput(
            "breakdown" if breakdown is None else "breakdownTopic",
            "a breakdown is named by both breakdownTopic and breakdown",
        )
    return topic, breakdown


async def _custom_members(
    info: Info, peer_group: strawberry.ID | None
) -> list[AuthorityModel] | None:
    if peer_group is None:
        return None
    ctx = info.context
    try:
        kind, key = ctx.signer.parse_global_id(str(peer_group))
    except InvalidInput:
        kind, key = "", ""
    if kind != "PeerGroup":
        raise NotFound("no peer group with this id", field="peerGroup")
    return await ctx.read(lambda s: peergroups.members_for(s, ctx.viewer, key))


async def comparison(
    info: Info,
    metric: str,
    period: str,
    authority: str,
    peers: PeerGroup = PeerGroup.STATISTICAL_NEIGHBOURS,
    peer_group: Annotated[strawberry.ID | None, PEER_GROUP_ARG] = None,
    breakdown_topic: Annotated[str | None, BREAKDOWN_TOPIC_ARG] = None,
    breakdown: Annotated[str | None, BREAKDOWN_ARG] = None,
) -> Comparison:
    ctx = info.context
    members = await _custom_members(info, peer_group)
    asked = _breakdown_asked(breakdown_topic, breakdown)
    if asked is not None:
        topic, value = asked
        by_breakdown = await ctx.read(
            lambda s: breakdowns.compare_breakdown(
                s,
                metric_code=metric,
                period_label=period,
                authority_code=authority,
                topic=topic,
                breakdown=value,
                peers=peers.value,
                custom_members=members,
            )
        )
        return Comparison(result=by_breakdown)
    result = await ctx.read(
        lambda s: service.compare(
            s,
            ctx.viewer,
            metric_code=metric,
            period_label=period,
            authority_code=authority,
            peers=peers.value,
            custom_members=members,
            pseudonymiser=pseudonymiser(info),
        )
    )
    return Comparison(result=result)


async def trend(
    info: Info,
    metric: str,
    authority: str,
    peers: PeerGroup = PeerGroup.STATISTICAL_NEIGHBOURS,
    from_: Annotated[str | None, strawberry.argument(name="from")] = None,
    to: str | None = None,
    peer_group: Annotated[strawberry.ID | None, PEER_GROUP_ARG] = None,
    breakdown_topic: Annotated[str | None, BREAKDOWN_TOPIC_ARG] = None,
    breakdown: Annotated[str | None, BREAKDOWN_ARG] = None,
) -> Trend:
    ctx = info.context
    members = await _custom_members(info, peer_group)
    asked = _breakdown_asked(breakdown_topic, breakdown)
    if asked is not None:
        topic, value = asked
        series = await ctx.read(
            lambda s: breakdowns.trend_breakdown(
                s,
                metric_code=metric,
                authority_code=authority,
                topic=topic,
                breakdown=value,
                peers=peers.value,
                start=from_,
                end=to,
                custom_members=members,
            )
        )
        return Trend(result=series)
    result = await ctx.read(
        lambda s: service.trend(
            s,
            ctx.viewer,
            metric_code=metric,
            authority_code=authority,
            peers=peers.value,
            start=from_,
            end=to,
            custom_members=members,
            pseudonymiser=pseudonymiser(info),
        )
    )
    return Trend(result=result)
