"""Case studies: writing (create, update, publish, withdraw) and who may read what.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange import pseudonyms
from exchange.audit import service as audit
from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.casestudies import repository, vocab
from exchange.casestudies.models import TEXT_FIELDS, CaseStudy, CaseStudyOutcomeLink
from exchange.casestudies.screening import SWITCHBOARD_ALLOW_LIST, screen_fields
from exchange.errors import InvalidInput, NotFound, PermissionDenied
from exchange.metrics import repository as metrics
from exchange.periods import repository as periods
from exchange.periods.labels import parse_label
from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.viewer import Viewer

MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_THEMES = 5
MAX_LINKS = 10
REQUIRED_TO_PUBLISH = ("summary", "what_was_done", "phase", "themes", "evidence_strength")
EDITABLE = (
    *TEXT_FIELDS,
    "phase",
    "themes",
    "cost_band",
    "evidence_strength",
    "outcome_links",
    "pseudonymous",
)


@dataclass(frozen=True)
class LinkInput:
    metric: str
    baseline_period: str
    follow_up_period: str


@dataclass(frozen=True)
class Problem:
    field: str  # snake_case path, e.g. "summary" or "outcome_links[0].baseline_period"
    code: str
    message: str


class CaseStudyRejected(InvalidInput):
    """One or more problems with a create or update; nothing was stored."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        first = problems[0]
        super().__init__(first.field, first.message, first.code)
        self.problems = list(problems)


def _now() -> datetime:
    return datetime.now(UTC)


def require_signed_in(viewer: Viewer) -> None:
    scopes.require_token(viewer)


def require_writer(viewer: Viewer) -> int:
    return scopes.require_authority(viewer, Scope.CASE_STUDIES_WRITE, to="write case studies")


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


# -- validation --------------------------------------------------------------------------------


def _clean_text(name: str, value: Any, problems: list[Problem]) -> str | None:
    if value is None:
        if name == "title":
            problems.append(Problem("title", "REQUIRED", "a case study needs a title"))
        return None
    if not isinstance(value, str):
        problems.append(Problem(name, "INVALID", f"{name} must be text"))
        return None
    text = value.strip()
    limit = MAX_TITLE if name == "title" else MAX_TEXT
    if name == "title" and len(text) < 3:
        problems.append(Problem("title", "REQUIRED", "a title needs at least 3 characters"))
    if len(text) > limit:
        problems.append(
            Problem(name, "TOO_LONG", f"{name} is {len(text):,} characters; the limit is {limit:,}")
        )
    return text or None


def _clean_themes(value: Any, problems: list[Problem]) -> list[str]:
    if value is None:
        return []
    themes: list[str] = []
    for theme in value:
        if theme not in vocab.THEME_CODES:
            problems.append(Problem("themes", "UNKNOWN_THEME", f"unknown theme '{theme}'"))
        elif theme not in themes:
            themes.append(theme)
    if len(themes) > MAX_THEMES:
        problems.append(Problem("themes", "TOO_MANY", f"at most {MAX_THEMES} themes"))
    return themes


def _clean_choice(
    name: str, value: Any, allowed: frozenset[str], problems: list[Problem]
) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        problems.append(Problem(name, "INVALID", f"unknown {name.replace('_', ' ')} '{value}'"))
        return None
    return str(value)


def _clean_evidence(value: Any, problems: list[Problem]) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or not vocab.MIN_EVIDENCE <= value <= vocab.MAX_EVIDENCE:
        problems.append(
            Problem(
                "evidence_strength",
                "INVALID",
                f"evidence strength runs from {vocab.MIN_EVIDENCE} to {vocab.MAX_EVIDENCE}",
            )
        )
        return None
    return value


