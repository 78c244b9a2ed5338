"""The query-cost estimate of a validated document: ``nodes`` and ``work``, hence ``points``.

``nodes`` estimates how many objects an operation can return: every field of object type counts
once per time it can be resolved, a connection's ``edges``/``nodes`` count its ``first``/``last``
(20 when neither is given), and a plain list counts its declared maximum size; sizes multiply
down the tree. ``work`` estimates what the server does to produce them that the objects do not
show, from the per-field rules in schema/cost_rules.py. Both are upper bounds computed from the
document alone, so a client can predict them. ``points = 1 + (nodes + work) // 100``.

A ``first``/``last`` outside 0..100 raises ``CostError`` (``INVALID_PAGE_SIZE``).
Lists that are not connections declare their maximum size with
``strawberry.field(metadata={"list_size": 10})``, or in ``cost_rules.LIST_SIZES``; others count
50. Introspection (``__schema``, ``__type``) counts a flat 10 nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    VariableNode,
    get_named_type,
    is_composite_type,
    value_from_ast_untyped,
)

from schema.cost_rules import DEFAULT_LIST_SIZE, LIST_SIZE_HINTS, LIST_SIZES, field_work
from schema.relay import DEFAULT_PAGE, MAX_PAGE

INTROSPECTION_NODES = 10
NODES_PER_POINT = 100


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__") or hasattr(value, "__strawberry_definition__"):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


def _arguments(field: Any, node: FieldNode, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The field's arguments as plain values (enums by value, inputs as dicts), defaults
    included. A value execution will refuse counts as absent: it will cost nothing."""
    args: dict[str, Any] = {}
    for name, definition in field.args.items():
        default = definition.default_value
        args[name] = None if default is Undefined else _plain(default)
    for arg in node.arguments or ():
        try:
            args[arg.name.value] = _plain(value_from_ast_untyped(arg.value, dict(variables)))
        except (GraphQLError, TypeError, ValueError):
            args[arg.name.value] = None
    return args


@dataclass(frozen=True)
class Estimate:
    nodes: int  # objects the operation can return
    work: int = 0  # what producing them costs beyond that, in the same units

    @property
    def points(self) -> int:
        return 1 + (self.nodes + self.work) // NODES_PER_POINT


class CostError(Exception):
    def __init__(self, message: str, code: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


def find_operation(document: Any, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation to run: the named one, or the only one; None when there is no such."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return ops[0] if len(ops) == 1 else None
    return next((o for o in ops if o.name and o.name.value == operation_name), None)


def _page_argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> int | None:
    for arg in node.arguments or ():
        if arg.name.value != name:
            continue
        value: Any = None
        if isinstance(arg.value, IntValueNode):
            value = int(arg.value.value)
        elif isinstance(arg.value, VariableNode):
            value = variables.get(arg.value.name.value)
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value <= MAX_PAGE:
                raise CostError(
                    f"'{name}' must be between 0 and {MAX_PAGE}, got {value}",
                    "INVALID_PAGE_SIZE",
                    {"field": name},
                )
            return value
        return None  # null, or a value execution will refuse with a type error
    return None


def _declared_size(
    parent: GraphQLObjectType, field_name: str, field: Any, hints: Mapping[str, int]
) -> int:
    if field_name in hints:
        return hints[field_name]
    definition = (field.extensions or {}).get("strawberry-definition")
    metadata = getattr(definition, "metadata", None) or {}
    if "list_size" in metadata:
        return int(metadata["list_size"])
    return LIST_SIZES.get(f"{parent.name}.{field_name}", DEFAULT_LIST_SIZE)


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def estimate(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Estimate:
    """The estimate of a validated document; raises CostError for a bad page size."""
    variables = variables or {}
    op = find_operation(document, operation_name)
    if op is None:
        return Estimate(0)
    root = schema.get_root_type(op.operation)
    if root is None:
        return Estimate(0)
    root_kind = op.operation.value  # "query", "mutation" or "subscription"
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    total = 0
    work = 0

    def walk(
        selection_set: SelectionSetNode | None,
        parent: Any,
        multiplier: int,
        page: int | None,
        visiting: frozenset[str],
        hints: Mapping[str, int],
    ) -> None:
        nonlocal total, work
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if name.startswith("__"):
                    if name in ("__schema", "__type"):
                        total += INTROSPECTION_NODES * multiplier
                    continue
                fields = getattr(parent, "fields", None)
                field = fields.get(name) if fields else None
                if field is None:
                    continue
                args = _arguments(field, sel, variables) if field.args else {}
                work += multiplier * field_work(
                    parent, name, args, root_kind if parent is root else None
                )
                named = get_named_type(field.type)
                if not is_composite_type(named):
                    continue
                count = multiplier
                if _is_list(field.type):
                    size = (
                        page
                        if page is not None and name in ("edges", "nodes")
                        else _declared_size(parent, name, field, hints)
                    )
                    count = multiplier * size
                total += count
                child_page = None
                if "first" in field.args or "last" in field.args:
                    first = _page_argument(sel, "first", variables)
                    last = _page_argument(sel, "last", variables)
                    child_page = first if first is not None else last
                    if child_page is None:
                        child_page = DEFAULT_PAGE
                hint = LIST_SIZE_HINTS.get(f"{parent.name}.{name}")
                child_hints = hint(args) if hint is not None else {}
                walk(sel.selection_set, named, count, child_page, visiting, child_hints)
            elif isinstance(sel, InlineFragmentNode):
                target = parent
                if sel.type_condition is not None:
                    target = schema.get_type(sel.type_condition.name.value) or parent
                walk(sel.selection_set, target, multiplier, page, visiting, hints)
            elif isinstance(sel, FragmentSpreadNode):
                frag_name = sel.name.value
                frag = fragments.get(frag_name)
                if frag is None or frag_name in visiting:
                    continue
                target = schema.get_type(frag.type_condition.name.value) or parent
                walk(frag.selection_set, target, multiplier, page, visiting | {frag_name}, hints)

    walk(op.selection_set, root, 1, None, frozenset(), {})
    return Estimate(total, work)
