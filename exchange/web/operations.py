"""Pages get their data by running a named GraphQL operation in-process.

Each operation lives in ``exchange/web/operations/<Name>.graphql`` and is executed with the
request's viewer through the same schema, context and permission path as the API
(``app.state.schema``, ``app.state.services``): a page can never show what the API would not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from starlette.requests import Request

from exchange.web.auth import viewer_for
from schema.context import Context

OPERATIONS_DIR = Path(__file__).resolve().parent / "operations"
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{1,60}$")


class OperationFailed(Exception):
    """The operation returned errors a page cannot show in place (a bug, or a lost database)."""

    def __init__(self, name: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{name}: {[e.get('message') for e in errors]}")
        self.name = name
        self.errors = errors


@dataclass
class Result:
    name: str
    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def codes(self) -> set[str]:
        return {str((e.get("extensions") or {}).get("code", "")) for e in self.errors}

    def first_error(self) -> dict[str, Any] | None:
        return self.errors[0] if self.errors else None

    def ok(self) -> dict[str, Any]:
        """The data, or OperationFailed when anything went wrong."""
        if self.errors or self.data is None:
            raise OperationFailed(self.name, self.errors)
        return self.data


@lru_cache(maxsize=128)
def operation_text(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"bad operation name {name!r}")
    path = OPERATIONS_DIR / f"{name}.graphql"
    text = path.read_text(encoding="utf-8")
    if not re.search(rf"\b(query|mutation)\s+{name}\b", text):
        raise ValueError(f"{path.name} must define an operation named {name}")
    return text


def operation_names() -> list[str]:
    return sorted(p.stem for p in OPERATIONS_DIR.glob("*.graphql"))


async def run_operation(
    request: Request, name: str, variables: dict[str, Any] | None = None
) -> Result:
    """Run ``operations/<name>.graphql`` as the request's viewer."""
    viewer = await viewer_for(request)
    app = request.app
    ctx = Context(app.state.services, viewer, request)
    try:
        result = await app.state.schema.execute(
            operation_text(name),
            variable_values=variables or {},
            context_value=ctx,
            operation_name=name,
        )
    finally:
        await ctx.close()
    errors = [e.formatted for e in result.errors] if result.errors else []
    return Result(name, result.data, errors)
