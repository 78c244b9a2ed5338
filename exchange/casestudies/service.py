"""Case studies: writing (create, update, publish, withdraw).

The checks of what is sent live in exchange.casestudies.validation, and who may read what (and
the reads) in exchange.casestudies.reads.

Rules
- Only a publisher token bound to an authority, with the case_studies:write scope, writes, and
  only its own case studies; a token with case_studies:moderate (administrators) may also
  withdraw any published case study. The scopes are checked in exchange.tokens.scopes.
- Drafts and withdrawn case studies exist only for their authority: to anyone else they look
  exactly like case studies that never existed (NOT_FOUND, never FORBIDDEN).
- Every create, update and publish screens all the text fields for personal data
  (exchange.casestudies.screening), as sent; anything found refuses the whole change, naming
  field, span (in the text as sent) and reason.
- Every change adds a revision (append-only) and a search-outbox row in the same transaction.
- Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.audit import service as audit
from exchange.casestudies import repository, vocab
from exchange.casestudies.models import TEXT_FIELDS, CaseStudy
from exchange.casestudies.reads import visible_to
from exchange.casestudies.screening import SWITCHBOARD_ALLOW_LIST
from exchange.casestudies.validation import (
    EDITABLE,
    CaseStudyRejected,
    LinkInput,
    Problem,
    check_publishable,
    clean_choice,
    clean_evidence,
    clean_links,
    clean_text,
    clean_themes,
    current,
    raise_if_any,
    screen,
)
from exchange.errors import InvalidInput, NotFound, PermissionDenied
from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.viewer import Viewer

# The write path's inputs and refusal, importable from here beside create/update/publish/withdraw.
__all__ = [
    "EDITABLE",
    "CaseStudyRejected",
    "LinkInput",
    "create",
    "publish",
    "require_signed_in",
    "require_writer",
    "update",
    "withdraw",
]


def _now() -> datetime:
    return datetime.now(UTC)


def require_signed_in(viewer: Viewer) -> None:
    scopes.require_token(viewer)


def require_writer(viewer: Viewer) -> int:
    return scopes.require_authority(viewer, Scope.CASE_STUDIES_WRITE, to="write case studies")


async def _owned(
    session: AsyncSession, viewer: Viewer, public_id: str, *, moderation: bool = False
) -> CaseStudy:
    """The case study this viewer may change. The scope is checked before the lookup, so a
    token without it is refused the same way whatever the id."""
    if moderation:
        scopes.require(
            viewer,
            Scope.CASE_STUDIES_WRITE,
            Scope.CASE_STUDIES_MODERATE,
            to="withdraw case studies",
        )
    else:
        scopes.require(viewer, Scope.CASE_STUDIES_WRITE, to="change case studies")
    author = scopes.has(viewer, Scope.CASE_STUDIES_WRITE)
    moderator = moderation and scopes.has(viewer, Scope.CASE_STUDIES_MODERATE)
    found = await repository.get_by_public_id(session, public_id)
    if found is None or not (visible_to(found, viewer) or moderator):
        raise NotFound("no case study with this id", field="id")
    if (author and viewer.owns(found.authority_id)) or moderator:
        return found
    raise PermissionDenied("only the authority that wrote a case study may change it", field="id")


async def create(
    session: AsyncSession,
    viewer: Viewer,
    values: Mapping[str, Any],
    *,
    is_demo: bool = False,
    now: datetime | None = None,
    created_by: str | None = None,
    allowed_phones: frozenset[str] = SWITCHBOARD_ALLOW_LIST,
) -> CaseStudy:
    """A new draft owned by the viewer's authority. ``values`` uses the EDITABLE names."""
    authority_id = require_writer(viewer)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "not a case-study field")
    at = now or _now()
    problems: list[Problem] = []
    cleaned: dict[str, Any] = {
        name: clean_text(name, values.get(name), problems) for name in TEXT_FIELDS
    }
    cleaned["phase"] = clean_choice("phase", values.get("phase"), vocab.PHASE_CODES, problems)
    cleaned["themes"] = clean_themes(values.get("themes"), problems)
    cleaned["cost_band"] = clean_choice(
        "cost_band", values.get("cost_band"), vocab.COST_BAND_CODES, problems
    )
    cleaned["evidence_strength"] = clean_evidence(values.get("evidence_strength"), problems)
    links = await clean_links(session, values.get("outcome_links"), problems)
    screen(values, problems, allowed_phones)
    raise_if_any(problems)
    case_study = CaseStudy(
        public_id=repository.new_public_id(),
        authority_id=authority_id,
        status="draft",
        pseudonymous=bool(values.get("pseudonymous") or False),
        is_demo=is_demo,
        revision=1,
        created_at=at,
        updated_at=at,
        **cleaned,
    )
    await repository.add(session, case_study)
    await repository.replace_links(session, case_study.id, links)
    await _record(session, viewer, case_study, "create", at, created_by, None)
    return case_study


