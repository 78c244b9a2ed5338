from __future__ import annotations

import strawberry

from exchange.observations import service
from schema import relay
from schema.authorities import Authority
from schema.context import Info
from schema.enums import AreaLevel, Visibility
from schema.metrics import Metric, Period
from schema.node import Node
from schema.pseudonyms import Pseudonym, pseudonymiser


@strawberry.type(description="One figure: an area x metric x period, after disclosure control.")
class Observation(Node):
    shown: strawberry.Private[service.Shown]

    @strawberry.field
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(
            info.context.signer.global_id("Observation", self.shown.observation.public_id)
        )

    @classmethod
    async def resolve_node(cls, info: Info, key: str) -> Observation | None:
        ctx = info.context
        shown = await ctx.read(lambda s: service.get_shown(s, ctx.viewer, key, pseudonymiser(info)))
        return cls(shown=shown) if shown else None

    @strawberry.field
    def metric(self) -> Metric:
        return Metric(model=self.shown.metric)

    @strawberry.field
    async def period(self, info: Info) -> Period:
        p = await info.context.loaders.period.load(self.shown.observation.period_id)
        assert p is not None
        return Period(model=p)

    @strawberry.field(description="NATIONAL (England), REGIONAL or LOCAL_AUTHORITY.")
    def area_level(self) -> AreaLevel:
        return AreaLevel(self.shown.observation.area_level)

    @strawberry.field(
        description="E92000001 for England, the region's GSS code, or the DfE LA code; for a "
        "pseudonymous figure, its pseudonym label (the authority is never shown)."
    )
    def area_code(self) -> str:
        if self.shown.authority_withheld:
            return self.shown.pseudonym.label if self.shown.pseudonym else ""
        return self.shown.observation.area_code

    @strawberry.field(
        description="England, the region's name or the authority's name; for a pseudonymous "
        "figure, its pseudonym label."
    )
    async def area_name(self, info: Info) -> str:
        if self.shown.authority_withheld:
            return self.shown.pseudonym.label if self.shown.pseudonym else ""
        o = self.shown.observation
        found = await info.context.loaders.area_name.load((o.area_level, o.area_code))
        return found or o.area_code

    @strawberry.field(
        description="The authority, for local-authority figures; null for a pseudonymous figure "
        "(except to its publisher)."
    )
    async def authority(self, info: Info) -> Authority | None:
        oid = self.shown.observation.authority_id
        if oid is None or self.shown.authority_withheld:
            return None
        found = await info.context.loaders.authority.load(oid)
        return Authority(model=found) if found else None

    @strawberry.field(
        description="The value, or null when not available or suppressed (see symbol)."
    )
    def value(self) -> float | None:
        return self.shown.disclosed.value

    @strawberry.field(
        description="GSS symbol when there is no value: c "
        "(confidential), x (not available), z (not applicable), low, u."
    )
    def symbol(self) -> str | None:
        return self.shown.disclosed.symbol

    @strawberry.field(description="p provisional, r revised, e estimated.")
    def flags(self) -> str:
        return self.shown.disclosed.flags

    @strawberry.field(
        description="Revision number: 1 for the first publication, +1 for each change."
    )
    def revision(self) -> int:
        return self.shown.observation.revision

    @strawberry.field
    def source(self) -> str:
        return self.shown.observation.source

    @strawberry.field(description="True for demonstration figures (not real data).")
    def is_demo(self) -> bool:
        return self.shown.observation.is_demo

    @strawberry.field(description="True when published under a pseudonym.")
    def is_pseudonymous(self) -> bool:
        return self.shown.observation.pseudonymous

    @strawberry.field(description="The label and descriptors of a pseudonymous figure.")
    def pseudonym(self) -> Pseudonym | None:
        return Pseudonym(model=self.shown.pseudonym) if self.shown.pseudonym else None

    @strawberry.field(description="PUBLIC (anyone) or MEMBERS (any valid token).")
    def visibility(self) -> Visibility:
        return Visibility(self.shown.observation.visibility)

    @strawberry.field(description="True once its publisher has withdrawn it (see its history).")
    def withdrawn(self) -> bool:
        return self.shown.observation.withdrawn


@strawberry.input
class ObservationFilter:
    metrics: list[str] | None = None
    authorities: list[str] | None = strawberry.field(default=None, description="DfE or GSS codes.")
    periods: list[str] | None = strawberry.field(
        default=None,
        description="Period labels, e.g. 2024/25; each must be of a kind the filtered metrics "
        "are reported by (else WRONG_PERIOD_KIND).",
    )
    area_levels: list[AreaLevel] | None = strawberry.field(
        default=None, description="NATIONAL (England), REGIONAL and/or LOCAL_AUTHORITY rows only."
    )


async def observations(
    info: Info,
    filter: ObservationFilter | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> relay.Connection[Observation]:
    f = filter or ObservationFilter()
    for name, values in (
        ("metrics", f.metrics),
        ("authorities", f.authorities),
        ("periods", f.periods),
    ):
        if values is not None and len(values) > 200:
            from exchange.errors import InvalidInput

            raise InvalidInput(name, f"at most 200 {name} per query")
    ctx = info.context

    async def fetch(offset: int, limit: int) -> tuple[list[service.Shown], int]:
        return await ctx.read(
            lambda s: service.list_observations(
                s,
                ctx.viewer,
                metric_codes=f.metrics,
                authority_codes=f.authorities,
                period_labels=f.periods,
                offset=offset,
                limit=limit,
                pseudonymiser=pseudonymiser(info),
                area_levels=(
                    None if f.area_levels is None else [level.value for level in f.area_levels]
                ),
            )
        )

    return await relay.paginate(
        ctx.signer,
        fetch,
        lambda s: Observation(shown=s),
        first=first,
        after=after,
        last=last,
        before=before,
    )
