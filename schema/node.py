"""The Node interface and ``node(id:)``: one entry point for every Node type, resolved per type
(strawberry's ``resolve_nodes`` style). Each Node type answers for its own global IDs with its
``resolve_node`` classmethod; the type is found from the name inside the ID, which is the Python
class name of the Node type (the GraphQL name may differ: PeerGroup is CustomPeerGroup).

An ID that is forged, of an unknown type, or of a record the viewer may not see resolves to
null: the same answer as a deleted record."""

from __future__ import annotations

from typing import Self

import strawberry
from strawberry.types import Info
from strawberry.types.base import get_object_definition

from exchange.errors import InvalidInput


@strawberry.interface(description="An object with an opaque global ID.")
class Node:
    @strawberry.field(description="Opaque global ID, usable with node(id:).")
    def id(self, info: Info) -> strawberry.ID:
        raise NotImplementedError  # each Node type signs its own id

    @classmethod
    async def resolve_node(cls, info: Info, key: str) -> Self | None:
        """The object whose global ID carries ``key``; None when missing or not visible."""
        return None


def node_type(name: str) -> type[Node] | None:
    """The Node type whose global IDs carry ``name``; None for a name no type answers to."""
    pending = list(Node.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.__name__ == name and get_object_definition(cls) is not None:
            return cls
        pending.extend(cls.__subclasses__())
    return None


async def resolve_node(info: Info, id: strawberry.ID) -> Node | None:
    try:
        type_name, key = info.context.signer.parse_global_id(str(id))
    except InvalidInput:
        return None
    found = node_type(type_name)
    return await found.resolve_node(info, key) if found is not None else None
