"""How figures read on the officer pages: numbers by unit, GSS symbols and directions in words."""

from __future__ import annotations

from dataclasses import dataclass

# GSS symbols (https://analysisfunction.civilservice.gov.uk/policy-store/symbols-in-tables-definitions-and-help/)
# with the short explanation every page shows beside a symbol.
SYMBOLS: dict[str, tuple[str, str]] = {
    "c": (
        "Confidential",
        "suppressed to protect small numbers: a count below the disclosure threshold, or a rate "
        "built on one",
    ),
    "x": ("Not available", "not published for this authority and period, or not visible to you"),
    "z": ("Not applicable", "the measure does not apply here"),
    "low": ("Low", "rounds to zero, but is not zero"),
    "u": ("Low reliability", "too uncertain to publish as a figure"),
}

PSEUDONYMOUS_EXPLANATION = (
    "Published under a pseudonym: the label is stable, and only the region or authority type is "
    "shown, and only when at least five authorities share it."
)

DEMO_EXPLANATION = (
    "Demo data: synthetic figures or text made up for the demonstration, not real council data."
)

PEER_GROUPS: dict[str, str] = {
    "STATISTICAL_NEIGHBOURS": "statistical neighbours",
    "REGION": "other authorities in the region",
    "AUTHORITY_TYPE": "authorities of the same type",
    "ENGLAND": "all authorities in England",
}

AUTHORITY_TYPES = {
    "COUNTY": "County",
    "UNITARY": "Unitary authority",
    "METROPOLITAN_DISTRICT": "Metropolitan district",
    "LONDON_BOROUGH": "London borough",
}

DIRECTIONS: dict[str, tuple[str, str]] = {
    # direction: (words, arrow shown beside the words; the words carry the meaning)
    "IMPROVING": ("Improving", "↑"),
    "WORSENING": ("Worsening", "↓"),
    "INCREASING": ("Increasing", "↗"),
    "DECREASING": ("Decreasing", "↘"),
    "NO_CHANGE": ("No change", "→"),
    "NOT_COMPARABLE": ("Not comparable", "–"),
}

POLARITY_WORDS = {
    "HIGHER_IS_BETTER": "higher is better",
    "LOWER_IS_BETTER": "lower is better",
    "NEUTRAL": "neither higher nor lower is better: ranked highest first",
}


def number(value: float | None, unit: str, *, short: bool = False) -> str:
    """A value for a table (``short=False``: full precision people can check) or for a chart
    axis (``short=True``: 1.2m, 45k)."""
    if value is None:
        return ""
    unit = unit.lower()
    if unit == "percent":
        return f"{value:,.1f}%"
    if unit == "gbp":
        if short:
            return "£" + _short(value)
        return (
            f"£{value:,.0f}"
            if float(value).is_integer() or abs(value) >= 1000
            else f"£{value:,.2f}"
        )
    if unit == "rate":
        return f"{value:,.2f}"
    if unit == "fte":
        return f"{value:,.1f}"
    if short:
        return _short(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _short(value: float) -> str:
    size = abs(value)
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if size >= limit:
            scaled = value / limit
            text = f"{scaled:,.1f}".rstrip("0").rstrip(".")
            return text + suffix
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


@dataclass(frozen=True)
class Shown:
    """A figure as a page shows it: text, and a symbol with its explanation when there is none."""

    text: str
    symbol: str | None
    symbol_name: str | None
    explanation: str | None

    @property
    def missing(self) -> bool:
        return self.symbol is not None


def shown(value: float | None, symbol: str | None, unit: str) -> Shown:
    if value is not None:
        return Shown(number(value, unit), None, None, None)
    code = symbol or "x"
    name, why = SYMBOLS.get(code, ("Not available", "no figure"))
    return Shown(code, code, name, why)


def direction(code: str | None) -> tuple[str, str]:
    return DIRECTIONS.get(code or "NOT_COMPARABLE", DIRECTIONS["NOT_COMPARABLE"])
