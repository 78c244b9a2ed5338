"""Server-side SVG charts: no JavaScript, no CDN, and nothing a screen reader cannot get elsewhere.

Every chart is drawn with colours from ``PALETTE`` (each at least 4.5:1 against the white
background: tests/web/test_charts.py checks), and never relies on colour alone: series also differ
by line pattern and marker, and the highlighted bar is labelled in words. The SVG carries a title
and a description; the page puts a caption, a text summary and the data table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BACKGROUND = "#ffffff"

# Meaningful colours (lines, bars, text). GOV.UK Frontend palette.
PALETTE: dict[str, str] = {
    "text": "#0b0c0c",
    "subject": "#1d70b8",  # blue: the authority you are looking at
    "peer": "#505a5f",  # dark grey: the other authorities
    "median": "#0b0c0c",  # black, dashed: peer median
    "england": "#00703c",  # green, dotted: England
    "region": "#4c2c92",  # purple, dash-dot: region
    "axis": "#505a5f",
}
# Decorative only (gridlines): not information, so no contrast requirement (WCAG 1.4.11).
GRID = "#b1b4b6"

FONT = "arial, sans-serif"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str
    dash: str | None = None  # SVG stroke-dasharray
    marker: str = "circle"  # circle | square | triangle | diamond
    width: float = 2.0
    point_label: str = ""  # written beside every point of the series, e.g. "demo"
    hollow: bool = False  # markers drawn as outlines (demo data), so they differ without colour


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    highlight: bool = False
    note: str = ""  # shown instead of a value when there is none, e.g. "c (confidential)"


@dataclass(frozen=True)
class Chart:
    id: str
    svg: Markup
    title: str
    description: str


def _nice_step(span: float, ticks: int = 5) -> float:
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def axis_range(values: Sequence[float]) -> tuple[float, float, float]:
    """(low, high, step): always includes zero, so bars and lines are not exaggerated."""
    low = min([0.0, *values])
    high = max([0.0, *values])
    if high == low:
        high = low + 1
    step = _nice_step(high - low)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _marker(kind: str, x: float, y: float, colour: str, *, hollow: bool = False) -> str:
    paint = (
        f'fill="{BACKGROUND}" stroke="{colour}" stroke-width="1.5"'
        if hollow
        else f'fill="{colour}"'
    )
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" {paint}/>'
    if kind == "triangle":
        return (
            f'<path d="M{x:.1f} {y - 4.5:.1f} L{x + 4.5:.1f} {y + 3.5:.1f} '
            f'L{x - 4.5:.1f} {y + 3.5:.1f} Z" {paint}/>'
        )
    if kind == "diamond":
        return (
            f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y:.1f} L{x:.1f} {y + 5:.1f} '
            f'L{x - 5:.1f} {y:.1f} Z" {paint}/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" {paint}/>'


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    size: int = 13,
    weight: str = "normal",
    colour: str = PALETTE["text"],
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'font-family="{FONT}" font-weight="{weight}" fill="{colour}">{escape(content)}</text>'
    )


def _open(chart_id: str, width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dbvx-chart" viewBox="0 0 {width} '
        f'{height}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="{BACKGROUND}"/>'
    )


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    periods: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str],
) -> Chart:
    """A trend: one line per series over ``periods``; gaps where a value is missing. A line
    joins consecutive periods only: a period without a value breaks it, and two series (demo
    data and real figures, say) are never joined."""
    width = 480
    left, right, top = 70, 16, 16
    bottom = 44 + 20 * len(series)
    height = top + 180 + bottom
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    low, high, step = axis_range(values or [0.0])

    def y_of(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    n = max(len(periods), 1)

    def x_of(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else i * plot_w / (n - 1))

    parts = [_open(chart_id, width, height, title, description)]
    tick = low
    while tick <= high + step / 1000:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}" '
            'stroke-width="1"/>'
        )
        parts.append(_text(left - 8, y + 4, fmt(tick), anchor="end", size=13))
        tick += step
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h:.1f}" x2="{width - right}" '
        f'y2="{top + plot_h:.1f}" stroke="{PALETTE["axis"]}" stroke-width="1.5"/>'
    )
    label_every = max(1, math.ceil(n / 6))
    for i, label in enumerate(periods):
        if (n - 1 - i) % label_every == 0:  # the latest period is always labelled
            parts.append(_text(x_of(i), top + plot_h + 18, label, anchor="middle", size=13))
    for s in series:
        path: list[str] = []
        pen_up = True
        for i, v in enumerate(s.values):
            if v is None:
                pen_up = True
                continue
            path.append(f"{'M' if pen_up else 'L'}{x_of(i):.1f} {y_of(v):.1f}")
            pen_up = False
        if path:
            dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
            parts.append(
                f'<path d="{" ".join(path)}" fill="none" stroke="{s.colour}" '
                f'stroke-width="{s.width}"{dash} stroke-linejoin="round"/>'
            )
        for i, v in enumerate(s.values):
            if v is not None:
                parts.append(_marker(s.marker, x_of(i), y_of(v), s.colour, hollow=s.hollow))
                if s.point_label:
                    parts.append(
                        _text(x_of(i) + 6, y_of(v) - 7, s.point_label, size=12, colour=s.colour)
                    )
    legend_top = top + plot_h + 38
    for k, s in enumerate(series):
        lx = 10.0
        ly = legend_top + k * 20
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        parts.append(
            f'<line x1="{lx:.1f}" y1="{ly - 4:.1f}" x2="{lx + 28:.1f}" y2="{ly - 4:.1f}" '
            f'stroke="{s.colour}" stroke-width="{s.width}"{dash}/>'
        )
        parts.append(_marker(s.marker, lx + 14, ly - 4, s.colour, hollow=s.hollow))
        parts.append(_text(lx + 36, ly, s.name, size=14))
    parts.append("</svg>")
    return Chart(chart_id, Markup("".join(parts)), title, description)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    fmt: Callable[[float], str],
    *,
    reference: float | None = None,
    reference_label: str = "",
) -> Chart:
    """Horizontal bars, one per row, in the order given; a highlighted row is drawn in the
    subject colour with a bold label and "(selected)", so it never relies on colour alone."""
    row = 22 if len(bars) <= 40 else 17
    width = 720
    label_w, value_w, right = 250, 110, 12
    top = 28 if reference is not None else 8
    height = top + row * len(bars) + 30
    plot_left = label_w + 8
    plot_w = width - plot_left - value_w - right
    values = [b.value for b in bars if b.value is not None]
    if reference is not None:
        values.append(reference)
    low, high, step = axis_range(values or [0.0])

    def x_of(v: float) -> float:
        return plot_left + (v - low) / (high - low) * plot_w

    parts = [_open(chart_id, width, height, title, description)]
    tick = low
    while tick <= high + step / 1000:
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + row * len(bars)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(x, top + row * len(bars) + 18, fmt(tick), anchor="middle", size=12))
        tick += step
    zero = x_of(0.0)
    size = 13 if row >= 20 else 11
    for i, b in enumerate(bars):
        y = top + i * row
        label = b.label if len(b.label) <= 36 else b.label[:35] + "…"
        if b.highlight:
            label += " (selected)"
        weight = "bold" if b.highlight else "normal"
        parts.append(_text(label_w, y + row * 0.68, label, anchor="end", size=size, weight=weight))
        if b.value is None:
            parts.append(_text(plot_left + 4, y + row * 0.68, b.note or "no figure", size=size))
            continue
        colour = PALETTE["subject"] if b.highlight else PALETTE["peer"]
        x0, x1 = sorted((zero, x_of(b.value)))
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 3:.1f}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{row - 6}" fill="{colour}"/>'
        )
        parts.append(
            _text(plot_left + plot_w + 6, y + row * 0.68, fmt(b.value), size=size, weight=weight)
        )
    if reference is not None:
        x = x_of(reference)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + row * len(bars)}" '
            f'stroke="{PALETTE["median"]}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        parts.append(
            _text(x, top - 10, f"{reference_label}: {fmt(reference)}", anchor="middle", size=12)
        )
    parts.append("</svg>")
    return Chart(chart_id, Markup("".join(parts)), title, description)


# -- contrast (WCAG 2.x) ------------------------------------------------------------------------


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    h = colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
