"""Publishing figures: publishObservations, publishObservationsCsv (multipart upload),
withdrawObservation and observationHistory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from exchange.errors import DomainError, InvalidInput
from exchange.observations import service as observation_service
from exchange.observations.models import Observation as ObservationModel
from exchange.publishing import csvfile, validation
from exchange.publishing import service as publishing
from exchange.publishing.errors import PublishErrorCode
from exchange.publishing.retry import with_retries
from exchange.publishing.rows import RowError, RowInput
from exchange.publishing.service import PublishResult
from exchange.tokens import scopes
from schema.context import Info
from schema.enums import Visibility
from schema.observations import Observation
from schema.pseudonyms import pseudonymiser
from schema.user_errors import UserError

MAX_UPLOAD_BYTES = 2_000_000

strawberry.enum(
    PublishErrorCode,
    description="Why a figure, a CSV file or a withdrawal was refused (docs/publishing.md).",
)


@strawberry.type(
    description="Why a publication or a withdrawal was refused. Nothing is stored when any is."
)
class PublishError(UserError):
    code: PublishErrorCode = strawberry.field(description="Stable machine-readable code.")


@strawberry.input(description="One figure to publish for your own authority.")
class ObservationInput:
    metric: str = strawberry.field(description="A self-reported metric code, e.g. ep_fte.")
    period: str = strawberry.field(
        description="Label of the metric's period kind: 2024/25, 2024 or 2024-25."
    )
    value: float | None = strawberry.field(
        default=None, description="The figure; leave null and give a symbol when there is none."
    )
    symbol: str | None = strawberry.field(
        default=None, description="x not available, c confidential, z not applicable, low, u."
    )
    flags: str | None = strawberry.field(
        default=None, description="p provisional, r revised, e estimated (any combination)."
    )
    authority: str | None = strawberry.field(
        default=None, description="Optional check: must be your token's authority (DfE or GSS)."
    )


@strawberry.input
class PublishObservationsInput:
    observations: list[ObservationInput] = strawberry.field(
        description="Up to 500 rows. All are stored, or none (every bad row is reported)."
    )
    visibility: Visibility = strawberry.field(
        default=Visibility.MEMBERS, description="MEMBERS (default) or PUBLIC."
    )
    pseudonymous: bool = strawberry.field(
        default=False,
        description="Publish under your pseudonym instead of your name (docs/publishing.md). "
        "Fixed per figure once published.",
    )


@strawberry.input
class PublishObservationsCsvInput:
    file: Upload = strawberry.field(
        description="The CSV (docs/templates/observations-template.csv), sent as a GraphQL "
        "multipart request with a 'graphql-preflight: 1' (or apollo-require-preflight) header."
    )
    visibility: Visibility = Visibility.MEMBERS
    pseudonymous: bool = False


@strawberry.type
class PublishObservationsPayload:
    result: strawberry.Private[PublishResult]
    shown: strawberry.Private[list[observation_service.Shown]]

    @strawberry.field(description="The stored figures (empty when anything was refused).")
    def observations(self) -> list[Observation]:
        return [Observation(shown=s) for s in self.shown]

    @strawberry.field(description="New figures.")
    def created(self) -> int:
        return self.result.created

    @strawberry.field(description="Figures that changed: each got a new revision.")
    def revised(self) -> int:
        return self.result.revised

    @strawberry.field(description="Figures re-sent with nothing changed: left as they were.")
    def unchanged(self) -> int:
        return self.result.unchanged

    @strawberry.field
    def user_errors(self) -> list[PublishError]:
        return [_user_error(e) for e in self.result.errors]


def _user_error(e: RowError) -> PublishError:
    return PublishError(field=e.field, code=e.code, message=e.message, index=e.index, line=e.line)


@strawberry.input
class WithdrawObservationInput:
    id: strawberry.ID = strawberry.field(description="The observation's global ID.")


@strawberry.type
class WithdrawObservationPayload:
    observation: Observation | None
    user_errors: list[PublishError]


@strawberry.type(description="One revision of a figure, after disclosure control.")
class ObservationRevision:
    item: strawberry.Private[observation_service.RevisionShown]

    @strawberry.field(description="1 for the first publication, +1 for each change.")
    def revision(self) -> int:
        return self.item.revision.revision

    @strawberry.field
    def value(self) -> float | None:
        return self.item.disclosed.value

    @strawberry.field
    def symbol(self) -> str | None:
        return self.item.disclosed.symbol

    @strawberry.field
    def flags(self) -> str:
        return "" if self.item.hidden else self.item.disclosed.flags

    @strawberry.field(description="True for the revision that withdrew the figure.")
    def withdrawn(self) -> bool:
        return self.item.revision.withdrawn

    @strawberry.field(
        description="When this revision was published; for another authority's pseudonymous "
        "figure, the release time at which it was shown (never the moment of publication)."
    )
    def published_at(self) -> datetime:
        return self.item.published_at


@strawberry.type
class ObservationHistory:
    observation: Observation
    revisions: list[ObservationRevision] = strawberry.field(description="Oldest first.")


def _rows(items: list[ObservationInput]) -> list[RowInput]:
    return [
        RowInput(
            metric=i.metric,
            period=i.period,
            value=i.value,
            symbol=i.symbol,
            flags=i.flags,
            authority=i.authority,
        )
        for i in items
    ]


async def _payload(info: Info, result: PublishResult) -> PublishObservationsPayload:
    ctx = info.context
    shown: list[observation_service.Shown] = []
    if result.ok and result.observations:
        rows: list[ObservationModel] = result.observations
        shown = await ctx.read(
            lambda s: observation_service.shown_many(s, ctx.viewer, rows, pseudonymiser(info))
        )
    return PublishObservationsPayload(result=result, shown=shown)


async def publish_observations(
    info: Info, input: PublishObservationsInput
) -> PublishObservationsPayload:
    ctx = info.context
    if len(input.observations) > validation.MAX_ROWS:
        validation.require_publisher(ctx.viewer)
        too_many = PublishResult(
            errors=[
                RowError(
                    None,
                    "observations",
                    PublishErrorCode.TOO_MANY_ROWS,
                    f"{len(input.observations)} rows: at most {validation.MAX_ROWS} per call",
                )
            ]
        )
        return PublishObservationsPayload(result=too_many, shown=[])
    return await _publish(info, input, _rows(input.observations), [])


async def publish_observations_csv(
    info: Info, input: PublishObservationsCsvInput
) -> PublishObservationsPayload:
    ctx = info.context
    validation.require_publisher(ctx.viewer)
    data = await _read_upload(input.file)
    rows, file_errors = csvfile.read_rows(data)
    return await _publish(info, input, rows, file_errors)


async def _publish(
    info: Info,
    input: PublishObservationsInput | PublishObservationsCsvInput,
    rows: list[RowInput],
    file_errors: list[RowError],
) -> PublishObservationsPayload:
    """Publish the rows (retried on a conflict), or, when the file itself was at fault, report
    its errors together with every row's."""
    ctx = info.context

    async def work(session: Any) -> PublishResult:
        if file_errors:
            _, more, _ = await validation.validate(
                session, ctx.viewer, rows, pseudonymous=input.pseudonymous
            )
            merged = sorted(file_errors + more, key=lambda e: (e.line or 0, e.code))
            return PublishResult(errors=merged)
        return await publishing.publish(
            session,
            ctx.viewer,
            rows,
            visibility=input.visibility.value,
            pseudonymous=input.pseudonymous,
        )

    result = await with_retries(ctx.unit_of_work, work)
    return await _payload(info, result)


