"""Case-study service: permissions, drafts, update semantics, screening, revisions, outbox."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from exchange.audit.models import AuditEntry
from exchange.casestudies import reads, repository, service
from exchange.casestudies.models import CaseStudy, CaseStudyRevision, SearchOutbox
from exchange.db import transaction
from exchange.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from exchange.viewer import ANONYMOUS, Viewer, role_viewer
from tests.core.case_study_support import (
    NHS_NUMBER,
    WEST_BERKSHIRE,
    case_study_values,
    publisher,
)

READING = "872"


async def _create(db: Any, viewer: Viewer, **overrides: Any) -> CaseStudy:
    async with transaction(db.sessions) as session:
        return await service.create(session, viewer, case_study_values(**overrides))


async def _published(db: Any, viewer: Viewer, **overrides: Any) -> CaseStudy:
    cs = await _create(db, viewer, **overrides)
    async with transaction(db.sessions) as session:
        return await service.publish(session, viewer, cs.public_id)


async def _visible(db: Any, viewer: Viewer, public_id: str) -> CaseStudy | None:
    async with db.sessions() as session:
        return await reads.get_visible(session, viewer, public_id)


async def _count(db: Any, model: Any) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_new_case_study_is_a_draft_only_its_authority_sees(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    other = await publisher(fresh_db, READING)
    cs = await _create(fresh_db, owner)
    assert cs.status == "draft"
    assert len(cs.public_id) >= 16 and not cs.public_id.isdigit()
    assert await _visible(fresh_db, owner, cs.public_id) is not None
    for viewer in (other, ANONYMOUS, Viewer(role="analyst"), Viewer(role="admin")):
        assert await _visible(fresh_db, viewer, cs.public_id) is None
    async with transaction(fresh_db.sessions) as session:
        await service.publish(session, owner, cs.public_id)
    for viewer in (other, ANONYMOUS, Viewer(role="analyst")):
        assert await _visible(fresh_db, viewer, cs.public_id) is not None


async def test_only_a_publishing_authority_writes(fresh_db: Any) -> None:
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(Unauthenticated):
            await service.create(session, ANONYMOUS, case_study_values())
        with pytest.raises(PermissionDenied):
            await service.create(session, Viewer(role="analyst"), case_study_values())
    assert await _count(fresh_db, CaseStudy) == 0


async def test_another_authority_cannot_edit_and_cannot_tell_a_draft_exists(
    fresh_db: Any,
) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    other = await publisher(fresh_db, READING)
    draft = await _create(fresh_db, owner)
    published = await _published(fresh_db, owner, title="A published one")
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(NotFound):
            await service.update(session, other, draft.public_id, {"title": "Mine now"})
        with pytest.raises(NotFound):
            await service.publish(session, other, draft.public_id)
        with pytest.raises(NotFound):
            await service.update(session, other, "no-such-id", {"title": "Mine now"})
        with pytest.raises(PermissionDenied):
            await service.update(session, other, published.public_id, {"title": "Mine now"})
        with pytest.raises(PermissionDenied):
            await service.withdraw(session, other, published.public_id)
    async with fresh_db.sessions() as session:
        unchanged = await repository.get_by_public_id(session, published.public_id)
    assert unchanged is not None and unchanged.title == "A published one"


async def test_an_administrator_may_withdraw_but_not_edit(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    cs = await _published(fresh_db, owner)
    admin = role_viewer("admin")
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(PermissionDenied):
            await service.update(session, admin, cs.public_id, {"title": "Edited by admin"})
    async with transaction(fresh_db.sessions) as session:
        withdrawn = await service.withdraw(session, admin, cs.public_id)
    assert withdrawn.status == "withdrawn"
    assert await _visible(fresh_db, ANONYMOUS, cs.public_id) is None
    assert await _visible(fresh_db, owner, cs.public_id) is not None


async def test_update_keeps_omitted_fields_and_clears_explicit_nulls(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    cs = await _create(
        fresh_db,
        owner,
        outcome_links=[service.LinkInput("ehc_issued_20wk_pct", "2023", "2024")],
    )
    async with transaction(fresh_db.sessions) as session:
        updated = await service.update(
            session,
            owner,
            cs.public_id,
            {"summary": "  A new summary.  ", "lessons_learned": None, "cost_band": None},
        )
    assert updated.summary == "A new summary."
    assert updated.lessons_learned is None and updated.cost_band is None
    assert updated.title == cs.title and updated.context == cs.context
    assert updated.themes == ["educational_psychology", "workforce"]
    assert updated.revision == 2
    async with fresh_db.sessions() as session:
        links = await repository.links_for(session, [cs.id])
    assert len(links[cs.id]) == 1  # outcome links were not mentioned: kept
    async with transaction(fresh_db.sessions) as session:
        await service.update(session, owner, cs.public_id, {"outcome_links": None})
    async with fresh_db.sessions() as session:
        links = await repository.links_for(session, [cs.id])
    assert links[cs.id] == []
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(service.CaseStudyRejected) as refused:
            await service.update(session, owner, cs.public_id, {"title": None})
    assert refused.value.problems[0].field == "title"
    assert refused.value.problems[0].code == "REQUIRED"


async def test_personal_data_is_refused_naming_field_span_and_reason(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    summary = f"One child (NHS number {NHS_NUMBER}) waited 40 weeks."
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(service.CaseStudyRejected) as refused:
            await service.create(
                session,
                owner,
                case_study_values(
                    summary=summary, results="Call jane.smith@westberks.gov.uk for details."
                ),
            )
    problems = {p.field: p for p in refused.value.problems}
    assert set(problems) == {"summary", "results"}
    start = summary.index(NHS_NUMBER)
    assert problems["summary"].code == "PERSONAL_DATA"
    assert f"{start}–{start + len(NHS_NUMBER)}" in problems["summary"].message
    assert "NHS number" in problems["summary"].message
    assert NHS_NUMBER not in problems["summary"].message  # the error does not echo it whole
    assert "email" in problems["results"].message
    assert await _count(fresh_db, CaseStudy) == 0
    # Updates are screened too, and a refused update changes nothing.
    cs = await _create(fresh_db, owner)
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(service.CaseStudyRejected) as refused:
            await service.update(
                session, owner, cs.public_id, {"context": "Born on 12/03/2015, she moved."}
            )
    assert refused.value.problems[0].field == "context"
    async with fresh_db.sessions() as session:
        kept = await repository.get_by_public_id(session, cs.public_id)
    assert kept is not None and kept.revision == 1 and kept.context == cs.context


async def test_ordinary_case_study_prose_passes_screening(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    cs = await _create(
        fresh_db,
        owner,
        summary="The £1,250,000 programme ran from 1 September 2023 to 2024/25.",
        results="Plans within 20 weeks rose from 48.0% to 63.5%; 1,234 requests in 2024.",
        context="Families can call the council switchboard on 01635 42 42 42.",
        lessons_learned="Email send@westberks.gov.uk (a team mailbox) for the toolkit.",
    )
    assert cs.status == "draft"


async def test_publishing_needs_the_essentials_and_statuses_move_one_way(
    fresh_db: Any,
) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    bare = await _create(
        fresh_db, owner, summary=None, phase=None, themes=None, evidence_strength=None
    )
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(service.CaseStudyRejected) as refused:
            await service.publish(session, owner, bare.public_id)
    assert {p.field for p in refused.value.problems} == {
        "summary",
        "phase",
        "themes",
        "evidence_strength",
    }
    assert {p.code for p in refused.value.problems} == {"REQUIRED_TO_PUBLISH"}
    cs = await _published(fresh_db, owner)
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(InvalidInput, match="only a draft"):
            await service.publish(session, owner, cs.public_id)
        with pytest.raises(service.CaseStudyRejected):  # published: essentials stay
            await service.update(session, owner, cs.public_id, {"summary": None})
    async with transaction(fresh_db.sessions) as session:
        await service.withdraw(session, owner, cs.public_id)
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(InvalidInput) as withdrawn:
            await service.update(session, owner, cs.public_id, {"title": "Back again"})
    assert withdrawn.value.code == "WITHDRAWN"
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(InvalidInput, match="only a published"):
            await service.withdraw(session, owner, bare.public_id)


async def test_named_or_pseudonymous_is_fixed_at_publication(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    cs = await _create(fresh_db, owner)
    async with transaction(fresh_db.sessions) as session:
        changed = await service.update(session, owner, cs.public_id, {"pseudonymous": True})
        assert changed.pseudonymous
        await service.publish(session, owner, cs.public_id)
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(service.CaseStudyRejected) as refused:
            await service.update(session, owner, cs.public_id, {"pseudonymous": False})
    assert refused.value.problems[0].code == "ALREADY_PUBLISHED"


async def test_input_is_checked_against_the_vocabularies_and_catalogue(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    async with transaction(fresh_db.sessions) as session:
        with pytest.raises(service.CaseStudyRejected) as refused:
            await service.create(
                session,
                owner,
                case_study_values(
                    themes=["annual_reviews", "astrology"],
                    evidence_strength=7,
                    outcome_links=[
                        service.LinkInput("no_such_metric", "2023", "2024"),
                        service.LinkInput("ehc_issued_20wk_pct", "2023/24", "2024"),
                        service.LinkInput("ehc_issued_20wk_pct", "2024", "2023"),
                    ],
                ),
            )
    problems = {(p.field, p.code) for p in refused.value.problems}
    assert ("themes", "UNKNOWN_THEME") in problems
    assert ("evidence_strength", "INVALID") in problems
    assert ("outcome_links[0].metric", "NOT_FOUND") in problems
    assert ("outcome_links[1].baseline_period", "WRONG_PERIOD_KIND") in problems
    assert ("outcome_links[2].follow_up_period", "PERIOD_ORDER") in problems


async def test_every_change_adds_a_revision_an_audit_entry_and_an_outbox_row(
    fresh_db: Any,
) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    cs = await _create(fresh_db, owner)
    async with transaction(fresh_db.sessions) as session:
        await service.update(session, owner, cs.public_id, {"results": "Better."})
        await service.publish(session, owner, cs.public_id)
        await service.withdraw(session, owner, cs.public_id)
    async with fresh_db.sessions() as session:
        revisions = await repository.revisions(session, cs.id)
        outbox = await repository.pending(session, 100)
        actions = list(
            (
                await session.execute(
                    select(AuditEntry.action)
                    .where(AuditEntry.entity_id == cs.public_id)
                    .order_by(AuditEntry.id)
                )
            ).scalars()
        )
    assert [(r.revision, r.action, r.status) for r in revisions] == [
        (1, "create", "draft"),
        (2, "update", "draft"),
        (3, "publish", "published"),
        (4, "withdraw", "withdrawn"),
    ]
    assert revisions[1].snapshot["results"] == "Better."
    assert revisions[0].snapshot["results"] == cs.results  # nothing is overwritten
    assert actions == [
        "case_study.create",
        "case_study.update",
        "case_study.publish",
        "case_study.withdraw",
    ]
    assert [p for _, p in outbox] == [cs.public_id] * 4


async def test_a_rolled_back_change_leaves_no_revision_and_no_outbox_row(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with transaction(fresh_db.sessions) as session:
            cs = await service.create(session, owner, case_study_values())
            await service.publish(session, owner, cs.public_id)
            raise Boom
    assert await _count(fresh_db, CaseStudy) == 0
    assert await _count(fresh_db, CaseStudyRevision) == 0
    assert await _count(fresh_db, SearchOutbox) == 0


async def test_my_case_studies_lists_drafts_for_their_authority_only(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    other = await publisher(fresh_db, READING)
    await _create(fresh_db, owner, title="Draft one")
    await _published(fresh_db, owner, title="Published one")
    await _create(fresh_db, other, title="Someone else's")
    async with fresh_db.sessions() as session:
        rows, total = await reads.mine(session, owner, ["draft", "published"], 0, 10)
        drafts, draft_total = await reads.mine(session, owner, ["draft"], 0, 10)
        with pytest.raises(Unauthenticated):
            await reads.mine(session, ANONYMOUS, ["draft"], 0, 10)
    assert total == 2 and {r.title for r in rows} == {"Draft one", "Published one"}
    assert draft_total == 1 and drafts[0].title == "Draft one"
