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

from exchange.http.admission import budget_key
from exchange.web.auth import viewer_for
from exchange.web.fragments import with_fragments
from schema.context import Context, Services
from schema.cost import Admission
from schema.deadline import execute as execute_with_deadline

OPERATIONS_DIR = Path(__file__).resolve().parent / "operations"
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{1,60}$")


class OperationFailed(Exception):
    """The operation returned errors a page cannot show in place (a bug, or a lost database)."""

    def __init__(self, name: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{name}: {[e.get('message') for e in errors]}")
        self.name = name
        self.errors = errors


class PageRateLimited(Exception):
    """The viewer's query-cost budget is spent: the page answers 429 like the API would."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after


class PageContext(Context):
    """A page's operations draw on the same budget as the viewer's API calls (same key: the
    token, or the client address), so pages are no way around the API's rate limit."""

    def __init__(self, services: Services, viewer: Any, request: Request) -> None:
        super().__init__(services, viewer, request)

    async def admit(self, points: int) -> Admission:
        limiter = self.services.rate_limiter
        if limiter is None:
            return Admission(viewer=self.viewer)
        budget = await limiter.charge(budget_key(self.viewer, self.request), points)
        return Admission(viewer=self.viewer, budget=budget)


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
    return with_fragments(text)


def operation_names() -> list[str]:
    return sorted(p.stem for p in OPERATIONS_DIR.glob("*.graphql"))


async def run_operation(
    request: Request, name: str, variables: dict[str, Any] | None = None
) -> Result:
    """Run ``operations/<name>.graphql`` as the request's viewer."""
    viewer = await viewer_for(request)
    app = request.app
    ctx = PageContext(app.state.services, viewer, request)
    try:
        result = await execute_with_deadline(
            app.state.schema,
            ctx,
            app.state.services.settings.operation_timeout_ms,
            operation_text(name),
            variable_values=variables or {},
            operation_name=name,
        )
    finally:
        await ctx.close()
    errors: list[dict[str, Any]] = [dict(e.formatted) for e in result.errors or ()]
    for error in errors:
        extensions = error.get("extensions") or {}
        if extensions.get("code") == "RATE_LIMITED":
            raise PageRateLimited(int(extensions.get("retryAfter") or 60))
    return Result(name, result.data, errors)
