"""What an analyst probably meant by a metric code that does not exist: the nearest codes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from exchange.errors import NotFound

MOST = 3


def nearest(code: str, known: Iterable[str]) -> tuple[str, ...]:
    """Up to three known codes close to ``code``: those it is a part of first (``ehc_plan`` ->
    ``ehc_plans``), then those spelt most alike."""
    wanted = code.strip().lower()
    codes = sorted(set(known))
    if not wanted:
        return ()
    containing = sorted((c for c in codes if wanted in c), key=lambda c: (len(c), c))
    alike = difflib.get_close_matches(wanted, codes, n=MOST, cutoff=0.6)
    found: list[str] = []
    for c in [*containing, *alike]:
        if c not in found and c != wanted:
            found.append(c)
    return tuple(found[:MOST])


def unknown_metric(codes: Iterable[str], known: Iterable[str], field: str) -> NotFound:
    """The NotFound for codes that name no metric, with the nearest known codes."""
    missing = sorted(set(codes))
    catalogue = list(known)
    suggestions: list[str] = []
    for code in missing:
        suggestions += [c for c in nearest(code, catalogue) if c not in suggestions]
    listed = ", ".join(repr(c) for c in missing)
    message = f"no metric with code {listed}"
    if suggestions:
        message += f": did you mean {', '.join(suggestions)}?"
    else:
        message += ": the metrics query lists every code"
    return NotFound(message, field=field, suggestions=tuple(suggestions))
