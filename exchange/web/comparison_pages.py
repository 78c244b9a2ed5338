"""The metric comparison page: one authority against a peer group for one metric and period, as
a ranked table and a bar chart. csv_export serves the same table (and the trend, and the
metric's whole time series) as files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from starlette.requests import Request
from starlette.responses import Response

from exchange.web import charts, formatting
from exchange.web.figures import (
    AUTHORITY_CODE,
    METRIC_CODE,
    PEER_GROUPS,
    PERIOD_LABEL,
    short_numbers,
)
from exchange.web.operations import Result, run_operation
from exchange.web.rendering import error_page, render

TABLE_HEADERS = ("Rank", "Authority", "Value", "Percentile", "Quartile", "Notes")


@dataclass(frozen=True)
class ComparisonRow:
    rank: str
    authority: str
    value: str  # as shown in the table
    percentile: str
    quartile: str
    notes: str
    is_subject: bool
    is_demo: bool
    is_pseudonymous: bool
    symbol: str | None
    href: str | None


def comparison_rows(comp: dict[str, Any]) -> list[ComparisonRow]:
    unit = comp["metric"]["unit"]
    rows = []
    for e in comp["entries"]:
        notes = []
        if e["isSubject"]:
            notes.append("Selected authority")
        if e["isPseudonymous"]:
            described = (e.get("pseudonym") or {}).get("description") or ""
            notes.append("Pseudonymous" + (f" ({described})" if described else ""))
        if e["isDemo"]:
            notes.append("Demo data")
        symbol = None
        if e["value"] is None:
            symbol = e["symbol"] or "x"
            name, why = formatting.SYMBOLS.get(symbol, ("Not available", "no figure"))
            notes.append(f"{symbol}: {name.lower()}, {why}")
            value = symbol
        else:
            value = formatting.number(e["value"], unit)
        authority = e.get("authority")
        rows.append(
            ComparisonRow(
                rank=str(e["rank"]) if e["rank"] is not None else "",
                authority=e["label"],
                value=value,
                percentile=f"{e['percentile']:.1f}" if e["percentile"] is not None else "",
                quartile=str(e["quartile"]) if e["quartile"] is not None else "",
                notes="; ".join(notes),
                is_subject=e["isSubject"],
                is_demo=e["isDemo"],
                is_pseudonymous=e["isPseudonymous"],
                symbol=symbol,
                href=f"/authorities/{authority['laCode']}" if authority else None,
            )
        )
    return rows


class Asked(NamedTuple):
    """The comparison an address asks for."""

    code: str
    metric: str
    period: str | None  # None: the latest
    peers: str


class Loaded(NamedTuple):
    asked: Asked
    result: Result  # without data: no figures the viewer can see for what was asked
    periods: list[str]  # the metric's periods with figures for the authority


def _asked(request: Request) -> Asked | None:
    code = request.path_params["code"]
    metric = request.path_params["metric"]
    period = request.query_params.get("period") or None
    peers = request.query_params.get("peers") or PEER_GROUPS[0]
    if (
        not AUTHORITY_CODE.fullmatch(code)
        or not METRIC_CODE.fullmatch(metric)
        or (period is not None and not PERIOD_LABEL.fullmatch(period))
        or peers not in PEER_GROUPS
    ):
        return None
    return Asked(code, metric, period, peers)


async def load_comparison(request: Request) -> Loaded | None:
    """The comparison the address asks for; None when it names no authority, metric, period or
    peer group there is."""
    asked = _asked(request)
    if asked is None:
        return None
    code, metric, period, peers = asked
    trend = await run_operation(
        request, "MetricTrend", {"metric": metric, "authority": code, "peers": peers}
    )
    if trend.errors:
        if trend.codes() & {"NOT_FOUND", "INVALID"}:
            return None
        trend.ok()
    periods = [p["period"]["label"] for p in trend.ok()["trend"]["points"]]
    chosen = period or (periods[-1] if periods else None)
    if chosen is None:
        return Loaded(asked, Result("MetricComparison", None, []), periods)
    compared = await run_operation(
        request,
        "MetricComparison",
        {"metric": metric, "period": chosen, "authority": code, "peers": peers},
    )
    if compared.errors and compared.codes() & {"NOT_FOUND", "INVALID"}:
        if period is not None and _only_about_the_period(compared):
            # The authority and metric exist but that period has no figures: the "no figures"
            # page (which lists the periods that do), not a bare 404.
            return Loaded(asked, Result(compared.name, None, compared.errors), periods)
        return None
    return Loaded(asked, compared, periods)


def _only_about_the_period(result: Result) -> bool:
    return bool(result.errors) and all(
        (e.get("extensions") or {}).get("field") == "period" for e in result.errors
    )


async def comparison_page(request: Request) -> Response:
    loaded = await load_comparison(request)
    if loaded is None:
        return await not_found_comparison(request)
    (code, metric, period, peers), result, periods = loaded
    if result.data is None:
        return await _no_figures(request, code, metric, period, peers, periods, result)
    comp = result.ok()["comparison"]
    unit = comp["metric"]["unit"]
    subject = comp["subject"]
    rows = comparison_rows(comp)
    peers_words = formatting.PEER_GROUPS[peers]
    ranked = sum(1 for r in rows if r.rank)
    bars = [
        charts.Bar(
            r.authority,
            e["value"],
            highlight=r.is_subject,
            note=(f"{r.symbol} ({formatting.SYMBOLS[r.symbol][0].lower()})" if r.symbol else ""),
        )
        for r, e in zip(rows, comp["entries"], strict=True)
    ]
    title = f"{comp['metric']['name']}, {comp['period']['label']}"
    subject_shown = formatting.shown(subject["value"], subject["symbol"], unit)
    summary = f"{subject['label']}: " + (
        f"{subject_shown.symbol} ({subject_shown.symbol_name.lower()})"
        if subject_shown.missing and subject_shown.symbol_name
        else subject_shown.text
    )
    if subject["rank"] is not None:
        summary += (
            f", ranked {subject['rank']} of {ranked} against its {peers_words} "
            f"({'highest first' if comp['metric']['polarity'] == 'NEUTRAL' else '1 = best'})"
        )
    summary += "."
    if comp["peerMedian"] is not None:
        summary += (
            f" Median of the {comp['peerCount']} {peers_words} with a figure: "
            f"{formatting.number(comp['peerMedian'], unit)}."
        )
    if comp["suppressedCount"]:
        summary += f" {comp['suppressedCount']} without a figure are listed but not ranked."
    chart = charts.bar_chart(
        "comparison-chart",
        title,
        f"Bar chart: {comp['metric']['name']} in {comp['period']['label']} for "
        f"{subject['label']} and its {peers_words}, in rank order; {subject['label']} is "
        "marked (selected). The figures are in the table that follows.",
        bars,
        short_numbers(unit),
        reference=comp["peerMedian"],
        reference_label="Peer median",
    )
    symbols = sorted({r.symbol for r in rows if r.symbol})
    query = f"period={comp['period']['label']}&peers={peers}"
    return await render(
        request,
        "comparison.html",
        {
            "title": title,
            "comp": comp,
            "code": code,
            "metric_code": metric,
            "rows": rows,
            "headers": TABLE_HEADERS,
            "chart": chart,
            "summary": summary,
            "periods": periods,
            "peers": peers,
            "peer_groups": formatting.PEER_GROUPS,
            "peers_words": peers_words,
            "polarity_words": formatting.POLARITY_WORDS.get(comp["metric"]["polarity"], ""),
            "stats": _stats(comp, unit),
            "csv_href": f"/authorities/{code}/metrics/{metric}.csv?{query}",
            "trend_csv_href": f"/authorities/{code}/metrics/{metric}/trend.csv?peers={peers}",
            "series_csv_href": f"/metrics/{metric}.csv",
            "symbols_used": symbols,
            "any_pseudonymous": any(r.is_pseudonymous for r in rows),
            "any_demo": any(r.is_demo for r in rows),
        },
        current="authorities",
    )


async def _no_figures(
    request: Request,
    code: str,
    metric: str,
    period: str | None,
    peers: str,
    periods: list[str],
    result: Result,
) -> Response:
    """No figures for this metric (or this period of it) that the viewer can see: say which,
    why that may be, and where to go instead."""
    head = await run_operation(request, "AuthorityDashboard", {"code": code})
    data = head.data or {}
    authority = data.get("authority") or {}
    about = next((m for m in data.get("metrics") or [] if m["code"] == metric), None) or {}
    wrong_kind = next(
        (
            str(e.get("message") or "")
            for e in result.errors
            if (e.get("extensions") or {}).get("code") == "WRONG_PERIOD_KIND"
        ),
        None,
    )
    return await render(
        request,
        "comparison_empty.html",
        {
            "title": "No figures to compare",
            "code": code,
            "metric": metric,
            "metric_name": about.get("name") or metric,
            "self_reported": bool(about.get("selfReported")),
            "source": about.get("source"),
            "authority_name": authority.get("name") or code,
            "period": period,
            "period_problem": wrong_kind,
            "periods": [
                (p, f"/authorities/{code}/metrics/{metric}?period={p}&peers={peers}")
                for p in reversed(periods)
            ],
        },
        current="authorities",
        # No such period: still a 404, but one that says which periods do have figures.
        status_code=404 if result.errors else 200,
    )


def _stats(comp: dict[str, Any], unit: str) -> list[tuple[str, str]]:
    def num(v: float | None) -> str:
        return formatting.number(v, unit) if v is not None else "–"

    england = formatting.shown(comp["england"]["value"], comp["england"]["symbol"], unit)
    region = formatting.shown(comp["region"]["value"], comp["region"]["symbol"], unit)
    return [
        ("Peer median", num(comp["peerMedian"])),
        ("Peer mean", num(comp["peerMean"])),
        ("Lowest peer", num(comp["peerMin"])),
        ("Highest peer", num(comp["peerMax"])),
        ("Peers with a figure", str(comp["peerCount"])),
        ("Peers without a figure (not ranked)", str(comp["suppressedCount"])),
        ("England", england.text if not england.missing else f"{england.symbol} (not published)"),
        ("Region", region.text if not region.missing else f"{region.symbol} (not published)"),
    ]


async def not_found_comparison(request: Request) -> Response:
    return await error_page(
        request,
        404,
        "Comparison not found",
        "We could not find that authority, metric, period or peer group. Start from the "
        "authority's dashboard and follow a metric's “Compare” link.",
        current="authorities",
    )
