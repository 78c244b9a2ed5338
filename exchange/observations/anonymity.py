"""Which pseudonymous figures a viewer may see, and under which label.

The rule (docs/publishing.md, "Honest limits"): a pseudonymous publisher's figures are shown under
its label only when at least K = 5 authorities could have published them, given everything any
member can see. A candidate must share the label's descriptor, must have no named figure in any
series the label published (a named figure for the same metric and period rules an authority out,
withdrawn and members-only ones included), and the labels together must be assignable to distinct
authorities. Otherwise the figures are withheld from everyone but their publisher, and look exactly
like figures that do not exist.

The decision depends only on stored data, never on who asks, so two viewers cannot difference
their answers to learn more than either would alone.

Demo figures are a dataset apart and are decided apart: a demo row is never a candidate for, a
holder ruling out, or a member of a real label's series (the demo generator is public, so anyone
can tell who owns each demo label). Real pseudonymous figures are shown only once released
(``ReleaseSchedule``): until then they look like no figure, and afterwards every read shows them
as they stood at the last release time.

Readers apply the policy as an allow-list: a pseudonymous row is shown only when the policy knows
its series, so a row published after the policy was computed is hidden, never shown unchecked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from exchange import dataversion, pseudonyms
from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.observations import repository, repository_pseudonyms
from exchange.observations.models import Observation, ObservationRevision
from exchange.observations.repository_pseudonyms import ShownPseudonyms
from exchange.viewer import Viewer

SeriesKey = tuple[int, int, int]  # authority id, metric id, period id


@dataclass(frozen=True)
class DatasetPolicy:
    """The decision for one dataset (real or demo)."""

    visible: frozenset[int] = frozenset()  # publishers whose pseudonymous figures are shown
    series: frozenset[SeriesKey] = frozenset()  # every series of theirs that may be shown


@dataclass(frozen=True)
class PseudonymPolicy:
    pseudonymiser: pseudonyms.Pseudonymiser | None
    descriptors: dict[int, pseudonyms.Descriptor] = field(default_factory=dict)
    real: DatasetPolicy = DatasetPolicy()
    demo: DatasetPolicy = DatasetPolicy()
    as_of: datetime | None = None  # the last release time: real figures published later wait

    def pseudonym(
        self, authority: pseudonyms.AuthorityLike, *, demo: bool = False
    ) -> pseudonyms.Pseudonym | None:
        """The label a figure is shown under; demo figures have labels of their own."""
        if self.pseudonymiser is None:
            return None
        return pseudonyms.Pseudonym(
            code=self.pseudonymiser.code(authority.la_code, demo=demo),
            label=self.pseudonymiser.label(authority.la_code, demo=demo),
            descriptor=self.descriptors.get(authority.id, pseudonyms.ENGLAND),
        )

    @property
    def shows_any(self) -> bool:
        return bool(self.real.series or self.demo.series)

    def released(self, when: datetime | None) -> bool:
        return when is not None and self.as_of is not None and _aware(when) <= self.as_of

    def hides(self, obs: Observation, viewer: Viewer) -> bool:
        """True when this row must look like no row at all to this viewer."""
        if not obs.pseudonymous or viewer.owns(obs.authority_id):
            return False
        if self.pseudonymiser is None:
            return True
        dataset = self.demo if obs.is_demo else self.real
        if (obs.authority_id or 0, obs.metric_id, obs.period_id) not in dataset.series:
            return True
        return not obs.is_demo and not self.released(obs.first_published_at)

    def shown_pseudonyms(self, viewer: Viewer) -> ShownPseudonyms:
        """The same decision as ``hides``, for SQL filters."""
        if self.pseudonymiser is None:
            return ShownPseudonyms(own=viewer.authority_id)
        return ShownPseudonyms(
            real=self.real.visible,
            demo=self.demo.visible,
            as_of=self.as_of,
            own=viewer.authority_id,
        )

    def waits_for_release(self, obs: Observation, viewer: Viewer) -> bool:
        """A real pseudonymous row of someone else changed since the last release: this viewer
        sees the revision in force at the release (``as_released``). A withdrawal is not held
        back: taking a figure down outranks its timing."""
        return (
            obs.pseudonymous
            and not obs.withdrawn
            and not obs.is_demo
            and not viewer.owns(obs.authority_id)
            and not self.released(obs.updated_at)
        )

    def shown_time(self, when: datetime, obs: Observation, viewer: Viewer) -> datetime:
        """The time a viewer is told for a change: the release time for others' real
        pseudonymous figures (never the moment of publication), the moment itself otherwise."""
        if obs.pseudonymous and not obs.is_demo and not viewer.owns(obs.authority_id):
            schedule = self.pseudonymiser.release if self.pseudonymiser else None
            return schedule.release_of(when) if schedule else _aware(when)
        return _aware(when)


def _aware(when: datetime) -> datetime:
    from datetime import UTC

    return when if when.tzinfo else when.replace(tzinfo=UTC)


NO_PSEUDONYMS = PseudonymPolicy(None)


# The policy depends only on stored observations and authorities (and the release time): one per
# data version and release.
_POLICIES = dataversion.DerivedCache()


async def load_policy(
    session: AsyncSession, pseudonymiser: pseudonyms.Pseudonymiser | None
) -> PseudonymPolicy:
    """The policy as the stored data stands, reused until a transaction changes observations or
    the next release time passes."""
    as_of = pseudonymiser.release.last_release() if pseudonymiser is not None else None
    policy = await _POLICIES.get(
        session,
        ("pseudonym-policy", pseudonymiser is not None, as_of),
        lambda: _compute(session, pseudonymiser, as_of),
    )
    # Labels come from this caller's pseudonymiser; which figures are shown does not.
    return (
        policy
        if policy.pseudonymiser is pseudonymiser
        else replace(policy, pseudonymiser=pseudonymiser)
    )


async def _compute(
    session: AsyncSession, pseudonymiser: pseudonyms.Pseudonymiser | None, as_of: datetime | None
) -> PseudonymPolicy:
    if pseudonymiser is None:
        return PseudonymPolicy(None)
    series = await repository_pseudonyms.pseudonymous_series(session)
    if not series:
        return PseudonymPolicy(pseudonymiser, as_of=as_of)
    descs = pseudonyms.descriptors(await authorities.all_authorities(session))
    released = [
        s
        for s in series
        if s.is_demo
        or (s.first_published_at is not None and as_of and _aware(s.first_published_at) <= as_of)
    ]
    real = [(s.authority_id, s.metric_id, s.period_id) for s in released if not s.is_demo]
    demo = [(s.authority_id, s.metric_id, s.period_id) for s in released if s.is_demo]
    return PseudonymPolicy(
        pseudonymiser,
        descriptors=descs,
        real=await _decide(session, real, descs, demo=False),
        demo=await _decide(session, demo, descs, demo=True),
        as_of=as_of,
    )


async def _decide(
    session: AsyncSession,
    series: Sequence[SeriesKey],
    descs: dict[int, pseudonyms.Descriptor],
    *,
    demo: bool,
) -> DatasetPolicy:
    """The k-candidate rule over one dataset's rows only."""
    if not series:
        return DatasetPolicy()
    cells = pseudonyms.cells(descs)
    publishers = {a for a, _, _ in series}
    cell_of = {
        publisher: cells.get(descs.get(publisher, pseudonyms.ENGLAND), frozenset({publisher}))
        for publisher in publishers
    }
    by_publisher: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for a, m, p in series:
        by_publisher[a].add((m, p))
    holders: dict[tuple[int, int], set[int]] = defaultdict(set)
    for m, p, a in await repository_pseudonyms.named_holders(
        session,
        sorted({m for _, m, _ in series}),
        sorted({p for _, _, p in series}),
        sorted(set().union(*cell_of.values())),  # only candidates can be ruled out
        demo=demo,
    ):
        holders[(m, p)].add(a)
    candidates: dict[int, frozenset[int]] = {}
    for publisher, pairs in by_publisher.items():
        ruled_out: set[int] = set()
        for pair in pairs:
            ruled_out |= holders.get(pair, set())
        candidates[publisher] = frozenset((cell_of[publisher] - ruled_out) | {publisher})
    visible = pseudonyms.visible_owners(candidates)
    return DatasetPolicy(visible=visible, series=frozenset(s for s in series if s[0] in visible))


