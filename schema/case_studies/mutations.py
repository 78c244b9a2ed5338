"""createCaseStudy, updateCaseStudy, publishCaseStudy and withdrawCaseStudy."""

from __future__ import annotations

import re
from typing import Any

import strawberry

from exchange.casestudies import indexing, service, vocab
from exchange.casestudies.errors import CaseStudyErrorCode
from exchange.casestudies.screening import allowed_numbers
from exchange.errors import DomainError
from schema.case_studies.types import CaseStudy, global_key
from schema.context import Info
from schema.user_errors import UserError


@strawberry.input
class OutcomeLinkInput:
    metric: str = strawberry.field(description="Metric code, e.g. ehc_issued_20wk_pct.")
    baseline_period: str = strawberry.field(description="e.g. 2023 (the metric's period kind).")
    follow_up_period: str = strawberry.field(description="After the baseline, e.g. 2024.")


@strawberry.input(description="A new case study, saved as a draft.")
class CreateCaseStudyInput:
    title: str
    summary: str | None = None
    context: str | None = None
    what_was_done: str | None = None
    results: str | None = None
    lessons_learned: str | None = None
    phase: vocab.Phase | None = None
    themes: list[vocab.Theme] | None = None
    cost_band: vocab.CostBand | None = None
    evidence_strength: int | None = None
    outcome_links: list[OutcomeLinkInput] | None = None
    pseudonymous: bool = strawberry.field(
        default=False,
        description="Publish under your authority's pseudonym. Fixed once published.",
    )


@strawberry.input(
    description="Changes to a case study: a field left out stays as it is; a field given as "
    "null is cleared. outcomeLinks, when given, replaces the whole list."
)
class UpdateCaseStudyInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    summary: str | None = strawberry.UNSET
    context: str | None = strawberry.UNSET
    what_was_done: str | None = strawberry.UNSET
    results: str | None = strawberry.UNSET
    lessons_learned: str | None = strawberry.UNSET
    phase: vocab.Phase | None = strawberry.UNSET
    themes: list[vocab.Theme] | None = strawberry.UNSET
    cost_band: vocab.CostBand | None = strawberry.UNSET
    evidence_strength: int | None = strawberry.UNSET
    outcome_links: list[OutcomeLinkInput] | None = strawberry.UNSET
    pseudonymous: bool | None = strawberry.UNSET


@strawberry.input
class PublishCaseStudyInput:
    id: strawberry.ID


@strawberry.input
class WithdrawCaseStudyInput:
    id: strawberry.ID


strawberry.enum(CaseStudyErrorCode, description="Why a case-study change was refused.")


@strawberry.type(description="Why a case-study change was refused. Nothing is stored when any is.")
class CaseStudyError(UserError):
    code: CaseStudyErrorCode = strawberry.field(description="Stable machine-readable code.")


@strawberry.type
class _CaseStudyPayload:
    case_study: CaseStudy | None
    user_errors: list[CaseStudyError]


@strawberry.type
class CreateCaseStudyPayload(_CaseStudyPayload):
    pass


@strawberry.type
class UpdateCaseStudyPayload(_CaseStudyPayload):
    pass


@strawberry.type
class PublishCaseStudyPayload(_CaseStudyPayload):
    pass


@strawberry.type
class WithdrawCaseStudyPayload(_CaseStudyPayload):
    pass


_CAMEL = re.compile(r"_([a-z])")


def api_field(path: str | None) -> str | None:
    """outcome_links[0].baseline_period -> outcomeLinks[0].baselinePeriod"""
    return _CAMEL.sub(lambda m: m.group(1).upper(), path) if path else path


def _user_errors(exc: DomainError) -> list[CaseStudyError]:
    if isinstance(exc, service.CaseStudyRejected):
        return [
            CaseStudyError(
                field=api_field(p.field), code=CaseStudyErrorCode(p.code), message=p.message
            )
            for p in exc.problems
        ]
    return [
        CaseStudyError(
            field=api_field(exc.field), code=CaseStudyErrorCode(exc.code), message=exc.message
        )
    ]


