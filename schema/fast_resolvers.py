"""Plain fields resolved without strawberry's per-field machinery.

strawberry routes every field, even ``name: str`` or ``def value(self) -> float``, through its
argument conversion, Info object and extension chain: ~15 µs a field. A 153-entry comparison has
~1,200 fields, so that machinery was most of its time. For a field that has no arguments, no
field extensions, no permission classes, is not async and whose resolver (if any) takes only
``self``, the result is exactly ``getattr(source, name)`` or ``resolver(source)``: those get a
direct graphql-core resolver. Everything else keeps strawberry's.

graphql-core then still spends ~10 µs a field building an Info object, checking for awaitables
and completing the value. ``FastExecutionContext`` resolves a direct field of scalar or enum type
(most of a comparison's ~1,200 fields) in one step: resolver, then the type's
``coerce_output_value``, as graphql-core's ``complete_leaf_value`` would. Anything unusual (a
null for a non-null field, an exception, a value the type refuses) falls back to graphql-core's
own path, which re-runs the (side-effect-free) resolver and reports the error exactly as before.

A field that carries a directive in the operation (``@stream``, a custom one) always takes
graphql-core's path. This relies on internals of strawberry and graphql-core (the pins in
pyproject.toml); ``EXCHANGE_FAST_EXECUTION=0`` builds the schema without it (schema/build.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
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


# Attributes set on a direct resolver: the compiled shape of its field's type, and for a scalar or
# enum type (possibly non-null) the leaf type itself.
_SHAPE = "_dbvx_shape"
_LEAF = "_dbvx_leaf_type"
_NON_NULL = "_dbvx_non_null"

# A field type compiled once at install: (NON_NULL, inner) | (LIST, inner) | (LEAF, type) |
# (OBJECT, type). Abstract types (interfaces, unions) have no shape: graphql-core completes them.
_NN, _LIST, _LEAF_KIND, _OBJECT = 0, 1, 2, 3
Shape = tuple[int, Any]


def _shape(type_: Any) -> Shape | None:
    if isinstance(type_, GraphQLNonNull):
        inner = _shape(type_.of_type)
        return (_NN, inner) if inner is not None else None
    if isinstance(type_, GraphQLList):
        inner = _shape(type_.of_type)
        return (_LIST, inner) if inner is not None else None
    if is_leaf_type(type_):
        return (_LEAF_KIND, type_)
    if isinstance(type_, GraphQLObjectType):
        return (_OBJECT, type_)
    return None


def _mark(resolve: Any, field_type: Any) -> None:
    setattr(resolve, _SHAPE, _shape(field_type))
    non_null = isinstance(field_type, GraphQLNonNull)
    inner = field_type.of_type if non_null else field_type
    if is_leaf_type(inner):
        setattr(resolve, _LEAF, inner)
        setattr(resolve, _NON_NULL, non_null)


def _probe(source: Any, info: Any) -> Any:
    return None


class _Bail(Exception):
    """The one-step path met something unusual; graphql-core's own path takes the object."""