async def update(
    session: AsyncSession,
    viewer: Viewer,
    public_id: str,
    changes: Mapping[str, Any],
    *,
    now: datetime | None = None,
    created_by: str | None = None,
    allowed_phones: frozenset[str] = SWITCHBOARD_ALLOW_LIST,
) -> CaseStudy:
    """Apply ``changes``: a field left out stays as it is, a field given as None is cleared."""
    case_study = await _owned(session, viewer, public_id)
    before = await _snapshot(session, case_study)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "not a case-study field")
    if case_study.status == "withdrawn":
        raise InvalidInput("id", "a withdrawn case study cannot be changed", "WITHDRAWN")
    problems: list[Problem] = []
    merged: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in changes:
            merged[name] = clean_text(name, changes[name], problems)
    if "phase" in changes:
        merged["phase"] = clean_choice("phase", changes["phase"], vocab.PHASE_CODES, problems)
    if "themes" in changes:
        merged["themes"] = clean_themes(changes["themes"], problems)
    if "cost_band" in changes:
        merged["cost_band"] = clean_choice(
            "cost_band", changes["cost_band"], vocab.COST_BAND_CODES, problems
        )
    if "evidence_strength" in changes:
        merged["evidence_strength"] = clean_evidence(changes["evidence_strength"], problems)
    if "pseudonymous" in changes:
        wanted = bool(changes["pseudonymous"])
        if wanted != case_study.pseudonymous and case_study.status != "draft":
            problems.append(
                Problem(
                    "pseudonymous",
                    "ALREADY_PUBLISHED",
                    "named or pseudonymous is decided before publication; withdraw this case "
                    "study and publish a new one instead",
                )
            )
        merged["pseudonymous"] = wanted
    links: list[tuple[int, int, int]] | None = None
    if "outcome_links" in changes:
        links = await clean_links(session, changes["outcome_links"], problems)
    after = {name: changes.get(name, getattr(case_study, name)) for name in TEXT_FIELDS}
    screen(after, problems, allowed_phones)
    if case_study.status == "published":
        check_publishable({**current(case_study), **merged}, problems)
    raise_if_any(problems)
    at = now or _now()
    for name, value in merged.items():
        setattr(case_study, name, value)
    if links is not None:
        await repository.replace_links(session, case_study.id, links)
    case_study.revision += 1
    case_study.updated_at = at
    await _record(session, viewer, case_study, "update", at, created_by, before)
    return case_study


async def publish(
    session: AsyncSession,
    viewer: Viewer,
    public_id: str,
    *,
    now: datetime | None = None,
    created_by: str | None = None,
    allowed_phones: frozenset[str] = SWITCHBOARD_ALLOW_LIST,
) -> CaseStudy:
    case_study = await _owned(session, viewer, public_id)
    _require_status(case_study, "draft", "only a draft can be published; this case study is")
    problems: list[Problem] = []
    check_publishable(current(case_study), problems)
    # Screened again: a draft saved before the screen learnt a disguise must not go public.
    screen({name: getattr(case_study, name) for name in TEXT_FIELDS}, problems, allowed_phones)
    raise_if_any(problems)
    return await _move(session, viewer, case_study, "published", "publish", now, created_by)


async def withdraw(
    session: AsyncSession,
    viewer: Viewer,
    public_id: str,
    *,
    now: datetime | None = None,
    created_by: str | None = None,
) -> CaseStudy:
    case_study = await _owned(session, viewer, public_id, moderation=True)
    _require_status(
        case_study, "published", "only a published case study can be withdrawn; this one is"
    )
    return await _move(session, viewer, case_study, "withdrawn", "withdraw", now, created_by)


def _require_status(case_study: CaseStudy, status: str, refusal: str) -> None:
    if case_study.status != status:
        raise InvalidInput("id", f"{refusal} {case_study.status}", "INVALID_STATUS")


async def _move(
    session: AsyncSession,
    viewer: Viewer,
    case_study: CaseStudy,
    status: str,
    action: str,
    now: datetime | None,
    created_by: str | None,
) -> CaseStudy:
    """Publish or withdraw: the new status, its time stamp (``published_at``/``withdrawn_at``),
    a revision and the record of the change."""
    before = {"status": case_study.status}
    at = now or _now()
    case_study.status = status
    setattr(case_study, f"{status}_at", at)
    case_study.updated_at = at
    case_study.revision += 1
    await _record(session, viewer, case_study, action, at, created_by, before)
    return case_study


async def _snapshot(session: AsyncSession, case_study: CaseStudy) -> dict[str, Any]:
    links = (await repository.links_for(session, [case_study.id]))[case_study.id]
    snapshot = {name: getattr(case_study, name) for name in EDITABLE if name != "outcome_links"}
    snapshot["status"] = case_study.status
    snapshot["outcome_links"] = [
        [link.metric_id, link.baseline_period_id, link.follow_up_period_id] for link in links
    ]
    return snapshot


async def _record(
    session: AsyncSession,
    viewer: Viewer,
    case_study: CaseStudy,
    action: str,
    at: datetime,
    by: str | None,
    before: dict[str, Any] | None,
) -> None:
    """The revision, the audit entry and the search-outbox row: all in the caller's
    transaction, so they are committed together with the change or not at all."""
    snapshot = await _snapshot(session, case_study)
    await repository.add_revision(
        session, case_study, action=action, snapshot=snapshot, at=at, created_by=by
    )
    after = snapshot if action in ("create", "update") else {"status": case_study.status}
    await audit.record(
        session,
        audit.actor_of(viewer),
        [audit.Change(f"case_study.{action}", "CaseStudy", case_study.public_id, before, after)],
    )
    await repository.enqueue(session, [case_study.public_id], at)
