"""Figures as files an analyst can use: a comparison, an authority's trend, and a metric's whole
time series (every area and period the viewer may see).

Each file opens with heading lines (``Name,value``: what the figures are, whose, from where, under
which licence), then a blank line, then one table. Values are at full precision (the pages round
them); a missing figure has an empty value and its GSS symbol. UTF-8 with a byte-order mark and
CRLF line ends, so Excel opens it as it is. An address naming something that does not exist or
is written wrongly gets a plain-text 400 saying which argument and why; a real metric and
authority with no figures the viewer may see for that period, a plain-text 404. The comparison and
the trend are of the totals unless the address asks for a breakdown
(``?breakdown_topic=Sex&breakdown=Female``; Metric.breakdowns lists them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from exchange.web import formatting
from exchange.web.comparison_pages import comparison_rows
from exchange.web.figures import AUTHORITY_CODE, METRIC_CODE, PEER_GROUPS, PERIOD_LABEL
from exchange.web.operations import Result, run_operation
from exchange.web.rendering import SECURITY_HEADERS

LICENCE = (
    "Contains public sector information licensed under the Open Government Licence v3.0; "
    "figures published by authorities are theirs"
)
# What a file of totals says its breakdown is (``?breakdown_topic=&breakdown=`` ask for one).
TOTAL_BREAKDOWN = "Total"
COMPARISON_COLUMNS = (
    "DfE code",
    "GSS code",
    "Authority",
    "Value",
    "Symbol",
    "Rank",
    "Percentile",
    "Quartile",
    "Notes",
)
TREND_COLUMNS = (
    "Period",
    "Value",
    "Symbol",
    "Change",
    "Direction",
    "Peer median",
    "Peers with a figure",
    "England",
    "England symbol",
    "Region",
    "Region symbol",
    "Demo data",
    "Source",
    "Notes",
)
SERIES_COLUMNS = (
    "Period",
    "Geographic level",
    "Area code",
    "GSS code",
    "Area",
    "Value",
    "Symbol",
    "Flags",
    "Pseudonymous",
    "Demo data",
    "Source",
)
UNIT_WORDS = {
    "COUNT": "count",
    "PERCENT": "percent (0 to 100)",
    "RATE": "rate (see the metric's definition for its base)",
    "GBP": "pounds sterling",
    "FTE": "full-time equivalent posts",
}
_LEVELS = {"NATIONAL": "National", "REGIONAL": "Regional", "LOCAL_AUTHORITY": "Local authority"}
_LEVEL_ORDER = {"NATIONAL": 0, "REGIONAL": 1, "LOCAL_AUTHORITY": 2}
_SERIES_PAGES = 200  # 100 rows a page: 20,000 figures, far above any metric's (about 2,000)


def full(value: float | int | None) -> str:
    """The figure as stored: whole numbers without ".0", others to full float precision."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def bad_request(message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=400, headers=SECURITY_HEADERS)


def not_found(message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=404, headers=SECURITY_HEADERS)


