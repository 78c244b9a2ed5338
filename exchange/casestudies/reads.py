"""Case studies: who may read what, and the reads the API and pages make.

- A published case study is visible to everyone; a draft or withdrawn one only to its own
  authority (to anyone else it looks exactly like one that never existed: None, never FORBIDDEN).
- The revision history is for the owning authority only.
- A pseudonymous case study shows its author as a pseudonym label, a region and an authority
  type (exchange.pseudonyms) to everyone but the owning authority.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange import pseudonyms
from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.casestudies import repository
from exchange.casestudies.models import CaseStudy, CaseStudyOutcomeLink
from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.viewer import Viewer


def can_edit(case_study: CaseStudy, viewer: Viewer) -> bool:
    """Whether update and publish would accept this viewer for this case study."""
    return (
        viewer.owns(case_study.authority_id)
        and scopes.has(viewer, Scope.CASE_STUDIES_WRITE)
        and case_study.status != "withdrawn"
    )


def visible_to(case_study: CaseStudy, viewer: Viewer) -> bool:
    return case_study.status == "published" or viewer.owns(case_study.authority_id)


async def get_visible(session: AsyncSession, viewer: Viewer, public_id: str) -> CaseStudy | None:
    """None when it does not exist or the viewer may not see it: the same answer either way."""
    found = await repository.get_by_public_id(session, public_id)
    return found if found is not None and visible_to(found, viewer) else None


async def links(
    session: AsyncSession, case_study_ids: Sequence[int]
) -> dict[int, list[CaseStudyOutcomeLink]]:
    return await repository.links_for(session, case_study_ids)


async def linked_to(
    session: AsyncSession, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], list[CaseStudy]]:
    """Named published case studies per (authority id, metric id) they link to."""
    return await repository.published_linked_to(session, pairs)


async def mine(
    session: AsyncSession, viewer: Viewer, statuses: Sequence[str], offset: int, limit: int
) -> tuple[list[CaseStudy], int]:
    authority_id = scopes.require_authority(viewer, to="list your authority's case studies")
    return await repository.page_for_authority(session, authority_id, statuses, offset, limit)


async def revisions(session: AsyncSession, viewer: Viewer, case_study: CaseStudy) -> list[Any]:
    """The revision history: for the owning authority only (it includes the drafts)."""
    if not viewer.owns(case_study.authority_id):
        return []
    return await repository.revisions(session, case_study.id)


@dataclass(frozen=True)
class Author:
    """How a case study's author is shown to one viewer."""

    label: str  # the authority's name, or its pseudonym label
    authority: Authority | None  # None when withheld (pseudonymous, not the owner)
    region: str | None  # region name, or None when withheld
    authority_type: str | None
    pseudonymous: bool


async def authors(
    session: AsyncSession,
    viewer: Viewer,
    case_studies: Sequence[CaseStudy],
    pseudonymiser: pseudonyms.Pseudonymiser,
) -> list[Author]:
    """Authors for many case studies: at most two statements however many there are."""
    by_id = {
        a.id: a
        for a in await authorities.get_many(session, sorted({c.authority_id for c in case_studies}))
    }
    descs: dict[int, pseudonyms.Descriptor] = {}
    if any(c.pseudonymous for c in case_studies):
        descs = pseudonyms.descriptors(await authorities.all_authorities(session))
    return [
        author_for(c, by_id[c.authority_id], viewer, pseudonymiser, descs) for c in case_studies
    ]


def author_for(
    case_study: CaseStudy,
    authority: Authority,
    viewer: Viewer,
    pseudonymiser: pseudonyms.Pseudonymiser,
    descs: Mapping[int, pseudonyms.Descriptor],
) -> Author:
    if not case_study.pseudonymous:
        return Author(authority.name, authority, authority.region_name, authority.type, False)
    label = pseudonymiser.label(authority.la_code, demo=case_study.is_demo)
    if viewer.owns(case_study.authority_id):
        return Author(label, authority, authority.region_name, authority.type, True)
    d = descs.get(authority.id, pseudonyms.ENGLAND)
    return Author(label, None, d.region_name, d.type, True)