def _convert(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "themes":
        return [t.value for t in value]
    if name in ("phase", "cost_band"):
        return value.value
    if name == "outcome_links":
        return [
            service.LinkInput(link.metric, link.baseline_period, link.follow_up_period)
            for link in value
        ]
    return value


def _values(input: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in service.EDITABLE:
        value = getattr(input, name, strawberry.UNSET)
        if value is not strawberry.UNSET:
            out[name] = _convert(name, value)
    return out


def _by(info: Info) -> str | None:
    token = info.context.viewer.token_id
    return f"token:{token}" if token is not None else None


async def _index_after_commit(info: Info) -> None:
    ctx = info.context
    await indexing.drain_quietly(
        ctx.services.sessions, ctx.services.search, ctx.settings.secret_key
    )


_NOT_FOUND = CaseStudyError(
    field="id", code=CaseStudyErrorCode.NOT_FOUND, message="no case study has this id"
)


async def _mutate(info: Info, work: Any) -> tuple[CaseStudy | None, list[CaseStudyError]]:
    """Run one write in its own transaction; domain errors become userErrors (nothing stored),
    except a missing token, which is the request's one top-level UNAUTHENTICATED error."""
    ctx = info.context
    service.require_signed_in(ctx.viewer)
    try:
        async with ctx.unit_of_work() as session:
            model = await work(session)
    except DomainError as exc:
        return None, _user_errors(exc)
    await _index_after_commit(info)
    return CaseStudy(model=model), []


def _allowed_phones(info: Info) -> frozenset[str]:
    return allowed_numbers(info.context.settings.allowed_phone_numbers)


async def _mutate_existing(
    info: Info, id: strawberry.ID, work: Any
) -> tuple[CaseStudy | None, list[CaseStudyError]]:
    key = global_key(info, id)
    if key is None:
        service.require_signed_in(info.context.viewer)
        return None, [_NOT_FOUND]
    return await _mutate(info, lambda s: work(s, key))


async def create_case_study(info: Info, input: CreateCaseStudyInput) -> CreateCaseStudyPayload:
    ctx = info.context
    values = _values(input)
    node, errors = await _mutate(
        info,
        lambda s: service.create(
            s, ctx.viewer, values, created_by=_by(info), allowed_phones=_allowed_phones(info)
        ),
    )
    return CreateCaseStudyPayload(case_study=node, user_errors=errors)


async def update_case_study(info: Info, input: UpdateCaseStudyInput) -> UpdateCaseStudyPayload:
    ctx = info.context
    changes = _values(input)
    node, errors = await _mutate_existing(
        info,
        input.id,
        lambda s, key: service.update(
            s, ctx.viewer, key, changes, created_by=_by(info), allowed_phones=_allowed_phones(info)
        ),
    )
    return UpdateCaseStudyPayload(case_study=node, user_errors=errors)


async def publish_case_study(info: Info, input: PublishCaseStudyInput) -> PublishCaseStudyPayload:
    ctx = info.context
    node, errors = await _mutate_existing(
        info,
        input.id,
        lambda s, key: service.publish(
            s, ctx.viewer, key, created_by=_by(info), allowed_phones=_allowed_phones(info)
        ),
    )
    return PublishCaseStudyPayload(case_study=node, user_errors=errors)


async def withdraw_case_study(
    info: Info, input: WithdrawCaseStudyInput
) -> WithdrawCaseStudyPayload:
    ctx = info.context
    node, errors = await _mutate_existing(
        info, input.id, lambda s, key: service.withdraw(s, ctx.viewer, key, created_by=_by(info))
    )
    return WithdrawCaseStudyPayload(case_study=node, user_errors=errors)


@strawberry.type
class CaseStudyMutation:
    create_case_study: CreateCaseStudyPayload = strawberry.mutation(
        resolver=create_case_study,
        description="Create a draft case study for your authority (screened for personal data).",
    )
    update_case_study: UpdateCaseStudyPayload = strawberry.mutation(
        resolver=update_case_study,
        description="Change your case study: omitted fields stay, explicit nulls clear.",
    )
    publish_case_study: PublishCaseStudyPayload = strawberry.mutation(
        resolver=publish_case_study,
        description="Publish a draft: it becomes visible and searchable.",
    )
    withdraw_case_study: WithdrawCaseStudyPayload = strawberry.mutation(
        resolver=withdraw_case_study,
        description="Withdraw a published case study: hidden from everyone but your authority.",
    )
