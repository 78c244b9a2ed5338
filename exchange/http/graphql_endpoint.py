"""GraphQL over HTTP, per the GraphQL-over-HTTP spec (the graphql-http audit suite is the target).

- POST application/json; GET for queries only (405 with ``Allow: GET, POST`` for a mutation);
- ``application/graphql-response+json`` when the client accepts it, with 400 for request errors
  (parse, validation, variables) and 504 for an operation stopped by the time limit (no data:
  it was abandoned, not partly answered); ``application/json`` for legacy clients with 200;
- 415 for other request media types, 413 for bodies over the limit, 406 for unacceptable Accept;
- multipart/form-data: the GraphQL multipart request spec (file uploads), only with a
  ``GraphQL-Preflight`` (or Apollo's) header so a cross-site form cannot post one (400 otherwise).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from strawberry.file_uploads.utils import replace_placeholders_with_files

log = logging.getLogger("exchange.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MULTIPART = "multipart/form-data"


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


@dataclass
class Outcome:
    """One operation's result, as the executor reports it to the HTTP layer."""

    body: dict[str, Any]
    request_error: bool  # parse, validation, variables, limits: no execution happened
    status: int | None = None  # set to override the status (429 when over budget)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. X-RateLimit-*
    response: Response | None = None  # sent as is (authentication failed)
    # The operation ran but was abandoned as a whole (504: the time limit): no data, and this
    # status for application/graphql-response+json; legacy application/json clients get 200.
    failure_status: int | None = None


# The executor authenticates lazily: a request refused for its size or shape runs no SQL at all.
Executor = Callable[[GraphQLParams, Request], Awaitable[Outcome]]


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
            except (ValueError, RecursionError):
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
    except (GraphQLError, RecursionError):
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
    *,
    max_body: int,
    max_batch: int,
    ide_html: Callable[[], str] | None,
) -> Response:
    media = JSON
    form: FormData | None = None
    # A browser opening /graphql gets the IDE, whatever else its Accept lists (before
    # negotiation: `Accept: text/html` alone names no GraphQL response type).
    if (
        request.method == "GET"
        and "query" not in request.query_params
        and ide_html is not None
        and "text/html" in request.headers.get("accept", "")
    ):
        return HTMLResponse(ide_html())
    try:
        media = negotiate(request.headers.get("accept"))
        if request.method == "GET":
            if len(request.scope.get("query_string", b"")) > max_body:
                raise HTTPProblem(414, f"query string over the {max_body:,}-byte limit: use POST")
            params = params_from_query_string(request)
            op = _operation_type(params.query, params.operation_name)
            if op is not None and op != "query":
                raise HTTPProblem(405, "mutations must be sent with POST", {"Allow": "POST"})
            batch = [params]
            is_batch = False
        elif request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype == MULTIPART:
                batch, is_batch, form = await read_multipart(request, max_body)
            elif ctype != JSON:
                raise HTTPProblem(
                    415,
                    f"unsupported media type '{ctype or 'none'}': send {JSON} "
                    f"(or {MULTIPART} for a file upload)",
                )
            else:
                body = await read_body(request, max_body)
                try:
                    raw = json.loads(body)
                except (ValueError, RecursionError):
                    raise HTTPProblem(400, "the request body is not valid JSON") from None
                is_batch = isinstance(raw, list)
                if is_batch:
                    if not raw or len(raw) > max_batch:
                        raise HTTPProblem(
                            400, f"a batch holds between 1 and {max_batch} operations"
                        )
                    batch = [_params(r, "each batch entry") for r in raw]
                else:
                    batch = [_params(raw, "the request body")]
        else:
            raise HTTPProblem(405, "use GET or POST", {"Allow": "GET, POST"})
    except HTTPProblem as problem:
        return problem_response(problem, media)

    try:
        outcomes = [await execute(p, request) for p in batch]
    finally:
        if form is not None:
            await form.close()
    for outcome in outcomes:
        if outcome.response is not None:
            return outcome.response
    status = 200
    if media == GRAPHQL_RESPONSE and not is_batch and outcomes[0].request_error:
        status = 400
    elif media == GRAPHQL_RESPONSE and not is_batch and outcomes[0].failure_status:
        status = outcomes[0].failure_status
    headers: dict[str, str] = {}
    for outcome in outcomes:
        headers.update(outcome.headers)
        if outcome.status is not None:
            status = outcome.status
    payload: Any = [o.body for o in outcomes] if is_batch else outcomes[0].body
    return WholeNumbersJSONResponse(payload, status_code=status, headers=headers, media_type=media)


