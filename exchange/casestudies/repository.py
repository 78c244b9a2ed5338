"""Every case-study and search-outbox query lives here."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.casestudies.models import (
    CaseStudy,
    CaseStudyOutcomeLink,
    CaseStudyRevision,
    SearchOutbox,
)


def new_public_id() -> str:
    # Random, so an identifier says nothing about who wrote a case study or when.
    return secrets.token_urlsafe(12)


async def add(session: AsyncSession, case_study: CaseStudy) -> CaseStudy:
    session.add(case_study)
    await session.flush()
    return case_study


async def get_by_public_id(session: AsyncSession, public_id: str) -> CaseStudy | None:
    if not public_id or len(public_id) > 32:
        return None
    stmt = select(CaseStudy).where(CaseStudy.public_id == public_id)
    return (await session.execute(stmt)).scalars().first()


async def get_many_by_public_ids(
    session: AsyncSession, public_ids: Collection[str], *, status: str | None = None
) -> dict[str, CaseStudy]:
    ids = sorted({p for p in public_ids if p and len(p) <= 32})
    if not ids:
        return {}
    # status is checked here, not in SQL: given "status = ?" SQLite picks the status index and
    # walks every published case study (14 ms at 20,000) instead of the unique public id.
    stmt = select(CaseStudy).where(CaseStudy.public_id.in_(ids))
    found = (await session.execute(stmt)).scalars()
    return {c.public_id: c for c in found if status is None or c.status == status}


async def links_for(
    session: AsyncSession, case_study_ids: Sequence[int]
) -> dict[int, list[CaseStudyOutcomeLink]]:
    out: dict[int, list[CaseStudyOutcomeLink]] = {i: [] for i in case_study_ids}
    if not case_study_ids:
        return out
    stmt = (
        select(CaseStudyOutcomeLink)
        .where(CaseStudyOutcomeLink.case_study_id.in_(set(case_study_ids)))
        .order_by(CaseStudyOutcomeLink.case_study_id, CaseStudyOutcomeLink.position)
    )
    for link in (await session.execute(stmt)).scalars():
        out.setdefault(link.case_study_id, []).append(link)
    return out


async def replace_links(
    session: AsyncSession, case_study_id: int, links: Sequence[tuple[int, int, int]]
) -> None:
    """Replace the links with (metric id, baseline period id, follow-up period id) in order."""
    await session.execute(
        delete(CaseStudyOutcomeLink).where(CaseStudyOutcomeLink.case_study_id == case_study_id)
    )
    for position, (metric_id, baseline_id, follow_up_id) in enumerate(links):
        session.add(
            CaseStudyOutcomeLink(
                case_study_id=case_study_id,
                position=position,
                metric_id=metric_id,
                baseline_period_id=baseline_id,
                follow_up_period_id=follow_up_id,
            )
        )
    await session.flush()


async def add_revision(
    session: AsyncSession,
    case_study: CaseStudy,
    *,
    action: str,
    snapshot: dict[str, Any],
    at: datetime,
    created_by: str | None,
) -> None:
    session.add(
        CaseStudyRevision(
            case_study_id=case_study.id,
            revision=case_study.revision,
            action=action,
            status=case_study.status,
            snapshot=snapshot,
            created_at=at,
            created_by=created_by,
        )
    )
    await session.flush()


async def revisions(session: AsyncSession, case_study_id: int) -> list[CaseStudyRevision]:
    stmt = (
        select(CaseStudyRevision)
        .where(CaseStudyRevision.case_study_id == case_study_id)
        .order_by(CaseStudyRevision.revision)
    )
    return list((await session.execute(stmt)).scalars())


async def page_for_authority(
    session: AsyncSession, authority_id: int, statuses: Sequence[str], offset: int, limit: int
) -> tuple[list[CaseStudy], int]:
    where = (CaseStudy.authority_id == authority_id) & CaseStudy.status.in_(statuses)
    total = (await session.execute(select(func.count(CaseStudy.id)).where(where))).scalar_one()
    stmt = (
        select(CaseStudy)
        .where(where)
        .order_by(CaseStudy.updated_at.desc(), CaseStudy.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars()), int(total)


MAX_LINKED = 10  # per (authority, metric): the newest


async def published_linked_to(
    session: AsyncSession, pairs: Collection[tuple[int, int]]
) -> dict[tuple[int, int], list[CaseStudy]]:
    """Named, published case studies per (authority id, metric id) they link to: one statement.

    Pseudonymous case studies are left out on purpose: listing them under an authority would
    name their author."""
    out: dict[tuple[int, int], list[CaseStudy]] = {p: [] for p in pairs}
    if not pairs:
        return out
    authority_ids = sorted({a for a, _ in pairs})
    metric_ids = sorted({m for _, m in pairs})
    stmt = (
        select(CaseStudyOutcomeLink.metric_id, CaseStudy)
        .join(CaseStudy, CaseStudy.id == CaseStudyOutcomeLink.case_study_id)
        .where(
            CaseStudy.status == "published",
            CaseStudy.pseudonymous.is_(False),
            CaseStudy.authority_id.in_(authority_ids),
            CaseStudyOutcomeLink.metric_id.in_(metric_ids),
        )
        .order_by(CaseStudy.published_at.desc(), CaseStudy.id)
    )
    seen: set[tuple[int, int, int]] = set()
    for metric_id, cs in (await session.execute(stmt)).all():
        key = (cs.authority_id, metric_id)
        if key in out and (cs.id, *key) not in seen and len(out[key]) < MAX_LINKED:
            seen.add((cs.id, *key))
            out[key].append(cs)
    return out


async def count_demo(session: AsyncSession) -> int:
    stmt = select(func.count(CaseStudy.id)).where(CaseStudy.is_demo.is_(True))
    return int((await session.execute(stmt)).scalar_one())


async def count_published(session: AsyncSession) -> int:
    stmt = select(func.count(CaseStudy.id)).where(CaseStudy.status == "published")
    return int((await session.execute(stmt)).scalar_one())


async def published_batches(
    session: AsyncSession, batch_size: int = 500
) -> AsyncIterator[list[CaseStudy]]:
    """Every published case study, in id order, a batch at a time (keyset pagination)."""
    last = 0
    while True:
        stmt = (
            select(CaseStudy)
            .where(CaseStudy.status == "published", CaseStudy.id > last)
            .order_by(CaseStudy.id)
            .limit(batch_size)
        )
        rows = list((await session.execute(stmt)).scalars())
        if not rows:
            return
        yield rows
        last = rows[-1].id


async def revision_numbers(session: AsyncSession, public_ids: Collection[str]) -> dict[str, int]:
    if not public_ids:
        return {}
    stmt = select(CaseStudy.public_id, CaseStudy.revision).where(
        CaseStudy.public_id.in_(sorted(public_ids))
    )
    return {p: r for p, r in (await session.execute(stmt)).all()}


# -- search outbox ---------------------------------------------------------------------------


async def enqueue(session: AsyncSession, public_ids: Sequence[str], at: datetime) -> None:
    for public_id in public_ids:
        session.add(SearchOutbox(case_study_public_id=public_id, created_at=at))
    await session.flush()


async def pending(session: AsyncSession, limit: int) -> list[tuple[int, str]]:
    """(row id, case-study public id) of the oldest pending rows."""
    stmt = (
        select(SearchOutbox.id, SearchOutbox.case_study_public_id)
        .order_by(SearchOutbox.id)
        .limit(limit)
    )
    return [(i, p) for i, p in (await session.execute(stmt)).all()]


async def pending_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(SearchOutbox.id)))).scalar_one())


async def all_pending_ids(session: AsyncSession) -> list[int]:
    return list((await session.execute(select(SearchOutbox.id))).scalars())


async def remove_outbox(session: AsyncSession, ids: Sequence[int]) -> None:
    """Delete exactly these rows: rows committed since they were read stay pending."""
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        await session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(chunk)))
