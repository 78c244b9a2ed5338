"""The GraphQL endpoint's request context: it authenticates lazily and charges the query's cost.

``schema/cost.py`` calls ``admit(points)`` after the document has parsed, validated and passed
the depth, alias, token, page-size and cost limits, so a request refused for its size or shape
never looks up a token or touches the database. The budget key is the token, or the client
address for anonymous callers: the connection's peer, or behind a proxy listed in
``EXCHANGE_TRUSTED_PROXIES`` the address it forwarded (exchange/http/forwarded.py; a client's
own ``X-Forwarded-For`` is ignored, see docs/deployment.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from exchange.http.graphql_endpoint import Outcome
from exchange.http.ratelimit import RateLimiter
from exchange.viewer import ANONYMOUS, Viewer
from schema.context import Context, Services
from schema.cost import Admission, Budget

Authenticate = Callable[[], Awaitable[Viewer | Response]]


def once(authenticate: Authenticate) -> Authenticate:
    """Authenticate at most once per HTTP request (a batch shares the answer)."""
    answer: list[Viewer | Response] = []

    async def cached() -> Viewer | Response:
        if not answer:
            answer.append(await authenticate())
        return answer[0]

    return cached


def budget_key(viewer: Viewer, request: Request | None) -> str:
    if viewer.token_id is not None:
        return f"token:{viewer.token_id}"
    client = request.client.host if request is not None and request.client else "unknown"
    return f"ip:{client}"


class HttpContext(Context):
    def __init__(
        self,
        services: Services,
        request: Request,
        authenticate: Authenticate,
        limiter: RateLimiter | None,
    ) -> None:
        super().__init__(services, ANONYMOUS, request)
        self._authenticate = authenticate
        self._limiter = limiter
        self.rejected: Response | None = None
        self.budget: Budget | None = None

    async def admit(self, points: int) -> Admission:
        who = await self._authenticate()
        if isinstance(who, Response):
            self.rejected = who
            return Admission(rejected=who)
        if self._limiter is not None:
            self.budget = await self._limiter.charge(budget_key(who, self.request), points)
        return Admission(viewer=who, budget=self.budget)


def rate_limit_headers(budget: Budget | None) -> dict[str, str]:
    if budget is None:
        return {}
    headers = {
        "X-RateLimit-Limit": str(budget.limit),
        "X-RateLimit-Remaining": str(budget.remaining),
        "X-RateLimit-Reset": str(budget.reset_at),
    }
    if not budget.allowed:
        headers["Retry-After"] = str(budget.retry_after)
    return headers


def outcome(ctx: Context, body: dict[str, Any], request_error: bool) -> Outcome:
    failure = None
    if ctx.deadline is not None and ctx.deadline.expired:
        # It ran and was stopped (schema/deadline.py): not a request error, 504 for clients
        # that accept application/graphql-response+json.
        request_error, failure = False, 504
    if isinstance(ctx, HttpContext):
        if ctx.rejected is not None:
            return Outcome(body, request_error, response=ctx.rejected)
        budget = ctx.budget
        status = 429 if budget is not None and not budget.allowed else None
        return Outcome(
            body,
            request_error,
            status=status,
            headers=rate_limit_headers(budget),
            failure_status=failure,
        )
    return Outcome(body, request_error, failure_status=failure)
