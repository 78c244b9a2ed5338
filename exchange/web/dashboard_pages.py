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


def trend_panel(authority: dict[str, Any], panel: MetricPanel, peers_words: str) -> None:
    metric = panel.metric
    unit = metric["unit"]
    points = (panel.trend or {}).get("points") or []
    if not points:
        return
    periods = [p["period"]["label"] for p in points]
    series = [
        charts.Series(
            authority["name"],
            [p["value"] for p in points],
            charts.PALETTE["subject"],
            marker="circle",
            width=3,
        ),
        charts.Series(
            f"Median of {peers_words}",
            [p["peerMedian"] for p in points],
            charts.PALETTE["median"],
            dash="7 4",
            marker="square",
        ),
    ]
    same_scale = unit in SCALE_FREE_UNITS
    if same_scale:
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
    first, last = points[0], points[-1]
    words, _ = formatting.direction(panel.trend["direction"] if panel.trend else None)
    latest = formatting.shown(last["value"], last["symbol"], unit)
    summary = (
        f"{authority['name']}: {latest.text if not latest.missing else latest.symbol_name} "
        f"in {last['period']['label']}"
    )
    if first is not last and first["value"] is not None and last["value"] is not None:
        summary += f", against {formatting.number(first['value'], unit)} in {periods[0]}"
    summary += f". Direction of travel: {words.lower()}."
    if last["peerMedian"] is not None:
        summary += (
            f" The median of its {peers_words} was {formatting.number(last['peerMedian'], unit)}."
        )
    if last["england"]["value"] is not None:
        summary += f" England: {formatting.number(last['england']['value'], unit)}."
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
            "direction": formatting.direction(p["direction"])[0],
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
    metrics = sorted(
        head["metrics"],
        key=lambda m: (_theme_order(m["theme"]), m["selfReported"]),
    )
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
                "direction": formatting.direction(
                    (panel.trend or {}).get("direction") if latest else None
                ),
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
