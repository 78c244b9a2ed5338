"""Reading DfE's figures by breakdown: the arguments checked against what exists, with errors
that say what does (the topics of the metric, the breakdowns of the topic)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.comparison import reference
from exchange.errors import NotFound
from exchange.metrics import suggestions
from exchange.observations import breakdowns
from exchange.observations.models import BreakdownFigure
from exchange.periods.labels import parse_label


async def list_breakdown_figures(
    session: AsyncSession,
    *,
    metric_code: str,
    topic: str,
    breakdown: str | None,
    period_labels: Sequence[str] | None,
    authority_codes: Sequence[str] | None,
    offset: int,
    limit: int,
) -> tuple[list[BreakdownFigure], int]:
    ref = await reference.load(session)
    metric = ref.metrics.get(metric_code)
    if metric is None:
        raise suggestions.unknown_metric([metric_code], ref.metrics, field="metric")
    known = (await breakdowns.topics(session, [metric.id]))[metric.id]
    topics = sorted({t for t, _, _ in known})
    if topic not in topics:
        listed = "; ".join(topics) if topics else "none: only its totals are imported"
        raise NotFound(
            f"{metric_code} has no breakdown topic {topic!r}. Its topics: {listed}",
            field="breakdownTopic",
            suggestions=tuple(topics),
        )
    if breakdown is not None:
        values = [b for t, b, _ in known if t == topic]
        if breakdown not in values:
            raise NotFound(
                f"{topic!r} has no breakdown {breakdown!r}. Its breakdowns: {'; '.join(values)}",
                field="breakdown",
                suggestions=tuple(values),
            )
    period_ids: list[int] | None = None
    if period_labels is not None:
        period_ids = []
        for label in period_labels:
            key = parse_label(label, metric.period_kind, field="periods")
            found = ref.periods.get(key.label)
            if found is not None:
                period_ids.append(found.id)
    area_codes: list[str] | None = None
    if authority_codes is not None:
        area_codes = []
        for code in authority_codes:
            authority = ref.authority(code)
            if authority is None:
                raise NotFound(f"no authority with code '{code}'", field="authorities")
            area_codes.append(authority.la_code)
    return await breakdowns.page(
        session,
        metric_id=metric.id,
        topic=topic,
        breakdown=breakdown,
        period_ids=period_ids,
        area_codes=area_codes,
        offset=offset,
        limit=limit,
    )
