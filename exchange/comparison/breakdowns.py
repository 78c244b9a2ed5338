"""DfE's figures by breakdown (an age band, a sex, an ethnic group, ...): listed, with the
arguments checked against what exists (errors name the metric's topics, the topic's breakdowns),
and compared across a peer group by the same ranking and peer statistics as the totals
(exchange/comparison/service.py). They are DfE's own public figures: no demo, no pseudonym, no
numerator floor, so they are shown as DfE published them, to every viewer alike."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities.models import Authority
from exchange.authorities.vocab import PeerGroup
from exchange.comparison import reference, semantics, service
from exchange.comparison.reference import MetricRef, PeriodRef
from exchange.errors import NotFound
from exchange.observations import breakdowns
from exchange.observations.disclosure import MISSING, NOT_AVAILABLE, Disclosed
from exchange.observations.models import BreakdownFigure
from exchange.periods.labels import parse_label


async def check(
    session: AsyncSession, metric: MetricRef, topic: str, breakdown: str | None
) -> None:
    """NOT_FOUND, naming what there is, unless ``metric`` has ``topic`` (and ``breakdown``)."""
    known = (await breakdowns.topics(session, [metric.id]))[metric.id]
    topics = sorted({t for t, _, _ in known})
    if topic not in topics:
        listed = "; ".join(topics) if topics else "none: only its totals are imported"
        raise NotFound(
            f"{metric.code} has no breakdown topic {topic!r}. Its topics: {listed}",
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
    metric = await service.resolve_metric(session, metric_code)
    await check(session, metric, topic, breakdown)
    ref = await reference.load(session)
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
        area_codes = [
            (await service.resolve_authority(session, code, field="authorities")).la_code
            for code in authority_codes
        ]
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


async def compare_breakdown(
    session: AsyncSession,
    *,
    metric_code: str,
    period_label: str,
    authority_code: str,
    topic: str,
    breakdown: str,
    peers: str = PeerGroup.STATISTICAL_NEIGHBOURS,
    custom_members: Sequence[Authority] | None = None,
) -> service.Comparison:
    metric = await service.resolve_metric(session, metric_code)
    period = await service.resolve_period(session, period_label, metric)
    subject = await service.resolve_authority(session, authority_code)
    peer_ids = await service.peer_members(session, subject, peers, custom_members)
    await check(session, metric, topic, breakdown)
    rows = await breakdowns.series(session, metric.id, [period.id], topic, breakdown)
    if not rows:
        raise service.no_data(period.label)
    ids = [subject.id, *peer_ids]
    by_authority = {r.authority_id: r for r in rows if r.authority_id is not None}
    disclosed = {i: _as_published(by_authority.get(i)) for i in ids}
    ranked: dict[Hashable, float] = {
        i: d.value for i, d in disclosed.items() if d.value is not None
    }
    standing = semantics.standings(ranked, metric.polarity)
    ref = await reference.load(session)
    entries = [
        service.Entry(a, a.id == subject.id, disclosed[a.id], standing.get(a.id), label=a.name)
        for a in ref.authorities(ids)
    ]
    entries.sort(key=service.entry_order)
    by_area = {(r.area_level, r.area_code): r for r in rows if r.authority_id is None}
    return service.Comparison(
        metric=metric,
        period=period,
        subject=next(e for e in entries if e.is_subject),
        entries=entries,
        stats=semantics.peer_stats([disclosed[i].value for i in peer_ids]),
        peer_group=peers if custom_members is None else "CUSTOM",
        england=_as_published(by_area.get(("national", "E92000001"))),
        region=_as_published(by_area.get(("regional", subject.region_code))),
        breakdown_topic=topic,
        breakdown=breakdown,
    )


def _as_published(row: BreakdownFigure | None) -> Disclosed:
    if row is None:
        return MISSING
    if row.value is None:
        return Disclosed(None, row.symbol or NOT_AVAILABLE)
    return Disclosed(row.value, row.symbol)


async def trend_breakdown(
    session: AsyncSession,
    *,
    metric_code: str,
    authority_code: str,
    topic: str,
    breakdown: str,
    peers: str = PeerGroup.STATISTICAL_NEIGHBOURS,
    start: str | None = None,
    end: str | None = None,
    custom_members: Sequence[Authority] | None = None,
) -> service.Trend:
    """One breakdown's series for an authority beside its peers' median, England and region,
    with the direction of travel by the same rules as a total's (semantics.travel)."""
    metric = await service.resolve_metric(session, metric_code)
    subject = await service.resolve_authority(session, authority_code)
    first, period_rows = await service.trend_window(session, metric, start, end)
    peer_ids = await service.peer_members(session, subject, peers, custom_members)
    await check(session, metric, topic, breakdown)
    rows = await breakdowns.series(
        session, metric.id, [p.id for p in period_rows], topic, breakdown
    )
    ref = await reference.load(session)
    code_of = {a.id: a.la_code for a in ref.authorities([subject.id, *peer_ids])}
    by_key = {(r.period_id, r.area_level, r.area_code): r for r in rows}
    with_figures = {r.period_id for r in rows}
    seen = [p.start_year for p in period_rows if p.id in with_figures]
    first_seen, last_seen = (min(seen), max(seen)) if seen else (0, -1)
    points: list[service.TrendPoint] = []
    earlier: dict[int, tuple[PeriodRef, float | None]] = {}
    for p in period_rows:
        own_row = by_key.get((p.id, "local_authority", subject.la_code))
        own = _as_published(own_row)
        earlier[p.start_year] = (p, own.value)
        if p.start_year < first or not first_seen <= p.start_year <= last_seen:
            continue
        peers_then = [
            _as_published(by_key.get((p.id, "local_authority", code_of.get(i, "")))).value
            for i in peer_ids
        ]
        before = earlier.get(p.start_year - 1)
        points.append(
            service.trend_point(
                p,
                own,
                peers_then,
                metric.polarity,
                before,
                previous_period_empty=p.start_year > first_seen
                and (before is None or before[0].id not in with_figures),
                england=_as_published(by_key.get((p.id, "national", "E92000001"))),
                region=_as_published(by_key.get((p.id, "regional", subject.region_code))),
                source=own_row.source if own_row is not None else None,
            )
        )
    return service.Trend(
        metric,
        subject,
        peers if custom_members is None else "CUSTOM",
        points,
        points[-1].direction if points else "NOT_COMPARABLE",
        breakdown_topic=topic,
        breakdown=breakdown,
    )
