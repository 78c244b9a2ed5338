from __future__ import annotations

import strawberry

from exchange.authorities import repository
from exchange.authorities.models import Authority as AuthorityModel
from exchange.comparison.reference import AuthorityRef
from exchange.errors import InvalidInput
from schema import relay
from schema.context import Info
from schema.enums import AuthorityType
from schema.node import Node


@strawberry.type(description="An English local authority with education duties.")
class Authority(Node):
    model: strawberry.Private[AuthorityModel | AuthorityRef]  # a row, or the cached copy

    @strawberry.field(description="Opaque global ID, usable with node(id:).")
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(info.context.signer.global_id("Authority", self.model.la_code))

    @classmethod
    async def resolve_node(cls, info: Info, key: str) -> Authority | None:
        found = await info.context.read(lambda s: repository.get_by_code(s, key))
        return cls(model=found) if found else None

    @strawberry.field(description="DfE 3-digit local authority code, e.g. 869.")
    def la_code(self) -> str:
        return self.model.la_code

    @strawberry.field(description="Current ONS GSS code, e.g. E06000037.")
    def gss_code(self) -> str:
        return self.model.gss_code

    @strawberry.field(
        description="The GSS code as DfE files still use it (older for five authorities)."
    )
    def gss_code_dfe(self) -> str:
        return self.model.gss_code_dfe

    @strawberry.field
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="Region name, e.g. South East.")
    def region(self) -> str:
        return self.model.region_name

    @strawberry.field
    def region_code(self) -> str:
        return self.model.region_code

    @strawberry.field
    def type(self) -> AuthorityType:
        return AuthorityType(self.model.type)

    @strawberry.field(description="DfE statistical neighbours (May 2025), closest first.")
    async def statistical_neighbours(self, info: Info) -> list[StatisticalNeighbour]:
        rows = await info.context.loaders.neighbours.load(self.model.id)
        return [
            StatisticalNeighbour(
                rank=n.rank, proximity=n.proximity, authority=Authority(model=n.authority)
            )
            for n in rows
        ]


@strawberry.type
class StatisticalNeighbour:
    rank: int
    proximity: str = strawberry.field(description="DfE proximity band, e.g. Very close.")
    authority: Authority


async def authority(info: Info, code: str) -> Authority | None:
    found = await info.context.read(lambda s: repository.get_by_code(s, code))
    return Authority(model=found) if found else None


async def authorities(
    info: Info,
    region: str | None = None,
    type: AuthorityType | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> relay.Connection[Authority]:
    if region is not None and len(region) > 100:
        raise InvalidInput("region", "region is too long")

    async def fetch(offset: int, limit: int) -> tuple[list[AuthorityModel], int]:
        return await info.context.read(
            lambda s: repository.list_page(
                s, region=region, type_=type.value if type else None, offset=offset, limit=limit
            )
        )

    return await relay.paginate(
        info.context.signer,
        fetch,
        lambda a: Authority(model=a),
        first=first,
        after=after,
        last=last,
        before=before,
    )
