"""The case study type, its outcome links and revisions; caseStudy, myCaseStudies and node(id:)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from exchange import pseudonyms
from exchange.casestudies import outcomes, reads, validation, vocab
from exchange.casestudies.models import CaseStudy as CaseStudyModel
from exchange.casestudies.models import CaseStudyOutcomeLink
from exchange.errors import InvalidInput
from schema import relay
from schema.authorities import Authority
from schema.case_studies import vocabulary as _vocabulary  # noqa: F401  (registers the enums)
from schema.comparison import Figure
from schema.context import Info
from schema.enums import AuthorityType, Direction
from schema.metrics import Metric, Period
from schema.node import Node
from schema.pseudonyms import Pseudonym


def _utc(at: datetime | None) -> datetime | None:
    if at is not None and at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at


# -- outcome links -----------------------------------------------------------------------------


@strawberry.type(
    description=(
        "A metric the case study set out to move, with what the figures say: the authority's "
        "own values at baseline and follow-up and the change, beside its statistical "
        "neighbours' median change over the same periods. For a pseudonymous case study the "
        "author's own figures are withheld (they would identify it) and England's median "
        "change is shown instead."
    )
)
class OutcomeLink:
    link: strawberry.Private[CaseStudyOutcomeLink]
    key: strawberry.Private[outcomes.OutcomeKey]

    async def _outcome(self, info: Info) -> outcomes.Outcome:
        return await info.context.loaders.case_studies.outcome.load(self.key)

    @strawberry.field
    async def metric(self, info: Info) -> Metric:
        m = await info.context.loaders.metric.load(self.link.metric_id)
        assert m is not None
        return Metric(model=m)

    @strawberry.field
    async def baseline_period(self, info: Info) -> Period:
        p = await info.context.loaders.period.load(self.link.baseline_period_id)
        assert p is not None
        return Period(model=p)

    @strawberry.field
    async def follow_up_period(self, info: Info) -> Period:
        p = await info.context.loaders.period.load(self.link.follow_up_period_id)
        assert p is not None
        return Period(model=p)

    @strawberry.field(description="The authority's figure at the baseline period.")
    async def baseline(self, info: Info) -> Figure:
        return Figure.of((await self._outcome(info)).baseline)

    @strawberry.field(description="The authority's figure at the follow-up period.")
    async def follow_up(self, info: Info) -> Figure:
        return Figure.of((await self._outcome(info)).follow_up)

    @strawberry.field(description="followUp - baseline, when both are disclosed.")
    async def change(self, info: Info) -> float | None:
        return (await self._outcome(info)).change

    @strawberry.field(description="The change, respecting the metric's polarity.")
    async def direction(self, info: Info) -> Direction:
        return Direction((await self._outcome(info)).direction)

    @strawberry.field(
        description="Why the direction is NOT_COMPARABLE, in words (a missing figure, demo and "
        "real figures, withheld figures); else null."
    )
    async def direction_reason(self, info: Info) -> str | None:
        return (await self._outcome(info)).reason

    @strawberry.field(description="STATISTICAL_NEIGHBOURS, or ENGLAND when the author is withheld.")
    async def peer_group(self, info: Info) -> str:
        return (await self._outcome(info)).peer_group

    @strawberry.field(
        description="Median change over the same periods among peers with both values disclosed."
    )
    async def peer_median_change(self, info: Info) -> float | None:
        return (await self._outcome(info)).peer_median_change

    @strawberry.field(description="Peers with both values disclosed.")
    async def peer_count(self, info: Info) -> int:
        return (await self._outcome(info)).peer_count

    @strawberry.field
    async def peer_direction(self, info: Info) -> Direction:
        return Direction((await self._outcome(info)).peer_direction)

    @strawberry.field(description="True when the author's own figures are withheld from you.")
    async def withheld(self, info: Info) -> bool:
        return (await self._outcome(info)).withheld

    @strawberry.field(
        description="In words, e.g. 'down 15 points while statistical neighbours fell 1.85 points'."
    )
    async def summary(self, info: Info) -> str | None:
        return (await self._outcome(info)).summary


@strawberry.type(description="One revision of a case study (visible to its authority only).")
class CaseStudyRevision:
    revision: int
    action: str = strawberry.field(description="create, update, publish or withdraw.")
    status: vocab.Status
    created_at: datetime


# -- the case study ----------------------------------------------------------------------------


@strawberry.type(
    description=(
        "An intervention write-up: what an authority tried and what changed. Drafts and "
        "withdrawn case studies are visible to their own authority only."
    )
)
class CaseStudy(Node):
    model: strawberry.Private[CaseStudyModel]

    @strawberry.field(description="Opaque global ID, usable with node(id:).")
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(info.context.signer.global_id("CaseStudy", self.model.public_id))

    @classmethod
    async def resolve_node(cls, info: Info, key: str) -> CaseStudy | None:
        """node(id:) for "CaseStudy": null when missing or not visible (the same answer)."""
        ctx = info.context
        found = await ctx.read(lambda s: reads.get_visible(s, ctx.viewer, key))
        return cls(model=found) if found else None

    @strawberry.field(description="Titles of demonstration case studies start with 'DEMO'.")
    def title(self) -> str:
        return self.model.title

    @strawberry.field
    def summary(self) -> str | None:
        return self.model.summary

    @strawberry.field(description="The local situation before the intervention.")
    def context(self) -> str | None:
        return self.model.context

    @strawberry.field
    def what_was_done(self) -> str | None:
        return self.model.what_was_done

    @strawberry.field
    def results(self) -> str | None:
        return self.model.results

    @strawberry.field
    def lessons_learned(self) -> str | None:
        return self.model.lessons_learned

    @strawberry.field
    def phase(self) -> vocab.Phase | None:
        return vocab.Phase(self.model.phase) if self.model.phase else None

    @strawberry.field(metadata={"list_size": 5})
    def themes(self) -> list[vocab.Theme]:
        return [vocab.Theme(t) for t in self.model.themes or []]

    @strawberry.field
    def cost_band(self) -> vocab.CostBand | None:
        return vocab.CostBand(self.model.cost_band) if self.model.cost_band else None

    @strawberry.field(description="0-5; see caseStudyVocabulary.evidenceLevels.")
    def evidence_strength(self) -> int | None:
        return self.model.evidence_strength

    @strawberry.field
    def status(self) -> vocab.Status:
        return vocab.Status(self.model.status)

    @strawberry.field(description="True for generated demonstration case studies (not real).")
    def is_demo(self) -> bool:
        return self.model.is_demo

    @strawberry.field(description="Published under the authority's pseudonym.")
    def pseudonymous(self) -> bool:
        return self.model.pseudonymous

    @strawberry.field(description="1 when created, +1 for every change.")
    def revision(self) -> int:
        return self.model.revision

    def _shown_time(self, info: Info, at: datetime | None) -> datetime | None:
        """Others see a pseudonymous case study's times as a date only (midnight UTC): a precise
        moment could be lined up with the same council's named changes."""
        at = _utc(at)
        if at is None or not self.model.pseudonymous:
            return at
        if info.context.viewer.owns(self.model.authority_id):
            return at
        return at.replace(hour=0, minute=0, second=0, microsecond=0)

    @strawberry.field(
        description="When it was first published; for another council's pseudonymous case "
        "study, the date only (midnight UTC)."
    )
    def published_at(self, info: Info) -> datetime | None:
        return self._shown_time(info, self.model.published_at)

    @strawberry.field(description="Last change; the date only for others' pseudonymous ones.")
    def updated_at(self, info: Info) -> datetime | None:
        # A draft's editing history is its author's business.
        if self.model.status != "published" and not info.context.viewer.owns(
            self.model.authority_id
        ):
            return None
        return self._shown_time(info, self.model.updated_at)

    async def _author(self, info: Info) -> reads.Author:
        return await info.context.loaders.case_studies.author.load(self.model)

    @strawberry.field(description="The authority's name, or its pseudonym label.")
    async def author_label(self, info: Info) -> str:
        return (await self._author(info)).label

    @strawberry.field(
        description="The authority; null for a pseudonymous case study (unless it is yours)."
    )
    async def authority(self, info: Info) -> Authority | None:
        a = (await self._author(info)).authority
        return Authority(model=a) if a is not None else None

    @strawberry.field(description="For a pseudonymous case study: its label and descriptors.")
    async def pseudonym(self, info: Info) -> Pseudonym | None:
        if not self.model.pseudonymous:
            return None
        author = await self._author(info)
        return Pseudonym(
            model=pseudonyms.Pseudonym(
                code=author.label.rsplit(" ", 1)[-1],
                label=author.label,
                descriptor=pseudonyms.Descriptor(None, author.region, author.authority_type),
            )
        )

    @strawberry.field(description="Region name; null when withheld.")
    async def region(self, info: Info) -> str | None:
        return (await self._author(info)).region

    @strawberry.field(description="Authority type; null when withheld.")
    async def authority_type(self, info: Info) -> AuthorityType | None:
        t = (await self._author(info)).authority_type
        return AuthorityType(t) if t else None

    @strawberry.field(metadata={"list_size": validation.MAX_LINKS})
    async def outcome_links(self, info: Info) -> list[OutcomeLink]:
        links = await info.context.loaders.case_studies.links.load(self.model.id)
        withheld = self.model.pseudonymous and not info.context.viewer.owns(self.model.authority_id)
        return [
            OutcomeLink(
                link=link,
                key=outcomes.OutcomeKey(
                    self.model.authority_id,
                    link.metric_id,
                    link.baseline_period_id,
                    link.follow_up_period_id,
                    withheld,
                    demo=self.model.is_demo,
                ),
            )
            for link in links
        ]

    @strawberry.field(description="True when you may edit this case study.")
    def viewer_can_edit(self, info: Info) -> bool:
        return reads.can_edit(self.model, info.context.viewer)

    @strawberry.field(
        description="Every revision, oldest first: for the authority that wrote it (empty for "
        "everyone else).",
        metadata={"list_size": 100},
    )
    async def revisions(self, info: Info) -> list[CaseStudyRevision]:
        ctx = info.context
        rows = await ctx.read(lambda s: reads.revisions(s, ctx.viewer, self.model))
        return [
            CaseStudyRevision(
                revision=r.revision,
                action=r.action,
                status=vocab.Status(r.status),
                created_at=_utc(r.created_at),  # type: ignore[arg-type]
            )
            for r in rows
        ]


