"""``viewer``: who the presented token says you are."""

from __future__ import annotations

from datetime import datetime

import strawberry

from exchange import pseudonyms
from exchange.authorities.models import Authority as AuthorityModel
from exchange.observations import anonymity
from exchange.tokens import service as tokens
from schema.authorities import Authority
from schema.context import Info
from schema.enums import ViewerRole
from schema.pseudonyms import Pseudonym, pseudonymiser


@strawberry.type(name="Viewer", description="The caller, as the bearer token describes it.")
class ViewerInfo:
    role: ViewerRole = strawberry.field(description="ANONYMOUS when no token was sent.")
    scopes: list[str] = strawberry.field(description="What the token may do, e.g. publish.")
    expires_at: datetime | None = strawberry.field(description="When the token stops working.")
    authority_model: strawberry.Private[AuthorityModel | None]
    pseudonym_model: strawberry.Private[pseudonyms.Pseudonym | None]

    @strawberry.field(description="The authority a publisher token is bound to.")
    def authority(self) -> Authority | None:
        return Authority(model=self.authority_model) if self.authority_model else None

    @strawberry.field(
        description="The label your pseudonymous figures are shown under (publishers only)."
    )
    def pseudonym(self) -> Pseudonym | None:
        return Pseudonym(model=self.pseudonym_model) if self.pseudonym_model else None


async def viewer(info: Info) -> ViewerInfo:
    ctx = info.context
    v = ctx.viewer
    authority = None
    pseudonym = None
    expires = None
    if v.authority_id is not None:
        authority = await ctx.loaders.authority.load(v.authority_id)
    if authority is not None:
        found = authority
        pseudonym = await ctx.read(lambda s: anonymity.pseudonym_for(s, pseudonymiser(info), found))
    if v.token_id is not None:
        expires = await ctx.read(lambda s: tokens.expiry_of(s, v.token_id))
    return ViewerInfo(
        role=ViewerRole(v.role),
        scopes=sorted(v.scopes),
        expires_at=expires,
        authority_model=authority,
        pseudonym_model=pseudonym,
    )


@strawberry.type
class ViewerQuery:
    viewer: ViewerInfo = strawberry.field(
        resolver=viewer, description="Who you are, as your bearer token says (or ANONYMOUS)."
    )
