from __future__ import annotations

import strawberry
from strawberry.types import Info


@strawberry.interface(description="An object with an opaque global ID.")
class Node:
    @strawberry.field(description="Opaque global ID, usable with node(id:).")
    def id(self, info: Info) -> strawberry.ID:
        raise NotImplementedError  # each Node type signs its own id
