"""Keeping the search index in step with the database, through the outbox.

The database is the source of truth. Every case-study change writes a ``search_outbox`` row in
the same transaction; ``drain`` applies pending rows to the search backend after the commit
(in the request, by the app on start-up and every ``EXCHANGE_OUTBOX_DRAIN_SECONDS``, from
``exchange search drain``). A row only names a case study:
the drain reads its *current* state and upserts it (published) or deletes it (anything else),
so replaying a row is harmless and a process killed between commit and indexing loses nothing:
the row is still there for the next drain.

Two drains running at once (two workers) could apply states out of order; after applying, a
drain re-reads each case study's revision and re-queues any that changed meanwhile, so the
index converges on the database.

Only the search port (``search.port``) is used here; the composition root picks the adapter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from exchange import pseudonyms
from exchange.authorities import repository as authorities
from exchange.casestudies import repository
from exchange.casestudies.models import CaseStudy
from exchange.db import transaction
from exchange.metrics import repository as metrics
from search.port import CaseStudyDocument, SearchBackend

log = logging.getLogger("exchange.search")

BATCH = 200


@dataclass(frozen=True)
class DrainReport:
    rows: int  # outbox rows applied and removed
    upserted: int
    deleted: int
    requeued: int


def _body(cs: CaseStudy) -> str:
    parts = (cs.context, cs.what_was_done, cs.results, cs.lessons_learned)
    return "\n\n".join(p for p in parts if p)


def _unix(at: datetime | None) -> int:
    if at is None:
        return 0
    if at.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp())


async def documents(
    session: AsyncSession, case_studies: Sequence[CaseStudy], secret: str
) -> list[CaseStudyDocument]:
    """Search documents for published case studies, in a fixed number of statements.

    A pseudonymous document carries no authority code (so it can never be found or filtered
    by its authority), its pseudonym label only, and only the descriptors that keep at least
    five candidate authorities."""
    if not case_studies:
        return []
    pseudonymiser = pseudonyms.Pseudonymiser(secret)
    everyone = await authorities.all_authorities(session)
    by_id = {a.id: a for a in everyone}
    descs = pseudonyms.descriptors(everyone)
    links = await repository.links_for(session, [c.id for c in case_studies])
    metric_ids = sorted({link.metric_id for ls in links.values() for link in ls})
    codes = {m.id: m.code for m in (await metrics.get_many(session, metric_ids)).values()}
    out = []
    for cs in case_studies:
        authority = by_id[cs.authority_id]
        if cs.pseudonymous:
            d = descs.get(authority.id, pseudonyms.ENGLAND)
            region, authority_type, code = d.region_name, d.type, None
            label = pseudonymiser.label(authority.la_code, demo=cs.is_demo)
        else:
            region, authority_type = authority.region_name, authority.type
            code, label = authority.la_code, authority.name
        published = cs.published_at or cs.updated_at
        out.append(
            CaseStudyDocument(
                id=cs.public_id,
                title=cs.title,
                summary=cs.summary or "",
                body=_body(cs),
                themes=tuple(cs.themes or ()),
                phase=cs.phase or "",
                region=region,
                authority_type=authority_type,
                authority_code=code,
                author_label=label,
                evidence_strength=cs.evidence_strength or 0,
                metrics=tuple(dict.fromkeys(codes[link.metric_id] for link in links[cs.id])),
                year=(published.year if published else 0),
                published_at=_unix(published),
                is_demo=cs.is_demo,
            )
        )
    return out


async def _apply(
    factory: async_sessionmaker[AsyncSession],
    backend: SearchBackend,
    public_ids: Sequence[str],
    secret: str,
) -> tuple[int, int, dict[str, int]]:
    """Upsert the published ones, delete the rest; returns the revisions that were applied."""
    async with factory() as session:
        found = await repository.get_many_by_public_ids(session, public_ids)
        published = [found[p] for p in public_ids if p in found and found[p].status == "published"]
        docs = await documents(session, published, secret)
        applied = {p: found[p].revision for p in public_ids if p in found}
        await session.rollback()
    gone = [p for p in public_ids if p not in {d.id for d in docs}]
    if docs:
        await asyncio.to_thread(backend.upsert, docs)
    if gone:
        await asyncio.to_thread(backend.delete, gone)
    return len(docs), len(gone), applied


async def drain(
    factory: async_sessionmaker[AsyncSession],
    backend: SearchBackend,
    secret: str,
    *,
    max_rows: int | None = None,
) -> DrainReport:
    """Apply pending outbox rows, oldest first, until none are left (or ``max_rows``)."""
    rows_done = upserted = deleted = requeued = 0
    while max_rows is None or rows_done < max_rows:
        async with factory() as session:
            rows = await repository.pending(session, BATCH)
            await session.rollback()
        if not rows:
            break
        public_ids = list(dict.fromkeys(p for _, p in rows))
        up, down, applied = await _apply(factory, backend, public_ids, secret)
        upserted += up
        deleted += down
        async with transaction(factory) as session:
            now = await repository.revision_numbers(session, applied)
            changed = [p for p, rev in applied.items() if now.get(p) not in (None, rev)]
            if changed:  # changed while we indexed: index it again on the next pass
                await repository.enqueue(session, changed, datetime.now(UTC))
                requeued += len(changed)
            await repository.remove_outbox(session, [i for i, _ in rows])
        rows_done += len(rows)
    return DrainReport(rows_done, upserted, deleted, requeued)


async def drain_quietly(
    factory: async_sessionmaker[AsyncSession], backend: SearchBackend | None, secret: str
) -> DrainReport | None:
    """For after a commit: an index failure must not fail a change already committed; the
    rows stay in the outbox for the next drain."""
    if backend is None:
        return None
    try:
        return await drain(factory, backend, secret)
    except Exception:
        log.warning("search index update deferred: the outbox keeps the change", exc_info=True)
        return None


async def reindex(
    factory: async_sessionmaker[AsyncSession], backend: SearchBackend, secret: str
) -> int:
    """Rebuild the index from the database; returns the number of documents indexed.

    Outbox rows present at the start are covered by the rebuild and removed; rows written
    while it runs stay pending and are drained at the end."""
    async with factory() as session:
        covered = await repository.all_pending_ids(session)
        await session.rollback()
    await asyncio.to_thread(backend.clear)
    total = 0
    async with factory() as session:
        async for batch in repository.published_batches(session, BATCH):
            docs = await documents(session, batch, secret)
            await asyncio.to_thread(backend.upsert, docs)
            total += len(docs)
        await session.rollback()
    async with transaction(factory) as session:
        await repository.remove_outbox(session, covered)
    await drain(factory, backend, secret)
    return total


@dataclass(frozen=True)
class IndexStatus:
    published: int
    indexed: int
    pending: int


async def status(factory: async_sessionmaker[AsyncSession], backend: SearchBackend) -> IndexStatus:
    async with factory() as session:
        published = await repository.count_published(session)
        pending = await repository.pending_count(session)
        await session.rollback()
    indexed = await asyncio.to_thread(backend.count)
    return IndexStatus(published, indexed, pending)


async def drain_every(
    factory: async_sessionmaker[AsyncSession],
    backend: SearchBackend | None,
    secret: str,
    seconds: float,
) -> None:
    """Drain every ``seconds`` until cancelled (the app's lifespan runs this), so a change whose
    index write failed is indexed later without waiting for another change."""
    while True:
        await asyncio.sleep(seconds)
        await drain_quietly(factory, backend, secret)
