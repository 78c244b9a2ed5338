from __future__ import annotations

import strawberry

from exchange.comparison.reference import MetricRef, PeriodRef
from exchange.metrics import repository
from exchange.metrics.models import Metric as MetricModel
from exchange.periods.models import Period as PeriodModel
from schema.context import Info
from schema.enums import PeriodKind, Polarity, Unit


@strawberry.type(description="A measure in the catalogue, e.g. ehc_plans.")
class Metric:
    model: strawberry.Private[MetricModel | MetricRef]  # a row, or the cached copy

    @strawberry.field(description="Stable snake_case code.")
    def code(self) -> str:
        return self.model.code

    @strawberry.field
    def name(self) -> str:
        return self.model.name

    @strawberry.field
    def description(self) -> str:
        return self.model.description

    @strawberry.field
    def unit(self) -> Unit:
        return Unit(self.model.unit)

    @strawberry.field
    def polarity(self) -> Polarity:
        return Polarity(self.model.polarity)

    @strawberry.field
    def theme(self) -> str:
        return self.model.theme

    @strawberry.field
    def source(self) -> str:
        return self.model.source

    @strawberry.field
    def period_kind(self) -> PeriodKind:
        return PeriodKind(self.model.period_kind)

    @strawberry.field(
        description="Counts below this (or rates whose numerator is "
        "below it) are suppressed as 'c', where the metric's disclosure rule applies."
    )
    def disclosure_threshold(self) -> int:
        return self.model.disclosure_threshold

    @strawberry.field(
        description="PUBLISHED (DfE's own disclosure control already applied), COUNT, RATE, "
        "or NONE (not a count of people, e.g. pounds or FTE: never suppressed)."
    )
    def disclosure_rule(self) -> str:
        return self.model.disclosure_rule.upper()

    @strawberry.field(
        description="True for figures councils publish themselves (not DfE statistics)."
    )
    def self_reported(self) -> bool:
        return self.model.self_reported

    @strawberry.field(
        description="True for the metrics the authority dashboard shows (shares, rates and "
        "timeliness first); every metric has its comparison page and its place in the API."
    )
    def on_dashboard(self) -> bool:
        return self.model.on_dashboard

    @strawberry.field(
        description="The EES breakdowns imported for it (age, sex, ethnicity, ...), by topic; "
        "empty when only its totals are. Their figures: the breakdownFigures query."
    )
    async def breakdowns(self, info: Info) -> list[Breakdown]:
        found = await info.context.loaders.breakdowns.load(self.model.id)
        return [Breakdown(topic=t, breakdown=b, figures=n) for t, b, n in found]


@strawberry.type(description="One breakdown of a metric's totals, as the EES file names it.")
class Breakdown:
    topic: str = strawberry.field(description="breakdown_topic, e.g. 'Child or young persons age'.")
    breakdown: str = strawberry.field(description="breakdown, e.g. 'Age 5 to 10'.")
    figures: int = strawberry.field(description="How many figures it has (areas x periods).")


@strawberry.type(description="An EES period with its public label (2024/25, 2024, 2023-24).")
class Period:
    model: strawberry.Private[PeriodModel | PeriodRef]  # a row, or the cached copy

    @strawberry.field(
        description="Public label: 2024/25 (academic), 2024 (calendar), 2023-24 (financial)."
    )
    def label(self) -> str:
        return self.model.label

    @strawberry.field
    def kind(self) -> PeriodKind:
        return PeriodKind(self.model.kind)

    @strawberry.field(description="EES time_identifier, e.g. 'Academic year'.")
    def time_identifier(self) -> str:
        return self.model.time_identifier

    @strawberry.field(description="EES time_period, e.g. 202425.")
    def time_period(self) -> str:
        return self.model.time_period


async def metrics(info: Info) -> list[Metric]:
    rows = await info.context.read(repository.all_metrics)
    return [Metric(model=m) for m in rows]


async def metric(info: Info, code: str) -> Metric | None:
    found = await info.context.read(lambda s: repository.get_by_code(s, code))
    return Metric(model=found) if found else None
