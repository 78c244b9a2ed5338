"""Figures pages: choose your authority, the authority dashboard, the metric comparison (with its
CSV download). Every figure comes from a named GraphQL operation run as the request's viewer."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from exchange.casestudies import vocab
from exchange.web import charts, formatting
from exchange.web.operations import Result, run_operation
from exchange.web.rendering import SECURITY_HEADERS, error_page, render

PEER_GROUPS = tuple(formatting.PEER_GROUPS)
SCALE_FREE_UNITS = {"PERCENT", "RATE"}  # England and region figures share the authority's scale
_CODE = re.compile(r"^[A-Za-z0-9]{3,12}$")
_METRIC = re.compile(r"^[a-z0-9_]{1,80}$")
_PERIOD = re.compile(r"^[0-9]{4}([/-][0-9]{2})?$")


# -- choose your authority ----------------------------------------------------------------------


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


def by_region(authorities: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for a in authorities:
        groups.setdefault(a["region"], []).append(a)
    return sorted((r, sorted(items, key=lambda a: a["name"])) for r, items in groups.items())


async def authorities_page(request: Request) -> Response:
    code = (request.query_params.get("authority") or "").strip()
    if code:
        if _CODE.fullmatch(code):
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


def _fmt(unit: str) -> Any:
    return lambda v: formatting.number(v, unit, short=True)


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
        _fmt(unit),
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
    if not _CODE.fullmatch(code):
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


# -- metric comparison --------------------------------------------------------------------------

TABLE_HEADERS = ("Rank", "Authority", "Value", "Percentile", "Quartile", "Notes")


@dataclass(frozen=True)
class ComparisonRow:
    rank: str
    authority: str
    value: str  # as shown in the table
    value_csv: str  # the same figure, without separators or units
    percentile: str
    quartile: str
    notes: str
    is_subject: bool
    is_demo: bool
    is_pseudonymous: bool
    symbol: str | None
    href: str | None

    def cells(self) -> list[str]:
        return [
            self.rank,
            self.authority,
            self.value,
            self.percentile,
            self.quartile,
            self.notes,
        ]

    def csv_cells(self) -> list[str]:
        return [
            self.rank,
            self.authority,
            self.value_csv,
            self.percentile,
            self.quartile,
            self.notes,
        ]


def csv_number(value: float, unit: str) -> str:
    """The figure as the table rounds it, without thousands separators, % or £."""
    return formatting.number(value, unit).replace(",", "").replace("%", "").replace("£", "")


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
            value = value_csv = symbol
        else:
            value = formatting.number(e["value"], unit)
            value_csv = csv_number(e["value"], unit)
        authority = e.get("authority")
        rows.append(
            ComparisonRow(
                rank=str(e["rank"]) if e["rank"] is not None else "",
                authority=e["label"],
                value=value,
                value_csv=value_csv,
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


def _comparison_args(request: Request) -> tuple[str, str, str | None, str] | None:
    code = request.path_params["code"]
    metric = request.path_params["metric"]
    period = request.query_params.get("period") or None
    peers = request.query_params.get("peers") or PEER_GROUPS[0]
    if (
        not _CODE.fullmatch(code)
        or not _METRIC.fullmatch(metric)
        or (period is not None and not _PERIOD.fullmatch(period))
        or peers not in PEER_GROUPS
    ):
        return None
    return code, metric, period, peers


async def _load_comparison(
    request: Request, code: str, metric: str, period: str | None, peers: str
) -> tuple[Result, list[str]] | None:
    """(comparison result, the metric's periods) — None when metric or authority is unknown."""
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
        return Result("MetricComparison", None, []), periods
    compared = await run_operation(
        request,
        "MetricComparison",
        {"metric": metric, "period": chosen, "authority": code, "peers": peers},
    )
    if compared.errors and compared.codes() & {"NOT_FOUND", "INVALID"}:
        if period is not None and _only_about_the_period(compared):
            # The authority and metric exist but that period has no figures: the "no figures"
            # page (which lists the periods that do), not a bare 404.
            return Result(compared.name, None, compared.errors), periods
        return None
    return compared, periods


def _only_about_the_period(result: Result) -> bool:
    return bool(result.errors) and all(
        (e.get("extensions") or {}).get("field") == "period" for e in result.errors
    )


async def comparison_page(request: Request) -> Response:
    args = _comparison_args(request)
    if args is None:
        return await _not_found_comparison(request)
    code, metric, period, peers = args
    loaded = await _load_comparison(request, code, metric, period, peers)
    if loaded is None:
        return await _not_found_comparison(request)
    result, periods = loaded
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
        _fmt(unit),
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


async def comparison_csv(request: Request) -> Response:
    args = _comparison_args(request)
    if args is None:
        return await _not_found_comparison(request)
    code, metric, period, peers = args
    loaded = await _load_comparison(request, code, metric, period, peers)
    if loaded is None or loaded[0].data is None:
        return await _not_found_comparison(request)
    comp = loaded[0].ok()["comparison"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TABLE_HEADERS)
    for row in comparison_rows(comp):
        writer.writerow(row.csv_cells())
    label = comp["period"]["label"].replace("/", "-")
    filename = f"{code}-{metric}-{label}-{peers.lower().replace('_', '-')}.csv"
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    # A byte-order mark, so Excel reads the file as UTF-8.
    return Response(
        "\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers
    )


async def _not_found_comparison(request: Request) -> Response:
    return await error_page(
        request,
        404,
        "Comparison not found",
        "We could not find that authority, metric, period or peer group. Start from the "
        "authority's dashboard and follow a metric's “Compare” link.",
        current="authorities",
    )
