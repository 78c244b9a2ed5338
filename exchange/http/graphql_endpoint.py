"""GraphQL over HTTP, per the GraphQL-over-HTTP spec (the graphql-http audit suite is the target).

- POST application/json; GET for queries only (405 with ``Allow: GET, POST`` for a mutation);
- ``application/graphql-response+json`` when the client accepts it, with 400 for request errors
  (parse, validation, variables); ``application/json`` for legacy clients with 200;
- 415 for other request media types, 413 for bodies over the limit, 406 for unacceptable Accept.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from exchange.viewer import Viewer

log = logging.getLogger("exchange.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


class HTTPProblem(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class GraphQLParams:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


Executor = Callable[[GraphQLParams, Request, Viewer], Awaitable[tuple[dict[str, Any], bool]]]
# returns (response body, is_request_error)


def negotiate(accept: str | None) -> str:
    if not accept:
        return JSON
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    for t in types:
        if t == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if t in (JSON, "application/*", "*/*"):
            return JSON
    raise HTTPProblem(406, f"Not acceptable: send Accept: {GRAPHQL_RESPONSE} or {JSON}")


def _params(raw: Any, where: str) -> GraphQLParams:
    if not isinstance(raw, dict):
        raise HTTPProblem(400, f"{where} must be a JSON object with a 'query' string")
    query = raw.get("query")
    if not isinstance(query, str) or not query.strip():
        raise HTTPProblem(400, "the 'query' parameter must be a non-empty string")
    variables = raw.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise HTTPProblem(400, "the 'variables' parameter must be a JSON object")
    name = raw.get("operationName")
    if name is not None and not isinstance(name, str):
        raise HTTPProblem(400, "the 'operationName' parameter must be a string")
    extensions = raw.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise HTTPProblem(400, "the 'extensions' parameter must be a JSON object")
    return GraphQLParams(query, variables, name, extensions)


def params_from_query_string(request: Request) -> GraphQLParams:
    qp = request.query_params
    raw: dict[str, Any] = {"query": qp.get("query"), "operationName": qp.get("operationName")}
    for key in ("variables", "extensions"):
        if qp.get(key):
            try:
                raw[key] = json.loads(qp[key])
            except ValueError:
                raise HTTPProblem(400, f"the '{key}' parameter is not valid JSON") from None
    return _params(raw, "the query string")


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise HTTPProblem(413, f"request body over the {limit:,}-byte limit")
        except ValueError:
            raise HTTPProblem(400, "invalid Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPProblem(413, f"request body over the {limit:,}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


@lru_cache(maxsize=512)
def _operation_type(query: str, operation_name: str | None) -> str | None:
    """The operation's type, or None when the document does not parse (execution reports it)."""
    try:
        doc: DocumentNode = parse(query, max_tokens=20_000)
    except GraphQLError:
        return None
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    for op in ops:
        if operation_name is None or (op.name and op.name.value == operation_name):
            return op.operation.value
    return None


def problem_response(problem: HTTPProblem, media: str = JSON) -> Response:
    body = {"errors": [{"message": problem.message}]}
    return JSONResponse(body, status_code=problem.status, headers=problem.headers, media_type=media)


async def handle(
    request: Request,
    execute: Executor,
    viewer: Viewer,
    *,
    max_body: int,
    max_batch: int,
    ide_html: Callable[[], str] | None,
) -> Response:
    media = JSON
    try:
        media = negotiate(request.headers.get("accept"))
        if request.method == "GET":
            if (
                "query" not in request.query_params
                and ide_html is not None
                and "text/html" in request.headers.get("accept", "")
            ):
                return HTMLResponse(ide_html())
            params = params_from_query_string(request)
            op = _operation_type(params.query, params.operation_name)
            if op is not None and op != "query":
                raise HTTPProblem(405, "mutations must be sent with POST", {"Allow": "POST"})
            batch = [params]
            is_batch = False
        elif request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != JSON:
                raise HTTPProblem(415, f"unsupported media type '{ctype or 'none'}': send {JSON}")
            body = await read_body(request, max_body)
            try:
                raw = json.loads(body)
            except ValueError:
                raise HTTPProblem(400, "the request body is not valid JSON") from None
            is_batch = isinstance(raw, list)
            if is_batch:
                if not raw or len(raw) > max_batch:
                    raise HTTPProblem(400, f"a batch holds between 1 and {max_batch} operations")
                batch = [_params(r, "each batch entry") for r in raw]
            else:
                batch = [_params(raw, "the request body")]
        else:
            raise HTTPProblem(405, "use GET or POST", {"Allow": "GET, POST"})
    except HTTPProblem as problem:
        return problem_response(problem, media)

    results = [await execute(p, request, viewer) for p in batch]
    status = 200
    if media == GRAPHQL_RESPONSE and not is_batch and results[0][1]:
        status = 400
    payload: Any = [r[0] for r in results] if is_batch else results[0][0]
    return JSONResponse(payload, status_code=status, media_type=media)
