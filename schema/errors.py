"""Domain exceptions become coded GraphQL errors here, in one place; anything unexpected is
masked to a message with an error id and logged with its stack."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from exchange.errors import DomainError

log = logging.getLogger("exchange.graphql")


def map_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        # syntax, validation and variable-coercion errors: already safe and useful
        return error
    if isinstance(original, RecursionError):
        return GraphQLError(
            "The request is nested too deeply.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "TOO_DEEP"},
        )
    if isinstance(original, DomainError):
        extensions: dict[str, object] = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        if original.suggestions:
            extensions["suggestions"] = list(original.suggestions)
        return GraphQLError(
            original.message, nodes=error.nodes, path=error.path, extensions=extensions
        )
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "unexpected error %s at %s",
        error_id,
        error.path,
        exc_info=(type(original), original, original.__traceback__),
        extra={"error_id": error_id},
    )
    return GraphQLError(
        f"Internal error (id {error_id}). It has been logged; quote this id if you report it.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL", "errorId": error_id},
    )


class DomainErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, ExecutionResult) and result.errors:
            result.errors = [map_error(e) for e in result.errors]
        elif result is not None and getattr(result, "errors", None):
            result.errors = [map_error(e) for e in result.errors]  # type: ignore[union-attr]


class QuietSchema(strawberry.Schema):
    """strawberry logs every error with the client's query text; DomainErrors already logs the
    unexpected ones, once, with their error id and stack. Expected errors are not logged."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None
