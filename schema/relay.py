"""Relay connections with opaque cursors; ``first``/``last`` are capped at 100."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry

from exchange.errors import InvalidInput
from schema.ids import Signer

T = TypeVar("T")
S = TypeVar("S")
MAX_PAGE = 100
DEFAULT_PAGE = 20


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


@dataclass(frozen=True)
class Window:
    offset: int
    limit: int


def window(
    signer: Signer,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    total: int | None = None,
) -> Window:
    """Turn Relay arguments into an offset window. ``last`` without ``before`` needs ``total``."""
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise InvalidInput(
                name, f"'{name}' must be between 0 and {MAX_PAGE}, got {value}", "INVALID_PAGE_SIZE"
            )
    if first is not None and last is not None:
        raise InvalidInput("last", "pass 'first' or 'last', not both", "INVALID_PAGE_SIZE")
    start = signer.offset(after, "after") + 1 if after else 0
    end = signer.offset(before, "before") if before else None
    if last is not None:
        stop = end if end is not None else (total if total is not None else start + last)
        begin = max(start, stop - last)
        return Window(begin, max(0, stop - begin))
    size = DEFAULT_PAGE if first is None else first
    if end is not None:
        size = max(0, min(size, end - start))
    return Window(start, size)


def build(
    signer: Signer, items: Sequence[S], convert: Callable[[S], T], win: Window, total: int
) -> Connection[T]:
    edges = [
        Edge(node=convert(item), cursor=signer.cursor(win.offset + i))
        for i, item in enumerate(items)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=win.offset + len(items) < total,
            has_previous_page=win.offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


async def paginate(
    signer: Signer,
    fetch: Callable[[int, int], Awaitable[tuple[list[S], int]]],
    convert: Callable[[S], T],
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[T]:
    if last is not None and before is None:
        _, total = await fetch(0, 0)
        win = window(signer, first=first, after=after, last=last, before=before, total=total)
    else:
        win = window(signer, first=first, after=after, last=last, before=before)
    items, total = await fetch(win.offset, win.limit)
    return build(signer, items, convert, win, total)
