"""A published figure's cell as a number: plain ASCII decimals only (docs/publishing.md)."""

from __future__ import annotations

import math
import re

# A plain ASCII decimal: an optional minus, £ or both (-£5 or £-5), digits (grouped in threes by
# commas, or not at all), an optional decimal part, an optional %.
# [0-9], not \d, and no float() on the raw text: float() also reads '٣', '1_0.5', '1e3', 'nan'.
_NUMBER = re.compile(
    r"(?P<minus>-?)(?:(?P<gbp>£) ?(?P<minus2>-?))?"
    r"(?P<digits>(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?)(?: ?(?P<pct>%))?"
)


def parse_number(raw: float | str | None) -> float | None:
    """A cell as a number (see _NUMBER); None for an empty cell. A number given as a number
    (GraphQL's Float) must be finite.

    Raises ValueError for anything else."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError("not a number")
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:  # an int beyond any float
            raise ValueError("not a number") from None
        if not math.isfinite(value):
            raise ValueError("not a number")
        return value
    text = raw.strip()
    if text == "":
        return None
    m = _NUMBER.fullmatch(text)
    if m is None or (m["minus"] and m["minus2"]) or (m["gbp"] and m["pct"]):
        raise ValueError("not a number")
    value = float(m["digits"].replace(",", ""))
    return -value if (m["minus"] or m["minus2"]) and value else value
