"""The reference data a comparison or trend looks up first — the metric, the period, the subject,
its peer group and the peers' names — read once per data version instead of five or six statements
per request.

It changes only when a transaction writes authorities, neighbours, metrics or periods, and every
such write raises the data version (exchange/dataversion.py). What it holds are frozen
dataclasses (AuthorityRef, MetricRef, PeriodRef: the rows' column values), not ORM objects, so
no session's rollback or refresh can expire them under another request; they are shared by every
request and cannot be changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from exchange import dataversion
from exchange.authorities import repository as authorities
from exchange.authorities.vocab import PeerGroup
from exchange.metrics import repository as metrics
from exchange.periods import repository as periods


@dataclass(frozen=True, slots=True)
class AuthorityRef:
    """An authority's row (exchange.authorities.models.Authority), read-only."""

    id: int
    la_code: str
    gss_code: str
    gss_code_dfe: str
    name: str
    region_code: str
    region_name: str
    type: str


@dataclass(frozen=True, slots=True)
class MetricRef:
    """A metric's row (exchange.metrics.models.Metric), read-only."""

    id: int
    code: str
    name: str
    description: str
    unit: str
    polarity: str
    theme: str
    source: str
    period_kind: str
    disclosure_rule: str
    disclosure_threshold: int
    numerator_code: str | None
    denominator_code: str | None
    self_reported: bool
    on_dashboard: bool


@dataclass(frozen=True, slots=True)
class PeriodRef:
    """A period's row (exchange.periods.models.Period), read-only."""

    id: int
    time_identifier: str
    time_period: str
    kind: str
    label: str
    start_year: int


@dataclass(frozen=True, slots=True)
class NeighbourRef:
    """A statistical-neighbour row (exchange.authorities.models.StatisticalNeighbour), read-only."""

    rank: int
    proximity: str
    authority: AuthorityRef


@dataclass(frozen=True)
class Reference:
    by_id: Mapping[int, AuthorityRef]
    by_code: Mapping[str, AuthorityRef]  # DfE code, current GSS code and the code DfE files use
    neighbours: Mapping[int, tuple[NeighbourRef, ...]]  # authority id -> neighbours, rank order
    metrics: Mapping[str, MetricRef]
    periods: Mapping[str, PeriodRef]  # by label
    periods_by_kind: Mapping[str, tuple[PeriodRef, ...]]  # by start year
    regions: Mapping[str, str]  # region GSS code -> name

    def area_name(self, level: str, code: str) -> str | None:
        """What an observation's area is called: England, a region or an authority."""
        if level == "national":
            return "England"
        if level == "regional":
            return self.regions.get(code)
        found = self.authority(code)
        return found.name if found else None

    def authority(self, code: str) -> AuthorityRef | None:
        return self.by_code.get(code.strip().upper())

    def authorities(self, ids: Sequence[int]) -> list[AuthorityRef]:
        return [self.by_id[i] for i in ids if i in self.by_id]

    def peer_ids(self, subject: AuthorityRef, group: str) -> list[int]:
        """Members of a named peer group, the subject excluded (as DfE's LAIT does)."""
        if group == PeerGroup.STATISTICAL_NEIGHBOURS:
            ids: Sequence[int] = [n.authority.id for n in self.neighbours.get(subject.id, ())]
        elif group == PeerGroup.REGION:
            ids = [a.id for a in self.by_id.values() if a.region_code == subject.region_code]
        elif group == PeerGroup.AUTHORITY_TYPE:
            ids = [a.id for a in self.by_id.values() if a.type == subject.type]
        elif group == PeerGroup.ENGLAND:
            ids = list(self.by_id)
        else:  # pragma: no cover - callers check the group first
            raise ValueError(group)
        return [i for i in ids if i != subject.id]

    def between(self, kind: str, start: int, end: int) -> list[PeriodRef]:
        return [p for p in self.periods_by_kind.get(kind, ()) if start <= p.start_year <= end]


_CACHE = dataversion.DerivedCache(maxsize=8, counter=dataversion.REFERENCE)
R = TypeVar("R", AuthorityRef, MetricRef, PeriodRef)


def _ref(kind: type[R], row: Any) -> R:
    """A loaded row's column values, as the frozen dataclass ``kind``."""
    return kind(**{f.name: getattr(row, f.name) for f in fields(kind)})


async def load(session: AsyncSession) -> Reference:
    return await _CACHE.get(session, "comparison-reference", lambda: _build(session))


async def _build(session: AsyncSession) -> Reference:
    everyone = [_ref(AuthorityRef, a) for a in await authorities.all_authorities(session)]
    neighbours = await authorities.neighbours_of(session, [a.id for a in everyone])
    catalogue = [_ref(MetricRef, m) for m in await metrics.all_metrics(session)]
    all_periods = [_ref(PeriodRef, p) for p in await periods.all_periods(session)]
    by_code: dict[str, AuthorityRef] = {}
    for a in everyone:
        by_code[a.la_code.upper()] = a
        by_code[a.gss_code.upper()] = a
    for a in everyone:  # an older code never shadows an authority's own current code
        by_code.setdefault(a.gss_code_dfe.upper(), a)
    by_kind: dict[str, list[PeriodRef]] = defaultdict(list)
    for p in all_periods:  # in start-year order within a kind (all_periods' order)
        by_kind[p.kind].append(p)
    by_id = {a.id: a for a in everyone}
    return Reference(
        by_id=by_id,
        by_code=by_code,
        neighbours={  # neighbours_of gives them in rank order
            i: tuple(NeighbourRef(n.rank, n.proximity, by_id[n.neighbour_id]) for n, _ in pairs)
            for i, pairs in neighbours.items()
        },
        metrics={m.code: m for m in catalogue},
        periods={p.label: p for p in all_periods},
        periods_by_kind={k: tuple(v) for k, v in by_kind.items()},
        regions={a.region_code: a.region_name for a in everyone},
    )