async def _read_upload(file: Any) -> bytes:
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    elif isinstance(file, str):
        data = file.encode()
    elif hasattr(file, "read"):
        raw = file.read(MAX_UPLOAD_BYTES + 1)
        data = await raw if hasattr(raw, "__await__") else raw
    else:
        raise InvalidInput(
            "file", "send the CSV as a multipart file upload", PublishErrorCode.NOT_A_FILE
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            "file",
            f"the file is over {MAX_UPLOAD_BYTES:,} bytes: split it",
            PublishErrorCode.FILE_TOO_LARGE,
        )
    return bytes(data)


def _observation_key(info: Info, id: strawberry.ID) -> str | None:
    try:
        kind, key = info.context.signer.parse_global_id(str(id))
    except InvalidInput:
        return None
    return key if kind == "Observation" else None


async def withdraw_observation(
    info: Info, input: WithdrawObservationInput
) -> WithdrawObservationPayload:
    ctx = info.context
    scopes.require_token(ctx.viewer)  # the one top-level UNAUTHENTICATED error
    key = _observation_key(info, input.id)
    missing = PublishError(
        field="id",
        code=PublishErrorCode.NOT_FOUND,
        message="no observation you can withdraw has this id",
    )
    if key is None:
        return WithdrawObservationPayload(observation=None, user_errors=[missing])
    try:
        withdrawn = await with_retries(
            ctx.unit_of_work, lambda s: publishing.withdraw(s, ctx.viewer, key)
        )
    except DomainError as exc:
        if exc.code in ("UNAUTHENTICATED",):
            raise
        return WithdrawObservationPayload(
            observation=None,
            user_errors=[
                PublishError(
                    field=exc.field or "id", code=PublishErrorCode(exc.code), message=exc.message
                )
            ],
        )
    shown = await ctx.read(
        lambda s: observation_service.get_shown(
            s, ctx.viewer, withdrawn.public_id, pseudonymiser(info), include_withdrawn=True
        )
    )
    return WithdrawObservationPayload(
        observation=Observation(shown=shown) if shown else None, user_errors=[]
    )


async def observation_history(info: Info, id: strawberry.ID) -> ObservationHistory | None:
    """Null for an id that is forged, unknown, withdrawn (unless yours) or hidden from you."""
    ctx = info.context
    key = _observation_key(info, id)
    if key is None:
        return None
    found = await ctx.read(
        lambda s: observation_service.history(s, ctx.viewer, key, pseudonymiser(info))
    )
    if found is None:
        return None
    shown, revisions = found
    return ObservationHistory(
        observation=Observation(shown=shown),
        revisions=[ObservationRevision(item=r) for r in revisions],
    )


@strawberry.type
class PublishingQuery:
    observation_history: ObservationHistory | None = strawberry.field(
        resolver=observation_history,
        description="Every revision of a figure, oldest first. Revisions never name who "
        "published them.",
    )


@strawberry.type
class PublishingMutation:
    publish_observations: PublishObservationsPayload = strawberry.mutation(
        resolver=publish_observations,
        description="Publish up to 500 figures for your authority: all or nothing.",
    )
    publish_observations_csv: PublishObservationsPayload = strawberry.mutation(
        resolver=publish_observations_csv,
        description="Publish a CSV file (GraphQL multipart request): same rules, errors by line.",
    )
    withdraw_observation: WithdrawObservationPayload = strawberry.mutation(
        resolver=withdraw_observation,
        description="Withdraw one of your figures; the withdrawal is itself a revision.",
    )
