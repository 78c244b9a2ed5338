"""What the figures pages share (and the case study pages borrow): the shapes of their addresses,
the peer groups, the list of authorities and the words for a change in a figure.

The pages themselves: dashboard_pages (choose your authority, the dashboard), comparison_pages
(one metric against a peer group) and csv_export (that comparison as a file)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from exchange.web import formatting
from exchange.web.operations import run_operation

PEER_GROUPS = tuple(formatting.PEER_GROUPS)
AUTHORITY_CODE = re.compile(r"^[A-Za-z0-9]{3,12}$")
METRIC_CODE = re.compile(r"^[a-z0-9_]{1,80}$")
PERIOD_LABEL = re.compile(r"^[0-9]{4}([/-][0-9]{2})?$")


def short_numbers(unit: str) -> Callable[[float], str]:
    """How a chart labels its axis and bars in this unit."""
    return lambda v: formatting.number(v, unit, short=True)


async def all_authorities(request: Request) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(5):  # 153 authorities: two pages of 100
        data = (await run_operation(request, "Authorities", {"after": after})).ok()
        conn = data["authorities"]
        found.extend(edge["node"] for edge in conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    return found


def change_words(change: float | None, unit: str) -> str:
    if change is None:
        return ""
    if change == 0:
        return "no change"
    size = abs(change)
    amount = (
        f"{size:,.1f} percentage points" if unit == "PERCENT" else formatting.number(size, unit)
    )
    return f"{'up' if change > 0 else 'down'} {amount}"