_EXACT = 2**53  # beyond this a float is not an exact integer for a JSON reader


def whole_numbers(value: Any) -> Any:
    """``value`` with every float that is a whole number as an int: JSON has one number type and
    GraphQL's Float asks only for a number, so a count reads 1685, not 1685.0."""
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() and -_EXACT < value < _EXACT else value
    if kind is dict:
        return {k: whole_numbers(v) for k, v in value.items()}
    if kind is list:
        return [whole_numbers(v) for v in value]
    return value


class WholeNumbersJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return super().render(whole_numbers(content))


# GraphQL multipart request spec (file uploads). A browser form can post multipart/form-data to any
# site without a CORS preflight, so a multipart request must also carry one of these headers, which
# a cross-site form cannot set (strawberry's and Apollo's CSRF guidance).
PREFLIGHT_HEADERS = ("graphql-preflight", "apollo-require-preflight", "x-apollo-operation-name")
MAX_UPLOAD_FILES = 5


async def read_multipart(
    request: Request, max_body: int
) -> tuple[list[GraphQLParams], bool, FormData]:
    """Parse a GraphQL multipart request: ``operations`` (JSON), ``map`` (JSON: file field ->
    variable paths) and the files, which are put into the variables where the map says."""
    if not any(request.headers.get(h, "").strip() for h in PREFLIGHT_HEADERS):
        raise HTTPProblem(
            400,
            "a multipart request must carry a 'GraphQL-Preflight: 1' header (or "
            "'Apollo-Require-Preflight: true'): it protects you from cross-site request forgery",
        )
    body = await read_body(request, max_body)
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {k: v for k, v in request.scope.items() if k != "app"}  # parse errors raise, not 400
    try:
        form = await Request(scope, receive=replay).form(
            max_files=MAX_UPLOAD_FILES, max_fields=MAX_UPLOAD_FILES + 2, max_part_size=max_body
        )
    except (MultiPartException, StarletteHTTPException, ValueError) as exc:
        raise HTTPProblem(400, f"the multipart body could not be parsed: {exc}") from None
    try:
        return (*_multipart_operations(form), form)
    except HTTPProblem:
        await form.close()
        raise


def _multipart_operations(form: FormData) -> tuple[list[GraphQLParams], bool]:
    operations = _json_field(form, "operations")
    files_map = _json_field(form, "map")
    if not isinstance(files_map, dict) or not all(
        isinstance(v, list) and all(isinstance(p, str) for p in v) for v in files_map.values()
    ):
        raise HTTPProblem(400, "'map' must be a JSON object: file field -> list of paths")
    files: dict[str, Any] = {}
    for name, paths in files_map.items():
        upload = form.get(name)
        if not isinstance(upload, UploadFile):
            raise HTTPProblem(400, f"the map names a file field '{name[:40]}' that was not sent")
        files[name] = upload
        for path in paths:
            parts = path.split(".")
            if isinstance(operations, list):
                parts = parts[1:] if parts and parts[0].isdigit() else []
            if len(parts) < 2 or parts[0] != "variables":
                raise HTTPProblem(400, f"map path '{path[:80]}' must point into the variables")
    if not isinstance(operations, dict | list):
        raise HTTPProblem(400, "'operations' must be a JSON object (or a list for a batch)")
    try:
        filled = replace_placeholders_with_files(operations, files_map, files)  # type: ignore[arg-type]
    except (KeyError, IndexError, TypeError, ValueError):
        raise HTTPProblem(400, "a map path does not match the operations' variables") from None
    if isinstance(filled, list):
        if not filled or len(filled) > MAX_UPLOAD_FILES:
            raise HTTPProblem(
                400, f"a multipart batch holds between 1 and {MAX_UPLOAD_FILES} operations"
            )
        return [_params(r, "each batch entry") for r in filled], True
    return [_params(filled, "'operations'")], False


def _json_field(form: FormData, name: str) -> Any:
    raw = form.get(name)
    if not isinstance(raw, str):
        raise HTTPProblem(400, f"a multipart request needs an '{name}' field holding JSON")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise HTTPProblem(400, f"the '{name}' field is not valid JSON") from None
