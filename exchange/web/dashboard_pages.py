"""Choose your authority, and the authority dashboard: each metric's trend against its
statistical neighbours, its latest rank, and neighbours' case studies where they improved."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from exchange.casestudies import vocab
from exchange.web import charts, formatting
from exchange.web.figures import (
    AUTHORITY_CODE,
    PEER_GROUPS,
    all_authorities,
    change_words,
    short_numbers,
)
from exchange.web.operations import run_operation
from exchange.web.rendering import error_page, render

SCALE_FREE_UNITS = {"PERCENT", "RATE"}  # England and region figures share the authority's scale


# -- choose your authority ----------------------------------------------------------------------


def by_region(authorities: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for a in authorities:
        groups.setdefault(a["region"], []).append(a)
    return sorted((r, sorted(items, key=lambda a: a["name"])) for r, items in groups.items())


async def authorities_page(request: Request) -> Response:
    code = (request.query_params.get("authority") or "").strip()
    if code:
        if AUTHORITY_CODE.fullmatch(code):
            return RedirectResponse(f"/authorities/{code}", status_code=303)
        return await error_page(
            request, 404, "Authority not found", "Choose an authority from the list."
        )
    authorities = await all_authorities(request)
    return await render(
        request,
        "authorities.html",
        {
            "title": "Choose your authority",
            "authorities": sorted(authorities, key=lambda a: a["name"]),
            "regions": by_region(authorities),
            "types": formatting.AUTHORITY_TYPES,
        },
        current="authorities",
    )


# -- authority dashboard ------------------------------------------------------------------------


@dataclass
class MetricPanel:
    metric: dict[str, Any]
    trend: dict[str, Any] | None
    comparison: dict[str, Any] | None
    chart: charts.Chart | None = None
    summary: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    improvers: list[dict[str, Any]] = field(default_factory=list)
    travel: Travel | None = None

    @property
    def latest(self) -> dict[str, Any] | None:
        points = (self.trend or {}).get("points") or []
        return points[-1] if points else None


def _words_rank(entry: dict[str, Any], ranked: int, polarity: str) -> str:
    if entry.get("rank") is None:
        return "not ranked"
    order = "highest first" if polarity == "NEUTRAL" else "1 = best"
    return f"{entry['rank']} of {ranked} ({order})"


def quartile_text(quartile: int | None, polarity: str) -> str:
    if quartile is None:
        return "–"
    if polarity == "NEUTRAL":
        return {1: "1 (highest quarter)", 4: "4 (lowest quarter)"}.get(quartile, str(quartile))
    return {1: "1 (best quarter)", 4: "4 (worst quarter)"}.get(quartile, str(quartile))


JUDGEMENTS = {
    # direction of travel -> the judgement, in words (the movement, up or down, is apart)
    "IMPROVING": "Better",
    "WORSENING": "Worse",
    "INCREASING": "Not judged (neither higher nor lower is better)",
    "DECREASING": "Not judged (neither higher nor lower is better)",
    "NO_CHANGE": "No change",
    "NOT_COMPARABLE": "Not comparable",
}


@dataclass(frozen=True)
class Travel:
    """A direction of travel as two things: the movement (up or down, with an arrow) and the
    judgement (better or worse, by the metric's polarity), between the periods it compares."""

    arrow: str
    movement: str
    judgement: str
    reason: str = ""
    since: str = ""  # the earlier period compared


def travel(item: dict[str, Any] | None, unit: str, since: str = "") -> Travel:
    """``item``: a trend (its latest point's direction) or one trend point."""
    code = (item or {}).get("direction") or "NOT_COMPARABLE"
    change = (item or {}).get("change")
    reason = (item or {}).get("directionReason") or ""
    if code == "NOT_COMPARABLE" or change is None:
        return Travel("–", "Not comparable", "Not comparable", reason, since)
    arrow = "→" if change == 0 else ("↑" if change > 0 else "↓")
    movement = change_words(change, unit)
    return Travel(arrow, movement[:1].upper() + movement[1:], JUDGEMENTS[code], "", since)


def _dataset(points: list[dict[str, Any]], value: Any, demo: bool) -> list[float | None]:
    """One dataset's values (demo or real), None at the other dataset's periods: the two are
    separate series, so no line joins a demo point to a real one."""
    return [value(p) if bool(p["isDemo"]) == demo else None for p in points]


def trend_series(
    authority: dict[str, Any], points: list[dict[str, Any]], unit: str, peers_words: str
) -> list[charts.Series]:
    """The lines of a trend chart: the authority and its peers' median, each as a real line and
    a demo line (never one line through both), then England and the region on the same scale."""
    series: list[charts.Series] = []
    any_demo = any(p["isDemo"] for p in points)
    any_real = not all(p["isDemo"] for p in points)
    lines = [
        (authority["name"], lambda p: p["value"], "subject", "circle", 3.0, None),
        (f"Median of {peers_words}", lambda p: p["peerMedian"], "median", "square", 2.0, "7 4"),
    ]
    for name, value, colour, marker, width, dash in lines:
        if any_real:
            series.append(
                charts.Series(
                    name,
                    _dataset(points, value, False),
                    charts.PALETTE[colour],
                    dash=dash,
                    marker=marker,
                    width=width,
                )
            )
        if any_demo:
            series.append(
                charts.Series(
                    f"{name} (demo data, not real)",
                    _dataset(points, value, True),
                    charts.PALETTE[colour],
                    dash="2 4",
                    marker=marker,
                    width=width,
                    point_label="demo",
                    hollow=True,
                )
            )
    if unit in SCALE_FREE_UNITS:
        series.append(
            charts.Series(
                "England",
                [p["england"]["value"] for p in points],
                charts.PALETTE["england"],
                dash="2 3",
                marker="triangle",
            )
        )
        series.append(
            charts.Series(
                authority["region"],
                [p["region"]["value"] for p in points],
                charts.PALETTE["region"],
                dash="9 3 2 3",
                marker="diamond",
            )
        )
    return series


def trend_panel(authority: dict[str, Any], panel: MetricPanel, peers_words: str) -> None:
    metric = panel.metric
    unit = metric["unit"]
    points = (panel.trend or {}).get("points") or []
    if not points:
        return
    periods = [p["period"]["label"] for p in points]
    series = trend_series(authority, points, unit, peers_words)
    any_demo = any(p["isDemo"] for p in points)
    same_scale = unit in SCALE_FREE_UNITS
    last = points[-1]
    previous = points[-2] if len(points) > 1 else None
    since = ((panel.trend or {}).get("directionFrom") or {}).get("label") or ""
    panel.travel = travel(panel.trend, unit, since)
    latest = formatting.shown(last["value"], last["symbol"], unit)
    demo_words = " (demo data, not real)" if last["isDemo"] else ""
    summary = (
        f"{authority['name']}: {latest.text if not latest.missing else latest.symbol_name} "
        f"in {last['period']['label']}{demo_words}."
    )
    # The sentence compares exactly the two periods the arrow does: the latest and the one
    # just before it.
    if panel.travel.movement != "Not comparable":
        before = formatting.number(previous["value"], unit) if previous else ""
        summary += (
            f" Against {before} in {since}: {panel.travel.movement.lower()}; "
            f"{panel.travel.judgement.lower()} ({formatting.POLARITY_WORDS[metric['polarity']]})."
        )
    else:
        reason = f": {panel.travel.reason}" if panel.travel.reason else ""
        period_words = f" since {since}" if since else ""
        summary += f" Change{period_words}: not comparable{reason}."
    if last["peerMedian"] is not None:
        summary += (
            f" The median of its {peers_words} was {formatting.number(last['peerMedian'], unit)}."
        )
    if last["england"]["value"] is not None:
        summary += f" England: {formatting.number(last['england']['value'], unit)}."
    if any_demo:
        summary += (
            " Demo data (synthetic, not real) is drawn as separate dotted lines with hollow "
            "markers labelled “demo”, never joined to real figures."
        )
    if not same_scale:
        summary += (
            " England and region totals are in the table, not on the chart: they are on a "
            "different scale from one authority."
        )
    description = (
        f"Line chart of {metric['name']} from {periods[0]} to {periods[-1]}: "
        + "; ".join(s.name for s in series)
        + ". The figures are in the table that follows."
    )
    panel.chart = charts.line_chart(
        f"trend-{metric['code']}",
        f"{metric['name']}, {periods[0]} to {periods[-1]}",
        description,
        periods,
        series,
        short_numbers(unit),
    )
    panel.summary = summary
    panel.rows = [
        {
            "period": p["period"]["label"],
            "value": formatting.shown(p["value"], p["symbol"], unit),
            "is_demo": p["isDemo"],
            "median": formatting.number(p["peerMedian"], unit) or "–",
            "peer_count": p["peerCount"],
            "england": formatting.shown(p["england"]["value"], p["england"]["symbol"], unit),
            "region": formatting.shown(p["region"]["value"], p["region"]["symbol"], unit),
            "travel": travel(p, unit),
        }
        for p in points
    ]


async def _panel(
    request: Request, code: str, metric: dict[str, Any], gate: asyncio.Semaphore
) -> MetricPanel:
    async with gate:
        variables = {"metric": metric["code"], "authority": code, "peers": PEER_GROUPS[0]}
        trend = await run_operation(request, "MetricTrend", variables)
        trend_data = trend.ok()["trend"]
        panel = MetricPanel(metric, trend_data, None)
        latest = panel.latest
        if latest is not None:
            compared = await run_operation(
                request, "MetricComparison", {**variables, "period": latest["period"]["label"]}
            )
            panel.comparison = compared.ok()["comparison"]
        return panel


def _theme_order(code: str) -> int:
    for i, term in enumerate(vocab.THEMES):
        if term.code == code:
            return i
    return len(vocab.THEMES)


def dashboard_order(metric: dict[str, Any]) -> tuple[int, bool, bool, bool]:
    """Theme by theme; in each, shares, rates and timeliness lead (those with a better direction
    first), then counts and amounts, which grow with an authority's size; self-reported last."""
    return (
        _theme_order(metric["theme"]),
        metric["unit"] not in SCALE_FREE_UNITS,
        metric["polarity"] == "NEUTRAL",
        metric["selfReported"],
    )


async def dashboard_page(request: Request) -> Response:
    code = request.path_params["code"]
    if not AUTHORITY_CODE.fullmatch(code):
        return await _no_authority(request)
    head = (await run_operation(request, "AuthorityDashboard", {"code": code})).ok()
    authority = head["authority"]
    if authority is None:
        return await _no_authority(request)
    if authority["laCode"] != code:  # a GSS code: one address per authority
        return RedirectResponse(f"/authorities/{authority['laCode']}", status_code=301)
    gate = asyncio.Semaphore(4)
    metrics: list[dict[str, Any]] = []
    others: dict[str, list[dict[str, Any]]] = {}
    for m in sorted(head["metrics"], key=dashboard_order):
        if m["onDashboard"]:
            metrics.append(m)
        else:
            others.setdefault(m["theme"], []).append(m)
    panels = await asyncio.gather(*(_panel(request, code, m, gate) for m in metrics))
    peers_words = "statistical neighbours"
    symbols: set[str] = set()
    any_demo = False
    summary_rows: list[dict[str, Any]] = []
    for panel in panels:
        trend_panel(authority, panel, peers_words)
        await add_improvers(request, authority, panel)
        unit = panel.metric["unit"]
        comp = panel.comparison
        latest = panel.latest
        subject = comp["subject"] if comp else None
        ranked = sum(1 for e in (comp or {}).get("entries", []) if e["rank"] is not None)
        value = formatting.shown(
            subject["value"] if subject else None,
            subject["symbol"] if subject else "x",
            unit,
        )
        if value.symbol:
            symbols.add(value.symbol)
        is_demo = bool(subject and subject["isDemo"])
        any_demo = any_demo or is_demo or any(r["is_demo"] for r in panel.rows)
        for r in panel.rows:
            for key in ("value", "england", "region"):
                if r[key].symbol:
                    symbols.add(r[key].symbol)
        summary_rows.append(
            {
                "panel": panel,
                "metric": panel.metric,
                "period": latest["period"]["label"] if latest else "–",
                "value": value,
                "is_demo": is_demo,
                "rank": _words_rank(subject, ranked, panel.metric["polarity"])
                if subject
                else "not ranked",
                "quartile": quartile_text(
                    subject["quartile"] if subject else None, panel.metric["polarity"]
                ),
                "median": formatting.number(comp["peerMedian"], unit) if comp else "",
                "england": formatting.shown(
                    comp["england"]["value"] if comp else None,
                    comp["england"]["symbol"] if comp else "x",
                    unit,
                ),
                "travel": panel.travel or travel(None, unit),
                "compare_href": _compare_href(
                    code, panel.metric["code"], latest["period"]["label"] if latest else None
                ),
            }
        )
    return await render(
        request,
        "dashboard.html",
        {
            "title": f"{authority['name']}: SEND dashboard",
            "authority": authority,
            "type_label": formatting.AUTHORITY_TYPES.get(authority["type"], authority["type"]),
            "rows": summary_rows,
            "themes": {t.code: t.label for t in vocab.THEMES},
            "others": others,
            "metric_count": len(head["metrics"]),
            "symbols_used": sorted(symbols),
            "any_demo": any_demo,
        },
        current="authorities",
    )


async def add_improvers(request: Request, authority: dict[str, Any], panel: MetricPanel) -> None:
    """Case studies from statistical neighbours that improved on this metric over (up to) the
    last two periods. Only for metrics where higher or lower is better."""
    points = (panel.trend or {}).get("points") or []
    if panel.metric["polarity"] == "NEUTRAL" or len(points) < 2:
        return
    start = points[max(0, len(points) - 3)]["period"]["label"]
    end = points[-1]["period"]["label"]
    result = await run_operation(
        request,
        "Improvers",
        {
            "metric": panel.metric["code"],
            "from": start,
            "to": end,
            "authority": authority["laCode"],
        },
    )
    if result.errors or not result.data:
        return
    unit = panel.metric["unit"]
    for entry in result.data["improvers"]["entries"]:
        if entry["isSubject"] or not entry["caseStudies"]:
            continue
        if entry["improvement"] is None or entry["improvement"] <= 0:
            continue
        panel.improvers.append(
            {
                "authority": entry["authority"],
                "change": change_words(entry["change"], unit),
                "from": start,
                "to": end,
                "case_studies": entry["caseStudies"],
            }
        )


def _compare_href(code: str, metric: str, period: str | None) -> str:
    href = f"/authorities/{code}/metrics/{metric}"
    return f"{href}?period={period}" if period else href


async def _no_authority(request: Request) -> Response:
    return await error_page(
        request,
        404,
        "Authority not found",
        "There is no English local authority with that code. Use a DfE code such as 869, or a "
        "GSS code such as E06000037, or choose from the list of authorities.",
        current="authorities",
    )
