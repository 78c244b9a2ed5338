"""Comparison and trend: an authority against a peer group, by the rules in semantics.py."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from exchange import dataversion
from exchange.authorities.models import Authority
from exchange.authorities.vocab import PeerGroup
from exchange.comparison import reference, semantics
from exchange.comparison.reference import AuthorityRef, MetricRef, PeriodRef
from exchange.errors import InvalidInput, NotFound
from exchange.metrics import suggestions
from exchange.observations import anonymity, repository_pseudonyms
from exchange.observations import repository as observations
from exchange.observations.disclosure import Disclosed, can_see, disclose
from exchange.observations.models import Observation
from exchange.periods.labels import PeriodKey, parse_label
from exchange.pseudonyms import Descriptor, Pseudonym, Pseudonymiser
from exchange.viewer import Viewer

PEER_GROUPS = tuple(PeerGroup)


@dataclass(frozen=True)
class Entry:
    authority: AuthorityRef | None  # None for a pseudonymous entry: the authority is never shown
    is_subject: bool
    disclosed: Disclosed
    standing: semantics.Standing | None
    label: str = ""
    pseudonym: Pseudonym | None = None
    is_demo: bool = False

    @property
    def name(self) -> str:
        return self.authority.name if self.authority is not None else self.label


@dataclass(frozen=True)
class Comparison:
    metric: MetricRef
    period: PeriodRef
    subject: Entry
    entries: list[Entry]  # ranked entries first (best first), then the rest by name
    stats: semantics.PeerStats
    peer_group: str
    england: Disclosed
    region: Disclosed
    breakdown_topic: str | None = None  # None: the totals (exchange/comparison/breakdowns.py)
    breakdown: str | None = None


# Named groups whose membership a pseudonymous entry's descriptors already tell: its figures may
# join these. Statistical neighbours and custom groups never take pseudonymous figures: whether a
# label is in a group would say whether its publisher is one of a few named members, and a handful
# of groups (or one custom group edited a few times) would single it out.
PSEUDONYM_GROUPS = (PeerGroup.ENGLAND, PeerGroup.REGION, PeerGroup.AUTHORITY_TYPE)


def _in_group(descriptor: Descriptor, group: str, subject: AuthorityRef) -> bool:
    if group == PeerGroup.ENGLAND:
        return True
    if group == PeerGroup.REGION:
        return descriptor.region_code == subject.region_code
    if group == PeerGroup.AUTHORITY_TYPE:
        return descriptor.type is not None and descriptor.type == subject.type
    return False


async def resolve_metric(session: AsyncSession, code: str) -> MetricRef:
    catalogue = (await reference.load(session)).metrics
    metric = catalogue.get(code)
    if metric is None:
        raise suggestions.unknown_metric([code], catalogue, field="metric")
    return metric


async def resolve_authority(
    session: AsyncSession, code: str, field: str = "authority"
) -> AuthorityRef:
    authority = (await reference.load(session)).authority(code)
    if authority is None:
        raise NotFound(
            f"no authority with code '{code}': use a DfE code such as 869 or "
            f"a GSS code such as E06000037",
            field=field,
        )
    return authority


async def resolve_period(session: AsyncSession, label: str, metric: MetricRef) -> PeriodRef:
    key = parse_label(label, metric.period_kind)
    period = (await reference.load(session)).periods.get(key.label)
    if period is None:
        raise no_data(key.label)
    return period


def no_data(label: str) -> NotFound:
    return NotFound(f"no data for period {label}", field="period")


async def peer_members(
    session: AsyncSession,
    subject: AuthorityRef,
    peers: str,
    members: Sequence[Authority] | None = None,
) -> list[int]:
    if members is not None:
        return [a.id for a in members if a.id != subject.id]
    if peers not in PEER_GROUPS:
        raise InvalidInput("peers", f"unknown peer group '{peers}'")
    return (await reference.load(session)).peer_ids(subject, peers)


async def compare(
    session: AsyncSession,
    viewer: Viewer,
    *,
    metric_code: str,
    period_label: str,
    authority_code: str,
    peers: str = PeerGroup.STATISTICAL_NEIGHBOURS,
    custom_members: Sequence[Authority] | None = None,
    pseudonymiser: Pseudonymiser | None = None,
) -> Comparison:
    metric = await resolve_metric(session, metric_code)
    period = await resolve_period(session, period_label, metric)
    subject = await resolve_authority(session, authority_code)
    peer_ids = await peer_members(session, subject, peers, custom_members)
    ids = [subject.id, *peer_ids]
    ref = await reference.load(session)
    people = {a.id: a for a in ref.authorities(ids)}
    policy = await anonymity.load_policy(session, pseudonymiser)
    # "No data" must not depend on figures this viewer may not see (members-only, withheld).
    datasets = (await _datasets(session, metric, [period.id], viewer, policy)).get(period.id)
    if not datasets:
        raise no_data(period.label)
    demo = _demo_dataset(datasets)
    obs = _named(
        await observations.for_authorities(session, metric.id, period.id, ids, demo=demo), viewer
    )
    pseudo = await _pseudonymous(
        session, metric, [period.id], subject, peers, custom_members, viewer, policy, demo=demo
    )
    numerators = await _numerators(
        session, metric, period.id, [*ids, *(o.authority_id or 0 for o in pseudo)], demo=demo
    )
    disclosed = {i: disclose(obs.get(i), metric, viewer, numerators.get(i)) for i in ids}
    pseudo_disclosed = {
        o.authority_id or 0: disclose(o, metric, viewer, numerators.get(o.authority_id or 0))
        for o in pseudo
    }
    ranked_values: dict[Hashable, float] = {
        i: d.value for i, d in disclosed.items() if d.value is not None
    }
    ranked_values.update(
        {("p", a): d.value for a, d in pseudo_disclosed.items() if d.value is not None}
    )
    standing = semantics.standings(ranked_values, metric.polarity)
    stats = semantics.peer_stats(
        [disclosed[i].value for i in peer_ids] + [d.value for d in pseudo_disclosed.values()]
    )
    areas = await observations.area_values(
        session,
        metric.id,
        [period.id],
        [("national", "E92000001"), ("regional", subject.region_code)],
    )
    entries = [
        Entry(
            people[i],
            i == subject.id,
            disclosed[i],
            standing.get(i),
            label=people[i].name,
            is_demo=demo,
        )
        for i in ids
        if i in people
    ]
    pseudo_people = {a.id: a for a in ref.authorities(list(pseudo_disclosed))}
    for o in pseudo:
        a = pseudo_people.get(o.authority_id or 0)
        pseudonym = policy.pseudonym(a, demo=o.is_demo) if a is not None else None
        if pseudonym is None:
            continue
        entries.append(
            Entry(
                None,
                False,
                pseudo_disclosed[o.authority_id or 0],
                standing.get(("p", o.authority_id)),
                label=pseudonym.label,
                pseudonym=pseudonym,
                is_demo=o.is_demo,
            )
        )
    entries.sort(key=entry_order)
    subject_entry = next(e for e in entries if e.is_subject)
    return Comparison(
        metric=metric,
        period=period,
        subject=subject_entry,
        entries=entries,
        stats=stats,
        peer_group=peers if custom_members is None else "CUSTOM",
        england=_area(areas.get((period.id, "national", "E92000001")), metric, viewer),
        region=_area(areas.get((period.id, "regional", subject.region_code)), metric, viewer),
    )


def _named(found: dict[int, Observation], viewer: Viewer) -> dict[int, Observation]:
    """Named entries never show a pseudonymous figure (only its publisher sees it under its name):
    to everyone else the authority has no figure, exactly like an authority that published none."""
    return {i: o for i, o in found.items() if not o.pseudonymous or viewer.owns(i)}


async def _datasets(
    session: AsyncSession,
    metric: MetricRef,
    period_ids: Sequence[int],
    viewer: Viewer,
    policy: anonymity.PseudonymPolicy,
) -> dict[int, set[bool]]:
    """Which datasets (real, demo) hold figures this viewer may see, per period. Cached per data
    version: the DISTINCT over every authority's rows was a sixth of a comparison's time."""
    visibilities = viewer.visibilities()
    shown = policy.shown_pseudonyms(viewer)
    key = ("datasets", metric.id, tuple(sorted(period_ids)), visibilities, shown)
    return await _DATASETS.get(
        session,
        key,
        lambda: repository_pseudonyms.visible_datasets(
            session, metric.id, period_ids, visibilities=visibilities, shown_pseudonyms=shown
        ),
    )


_DATASETS = dataversion.DerivedCache(maxsize=2048)


def _demo_dataset(datasets: set[bool]) -> bool:
    """Which dataset a comparison of one period is made of: the real figures whenever this viewer
    can see any, the demo figures only where there are no real ones. The two never meet in one
    ranking, peer statistic or direction of travel."""
    return False not in datasets


async def _pseudonymous(
    session: AsyncSession,
    metric: MetricRef,
    period_ids: Sequence[int],
    subject: AuthorityRef,
    peers: str,
    custom_members: Sequence[Authority] | None,
    viewer: Viewer,
    policy: anonymity.PseudonymPolicy,
    *,
    demo: bool | None,
) -> list[Observation]:
    """Pseudonymous figures that join this comparison: shown to this viewer, not the viewer's own
    (those appear under the viewer's name), and in a group their descriptors already place them;
    others' real ones as they stood at the last release."""
    if not policy.shows_any:
        return []
    # Queried for every group, so the statements sent do not depend on the group either.
    rows = await repository_pseudonyms.pseudonymous_rows(session, metric.id, period_ids, demo=demo)
    if custom_members is not None or peers not in PSEUDONYM_GROUPS:
        return []
    rows = [o for o in rows if not viewer.owns(o.authority_id)]
    out = []
    for o in await anonymity.as_released(session, rows, viewer, policy):
        if not can_see(o, viewer):
            continue
        descriptor = policy.descriptors.get(o.authority_id or 0)
        if descriptor is not None and _in_group(descriptor, peers, subject):
            out.append(o)
    return out


def entry_order(e: Entry) -> tuple[int, int, str]:
    return (0, e.standing.rank, e.name) if e.standing else (1, 0, e.name)


def _area(obs: Observation | None, metric: MetricRef, viewer: Viewer) -> Disclosed:
    return disclose(obs, metric, viewer)


async def _numerators(
    session: AsyncSession, metric: MetricRef, period_id: int, ids: Sequence[int], *, demo: bool
) -> dict[int, Observation]:
    if metric.disclosure_rule != "rate" or not metric.numerator_code:
        return {}
    numerator = (await reference.load(session)).metrics.get(metric.numerator_code)
    if numerator is None:
        return {}
    return await observations.for_authorities(session, numerator.id, period_id, ids, demo=demo)


@dataclass(frozen=True)
class TrendPoint:
    period: PeriodRef
    value: Disclosed
    peer_median: float | None
    peer_count: int
    england: Disclosed
    region: Disclosed
    direction: str  # against the period just before it
    is_demo: bool = False  # the dataset of this point: the authority's figure and its peers'
    source: str | None = None  # the authority's figure's source, when it has one
    change: float | None = None  # value - the previous period's value, within one dataset
    reason: str | None = None  # why the direction is NOT_COMPARABLE
    previous: PeriodRef | None = None  # the period the direction compares with, if stored


@dataclass(frozen=True)
class Trend:
    metric: MetricRef
    authority: AuthorityRef
    peer_group: str
    points: list[TrendPoint]
    direction: str  # latest point against the period just before it
    breakdown_topic: str | None = None  # None: the totals (exchange/comparison/breakdowns.py)
    breakdown: str | None = None

    @property
    def latest(self) -> TrendPoint | None:
        return self.points[-1] if self.points else None

    @property
    def reason(self) -> str | None:
        return self.latest.reason if self.latest else "no figures for this authority"


def trend_point(
    period: PeriodRef,
    own: Disclosed,
    peer_values: Sequence[float | None],
    polarity: str,
    before: tuple[PeriodRef, float | None] | None,
    *,
    previous_period_empty: bool,
    england: Disclosed,
    region: Disclosed,
    is_demo: bool = False,
    previous_demo: bool = False,
    source: str | None = None,
) -> TrendPoint:
    """One point of a series: its peers' statistics and its direction of travel from ``before``
    (the period just before it and the authority's value then), by semantics.travel's rules."""
    stats = semantics.peer_stats(list(peer_values))
    travel = semantics.travel(
        before[1] if before else None,
        own.value,
        polarity,
        previous_label=(
            before[0].label if before else PeriodKey(period.kind, period.start_year - 1).label
        ),
        latest_label=period.label,
        previous_period_empty=previous_period_empty,
        previous_demo=previous_demo,
        latest_demo=is_demo,
    )
    return TrendPoint(
        period=period,
        value=own,
        peer_median=stats.median,
        peer_count=stats.count,
        england=england,
        region=region,
        direction=travel.direction,
        is_demo=is_demo,
        source=source,
        change=travel.change,
        reason=travel.reason,
        previous=before[0] if before else None,
    )


async def trend_window(
    session: AsyncSession, metric: MetricRef, start: str | None, end: str | None
) -> tuple[int, list[PeriodRef]]:
    """The first year asked for, and the metric's periods from the year before it to the last
    asked for: the first point's direction of travel compares it with the period before it, like
    every other point (that period is not itself returned)."""
    first = parse_label(start, metric.period_kind, field="from").start_year if start else 1900
    last = parse_label(end, metric.period_kind, field="to").start_year if end else 2100
    if first > last:
        raise InvalidInput("from", f"'from' ({start}) is after 'to' ({end})")
    return first, (await reference.load(session)).between(metric.period_kind, first - 1, last)


async def trend(
    session: AsyncSession,
    viewer: Viewer,
    *,
    metric_code: str,
    authority_code: str,
    peers: str = PeerGroup.STATISTICAL_NEIGHBOURS,
    start: str | None = None,
    end: str | None = None,
    custom_members: Sequence[Authority] | None = None,
    pseudonymiser: Pseudonymiser | None = None,
) -> Trend:
    metric = await resolve_metric(session, metric_code)
    subject = await resolve_authority(session, authority_code)
    first, period_rows = await trend_window(session, metric, start, end)
    period_ids = [p.id for p in period_rows]
    peer_ids = await peer_members(session, subject, peers, custom_members)
    ids = [subject.id, *peer_ids]
    policy = await anonymity.load_policy(session, pseudonymiser)
    # Each period is made of one dataset, chosen as a comparison chooses it.
    datasets = await _datasets(session, metric, period_ids, viewer, policy)
    demo_of = {p: _demo_dataset(datasets.get(p, {False})) for p in period_ids}
    rows = await observations.series_for_authorities(session, metric.id, period_ids, ids, demo=None)
    by_key = {
        (o.period_id, o.authority_id): o
        for o in rows
        if o.is_demo == demo_of[o.period_id] and (not o.pseudonymous or viewer.owns(o.authority_id))
    }
    pseudo = [
        o
        for o in await _pseudonymous(
            session, metric, period_ids, subject, peers, custom_members, viewer, policy, demo=None
        )
        if o.is_demo == demo_of[o.period_id]
    ]
    numerators: dict[tuple[int, int | None], Observation] = {}
    if metric.disclosure_rule == "rate" and metric.numerator_code:
        num_metric = (await reference.load(session)).metrics.get(metric.numerator_code)
        if num_metric:
            wanted = sorted({*ids, *(o.authority_id or 0 for o in pseudo)})
            for o in await observations.series_for_authorities(
                session, num_metric.id, period_ids, wanted, demo=None
            ):
                if o.is_demo == demo_of[o.period_id]:
                    numerators[(o.period_id, o.authority_id)] = o
    areas = await observations.area_values(
        session,
        metric.id,
        period_ids,
        [("national", "E92000001"), ("regional", subject.region_code)],
    )
    # Every period from the metric's first to its last with any figure this viewer can see is a
    # point, even one where neither the authority nor a peer has a value.
    seen = [p.start_year for p in period_rows if datasets.get(p.id)]
    first_seen, last_seen = (min(seen), max(seen)) if seen else (0, -1)
    points: list[TrendPoint] = []
    earlier: dict[int, tuple[PeriodRef, float | None, bool]] = {}
    for p in period_rows:
        own_obs = by_key.get((p.id, subject.id))
        own = disclose(own_obs, metric, viewer, numerators.get((p.id, subject.id)))
        earlier[p.start_year] = (p, own.value, demo_of[p.id])
        if p.start_year < first or not first_seen <= p.start_year <= last_seen:
            continue
        peer_vals = [
            disclose(by_key.get((p.id, i)), metric, viewer, numerators.get((p.id, i))).value
            for i in peer_ids
        ]
        peer_vals += [
            disclose(o, metric, viewer, numerators.get((p.id, o.authority_id))).value
            for o in pseudo
            if o.period_id == p.id
        ]
        before = earlier.get(p.start_year - 1)
        points.append(
            trend_point(
                p,
                own,
                peer_vals,
                metric.polarity,
                (before[0], before[1]) if before else None,
                # (the series' first period is not "after a missing one": nothing before it)
                previous_period_empty=p.start_year > first_seen
                and (before is None or not datasets.get(before[0].id)),
                england=disclose(areas.get((p.id, "national", "E92000001")), metric, viewer),
                region=disclose(areas.get((p.id, "regional", subject.region_code)), metric, viewer),
                is_demo=demo_of[p.id],
                previous_demo=before[2] if before else demo_of[p.id],
                source=own_obs.source if own_obs is not None and can_see(own_obs, viewer) else None,
            )
        )
    overall = points[-1].direction if points else "NOT_COMPARABLE"
    return Trend(metric, subject, peers if custom_members is None else "CUSTOM", points, overall)
