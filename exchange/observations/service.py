"""Reading observations through disclosure control."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.errors import InvalidInput, NotFound
from exchange.metrics import repository as metrics
from exchange.metrics import suggestions
from exchange.metrics.models import Metric
from exchange.observations import anonymity, repository
from exchange.observations.disclosure import NOT_AVAILABLE, Disclosed, can_see, disclose
from exchange.observations.models import Observation, ObservationRevision
from exchange.periods import repository as periods
from exchange.periods.labels import PeriodKey, parse_label
from exchange.pseudonyms import Pseudonym, Pseudonymiser
from exchange.viewer import Viewer


@dataclass(frozen=True)
class Shown:
    observation: Observation
    metric: Metric
    disclosed: Disclosed
    # Set for pseudonymous rows: the label and descriptors shown instead of the authority.
    pseudonym: Pseudonym | None = None
    # True when the authority must not be shown to this viewer (pseudonymous, not the publisher).
    authority_withheld: bool = False


async def list_observations(
    session: AsyncSession,
    viewer: Viewer,
    *,
    metric_codes: Sequence[str] | None,
    authority_codes: Sequence[str] | None,
    period_labels: Sequence[str] | None,
    offset: int,
    limit: int,
    pseudonymiser: Pseudonymiser | None = None,
    area_levels: Sequence[str] | None = None,
) -> tuple[list[Shown], int]:
    metric_ids: list[int] | None = None
    catalogue: dict[str, Metric] = {}
    if metric_codes is not None:
        catalogue = await metrics.get_many_by_code(session, metric_codes)
        missing = sorted(set(metric_codes) - catalogue.keys())
        if missing:
            known = [m.code for m in await metrics.all_metrics(session)]
            raise suggestions.unknown_metric(missing, known, field="metrics")
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
            key = parse_label(label, field="periods")
            _check_kind(label, key, list(catalogue.values()))
            period = await periods.get(session, key)
            if period is not None:
                period_ids.append(period.id)
    policy = await anonymity.load_policy(session, pseudonymiser)
    rows, total = await repository.page(
        session,
        metric_ids=metric_ids,
        authority_ids=authority_ids,
        period_ids=period_ids,
        visibilities=viewer.visibilities(),
        offset=offset,
        limit=limit,
        shown_pseudonyms=policy.shown_pseudonyms(viewer),
        viewer_authority_id=viewer.authority_id,
        area_levels=area_levels,
    )
    # The same check as every other read path, row by row (the SQL filter is its twin).
    rows = await anonymity.as_released(session, rows, viewer, policy)
    by_id = await metrics.get_many(session, sorted({o.metric_id for o in rows}))
    numerators = await _numerators(session, rows, by_id)
    people = await _pseudonymous_authorities(session, rows)
    shown = [
        _shown(o, by_id[o.metric_id], viewer, policy, numerators.get(o.id), people) for o in rows
    ]
    return shown, total


def _check_kind(label: str, key: PeriodKey, filtered: Sequence[Metric]) -> None:
    """A period of a kind none of the filtered metrics is reported by can match nothing: say so
    (WRONG_PERIOD_KIND, as comparison and trend do) instead of answering no rows."""
    kinds = sorted({m.period_kind for m in filtered})
    if not kinds or key.kind in kinds:
        return
    codes = ", ".join(sorted(m.code for m in filtered))
    example = PeriodKey(kinds[0], key.start_year).label
    raise InvalidInput(
        "periods",
        f"'{label}' is a {key.kind} year but {codes} "
        f"{'is' if len(filtered) == 1 else 'are'} reported by {' or '.join(kinds)} year "
        f"(for example {example})",
        code="WRONG_PERIOD_KIND",
    )


def _shown(
    o: Observation,
    metric: Metric,
    viewer: Viewer,
    policy: anonymity.PseudonymPolicy,
    numerator: Observation | None,
    people: dict[int, Authority],
) -> Shown:
    pseudonym = None
    if o.pseudonymous and o.authority_id in people:
        pseudonym = policy.pseudonym(people[o.authority_id], demo=o.is_demo)
    return Shown(
        o,
        metric,
        disclose(o, metric, viewer, numerator),
        pseudonym=pseudonym,
        authority_withheld=o.pseudonymous and not viewer.owns(o.authority_id),
    )


async def _pseudonymous_authorities(
    session: AsyncSession, rows: Sequence[Observation]
) -> dict[int, Authority]:
    ids = sorted({o.authority_id for o in rows if o.pseudonymous and o.authority_id})
    return {a.id: a for a in await authorities.get_many(session, ids)}


async def _numerators(
    session: AsyncSession, rows: Sequence[Observation], by_id: dict[int, Metric]
) -> dict[int, Observation]:
    """For rate metrics, the numerator observation of the same area and period.

    One query per numerator metric; a numerator is always of the rate's own dataset (real or
    demo)."""
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
            (n.period_id, n.authority_id, n.is_demo): n
            for n in await repository.series_for_authorities(session, num.id, pids, ids, demo=None)
        }
        for o in subset:
            if (hit := found.get((o.period_id, o.authority_id, o.is_demo))) is not None:
                out[o.id] = hit
    return out


async def get_shown(
    session: AsyncSession,
    viewer: Viewer,
    public_id: str,
    pseudonymiser: Pseudonymiser | None = None,
    *,
    include_withdrawn: bool = False,
) -> Shown | None:
    """One observation by public id; None when it does not exist or the viewer may not see it
    (the same answer either way). ``include_withdrawn`` lets a publisher reach its own withdrawn
    figures (for their history)."""
    obs = await repository.get_by_public_id(session, public_id)
    if obs is None:
        return None
    own_withdrawn = include_withdrawn and obs.withdrawn and viewer.owns(obs.authority_id)
    if not (can_see(obs, viewer) or own_withdrawn):
        return None
    policy = await anonymity.load_policy(session, pseudonymiser)
    released = await anonymity.as_released(session, [obs], viewer, policy)
    if not released or not (can_see(released[0], viewer) or own_withdrawn):
        return None
    obs = released[0]
    metric = (await metrics.get_many(session, [obs.metric_id]))[obs.metric_id]
    numerators = await _numerators(session, [obs], {metric.id: metric})
    people = await _pseudonymous_authorities(session, [obs])
    return _shown(obs, metric, viewer, policy, numerators.get(obs.id), people)


async def shown_many(
    session: AsyncSession,
    viewer: Viewer,
    rows: Sequence[Observation],
    pseudonymiser: Pseudonymiser | None = None,
) -> list[Shown]:
    """Rows already in hand (e.g. just published) through disclosure control, in order; rows this
    viewer may not see are left out."""
    policy = await anonymity.load_policy(session, pseudonymiser)
    visible = [o for o in rows if (can_see(o, viewer) or viewer.owns(o.authority_id))]
    visible = await anonymity.as_released(session, visible, viewer, policy)
    by_id = await metrics.get_many(session, sorted({o.metric_id for o in visible}))
    numerators = await _numerators(session, visible, by_id)
    people = await _pseudonymous_authorities(session, visible)
    return [
        _shown(o, by_id[o.metric_id], viewer, policy, numerators.get(o.id), people) for o in visible
    ]


@dataclass(frozen=True)
class RevisionShown:
    revision: ObservationRevision
    disclosed: Disclosed
    hidden: bool  # this revision was members-only and the viewer is anonymous
    # When it was published, as this viewer may know it: the release time for others' real
    # pseudonymous figures, never the moment itself.
    published_at: datetime


async def history(
    session: AsyncSession,
    viewer: Viewer,
    public_id: str,
    pseudonymiser: Pseudonymiser | None = None,
) -> tuple[Shown, list[RevisionShown]] | None:
    """Every revision of one observation, oldest first, each through disclosure control.

    Nothing in a revision names who published it: the publisher's token is kept in the audit log,
    which only administrators can read."""
    shown = await get_shown(session, viewer, public_id, pseudonymiser, include_withdrawn=True)
    if shown is None:
        return None
    policy = await anonymity.load_policy(session, pseudonymiser)
    current = shown.observation
    numerator = (await _numerators(session, [current], {shown.metric.id: shown.metric})).get(
        current.id
    )
    numerator_states = (
        [
            _as_observation(r, numerator.authority_id)
            for r in await repository.history(session, numerator.id)
        ]
        if numerator is not None
        else []
    )
    numerator_times = [r.updated_at for r in numerator_states]
    revisions = await repository.history(session, current.id)
    # Others see a real pseudonymous figure only as released (``get_shown`` gave that state).
    revisions = [r for r in revisions if r.revision <= current.revision]
    out: list[RevisionShown] = []
    for i, rev in enumerate(revisions):
        as_obs = _as_observation(rev, current.authority_id, withdrawn=False)
        hidden = not can_see(as_obs, viewer)
        if rev.withdrawn:
            disclosed = Disclosed(None, NOT_AVAILABLE, "")
        elif shown.metric.disclosure_rule != "rate":
            disclosed = disclose(as_obs, shown.metric, viewer)
        else:
            until = revisions[i + 1].created_at if i + 1 < len(revisions) else None
            states = _states_during(numerator_states, numerator_times, rev.created_at, until)
            disclosed = _disclose_rate_revision(as_obs, shown.metric, viewer, states)
        when = policy.shown_time(rev.created_at, current, viewer)
        out.append(RevisionShown(rev, disclosed, hidden, when))
    return shown, out


def _as_observation(
    rev: ObservationRevision, authority_id: int | None, *, withdrawn: bool | None = None
) -> Observation:
    return Observation(
        authority_id=authority_id,
        value=rev.value,
        symbol=rev.symbol,
        flags=rev.flags,
        visibility=rev.visibility,
        pseudonymous=rev.pseudonymous,
        withdrawn=rev.withdrawn if withdrawn is None else withdrawn,
        updated_at=rev.created_at,
    )


def _states_during(
    states: list[Observation], times: list[Any], start: Any, until: Any
) -> list[Observation | None]:
    """The numerator's states while a rate revision was current: the one in force when it was
    published (None if there was none yet), then every later one until the next rate revision."""
    first = bisect.bisect_right(times, start)
    in_force: Observation | None = states[first - 1] if first > 0 else None
    last = len(states) if until is None else bisect.bisect_left(times, until, lo=first)
    return [in_force, *states[first:last]]


def _disclose_rate_revision(
    obs: Observation, metric: Metric, viewer: Viewer, numerators: list[Observation | None]
) -> Disclosed:
    """A past rate is shown only if it was safe against every numerator it stood beside: had its
    numerator been small at any moment while the rate was current, showing the rate now (beside the
    denominator) would give back that small count, as the current view never does."""
    shown = [disclose(obs, metric, viewer, n, check_floor=False) for n in numerators]
    return next((d for d in shown if d.value is None), shown[0])