def csv_file(
    filename: str,
    heading: Iterable[tuple[str, str]],
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for name, value in heading:
        writer.writerow([name, value])
    writer.writerow([])
    writer.writerow(columns)
    writer.writerows(rows)
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(
        "\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers
    )


def _argument_errors(request: Request, *, period: bool, peers: bool) -> str | None:
    """Why the address's arguments cannot name anything, in words; None when they may."""
    params = request.path_params
    if "code" in params and not AUTHORITY_CODE.fullmatch(params["code"]):
        return (
            f"authority: {params['code']!r} is not an authority code "
            "(a DfE code such as 869, or a GSS code such as E06000037)"
        )
    if not METRIC_CODE.fullmatch(params["metric"]):
        return f"metric: {params['metric']!r} is not a metric code (such as ehc_plans)"
    label = request.query_params.get("period")
    if period and label and not PERIOD_LABEL.fullmatch(label):
        return (
            f"period: {label!r} is not a period label "
            "(an academic year such as 2024/25, a financial year such as 2023-24, or a year)"
        )
    group = request.query_params.get("peers")
    if peers and group and group not in PEER_GROUPS:
        return f"peers: {group!r} is not a peer group (one of {', '.join(PEER_GROUPS)})"
    return None


def _refusal(result: Result, argument: dict[str, str] | None = None) -> Response | None:
    """The operation's own refusal (unknown metric or authority, wrong period kind) as a 400,
    naming the address's argument (``argument`` maps the operation's names to the address's)."""
    if not result.errors:
        return None
    if result.codes() & {"NOT_FOUND", "INVALID", "WRONG_PERIOD_KIND", "BAD_USER_INPUT"}:
        error = result.errors[0]
        given = str((error.get("extensions") or {}).get("field") or "")
        where = (argument or {}).get(given, given)
        return bad_request(f"{where}: {error['message']}" if where else str(error["message"]))
    result.ok()  # anything else is a fault: raised, and shown as the service's error page
    return None


def _period_name(label: str) -> str:
    return label.replace("/", "-")


# The address's names of the operations' arguments, where they differ.
ARGUMENTS = {"breakdownTopic": "breakdown_topic", "metrics": "metric"}


def _breakdown(request: Request) -> dict[str, str | None]:
    """The breakdown asked for (``?breakdown_topic=Sex&breakdown=Female``); none: the totals."""
    return {
        "breakdownTopic": request.query_params.get("breakdown_topic") or None,
        "breakdown": request.query_params.get("breakdown") or None,
    }


def _breakdown_words(answer: dict[str, Any]) -> str:
    if answer.get("breakdownTopic") is None:
        return TOTAL_BREAKDOWN
    return f"{answer['breakdownTopic']}: {answer['breakdown']}"


def _tail(peers: str, answer: dict[str, Any]) -> str:
    """How a comparison's or trend's file name ends: its peer group, then its breakdown."""
    return f"{peers.lower().replace('_', '-')}{_breakdown_name(answer)}.csv"


def _breakdown_name(answer: dict[str, Any]) -> str:
    """The file name's part for a breakdown (``-sex-female``); empty for the totals."""
    if answer.get("breakdownTopic") is None:
        return ""
    words = f"{answer['breakdownTopic']} {answer['breakdown']}".lower()
    return "-" + "-".join("".join(c if c.isalnum() else " " for c in words).split())


def _asked(request: Request, *, period: bool) -> tuple[str, str, str] | Response:
    """(authority code, metric code, peer group) the address asks for, or its 400."""
    why = _argument_errors(request, period=period, peers=True)
    if why:
        return bad_request(why)
    peers = request.query_params.get("peers") or PEER_GROUPS[0]
    return request.path_params["code"], request.path_params["metric"], peers


async def comparison_csv(request: Request) -> Response:
    asked = _asked(request, period=True)
    if isinstance(asked, Response):
        return asked
    code, metric, peers = asked
    period = request.query_params.get("period") or await _latest_period(request, metric, code)
    if isinstance(period, Response):
        return period
    if period is None:
        return not_found(f"No figures for {metric} and {code} that you can see.")
    compared = await run_operation(
        request,
        "MetricComparison",
        {"metric": metric, "period": period, "authority": code, "peers": peers}
        | _breakdown(request),
    )
    if compared.errors and all(
        (e.get("extensions") or {}).get("field") == "period" and _no_figures(e)
        for e in compared.errors
    ):
        return not_found(f"No figures for {metric} in {period} that you can see.")
    refused = _refusal(compared, ARGUMENTS)
    if refused is not None:
        return refused
    comp = compared.ok()["comparison"]
    subject = comp["subject"]
    heading = [
        *_metric_heading(comp["metric"]),
        ("Period", comp["period"]["label"]),
        ("Authority", _authority_words(subject)),
        ("Peer group", formatting.PEER_GROUPS[peers]),
        ("Breakdown", _breakdown_words(comp)),
        ("Peers with a figure", str(comp["peerCount"])),
        ("Peer median", full(comp["peerMedian"])),
        ("England", _figure(comp["england"])),
        ("Region", _figure(comp["region"])),
        ("Licence", LICENCE),
    ]
    rows = []
    for entry, shown in zip(comp["entries"], comparison_rows(comp), strict=True):
        authority = entry.get("authority") or {}
        rows.append(
            [
                authority.get("laCode", ""),
                authority.get("gssCode", ""),
                entry["label"],
                full(entry["value"]),
                entry["symbol"] or ("" if entry["value"] is not None else "x"),
                shown.rank,
                full(entry["percentile"]),
                shown.quartile,
                shown.notes,
            ]
        )
    filename = f"{code}-{metric}-{_period_name(comp['period']['label'])}-{_tail(peers, comp)}"
    return csv_file(filename, heading, COMPARISON_COLUMNS, rows)


def _no_figures(error: dict[str, Any]) -> bool:
    return (error.get("extensions") or {}).get("code") == "NOT_FOUND"


async def _latest_period(request: Request, metric: str, code: str) -> str | Response | None:
    trend = await run_operation(
        request,
        "MetricTrendExport",
        {"metric": metric, "authority": code, "peers": PEER_GROUPS[0]} | _breakdown(request),
    )
    refused = _refusal(trend, ARGUMENTS)
    if refused is not None:
        return refused
    points = trend.ok()["trend"]["points"]
    with_figures = [p for p in points if p["value"] is not None or p["peerCount"]]
    return with_figures[-1]["period"]["label"] if with_figures else None


async def trend_csv(request: Request) -> Response:
    asked = _asked(request, period=False)
    if isinstance(asked, Response):
        return asked
    code, metric, peers = asked
    result = await run_operation(
        request,
        "MetricTrendExport",
        {"metric": metric, "authority": code, "peers": peers} | _breakdown(request),
    )
    refused = _refusal(result, ARGUMENTS)
    if refused is not None:
        return refused
    trend = result.ok()["trend"]
    if not trend["points"]:
        return not_found(f"No figures for {metric} that you can see.")
    heading = [
        *_metric_heading(trend["metric"]),
        ("Authority", _authority_words({"authority": trend["authority"], "label": ""})),
        ("Peer group", formatting.PEER_GROUPS[peers]),
        ("Breakdown", _breakdown_words(trend)),
        ("Licence", LICENCE),
    ]
    rows = []
    for p in trend["points"]:
        notes = []
        if p["isDemo"]:
            notes.append("Demo data")
        if p["directionReason"]:
            notes.append(p["directionReason"])
        rows.append(
            [
                p["period"]["label"],
                full(p["value"]),
                p["symbol"] or "",
                full(p["change"]),
                formatting.direction(p["direction"])[0],
                full(p["peerMedian"]),
                str(p["peerCount"]),
                *_figure_cells(p["england"]),
                *_figure_cells(p["region"]),
                "yes" if p["isDemo"] else "no",
                p["source"] or "",
                "; ".join(notes),
            ]
        )
    filename = f"{code}-{metric}-trend-{_tail(peers, trend)}"
    return csv_file(filename, heading, TREND_COLUMNS, rows)


async def metric_series_csv(request: Request) -> Response:
    why = _argument_errors(request, period=False, peers=False)
    if why:
        return bad_request(why)
    metric = request.path_params["metric"]
    nodes: list[dict[str, Any]] = []
    about: dict[str, Any] | None = None
    after: str | None = None
    for _ in range(_SERIES_PAGES):
        page = await run_operation(request, "MetricSeries", {"metric": metric, "after": after})
        refused = _refusal(page, ARGUMENTS)
        if refused is not None:
            return refused
        data = page.ok()
        about = data["metric"]
        if about is None:
            return bad_request(f"metric: there is no metric {metric!r}")
        conn = data["observations"]
        nodes.extend(edge["node"] for edge in conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert about is not None
    if not nodes:
        return not_found(f"No figures for {metric} that you can see.")
    nodes.sort(
        key=lambda n: (
            n["period"]["label"],
            _LEVEL_ORDER.get(n["areaLevel"], 3),
            n["areaName"],
        )
    )
    heading = [*_metric_heading(about), ("Breakdown", TOTAL_BREAKDOWN), ("Licence", LICENCE)]
    rows = [
        [
            n["period"]["label"],
            _LEVELS.get(n["areaLevel"], n["areaLevel"]),
            n["areaCode"],
            (n.get("authority") or {}).get("gssCode") or _gss_of(n),
            n["areaName"],
            full(n["value"]),
            n["symbol"] or "",
            n["flags"],
            "yes" if n["isPseudonymous"] else "no",
            "yes" if n["isDemo"] else "no",
            n["source"],
        ]
        for n in nodes
    ]
    return csv_file(f"{metric}-time-series.csv", heading, SERIES_COLUMNS, rows)


def _gss_of(node: dict[str, Any]) -> str:
    """England's and a region's area code is already their GSS code; a pseudonym has none."""
    return node["areaCode"] if node["areaLevel"] != "LOCAL_AUTHORITY" else ""


def _metric_heading(metric: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Metric", f"{metric['name']} ({metric['code']})"),
        ("Unit", UNIT_WORDS.get(metric["unit"], metric["unit"].lower())),
        ("Source", metric["source"]),
    ]


def _authority_words(entry: dict[str, Any]) -> str:
    authority = entry.get("authority")
    if not authority:
        return str(entry.get("label", ""))
    return f"{authority['name']} (DfE {authority['laCode']}, GSS {authority['gssCode']})"


def _figure(figure: dict[str, Any] | None) -> str:
    value, symbol = _figure_cells(figure)
    return value or symbol


def _figure_cells(figure: dict[str, Any] | None) -> list[str]:
    if not figure:
        return ["", ""]
    return [full(figure["value"]), figure["symbol"] or ""]