_TYPENAME = object()
# One step of an object's plan: response key, direct resolver (or _TYPENAME), the field's compiled
# shape (or the type name), and the field's details (the key for its sub-selection's plan).
Step = tuple[str, Any, Any, Any]


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context with one-step paths for plain fields and objects.

    An object whose every selected field is plain (a direct resolver, no arguments, no directive on
    the field, no @defer) is completed by a plan compiled once per request and selection:
    resolver, then coercion or the sub-plan, with no Info objects, paths or awaitable checks.
    Anything unusual (an exception, a null for a non-null field, a value its type refuses, an
    awaitable) abandons the fast result for that object and graphql-core completes it from
    scratch, re-running the (side-effect-free) resolvers and reporting errors with their paths
    exactly as before.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # strawberry passes a MiddlewareManager holding the extensions that hook ``resolve``;
        # with none, it hands back resolvers unchanged and the one-step paths are exact.
        manager = self.middleware_manager
        self._plain = manager is None or manager.get_field_resolver(_probe) is _probe
        self._plans: dict[tuple[Any, int], tuple[Any, tuple[Step, ...] | None]] = {}

    def _plan(self, return_type: Any, field_details_list: Any) -> tuple[Step, ...] | None:
        key = (return_type, id(field_details_list))
        hit = self._plans.get(key)
        if hit is not None:
            return hit[1]
        plan = self._build_plan(return_type, field_details_list)
        # The list is kept alive with its plan so that its id cannot be reused (as graphql-core's
        # own collect_subfields cache does).
        self._plans[key] = (field_details_list, plan)
        return plan

    def _build_plan(self, return_type: Any, field_details_list: Any) -> tuple[Step, ...] | None:
        grouped, new_defer_usages, _ = self.collect_subfields(return_type, field_details_list)
        if new_defer_usages:
            return None
        steps: list[Step] = []
        for response_key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            if name == "__typename":
                steps.append((response_key, _TYPENAME, return_type.name, None))
                continue
            # Arguments, or any directive on the field itself (@stream, a custom one; @include and
            # @skip were applied when the fields were collected): graphql-core's path.
            if node.arguments or node.directives:
                return None
            field_def = return_type.fields.get(name)
            resolve = field_def.resolve if field_def is not None else None
            shape = getattr(resolve, _SHAPE, None)
            if shape is None:
                return None
            steps.append((response_key, resolve, shape, details))
        return tuple(steps)

    def _run(self, plan: tuple[Step, ...], source: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, resolve, shape, details in plan:
            if resolve is _TYPENAME:
                out[key] = shape
            else:
                out[key] = self._complete(shape, details, resolve(source, None))
        return out

    def _complete(self, shape: Shape, details: Any, value: Any) -> Any:
        kind, inner = shape
        if kind == _NN:
            completed = self._complete(inner, details, value)
            if completed is None:
                raise _Bail
            return completed
        if value is None:
            return None
        if kind == _LEAF_KIND:
            coerced = inner.coerce_output_value(value)
            if coerced is Undefined or coerced is None:
                raise _Bail
            return coerced
        if kind == _LIST:
            if not isinstance(value, list | tuple):
                raise _Bail  # generators, strings and the like: graphql-core's rules
            return [self._complete(inner, details, item) for item in value]
        is_type_of = inner.is_type_of
        if is_type_of is not None and is_type_of(value, None) is not True:
            raise _Bail
        plan = self._plan(inner, details)
        if plan is None or isinstance(value, Exception) or self.is_awaitable(value):
            raise _Bail
        return self._run(plan, value)

    def complete_object_value(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        if self._plain:
            plan = self._plan(return_type, field_details_list)
            if plan is not None:
                is_type_of = return_type.is_type_of
                try:
                    if is_type_of is None or is_type_of(result, info) is True:
                        return self._run(plan, result)
                except Exception:
                    pass  # graphql-core's path below re-runs the resolvers and reports the error
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def execute_field(
        self,
        parent_type: Any,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        if self._plain and not node.arguments and not node.directives:
            field_def = parent_type.fields.get(node.name.value)
            resolve = field_def.resolve if field_def is not None else None
            leaf = getattr(resolve, _LEAF, None)
            if leaf is not None:
                try:
                    result = resolve(source, None)  # type: ignore[misc]
                    if result is None:
                        if not getattr(resolve, _NON_NULL):
                            return None
                    elif not isinstance(result, Exception):
                        coerced = leaf.coerce_output_value(result)
                        if coerced is not Undefined and coerced is not None:
                            return coerced
                except Exception:
                    pass  # graphql-core's path below re-runs the resolver and reports the error
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


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
                _mark(direct, gql_field.type)
                gql_field.resolve = direct
                count += 1
    schema.execution_context_class = FastExecutionContext
    return count
