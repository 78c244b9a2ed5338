"""The metric comparison as a CSV file: the table the comparison page shows, figures without
separators or units, for a spreadsheet."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import Response

from exchange.web.comparison_pages import (
    TABLE_HEADERS,
    comparison_rows,
    load_comparison,
    not_found_comparison,
)
from exchange.web.rendering import SECURITY_HEADERS


async def comparison_csv(request: Request) -> Response:
    loaded = await load_comparison(request)
    if loaded is None or loaded.result.data is None:
        return await not_found_comparison(request)
    (code, metric, _, peers), result, _ = loaded
    comp = result.ok()["comparison"]
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
