"""The reference data a comparison or trend looks up first — the metric, the period, the subject,
its peer group and the peers' names — read once per data version instead of five or six statements
per request.

It changes only when a transaction writes authorities, neighbours, metrics or periods, and every
such write raises the data version (exchange/observations/versioning.py). The objects are copies
in no session, so no rollback or refresh of the session that read them can expire them under
another request, and that session keeps its own; they are shared, and read-only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.metrics import repository as metrics
from exchange.metrics.models import Metric
from exchange.observations import versioning
from exchange.periods import repository as periods
from exchange.periods.models import Period


@dataclass(frozen=True)
class Reference:
    by_id: Mapping[int, Authority]
    by_code: Mapping[str, Authority]  # DfE code, current GSS code and the GSS code DfE files use
    neighbours: Mapping[int, tuple[int, ...]]  # authority id -> neighbour ids in rank order
    metrics: Mapping[str, Metric]
    periods: Mapping[str, Period]  # by label
    periods_by_kind: Mapping[str, tuple[Period, ...]]  # by start year

    def authority(self, code: str) -> Authority | None:
        return self.by_code.get(code.strip().upper())

    def authorities(self, ids: Sequence[int]) -> list[Authority]:
        return [self.by_id[i] for i in ids if i in self.by_id]

    def peer_ids(self, subject: Authority, group: str) -> list[int]:
        """Members of a named peer group, the subject excluded (as DfE's LAIT does)."""
        if group == "STATISTICAL_NEIGHBOURS":
            ids: Sequence[int] = self.neighbours.get(subject.id, ())
        elif group == "REGION":
            ids = [a.id for a in self.by_id.values() if a.region_code == subject.region_code]
        elif group == "AUTHORITY_TYPE":
            ids = [a.id for a in self.by_id.values() if a.type == subject.type]
        elif group == "ENGLAND":
            ids = list(self.by_id)
        else:  # pragma: no cover - callers check the group first
            raise ValueError(group)
        return [i for i in ids if i != subject.id]

    def between(self, kind: str, start: int, end: int) -> list[Period]:
        return [p for p in self.periods_by_kind.get(kind, ()) if start <= p.start_year <= end]


_CACHE = versioning.DerivedCache(maxsize=8)
T = TypeVar("T")


def _copy(obj: T) -> T:
    """A transient copy of a loaded row: its column values, attached to no session."""
    columns = inspect(type(obj)).column_attrs
    return type(obj)(**{c.key: getattr(obj, c.key) for c in columns})


async def load(session: AsyncSession) -> Reference:
    return await _CACHE.get(session, "comparison-reference", lambda: _build(session))


async def _build(session: AsyncSession) -> Reference:
    everyone = [_copy(a) for a in await authorities.all_authorities(session)]
    neighbours = await authorities.neighbours_of(session, [a.id for a in everyone])
    catalogue = [_copy(m) for m in await metrics.all_metrics(session)]
    all_periods = [_copy(p) for p in await periods.all_periods(session)]
    by_code: dict[str, Authority] = {}
    for a in everyone:
        by_code[a.la_code.upper()] = a
        by_code[a.gss_code.upper()] = a
    for a in everyone:  # an older code never shadows an authority's own current code
        by_code.setdefault(a.gss_code_dfe.upper(), a)
    by_kind: dict[str, list[Period]] = defaultdict(list)
    for p in all_periods:  # in start-year order within a kind (all_periods' order)
        by_kind[p.kind].append(p)
    return Reference(
        by_id={a.id: a for a in everyone},
        by_code=by_code,
        neighbours={  # neighbours_of gives them in rank order
            i: tuple(n.neighbour_id for n, _ in pairs) for i, pairs in neighbours.items()
        },
        metrics={m.code: m for m in catalogue},
        periods={p.label: p for p in all_periods},
        periods_by_kind={k: tuple(v) for k, v in by_kind.items()},
    )