def global_key(info: Info, id: strawberry.ID) -> str | None:
    """The public id inside a CaseStudy global ID; None for anything else."""
    try:
        kind, key = info.context.signer.parse_global_id(str(id))
    except InvalidInput:
        return None
    return key if kind == "CaseStudy" else None


async def case_study(info: Info, id: strawberry.ID) -> CaseStudy | None:
    key = global_key(info, id)
    return await CaseStudy.resolve_node(info, key) if key else None


async def my_case_studies(
    info: Info,
    status: list[vocab.Status] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> relay.Connection[CaseStudy]:
    ctx = info.context
    statuses = [s.value for s in status] if status else list(vocab.STATUSES)

    async def fetch(offset: int, limit: int) -> tuple[list[CaseStudyModel], int]:
        return await ctx.read(lambda s: reads.mine(s, ctx.viewer, statuses, offset, limit))

    return await relay.paginate(
        ctx.signer,
        fetch,
        lambda m: CaseStudy(model=m),
        first=first,
        after=after,
        last=None,
        before=None,
    )


@strawberry.type
class CaseStudyQuery:
    case_study: CaseStudy | None = strawberry.field(
        resolver=case_study,
        description="One case study by ID; null when it does not exist or is not visible to you.",
    )
    my_case_studies: relay.Connection[CaseStudy] = strawberry.field(
        resolver=my_case_studies,
        description="Your authority's case studies, drafts included, most recently changed first.",
    )