async def as_released(
    session: AsyncSession, rows: Sequence[Observation], viewer: Viewer, policy: PseudonymPolicy
) -> list[Observation]:
    """The rows as this viewer may see them, in order: rows the policy hides are left out, and
    others' real pseudonymous rows changed since the last release are shown as they stood at it
    (a detached copy of the revision then in force)."""
    kept = [o for o in rows if not policy.hides(o, viewer)]
    waiting = [o for o in kept if policy.waits_for_release(o, viewer)]
    if not waiting:
        return kept
    history = await repository.revisions_of(session, [o.id for o in waiting])
    replaced: dict[int, Observation | None] = {}
    for o in waiting:
        before = [r for r in history.get(o.id, []) if policy.released(r.created_at)]
        replaced[o.id] = _released_copy(o, before[-1]) if before else None
    out: list[Observation] = []
    for o in kept:
        if o.id in replaced:
            copy = replaced[o.id]
            if copy is not None:
                out.append(copy)
        else:
            out.append(o)
    return out


def _released_copy(current: Observation, rev: ObservationRevision) -> Observation:
    return Observation(
        id=current.id,
        public_id=current.public_id,
        metric_id=current.metric_id,
        period_id=current.period_id,
        area_level=current.area_level,
        area_code=current.area_code,
        authority_id=current.authority_id,
        value=rev.value,
        symbol=rev.symbol,
        flags=rev.flags,
        source=rev.source,
        visibility=rev.visibility,
        pseudonymous=rev.pseudonymous,
        withdrawn=rev.withdrawn,
        is_demo=current.is_demo,
        revision=rev.revision,
        updated_at=rev.created_at,
        first_published_at=current.first_published_at,
        # The floor belongs to the current revision: an earlier one counts as unknown.
        numerator_floor=None,
    )


async def pseudonym_for(
    session: AsyncSession, pseudonymiser: pseudonyms.Pseudonymiser, authority: Authority
) -> pseudonyms.Pseudonym:
    """The label and descriptors an authority is shown under when it publishes pseudonymously
    (case studies use the same)."""
    descs = pseudonyms.descriptors(await authorities.all_authorities(session))
    return pseudonyms.Pseudonym(
        code=pseudonymiser.code(authority.la_code),
        label=pseudonymiser.label(authority.la_code),
        descriptor=descs.get(authority.id, pseudonyms.ENGLAND),
    )
