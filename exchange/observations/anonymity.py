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
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncSession

from exchange import pseudonyms
from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.observations import repository, versioning
from exchange.observations.models import Observation
from exchange.viewer import Viewer


@dataclass(frozen=True)
class PseudonymPolicy:
    pseudonymiser: pseudonyms.Pseudonymiser | None
    descriptors: dict[int, pseudonyms.Descriptor] = field(default_factory=dict)
    visible: frozenset[int] = frozenset()  # publishers whose pseudonymous figures are shown
    publishers: frozenset[int] = frozenset()  # every authority with a pseudonymous figure

    def pseudonym(self, authority: Authority, *, demo: bool = False) -> pseudonyms.Pseudonym | None:
        """The label a figure is shown under; demo figures have labels of their own."""
        if self.pseudonymiser is None:
            return None
        return pseudonyms.Pseudonym(
            code=self.pseudonymiser.code(authority.la_code, demo=demo),
            label=self.pseudonymiser.label(authority.la_code, demo=demo),
            descriptor=self.descriptors.get(authority.id, pseudonyms.ENGLAND),
        )

    def hides(self, obs: Observation, viewer: Viewer) -> bool:
        """True when this row must look like no row at all to this viewer."""
        if not obs.pseudonymous or viewer.owns(obs.authority_id):
            return False
        return self.pseudonymiser is None or obs.authority_id not in self.visible

    def hidden_publishers(self, viewer: Viewer) -> frozenset[int]:
        """Authorities whose pseudonymous rows this viewer must not see (for SQL filters)."""
        hidden = self.publishers - self.visible if self.pseudonymiser else self.publishers
        return frozenset(a for a in hidden if not viewer.owns(a))

    def shows_pseudonymously(self, obs: Observation, viewer: Viewer) -> bool:
        """True when the row is shown under its label, its authority withheld from this viewer."""
        return (
            obs.pseudonymous and not viewer.owns(obs.authority_id) and not self.hides(obs, viewer)
        )


NO_PSEUDONYMS = PseudonymPolicy(None)


# The policy depends only on stored observations and authorities: one per data version.
_POLICIES = versioning.DerivedCache()


async def load_policy(
    session: AsyncSession, pseudonymiser: pseudonyms.Pseudonymiser | None
) -> PseudonymPolicy:
    """The policy as the stored data stands, reused until a transaction changes observations."""
    policy = await _POLICIES.get(
        session,
        ("pseudonym-policy", pseudonymiser is not None),
        lambda: _compute(session, pseudonymiser),
    )
    # Labels come from this caller's pseudonymiser; which figures are shown does not.
    return (
        policy
        if policy.pseudonymiser is pseudonymiser
        else replace(policy, pseudonymiser=pseudonymiser)
    )


async def _compute(
    session: AsyncSession, pseudonymiser: pseudonyms.Pseudonymiser | None
) -> PseudonymPolicy:
    series = await repository.pseudonymous_series(session)
    publishers = frozenset(a for a, _, _ in series)
    if pseudonymiser is None or not series:
        return PseudonymPolicy(pseudonymiser, publishers=publishers)
    everyone = await authorities.all_authorities(session)
    descs = pseudonyms.descriptors(everyone)
    cells = pseudonyms.cells(descs)
    cell_of = {
        publisher: cells.get(descs.get(publisher, pseudonyms.ENGLAND), frozenset({publisher}))
        for publisher in publishers
    }
    by_publisher: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for a, m, p in series:
        by_publisher[a].add((m, p))
    holders: dict[tuple[int, int], set[int]] = defaultdict(set)
    for m, p, a in await repository.named_holders(
        session,
        sorted({m for _, m, _ in series}),
        sorted({p for _, _, p in series}),
        sorted(set().union(*cell_of.values())),  # only candidates can be ruled out
    ):
        holders[(m, p)].add(a)
    candidates: dict[int, frozenset[int]] = {}
    for publisher, pairs in by_publisher.items():
        ruled_out: set[int] = set()
        for pair in pairs:
            ruled_out |= holders.get(pair, set())
        candidates[publisher] = frozenset((cell_of[publisher] - ruled_out) | {publisher})
    return PseudonymPolicy(
        pseudonymiser,
        descriptors=descs,
        visible=pseudonyms.visible_owners(candidates),
        publishers=publishers,
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