async def _clean_links(
    session: AsyncSession, value: Sequence[LinkInput] | None, problems: list[Problem]
) -> list[tuple[int, int, int]]:
    if not value:
        return []
    if len(value) > MAX_LINKS:
        problems.append(Problem("outcome_links", "TOO_MANY", f"at most {MAX_LINKS} outcome links"))
        return []
    catalogue = await metrics.get_many_by_code(session, sorted({link.metric for link in value}))
    parsed: list[tuple[int, Any, Any]] = []
    for i, link in enumerate(value):
        at = f"outcome_links[{i}]"
        metric = catalogue.get(link.metric)
        if metric is None:
            problems.append(
                Problem(f"{at}.metric", "NOT_FOUND", f"no metric with code '{link.metric}'")
            )
            continue
        keys = []
        for part, label in (
            ("baseline_period", link.baseline_period),
            ("follow_up_period", link.follow_up_period),
        ):
            try:
                keys.append(parse_label(label, metric.period_kind))
            except InvalidInput as exc:
                problems.append(Problem(f"{at}.{part}", exc.code, exc.message))
        if len(keys) != 2:
            continue
        if keys[0].start_year >= keys[1].start_year:
            problems.append(
                Problem(
                    f"{at}.follow_up_period",
                    "PERIOD_ORDER",
                    f"the follow-up period ({keys[1].label}) must come after the baseline "
                    f"({keys[0].label})",
                )
            )
            continue
        parsed.append((metric.id, keys[0], keys[1]))
    if problems or not parsed:
        return []
    found = await periods.ensure(session, {k for _, a, b in parsed for k in (a, b)})
    out: list[tuple[int, int, int]] = []
    for metric_id, baseline, follow_up in parsed:
        row = (metric_id, found[baseline].id, found[follow_up].id)
        if row not in out:
            out.append(row)
    return out


def _screen(values: Mapping[str, Any], problems: list[Problem], allowed: frozenset[str]) -> None:
    """Screen every text field as the officer sent it (before trimming), so the offsets in the
    messages point into their own text. Non-text values were refused by _clean_text.
    ``allowed``: the phone numbers a case study may quote (screening.allowed_numbers)."""
    texts = {
        k: v if isinstance(v, str) else None for k, v in ((k, values.get(k)) for k in TEXT_FIELDS)
    }
    for finding in screen_fields(texts, allowed):
        problems.append(Problem(finding.field, "PERSONAL_DATA", finding.message))


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise CaseStudyRejected(problems)


# -- writes ------------------------------------------------------------------------------------


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
        name: _clean_text(name, values.get(name), problems) for name in TEXT_FIELDS
    }
    cleaned["phase"] = _clean_choice("phase", values.get("phase"), vocab.PHASE_CODES, problems)
    cleaned["themes"] = _clean_themes(values.get("themes"), problems)
    cleaned["cost_band"] = _clean_choice(
        "cost_band", values.get("cost_band"), vocab.COST_BAND_CODES, problems
    )
    cleaned["evidence_strength"] = _clean_evidence(values.get("evidence_strength"), problems)
    links = await _clean_links(session, values.get("outcome_links"), problems)
    _screen(values, problems, allowed_phones)
    _raise(problems)
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
            merged[name] = _clean_text(name, changes[name], problems)
    if "phase" in changes:
        merged["phase"] = _clean_choice("phase", changes["phase"], vocab.PHASE_CODES, problems)
    if "themes" in changes:
        merged["themes"] = _clean_themes(changes["themes"], problems)
    if "cost_band" in changes:
        merged["cost_band"] = _clean_choice(
            "cost_band", changes["cost_band"], vocab.COST_BAND_CODES, problems
        )
    if "evidence_strength" in changes:
        merged["evidence_strength"] = _clean_evidence(changes["evidence_strength"], problems)
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
        links = await _clean_links(session, changes["outcome_links"], problems)
    after = {name: changes.get(name, getattr(case_study, name)) for name in TEXT_FIELDS}
    _screen(after, problems, allowed_phones)
    if case_study.status == "published":
        _check_publishable({**_current(case_study), **merged}, problems)
    _raise(problems)
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
    _check_publishable(_current(case_study), problems)
    # Screened again: a draft saved before the screen learnt a disguise must not go public.
    _screen({name: getattr(case_study, name) for name in TEXT_FIELDS}, problems, allowed_phones)
    _raise(problems)
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


def _current(case_study: CaseStudy) -> dict[str, Any]:
    return {name: getattr(case_study, name) for name in REQUIRED_TO_PUBLISH}


def _check_publishable(values: Mapping[str, Any], problems: list[Problem]) -> None:
    for name in REQUIRED_TO_PUBLISH:
        if values.get(name) in (None, "", []):
            problems.append(
                Problem(
                    name,
                    "REQUIRED_TO_PUBLISH",
                    f"a published case study needs {name.replace('_', ' ')}",
                )
            )


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


# -- reads -------------------------------------------------------------------------------------


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
