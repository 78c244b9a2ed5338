"""Reading observations through disclosure control."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities import repository as authorities
from exchange.disclosure import Disclosed, disclose
from exchange.errors import NotFound
from exchange.metrics import repository as metrics
from exchange.metrics.models import Metric
from exchange.observations import repository
from exchange.observations.models import Observation
from exchange.periods import repository as periods
from exchange.periods.labels import parse_label
from exchange.viewer import Viewer


@dataclass(frozen=True)
class Shown:
    observation: Observation
    metric: Metric
    disclosed: Disclosed


async def list_observations(
    session: AsyncSession,
    viewer: Viewer,
    *,
    metric_codes: Sequence[str] | None,
    authority_codes: Sequence[str] | None,
    period_labels: Sequence[str] | None,
    offset: int,
    limit: int,
) -> tuple[list[Shown], int]:
    metric_ids: list[int] | None = None
    catalogue: dict[str, Metric] = {}
    if metric_codes is not None:
        catalogue = await metrics.get_many_by_code(session, metric_codes)
        missing = sorted(set(metric_codes) - catalogue.keys())
        if missing:
            raise NotFound(
                f"no metric with code {', '.join(repr(m) for m in missing)}", field="metrics"
            )
        metric_ids = [m.id for m in catalogue.values()]
    authority_ids: list[int] | None = None
    if authority_codes is not None:
        authority_ids = []
        for code in authority_codes:
            found = await authorities.get_by_code(session, code)
            if found is None:
                raise NotFound(f"no authority with code '{code}'", field="authorities")
            authority_ids.append(found.id)
    period_ids: list[int] | None = None
    if period_labels is not None:
        period_ids = []
        for label in period_labels:
            period = await periods.get(session, parse_label(label))
            if period is not None:
                period_ids.append(period.id)
    rows, total = await repository.page(
        session,
        metric_ids=metric_ids,
        authority_ids=authority_ids,
        period_ids=period_ids,
        visibilities=viewer.visibilities(),
        offset=offset,
        limit=limit,
    )
    by_id = await metrics.get_many(session, sorted({o.metric_id for o in rows}))
    numerators = await _numerators(session, rows, by_id)
    shown = [
        Shown(o, by_id[o.metric_id], disclose(o, by_id[o.metric_id], viewer, numerators.get(o.id)))
        for o in rows
    ]
    return shown, total


async def _numerators(
    session: AsyncSession, rows: Sequence[Observation], by_id: dict[int, Metric]
) -> dict[int, Observation]:
    """For rate metrics, the numerator observation of the same area and period.

    One query per numerator metric."""
    out: dict[int, Observation] = {}
    rate_rows = [o for o in rows if by_id[o.metric_id].disclosure_rule == "rate"]
    codes = sorted({by_id[o.metric_id].numerator_code or "" for o in rate_rows} - {""})
    if not codes:
        return out
    num_metrics = await metrics.get_many_by_code(session, codes)
    for code, num in num_metrics.items():
        subset = [o for o in rate_rows if by_id[o.metric_id].numerator_code == code]
        ids = sorted({o.authority_id for o in subset if o.authority_id})
        pids = sorted({o.period_id for o in subset})
        found = {
            (n.period_id, n.authority_id): n
            for n in await repository.series_for_authorities(session, num.id, pids, ids)
        }
        for o in subset:
            if (hit := found.get((o.period_id, o.authority_id))) is not None:
                out[o.id] = hit
    return out


async def get_shown(session: AsyncSession, viewer: Viewer, public_id: str) -> Shown | None:
    """One observation by public id; None when it does not exist or the viewer may not see it."""
    from exchange.disclosure import can_see

    obs = await repository.get_by_public_id(session, public_id)
    if obs is None or not can_see(obs, viewer):
        return None
    metric = (await metrics.get_many(session, [obs.metric_id]))[obs.metric_id]
    numerators = await _numerators(session, [obs], {metric.id: metric})
    return Shown(obs, metric, disclose(obs, metric, viewer, numerators.get(obs.id)))
