"""``node(id:)``: one entry point for every Node type. An ID that is forged, of an unknown type,
or of a record the viewer may not see resolves to null: the same answer as a deleted record."""

from __future__ import annotations

import strawberry

from exchange.authorities import repository as authorities
from exchange.errors import InvalidInput
from exchange.observations import service as observations
from schema.authorities import Authority
from schema.context import Info
from schema.node import Node
from schema.observations import Observation
from schema.pseudonyms import pseudonymiser


async def resolve_node(info: Info, id: strawberry.ID) -> Node | None:
    ctx = info.context
    try:
        type_name, key = ctx.signer.parse_global_id(str(id))
    except InvalidInput:
        return None
    if type_name == "Authority":
        found = await ctx.read(lambda s: authorities.get_by_code(s, key))
        return Authority(model=found) if found else None
    if type_name == "Observation":
        shown = await ctx.read(
            lambda s: observations.get_shown(s, ctx.viewer, key, pseudonymiser(info))
        )
        return Observation(shown=shown) if shown else None
    resolver = ctx.services.extras.get("node_resolvers", {}).get(type_name)
    if resolver is not None:
        return await resolver(info, key)  # type: ignore[no-any-return]
    return None
