"""Server-side SVG charts: contrast, structure, gaps, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from exchange.web import charts
from exchange.web.formatting import number

SVG = "{http://www.w3.org/2000/svg}"


def fmt(v: float) -> str:
    return number(v, "count", short=True)


def test_wcag_contrast_formula_matches_known_values() -> None:
    assert charts.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert charts.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # GOV.UK blue on white, as published by the GOV.UK Design System: 5.17:1
    assert charts.contrast_ratio("#1d70b8", "#ffffff") == pytest.approx(5.17, abs=0.01)
    assert charts.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("name", sorted(charts.PALETTE))
def test_every_chart_colour_passes_text_contrast_on_the_background(name: str) -> None:
    # 4.5:1 (WCAG 1.4.3, text), which also covers 3:1 for graphics (WCAG 1.4.11)
    assert charts.contrast_ratio(charts.PALETTE[name], charts.BACKGROUND) >= 4.5


def test_highlighted_bar_is_distinguishable_from_the_others_without_colour() -> None:
    chart = charts.bar_chart(
        "c",
        "Title",
        "Description",
        [charts.Bar("Reading", 10.0), charts.Bar("West Berkshire", 12.0, highlight=True)],
        fmt,
    )
    assert "West Berkshire (selected)" in chart.svg
    assert 'font-weight="bold"' in chart.svg


def test_colours_drawn_are_only_palette_colours_or_decorative_grid() -> None:
    line = charts.line_chart(
        "t",
        "T",
        "D",
        ["2022", "2023"],
        [
            charts.Series("A", [1.0, 2.0], charts.PALETTE["subject"]),
            charts.Series("B", [2.0, 1.0], charts.PALETTE["median"], dash="4 2"),
        ],
        fmt,
    )
    used = set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', str(line.svg)))
    allowed = {*charts.PALETTE.values(), charts.GRID, charts.BACKGROUND}
    assert used <= allowed


def test_line_chart_is_accessible_svg_with_title_and_description() -> None:
    chart = charts.line_chart(
        "trend-x",
        "EHC plans, 2022/23 to 2024/25",
        "Line chart of EHC plans.",
        ["2022/23", "2023/24", "2024/25"],
        [charts.Series("West Berkshire", [1322.0, 1531.0, 1685.0], charts.PALETTE["subject"])],
        fmt,
    )
    root = ET.fromstring(str(chart.svg))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "trend-x-title trend-x-desc"
    assert root.find(f"{SVG}title").text == "EHC plans, 2022/23 to 2024/25"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Line chart of EHC plans."  # type: ignore[union-attr]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "2024/25" in texts and "West Berkshire" in texts


def test_missing_values_leave_a_gap_in_the_line() -> None:
    chart = charts.line_chart(
        "g",
        "T",
        "D",
        ["1", "2", "3", "4"],
        [charts.Series("A", [1.0, 2.0, None, 4.0], charts.PALETTE["subject"])],
        fmt,
    )
    path = re.search(r'<path d="([^"]+)" fill="none"', str(chart.svg))
    assert path is not None
    assert path.group(1).count("M") == 2  # the pen lifts at the missing value
    assert str(chart.svg).count("<circle") == 3 + 1  # three points and the legend marker


def test_labels_are_escaped() -> None:
    chart = charts.bar_chart("x", "<script>", "a & b", [charts.Bar("<b>Evil</b>", 1.0)], fmt)
    svg = str(chart.svg)
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;b&gt;Evil&lt;/b&gt;" in svg
    ET.fromstring(svg)  # still well-formed


def test_bar_without_a_value_shows_its_note_and_no_bar() -> None:
    chart = charts.bar_chart(
        "s", "T", "D", [charts.Bar("Rutland", None, note="c (confidential)")], fmt
    )
    assert "c (confidential)" in chart.svg
    assert "<rect x" not in str(chart.svg).split("</desc>")[1].replace('<rect x="0" y="0"', "")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1685.0, 6814.5], (0.0, 8000.0, 2000.0)),
        ([48.0, 55.2, 7.7], (0.0, 60.0, 20.0)),
        ([-5.0, 12.0], (-5.0, 15.0, 5.0)),
        ([0.0], (0.0, 1.0, 0.2)),
    ],
)
def test_axis_always_includes_zero_with_round_steps(
    values: list[float], expected: tuple[float, float, float]
) -> None:
    assert charts.axis_range(values) == pytest.approx(expected)
