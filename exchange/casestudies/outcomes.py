"""What the figures say about a case study's claims, and who improved on a metric.

Outcome link: for (authority, metric, baseline period, follow-up period) the authority's own
disclosed values at both periods, the change, and its statistical neighbours' median change over
the same periods ("down 15 points while neighbours fell 2"). Peer changes use peers with a
disclosed value at both periods only.

A pseudonymous case study never shows its author's own figures (or its neighbours', which would
identify it) to anyone but its author: matching the figures against published DfE data would
name the authority. Its links show England's median change instead.

Every value goes through exchange.observations.disclosure; pseudonymous figures are treated as
missing here (except for their own publisher), so no named authority's series is completed from
one.

Demo figures never meet real ones: each period is read from one dataset (the real figures where
any named real figure of the metric exists for it, the demo ones otherwise), a real case study's
link reads real figures only, and a change across two datasets is NOT_COMPARABLE.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.authorities.vocab import PeerGroup
from exchange.comparison import reference, semantics
from exchange.comparison.reference import AuthorityRef, MetricRef, PeriodRef
from exchange.comparison.service import (
    peer_members,
    resolve_authority,
    resolve_metric,
    resolve_period,
)
from exchange.errors import DomainError, InvalidInput
from exchange.metrics import repository as metrics
from exchange.metrics.models import Metric
from exchange.observations import repository as observations
from exchange.observations import repository_pseudonyms
from exchange.observations.disclosure import MISSING, Disclosed, Rules, disclose
from exchange.observations.models import Observation
from exchange.observations.repository_pseudonyms import ShownPseudonyms
from exchange.viewer import Viewer


@dataclass(frozen=True)
class OutcomeKey:
    authority_id: int
    metric_id: int
    baseline_period_id: int
    follow_up_period_id: int
    withheld: bool  # pseudonymous case study, seen by someone other than its author
    demo: bool = False  # a demo case study: its links may read demo figures


@dataclass(frozen=True)
class Outcome:
    baseline: Disclosed
    follow_up: Disclosed
    change: float | None
    direction: str
    peer_group: str
    peer_median_change: float | None
    peer_count: int
    peer_direction: str
    withheld: bool
    summary: str | None
    reason: str | None = None  # why the direction is NOT_COMPARABLE


# Stands for a value, where only the datasets decide whether a change is measured at all.
_PRESENT = Disclosed(0.0, None)


def _change(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return round(b - a, 9)


def _shown(
    obs: Observation | None, metric: Rules, viewer: Viewer, numerator: Observation | None
) -> Disclosed:
    if obs is not None and obs.pseudonymous and not viewer.owns(obs.authority_id):
        return MISSING
    return disclose(obs, metric, viewer, numerator)


class _Series:
    """Observations of one metric for some authorities and periods, plus rate numerators, each
    period from one dataset."""

    def __init__(self, metric: Metric | MetricRef) -> None:
        self.metric = metric
        self.values: dict[tuple[int, int | None, bool], Observation] = {}
        self.numerators: dict[tuple[int, int | None, bool], Observation] = {}
        self.demo_periods: set[int] = set()  # periods with demo figures and no named real ones

    async def load(
        self,
        session: AsyncSession,
        viewer: Viewer,
        period_ids: Sequence[int],
        authority_ids: Sequence[int],
    ) -> None:
        ids = sorted(set(authority_ids))
        pids = sorted(set(period_ids))
        # Only named figures (and the viewer's own) decide the dataset: pseudonymous ones are
        # missing here anyway, and must not change what a viewer is shown.
        datasets = await repository_pseudonyms.visible_datasets(
            session,
            self.metric.id,
            pids,
            visibilities=viewer.visibilities(),
            shown_pseudonyms=ShownPseudonyms(own=viewer.authority_id),
        )
        self.demo_periods = {p for p, found in datasets.items() if False not in found}
        for o in await observations.series_for_authorities(
            session, self.metric.id, pids, ids, demo=None
        ):
            self.values[(o.period_id, o.authority_id, o.is_demo)] = o
        if self.metric.disclosure_rule == "rate" and self.metric.numerator_code:
            num = await metrics.get_by_code(session, self.metric.numerator_code)
            if num is not None:
                for o in await observations.series_for_authorities(
                    session, num.id, pids, ids, demo=None
                ):
                    self.numerators[(o.period_id, o.authority_id, o.is_demo)] = o

    def demo(self, period_id: int) -> bool:
        return period_id in self.demo_periods

    def value(
        self, viewer: Viewer, period_id: int, authority_id: int, *, allow_demo: bool = True
    ) -> Disclosed:
        demo = self.demo(period_id)
        if demo and not allow_demo:
            return MISSING
        key = (period_id, authority_id, demo)
        return _shown(self.values.get(key), self.metric, viewer, self.numerators.get(key))

    def comparable(self, baseline_id: int, follow_up_id: int) -> bool:
        """A change is only measured within one dataset."""
        return self.demo(baseline_id) == self.demo(follow_up_id)

    def reason(
        self,
        labels: dict[int, str],
        baseline_id: int,
        follow_up_id: int,
        baseline: Disclosed,
        follow_up: Disclosed,
        *,
        allow_demo: bool = True,
    ) -> str | None:
        """Why the change from baseline to follow-up is NOT_COMPARABLE, in words (else None)."""
        b, f = labels.get(baseline_id, "the baseline"), labels.get(follow_up_id, "the follow-up")
        if not allow_demo:
            demo_only = [
                label for pid, label in ((baseline_id, b), (follow_up_id, f)) if self.demo(pid)
            ]
            if demo_only:
                return (
                    f"{' and '.join(demo_only)} {'has' if len(demo_only) == 1 else 'have'} demo "
                    "figures only (synthetic, not real): a real case study's link reads real "
                    "figures only"
                )
        travel = semantics.travel(
            baseline.value,
            follow_up.value,
            self.metric.polarity,
            previous_label=b,
            latest_label=f,
            previous_demo=self.demo(baseline_id),
            latest_demo=self.demo(follow_up_id),
        )
        return travel.reason


async def _labels(session: AsyncSession) -> dict[int, str]:
    return {p.id: p.label for p in (await reference.load(session)).periods.values()}


def _median(values: Sequence[float]) -> float | None:
    return round(float(statistics.median(values)), 9) if values else None


def format_number(x: float) -> str:
    x = abs(x)
    if x >= 100:
        return f"{x:,.0f}"
    text = f"{x:.1f}" if x >= 10 else f"{x:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _movement(change: float, unit: str) -> str:
    if change == 0:
        return "unchanged"
    words = " points" if unit == "percent" else ""
    return f"{'up' if change > 0 else 'down'} {format_number(change)}{words}"


def _peer_verb(change: float, unit: str) -> str:
    if change == 0:
        return "stayed level"
    words = " points" if unit == "percent" else ""
    return f"{'rose' if change > 0 else 'fell'} {format_number(change)}{words}"


def summarise(
    change: float | None, peer_change: float | None, peer_group: str, unit: str
) -> str | None:
    group = (
        "statistical neighbours"
        if peer_group == PeerGroup.STATISTICAL_NEIGHBOURS
        else "England's median"
    )
    if change is None:
        if peer_change is None:
            return None
        return f"{group} {_peer_verb(peer_change, unit)}"
    own = _movement(change, unit)
    if peer_change is None:
        return own
    return f"{own} while {group} {_peer_verb(peer_change, unit)}"


async def resolve(
    session: AsyncSession, viewer: Viewer, keys: Sequence[OutcomeKey]
) -> list[Outcome]:
    """Outcomes for many links at once: a constant number of statements per distinct metric."""
    if not keys:
        return []
    by_metric = await metrics.get_many(session, sorted({k.metric_id for k in keys}))
    named = sorted({k.authority_id for k in keys if not k.withheld})
    neighbours = {
        a: [n.id for _, n in rows]
        for a, rows in (await authorities.neighbours_of(session, named)).items()
    }
    everyone: list[int] = []
    if any(k.withheld for k in keys):
        everyone = [a.id for a in await authorities.all_authorities(session)]
    series: dict[int, _Series] = {}
    labels = await _labels(session)
    wanted_periods: dict[int, set[int]] = defaultdict(set)
    wanted_authorities: dict[int, set[int]] = defaultdict(set)
    for k in keys:
        wanted_periods[k.metric_id] |= {k.baseline_period_id, k.follow_up_period_id}
        if k.withheld:
            wanted_authorities[k.metric_id] |= set(everyone)
        else:
            wanted_authorities[k.metric_id] |= {k.authority_id, *neighbours.get(k.authority_id, [])}
    for metric_id, found in by_metric.items():
        s = series[metric_id] = _Series(found)
        await s.load(
            session,
            viewer,
            sorted(wanted_periods[metric_id]),
            sorted(wanted_authorities[metric_id]),
        )
    out = []
    for k in keys:
        s = series[k.metric_id]
        metric = s.metric
        if k.withheld:
            baseline = follow_up = Disclosed(None, None)
            peers, group = everyone, PeerGroup.ENGLAND
        else:
            baseline = s.value(viewer, k.baseline_period_id, k.authority_id, allow_demo=k.demo)
            follow_up = s.value(viewer, k.follow_up_period_id, k.authority_id, allow_demo=k.demo)
            peers, group = neighbours.get(k.authority_id, []), PeerGroup.STATISTICAL_NEIGHBOURS
        comparable = s.comparable(k.baseline_period_id, k.follow_up_period_id)
        changes = [
            c
            for p in peers
            if comparable
            and (
                c := _change(
                    s.value(viewer, k.baseline_period_id, p, allow_demo=k.demo).value,
                    s.value(viewer, k.follow_up_period_id, p, allow_demo=k.demo).value,
                )
            )
            is not None
        ]
        peer_change = _median(changes)
        change = _change(baseline.value, follow_up.value) if comparable else None
        direction = semantics.direction(
            baseline.value if comparable else None, follow_up.value, metric.polarity
        )
        reason = None
        if k.withheld:
            reason = "the author's own figures are withheld from you (a pseudonymous case study)"
        elif direction == "NOT_COMPARABLE":
            reason = s.reason(
                labels,
                k.baseline_period_id,
                k.follow_up_period_id,
                baseline,
                follow_up,
                allow_demo=k.demo,
            )
        out.append(
            Outcome(
                baseline=baseline,
                follow_up=follow_up,
                change=change,
                direction=direction,
                peer_group=group,
                peer_median_change=peer_change,
                peer_count=len(changes),
                peer_direction=semantics.direction(
                    0.0 if peer_change is not None else None, peer_change, metric.polarity
                ),
                withheld=k.withheld,
                summary=summarise(change, peer_change, group, metric.unit),
                reason=reason,
            )
        )
    return out


# -- improvers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImproverEntry:
    authority: Authority
    is_subject: bool
    baseline: Disclosed
    follow_up: Disclosed
    change: float | None
    improvement: float | None  # the change signed so that larger is better
    direction: str
    standing: semantics.Standing | None
    reason: str | None = None  # why the direction is NOT_COMPARABLE


@dataclass(frozen=True)
class Improvers:
    metric: MetricRef
    baseline_period: PeriodRef
    follow_up_period: PeriodRef
    subject: AuthorityRef
    peer_group: str
    entries: list[ImproverEntry]  # ranked best first, then those without both values
    peer_median_change: float | None
    peer_count: int
    reason: str | None = None  # why no change is measured at all (two datasets)
    baseline_demo: bool = False  # the dataset each period's figures are read from
    follow_up_demo: bool = False


def improvement(change: float | None, polarity: str) -> float | None:
    """Polarity-aware: a fall is an improvement when lower is better. Neutral metrics rank by
    the change itself (largest increase first), as comparisons rank neutral values."""
    if change is None:
        return None
    return -change if polarity == "lower_is_better" else change


async def _period(session: AsyncSession, label: str, metric: MetricRef, field: str) -> PeriodRef:
    try:
        return await resolve_period(session, label, metric)
    except DomainError as exc:
        exc.field = field  # the argument the caller passed, not the generic "period"
        raise


async def improvers(
    session: AsyncSession,
    viewer: Viewer,
    *,
    metric_code: str,
    from_label: str,
    to_label: str,
    authority_code: str,
    peers: str = PeerGroup.STATISTICAL_NEIGHBOURS,
) -> Improvers:
    metric = await resolve_metric(session, metric_code)
    baseline_period = await _period(session, from_label, metric, "from")
    follow_up_period = await _period(session, to_label, metric, "to")
    if baseline_period.start_year >= follow_up_period.start_year:
        raise InvalidInput(
            "to", f"'to' ({to_label}) must come after 'from' ({from_label})", "PERIOD_ORDER"
        )
    subject = await resolve_authority(session, authority_code)
    peer_ids = await peer_members(session, subject, peers)
    ids = [subject.id, *peer_ids]
    people = {a.id: a for a in await authorities.get_many(session, ids)}
    s = _Series(metric)
    await s.load(session, viewer, [baseline_period.id, follow_up_period.id], ids)
    comparable = s.comparable(baseline_period.id, follow_up_period.id)
    rows: dict[int, tuple[Disclosed, Disclosed, float | None]] = {}
    for i in ids:
        b = s.value(viewer, baseline_period.id, i)
        f = s.value(viewer, follow_up_period.id, i)
        rows[i] = (b, f, _change(b.value, f.value) if comparable else None)
    gains = {
        i: g for i, (_, _, c) in rows.items() if (g := improvement(c, metric.polarity)) is not None
    }
    standing = semantics.standings(gains, "higher_is_better")  # type: ignore[arg-type]
    labels = {
        baseline_period.id: baseline_period.label,
        follow_up_period.id: follow_up_period.label,
    }
    entries = []
    for i in ids:
        if i not in people:
            continue
        direction = semantics.direction(
            rows[i][0].value if comparable else None, rows[i][1].value, metric.polarity
        )
        entries.append(
            ImproverEntry(
                authority=people[i],
                is_subject=i == subject.id,
                baseline=rows[i][0],
                follow_up=rows[i][1],
                change=rows[i][2],
                improvement=gains.get(i),
                direction=direction,
                standing=standing.get(i),
                reason=s.reason(
                    labels, baseline_period.id, follow_up_period.id, rows[i][0], rows[i][1]
                )
                if direction == "NOT_COMPARABLE"
                else None,
            )
        )
    entries.sort(
        key=lambda e: (
            (0, e.standing.rank, e.authority.name) if e.standing else (1, 0, e.authority.name)
        )
    )
    peer_changes = [c for i in peer_ids if (c := rows[i][2]) is not None]
    return Improvers(
        metric=metric,
        baseline_period=baseline_period,
        follow_up_period=follow_up_period,
        subject=subject,
        peer_group=peers,
        entries=entries,
        peer_median_change=_median(peer_changes),
        peer_count=len(peer_changes),
        reason=None
        if comparable
        else s.reason(labels, baseline_period.id, follow_up_period.id, _PRESENT, _PRESENT),
        baseline_demo=s.demo(baseline_period.id),
        follow_up_demo=s.demo(follow_up_period.id),
    )
