"""The pseudonym policy's queries: which pseudonymous rows a viewer may see (the allow-list), the
pseudonymous series and the named holders it decides from, and the pseudonymous rows and visible
datasets of one metric. Current rows and their revisions are in ``repository``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.observations.models import Observation


@dataclass(frozen=True)
class ShownPseudonyms:
    """Which pseudonymous rows a viewer may see, as the anonymity policy decided it (an allow-list:
    a publisher the policy does not know of is hidden). Real rows also wait for their release."""

    real: frozenset[int] = frozenset()  # publishers whose real pseudonymous figures are shown
    demo: frozenset[int] = frozenset()  # likewise for demo figures (released at once)
    as_of: datetime | None = None  # real figures first published after this are not yet shown
    own: int | None = None  # the viewer's authority: its own rows are always shown to it


def pseudonyms_allowed(shown: ShownPseudonyms) -> ColumnElement[bool]:
    real = and_(
        Observation.is_demo.is_(False),
        Observation.authority_id.in_(sorted(shown.real)),
        Observation.first_published_at <= shown.as_of if shown.as_of is not None else false(),
    )
    demo = and_(Observation.is_demo.is_(True), Observation.authority_id.in_(sorted(shown.demo)))
    own = Observation.authority_id == shown.own if shown.own is not None else false()
    return or_(Observation.pseudonymous.is_(False), own, real, demo)


@dataclass(frozen=True)
class PseudonymousSeries:
    authority_id: int
    metric_id: int
    period_id: int
    is_demo: bool
    first_published_at: datetime | None


async def pseudonymous_series(session: AsyncSession) -> list[PseudonymousSeries]:
    """Every pseudonymous authority figure, withdrawn too: a withdrawn figure was seen while it
    was up."""
    # "= true", not "IS true": only an equality can use ix_observations_pseudonymous (SQLite and
    # PostgreSQL alike); IS scanned every observation on each comparison.
    stmt = select(
        Observation.authority_id,
        Observation.metric_id,
        Observation.period_id,
        Observation.is_demo,
        Observation.first_published_at,
    ).where(
        Observation.pseudonymous == true(),
        Observation.area_level == "local_authority",
        Observation.authority_id.is_not(None),
    )
    return [
        PseudonymousSeries(a or 0, m, p, bool(d), f)
        for a, m, p, d, f in (await session.execute(stmt)).all()
    ]


async def named_holders(
    session: AsyncSession,
    metric_ids: Sequence[int],
    period_ids: Sequence[int],
    authority_ids: Sequence[int],
    *,
    demo: bool,
) -> list[tuple[int, int, int]]:
    """(metric id, period id, authority id) of named figures of one dataset (any visibility,
    withdrawn too) of these authorities for the given metrics and periods; callers keep the pairs
    they need."""
    if not metric_ids or not period_ids or not authority_ids:
        return []
    stmt = select(Observation.metric_id, Observation.period_id, Observation.authority_id).where(
        Observation.is_demo.is_(demo),
        Observation.pseudonymous.is_(False),
        Observation.area_level == "local_authority",
        Observation.authority_id.is_not(None),
        Observation.metric_id.in_(set(metric_ids)),
        Observation.period_id.in_(set(period_ids)),
        Observation.authority_id.in_(set(authority_ids)),
    )
    return [(m, p, a or 0) for m, p, a in (await session.execute(stmt)).all()]


async def pseudonymous_rows(
    session: AsyncSession, metric_id: int, period_ids: Sequence[int], *, demo: bool | None = False
) -> list[Observation]:
    """Pseudonymous authority figures of one metric (one dataset, or both when ``demo`` is None),
    in random public-id order."""
    if not period_ids:
        return []
    stmt = (
        select(Observation)
        .where(
            Observation.is_demo.is_(demo) if demo is not None else true(),
            Observation.metric_id == metric_id,
            Observation.period_id.in_(period_ids),
            Observation.area_level == "local_authority",
            Observation.pseudonymous == true(),
        )
        .order_by(Observation.public_id)
    )
    return list((await session.execute(stmt)).scalars())


async def visible_datasets(
    session: AsyncSession,
    metric_id: int,
    period_ids: Sequence[int],
    *,
    visibilities: Sequence[str],
    shown_pseudonyms: ShownPseudonyms,
) -> dict[int, set[bool]]:
    """period id -> the datasets (False real, True demo) of which this viewer can see any figure
    (any area) of a metric: members-only and withheld pseudonymous figures do not count, except
    the viewer's own."""
    if not period_ids:
        return {}
    own = Observation.authority_id == shown_pseudonyms.own if shown_pseudonyms.own else false()
    stmt = (
        select(Observation.period_id, Observation.is_demo)
        .where(
            Observation.metric_id == metric_id,
            Observation.period_id.in_(sorted(set(period_ids))),
            Observation.withdrawn.is_(False),
            or_(Observation.visibility.in_(visibilities), own),
            pseudonyms_allowed(shown_pseudonyms),
        )
        .distinct()
    )
    out: dict[int, set[bool]] = {}
    for period_id, is_demo in (await session.execute(stmt)).all():
        out.setdefault(period_id, set()).add(bool(is_demo))
    return out
