"""Case studies: the type, search (caseStudies), improvers, and the four mutations."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from exchange import pseudonyms
from exchange.casestudies import finder, indexing, outcomes, service, vocab
from exchange.casestudies.models import CaseStudy as CaseStudyModel
from exchange.casestudies.models import CaseStudyOutcomeLink
from exchange.errors import DomainError, InvalidInput
from exchange.metrics import repository as metrics_repository
from schema import relay
from schema.authorities import Authority
from schema.comparison import Figure
from schema.context import Info
from schema.enums import AuthorityType, Direction, PeerGroup
from schema.metrics import Metric, Period
from schema.node import Node
from schema.pseudonyms import Pseudonym
from schema.user_errors import UserError

log = logging.getLogger("exchange.case_studies")


# -- vocabularies ------------------------------------------------------------------------------


@strawberry.enum(description="Case-study themes (a fixed vocabulary; see caseStudyVocabulary).")
class Theme(Enum):
    EARLY_HELP_INCLUSION = "early_help_inclusion"
    EHC_NEEDS_ASSESSMENT = "ehc_needs_assessment"
    ANNUAL_REVIEWS = "annual_reviews"
    EDUCATIONAL_PSYCHOLOGY = "educational_psychology"
    ALTERNATIVE_PROVISION = "alternative_provision"
    EXCLUSIONS_SUSPENSIONS = "exclusions_suspensions"
    COMMISSIONING_PLACEMENTS = "commissioning_placements"
    MENTAL_HEALTH = "mental_health"
    PREPARATION_FOR_ADULTHOOD = "preparation_for_adulthood"
    SEND_TRANSPORT = "send_transport"
    WORKFORCE = "workforce"
    PARENT_CARER_ENGAGEMENT = "parent_carer_engagement"


@strawberry.enum(description="Delivering Better Value programme phase.")
class DbvPhase(Enum):
    DIAGNOSTIC = "DIAGNOSTIC"
    DEVELOPING_SOLUTIONS = "DEVELOPING_SOLUTIONS"
    IMPLEMENTATION = "IMPLEMENTATION"
    SUSTAINING = "SUSTAINING"


@strawberry.enum(description="EEF cost bands, per pupil per year (see caseStudyVocabulary).")
class CostBand(Enum):
    VERY_LOW = "VERY_LOW"
    LOW = "LOW"
    MODERATE = "MODERATE"
    HIGH = "HIGH"
    VERY_HIGH = "VERY_HIGH"


@strawberry.enum
class CaseStudyStatus(Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


@strawberry.enum
class CaseStudySort(Enum):
    RELEVANCE = "relevance"
    NEWEST = "newest"


@strawberry.type(description="One term of a fixed vocabulary, with its definition.")
class VocabularyTerm:
    code: str
    label: str
    description: str


def _terms(terms: tuple[vocab.Term, ...]) -> list[VocabularyTerm]:
    return [VocabularyTerm(code=t.code, label=t.label, description=t.description) for t in terms]


@strawberry.type(description="The vocabularies a case study is described with.")
class CaseStudyVocabulary:
    @strawberry.field(metadata={"list_size": 12})
    def themes(self) -> list[VocabularyTerm]:
        return _terms(vocab.THEMES)

    @strawberry.field(metadata={"list_size": 4})
    def phases(self) -> list[VocabularyTerm]:
        return _terms(vocab.PHASES)

    @strawberry.field(
        description="The EEF Teaching and Learning Toolkit's five cost bands.",
        metadata={"list_size": 5},
    )
    def cost_bands(self) -> list[VocabularyTerm]:
        return _terms(vocab.COST_BANDS)

    @strawberry.field(
        description="Evidence strength 0-5; code is the level.", metadata={"list_size": 6}
    )
    def evidence_levels(self) -> list[VocabularyTerm]:
        return _terms(vocab.EVIDENCE_LEVELS)


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
    status: CaseStudyStatus
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
    def phase(self) -> DbvPhase | None:
        return DbvPhase(self.model.phase) if self.model.phase else None

    @strawberry.field(metadata={"list_size": 5})
    def themes(self) -> list[Theme]:
        return [Theme(t) for t in self.model.themes or []]

    @strawberry.field
    def cost_band(self) -> CostBand | None:
        return CostBand(self.model.cost_band) if self.model.cost_band else None

    @strawberry.field(description="0-5; see caseStudyVocabulary.evidenceLevels.")
    def evidence_strength(self) -> int | None:
        return self.model.evidence_strength

    @strawberry.field
    def status(self) -> CaseStudyStatus:
        return CaseStudyStatus(self.model.status)

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

    async def _author(self, info: Info) -> service.Author:
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

    @strawberry.field(metadata={"list_size": service.MAX_LINKS})
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
        return service.can_edit(self.model, info.context.viewer)

    @strawberry.field(
        description="Every revision, oldest first: for the authority that wrote it (empty for "
        "everyone else).",
        metadata={"list_size": 100},
    )
    async def revisions(self, info: Info) -> list[CaseStudyRevision]:
        ctx = info.context
        rows = await ctx.read(lambda s: service.revisions(s, ctx.viewer, self.model))
        return [
            CaseStudyRevision(
                revision=r.revision,
                action=r.action,
                status=CaseStudyStatus(r.status),
                created_at=_utc(r.created_at),  # type: ignore[arg-type]
            )
            for r in rows
        ]


async def resolve_case_study_node(info: Info, key: str) -> CaseStudy | None:
    """node(id:) for "CaseStudy": null when missing or not visible (the same answer)."""
    ctx = info.context
    found = await ctx.read(lambda s: service.get_visible(s, ctx.viewer, key))
    return CaseStudy(model=found) if found else None


def _key(info: Info, id: strawberry.ID) -> str | None:
    try:
        kind, key = info.context.signer.parse_global_id(str(id))
    except InvalidInput:
        return None
    return key if kind == "CaseStudy" else None


async def case_study(info: Info, id: strawberry.ID) -> CaseStudy | None:
    key = _key(info, id)
    return await resolve_case_study_node(info, key) if key else None


# -- search ------------------------------------------------------------------------------------


@strawberry.type(description="Matched words in one field, as HTML with <mark> around matches.")
class Highlight:
    field: str = strawberry.field(description="title, summary or body.")
    snippets: list[str] = strawberry.field(
        description="HTML-escaped text; only <mark> and </mark> are markup."
    )


@strawberry.type
class FacetValue:
    value: str = strawberry.field(
        description="The value to pass back in a filter: an enum name for theme, phase and "
        "authority_type, a number (Int) for evidence_strength and year, text otherwise."
    )
    label: str
    count: int


@strawberry.type(
    description="Counts over the whole filtered result set for one field (not only this page)."
)
class Facet:
    field: str = strawberry.field(
        description="theme, phase, region, authority_type, evidence_strength, metric or year."
    )
    values: list[FacetValue] = strawberry.field(metadata={"list_size": 160})


@strawberry.type
class CaseStudySearchEdge:
    node: CaseStudy
    cursor: str
    highlights: list[Highlight] = strawberry.field(metadata={"list_size": 3})


@strawberry.type(
    description=(
        "Search results. Every hit is re-checked against the database, so a draft or withdrawn "
        "case study is never shown even while the index catches up."
    )
)
class CaseStudySearchConnection:
    edges: list[CaseStudySearchEdge]
    page_info: relay.PageInfo
    total_count: int
    facets: list[Facet] = strawberry.field(metadata={"list_size": 7})


@strawberry.input(description="OR within a field, AND across fields.")
class CaseStudyFilter:
    themes: list[Theme] | None = None
    phases: list[DbvPhase] | None = None
    regions: list[str] | None = strawberry.field(
        default=None, description="Region names, e.g. South East."
    )
    authority_types: list[AuthorityType] | None = None
    evidence_strength: list[int] | None = None
    metrics: list[str] | None = strawberry.field(
        default=None, description="Linked metric codes, e.g. ehc_issued_20wk_pct."
    )
    years: list[int] | None = strawberry.field(default=None, description="Year published.")
    authorities: list[str] | None = strawberry.field(
        default=None,
        description="DfE or GSS codes. Matches named case studies only: a pseudonymous case "
        "study is never found by its authority.",
    )


def _filters(f: CaseStudyFilter) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    pairs: list[tuple[str, list[Any] | None]] = [
        ("theme", [t.value for t in f.themes] if f.themes is not None else None),
        ("phase", [p.value for p in f.phases] if f.phases is not None else None),
        ("region", f.regions),
        (
            "authority_type",
            [t.value for t in f.authority_types] if f.authority_types is not None else None,
        ),
        ("evidence_strength", f.evidence_strength),
        ("metric", f.metrics),
        ("year", f.years),
    ]
    for name, values in pairs:
        if values is not None:
            out[name] = [str(v) for v in values]
    return out


_FACET_LABELS: dict[str, dict[str, str]] = {
    "theme": {t.code: t.label for t in vocab.THEMES},
    "phase": {t.code: t.label for t in vocab.PHASES},
    "evidence_strength": {t.code: f"{t.code}: {t.label}" for t in vocab.EVIDENCE_LEVELS},
    "authority_type": dict(pseudonyms.TYPE_NAMES),
}


# Facet values must round-trip into CaseStudyFilter: the index stores enum values (codes), the
# filter takes GraphQL enum names.
_FACET_ENUMS: dict[str, type[Enum]] = {
    "theme": Theme,
    "phase": DbvPhase,
    "authority_type": AuthorityType,
}


def _facet_value(field: str, raw: str) -> str:
    enum = _FACET_ENUMS.get(field)
    if enum is None:
        return raw
    try:
        return enum(raw).name
    except ValueError:
        return raw


async def _facets(info: Info, raw: dict[str, dict[str, int]]) -> list[Facet]:
    labels = dict(_FACET_LABELS)
    codes = sorted(raw.get("metric", {}))
    if codes:
        found = await info.context.read(lambda s: metrics_repository.get_many_by_code(s, codes))
        labels["metric"] = {c: m.name for c, m in found.items()}
    return [
        Facet(
            field=name,
            values=[
                FacetValue(
                    value=_facet_value(name, v), label=labels.get(name, {}).get(v, v), count=n
                )
                for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        )
        for name, counts in raw.items()
    ]


async def case_studies(
    info: Info,
    query: str = "",
    filter: CaseStudyFilter | None = None,
    sort: CaseStudySort = CaseStudySort.RELEVANCE,
    only_my_peers: Annotated[
        bool,
        strawberry.argument(
            description="Only case studies by your statistical neighbours (publisher tokens)."
        ),
    ] = False,
    first: int | None = None,
    after: str | None = None,
) -> CaseStudySearchConnection:
    ctx = info.context
    f = filter or CaseStudyFilter()
    win = relay.window(ctx.signer, first=first, after=after, last=None, before=None)
    restrict: tuple[str, ...] | None = None
    if only_my_peers:
        restrict = await ctx.read(lambda s: finder.peer_codes(s, ctx.viewer))
    if f.authorities is not None:
        wanted = f.authorities
        codes = await ctx.read(lambda s: finder.authority_codes(s, wanted))
        restrict = codes if restrict is None else tuple(c for c in codes if c in restrict)
    q = finder.build_query(query, _filters(f), restrict, sort.value, win.offset, win.limit)
    result = await finder.run(ctx.services.extras.get("search"), q)
    hits = [(h.id, h.score, h.highlights) for h in result.hits]
    kept, dropped = await ctx.read(lambda s: finder.recheck(s, hits))
    by_id = {k.case_study.public_id: k for k in kept}
    edges = [
        CaseStudySearchEdge(
            node=CaseStudy(model=by_id[hit_id].case_study),
            cursor=ctx.signer.cursor(win.offset + position),
            highlights=[
                Highlight(field=name, snippets=snippets)
                for name, snippets in by_id[hit_id].highlights.items()
            ],
        )
        for position, (hit_id, _, _) in enumerate(hits)
        if hit_id in by_id
    ]
    return CaseStudySearchConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=win.offset + len(hits) < result.total,
            has_previous_page=win.offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=max(0, result.total - dropped),
        facets=await _facets(info, result.facets),
    )


async def my_case_studies(
    info: Info,
    status: list[CaseStudyStatus] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> relay.Connection[CaseStudy]:
    ctx = info.context
    statuses = [s.value for s in status] if status else list(vocab.STATUSES)

    async def fetch(offset: int, limit: int) -> tuple[list[CaseStudyModel], int]:
        return await ctx.read(lambda s: service.mine(s, ctx.viewer, statuses, offset, limit))

    return await relay.paginate(
        ctx.signer,
        fetch,
        lambda m: CaseStudy(model=m),
        first=first,
        after=after,
        last=None,
        before=None,
    )


# -- improvers ---------------------------------------------------------------------------------


@strawberry.type
class ImproverEntry:
    entry: strawberry.Private[outcomes.ImproverEntry]
    metric_id: strawberry.Private[int]

    @strawberry.field
    def authority(self) -> Authority:
        return Authority(model=self.entry.authority)

    @strawberry.field
    def is_subject(self) -> bool:
        return self.entry.is_subject

    @strawberry.field
    def baseline(self) -> Figure:
        return Figure.of(self.entry.baseline)

    @strawberry.field
    def follow_up(self) -> Figure:
        return Figure.of(self.entry.follow_up)

    @strawberry.field(description="followUp - baseline, when both are disclosed.")
    def change(self) -> float | None:
        return self.entry.change

    @strawberry.field(
        description="The change signed so that larger is better (negated when lower is better)."
    )
    def improvement(self) -> float | None:
        return self.entry.improvement

    @strawberry.field
    def direction(self) -> Direction:
        return Direction(self.entry.direction)

    @strawberry.field(description="1 = most improved; ties share the lower rank; null if unranked.")
    def rank(self) -> int | None:
        return self.entry.standing.rank if self.entry.standing else None

    @strawberry.field(
        description="This authority's published (named) case studies linked to the metric, "
        "newest first (at most 10).",
        metadata={"list_size": 10},
    )
    async def case_studies(self, info: Info) -> list[CaseStudy]:
        rows = await info.context.loaders.case_studies.linked.load(
            (self.entry.authority.id, self.metric_id)
        )
        return [CaseStudy(model=r) for r in rows]


@strawberry.type(
    description="Which peers improved a metric between two periods, and what they did about it."
)
class Improvers:
    result: strawberry.Private[outcomes.Improvers]

    @strawberry.field
    def metric(self) -> Metric:
        return Metric(model=self.result.metric)

    @strawberry.field(name="from")
    def from_(self) -> Period:
        return Period(model=self.result.baseline_period)

    @strawberry.field
    def to(self) -> Period:
        return Period(model=self.result.follow_up_period)

    @strawberry.field
    def subject(self) -> Authority:
        return Authority(model=self.result.subject)

    @strawberry.field
    def peer_group(self) -> str:
        return self.result.peer_group

    @strawberry.field(description="Median change among peers (subject excluded).")
    def peer_median_change(self) -> float | None:
        return self.result.peer_median_change

    @strawberry.field
    def peer_count(self) -> int:
        return self.result.peer_count

    @strawberry.field(
        description="The subject and its peers, most improved first; then those without both "
        "values.",
        metadata={"list_size": 160},
    )
    def entries(self) -> list[ImproverEntry]:
        return [
            ImproverEntry(entry=e, metric_id=self.result.metric.id) for e in self.result.entries
        ]


async def improvers(
    info: Info,
    metric: str,
    from_: Annotated[str, strawberry.argument(name="from")],
    to: str,
    authority: str,
    peers: PeerGroup = PeerGroup.STATISTICAL_NEIGHBOURS,
) -> Improvers:
    ctx = info.context
    result = await ctx.read(
        lambda s: outcomes.improvers(
            s,
            ctx.viewer,
            metric_code=metric,
            from_label=from_,
            to_label=to,
            authority_code=authority,
            peers=peers.value,
        )
    )
    return Improvers(result=result)


def case_study_vocabulary() -> CaseStudyVocabulary:
    return CaseStudyVocabulary()


# -- mutations ---------------------------------------------------------------------------------


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
    phase: DbvPhase | None = None
    themes: list[Theme] | None = None
    cost_band: CostBand | None = None
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
    phase: DbvPhase | None = strawberry.UNSET
    themes: list[Theme] | None = strawberry.UNSET
    cost_band: CostBand | None = strawberry.UNSET
    evidence_strength: int | None = strawberry.UNSET
    outcome_links: list[OutcomeLinkInput] | None = strawberry.UNSET
    pseudonymous: bool | None = strawberry.UNSET


@strawberry.input
class PublishCaseStudyInput:
    id: strawberry.ID


@strawberry.input
class WithdrawCaseStudyInput:
    id: strawberry.ID


@strawberry.type
class CreateCaseStudyPayload:
    case_study: CaseStudy | None
    user_errors: list[UserError]


@strawberry.type
class UpdateCaseStudyPayload:
    case_study: CaseStudy | None
    user_errors: list[UserError]


@strawberry.type
class PublishCaseStudyPayload:
    case_study: CaseStudy | None
    user_errors: list[UserError]


@strawberry.type
class WithdrawCaseStudyPayload:
    case_study: CaseStudy | None
    user_errors: list[UserError]


_CAMEL = re.compile(r"_([a-z])")


def api_field(path: str | None) -> str | None:
    """outcome_links[0].baseline_period -> outcomeLinks[0].baselinePeriod"""
    return _CAMEL.sub(lambda m: m.group(1).upper(), path) if path else path


def _user_errors(exc: DomainError) -> list[UserError]:
    if isinstance(exc, service.CaseStudyRejected):
        return [
            UserError(field=api_field(p.field), code=p.code, message=p.message)
            for p in exc.problems
        ]
    return [UserError(field=api_field(exc.field), code=exc.code, message=exc.message)]


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
        ctx.services.sessions, ctx.services.extras.get("search"), ctx.settings.secret_key
    )


_NOT_FOUND = UserError(field="id", code="NOT_FOUND", message="no case study has this id")


async def _mutate(info: Info, work: Any) -> tuple[CaseStudy | None, list[UserError]]:
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


async def _mutate_existing(
    info: Info, id: strawberry.ID, work: Any
) -> tuple[CaseStudy | None, list[UserError]]:
    key = _key(info, id)
    if key is None:
        service.require_signed_in(info.context.viewer)
        return None, [_NOT_FOUND]
    return await _mutate(info, lambda s: work(s, key))


async def create_case_study(info: Info, input: CreateCaseStudyInput) -> CreateCaseStudyPayload:
    ctx = info.context
    values = _values(input)
    node, errors = await _mutate(
        info, lambda s: service.create(s, ctx.viewer, values, created_by=_by(info))
    )
    return CreateCaseStudyPayload(case_study=node, user_errors=errors)


async def update_case_study(info: Info, input: UpdateCaseStudyInput) -> UpdateCaseStudyPayload:
    ctx = info.context
    changes = _values(input)
    node, errors = await _mutate_existing(
        info,
        input.id,
        lambda s, key: service.update(s, ctx.viewer, key, changes, created_by=_by(info)),
    )
    return UpdateCaseStudyPayload(case_study=node, user_errors=errors)


async def publish_case_study(info: Info, input: PublishCaseStudyInput) -> PublishCaseStudyPayload:
    ctx = info.context
    node, errors = await _mutate_existing(
        info, input.id, lambda s, key: service.publish(s, ctx.viewer, key, created_by=_by(info))
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
class CaseStudyQuery:
    case_studies: CaseStudySearchConnection = strawberry.field(
        resolver=case_studies,
        description="Search published case studies: typo-tolerant, SEND synonyms (EHCP, EP, "
        "AP, ...), prefixes, filters and facet counts, highlights. An empty query lists the "
        "newest first.",
    )
    case_study: CaseStudy | None = strawberry.field(
        resolver=case_study,
        description="One case study by ID; null when it does not exist or is not visible to you.",
    )
    my_case_studies: relay.Connection[CaseStudy] = strawberry.field(
        resolver=my_case_studies,
        description="Your authority's case studies, drafts included, most recently changed first.",
    )
    improvers: Improvers = strawberry.field(
        resolver=improvers,
        description="Which of an authority's peers improved a metric between two periods, "
        "ranked by improvement (polarity-aware), each with its case studies on that metric.",
    )
    case_study_vocabulary: CaseStudyVocabulary = strawberry.field(
        resolver=case_study_vocabulary,
        description="Themes, DBV phases, EEF cost bands and evidence levels, defined.",
    )


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
