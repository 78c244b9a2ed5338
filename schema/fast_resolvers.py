"""Plain fields resolved without strawberry's per-field machinery.

strawberry routes every field, even ``name: str`` or ``def value(self) -> float``, through its
argument conversion, Info object and extension chain: ~15 µs a field. A 153-entry comparison has
~1,200 fields, so that machinery was most of its time. For a field that has no arguments, no
field extensions, no permission classes, is not async and whose resolver (if any) takes only
``self``, the result is exactly ``getattr(source, name)`` or ``resolver(source)``: those get a
direct graphql-core resolver. Everything else keeps strawberry's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.types.fields.resolver import (
    CLS_PARAMSPEC,
    INFO_PARAMSPEC,
    PARENT_PARAMSPEC,
    ROOT_PARAMSPEC,
    SELF_PARAMSPEC,
)


def _attribute(name: str) -> Callable[[Any, Any], Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return getattr(source, name)

    return resolve


def _method(func: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return func(source)

    return resolve


def _direct(field: Any) -> Callable[[Any, Any], Any] | None:
    if field.arguments or field.extensions or field.permission_classes or field.is_async:
        return None
    resolver = field.base_resolver
    if resolver is None:
        return _attribute(field.python_name)
    reserved = resolver.reserved_parameters
    if resolver.arguments or reserved.get(SELF_PARAMSPEC) is None:
        return None
    if any(reserved.get(p) is not None for p in (CLS_PARAMSPEC, ROOT_PARAMSPEC, INFO_PARAMSPEC)):
        return None
    if reserved.get(PARENT_PARAMSPEC) is not None:
        return None
    func = resolver.wrapped_func
    if isinstance(func, staticmethod | classmethod) or not callable(func):
        return None
    return _method(func)


def install(schema: strawberry.Schema) -> int:
    """Give every plain field a direct resolver; returns how many fields got one."""
    count = 0
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for gql_field in type_.fields.values():
            definition = (gql_field.extensions or {}).get("strawberry-definition")
            if definition is None:
                continue
            direct = _direct(definition)
            if direct is not None:
                gql_field.resolve = direct
                count += 1
    return count
