"""Demo case studies: synthetic intervention write-ups, clearly marked as demo data.

No public collection of DBV case studies exists, so the demo generates them (faker with a fixed
seed, so every installation gets the same set) from templates grounded in interventions councils
in the Delivering Better Value in SEND programme have described publicly: specialist teachers
covering an educational psychologist shortage, an interim team clearing an annual-review backlog,
inclusion support cutting exclusions, early help reducing EHC needs assessment requests,
restructuring commissioning out of the SEND service, a mental-health offer to schools, and more.

Every case study is ``is_demo = True`` and its title starts with "DEMO:"; the API exposes
``isDemo``. They are spread across all 153 authorities, every theme and every DBV phase; about
one in eight is pseudonymous. Outcome links point at metrics and periods that hold real DfE data
(or the demo self-reported figures), so the "what the figures say" panel has numbers to show.

They are written through the case-study service (screening, revisions, search outbox), so the
demo exercises the same path as a council's own writing. Idempotent: if any demo case study
exists, nothing is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from faker import Faker
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities import repository as authorities
from exchange.authorities.models import Authority
from exchange.casestudies import repository as case_studies
from exchange.casestudies import service
from exchange.metrics import repository as metrics
from exchange.observations import repository as observations
from exchange.periods.labels import PeriodKey
from exchange.viewer import role_viewer

SEED = 20250214
COUNT = 320
PSEUDONYMOUS_SHARE = 0.12
DEMO_PREFIX = "DEMO: "
LATEST_PUBLICATION = datetime(2025, 10, 31, tzinfo=UTC)

# metric code -> (period kind, first start year with data, last start year with data)
Spans = dict[str, tuple[str, int, int]]


async def linkable_spans(session: AsyncSession) -> Spans:
    """The years each linkable metric has authority figures for, read from the database, so
    every demo outcome link points at periods with data."""
    linkable = sorted({code for template in TEMPLATES for code in template.metrics})
    found = await metrics.get_many_by_code(session, linkable)
    spans = await observations.start_year_spans(session, [m.id for m in found.values()])
    return {code: (m.period_kind, *spans[m.id]) for code, m in found.items() if m.id in spans}


@dataclass(frozen=True)
class Template:
    key: str
    themes: tuple[str, ...]
    extra_themes: tuple[str, ...]
    titles: tuple[str, ...]
    summary: str
    context: str
    what_was_done: str
    results: str
    lessons: str
    metrics: tuple[str, ...]
    cost_bands: tuple[str, ...]


TEMPLATES: tuple[Template, ...] = (
    Template(
        key="ep_shortage",
        themes=("educational_psychology",),
        extra_themes=("workforce", "ehc_needs_assessment"),
        titles=(
            "Specialist teachers cover the educational psychologist shortage",
            "Specialist advisory teachers share EP statutory advice",
            "Freeing educational psychologists for statutory assessments",
        ),
        summary=(
            "With {ep_vacancies} educational psychologist (EP) posts vacant, we trained "
            "{teachers} specialist teachers to contribute assessment advice and consultation, "
            "so EPs could concentrate on statutory advice for EHC needs assessments."
        ),
        context=(
            "Like many authorities we could not recruit educational psychologists: "
            "{ep_vacancies} of {ep_posts} posts were vacant and locum EPs cost about "
            "£{locum_rate} a day. Advice for EHC needs assessments was the main cause of "
            "plans missing the 20-week deadline."
        ),
        what_was_done=(
            "A {weeks}-week programme, supervised by the principal educational psychologist, "
            "trained {teachers} specialist teachers (autism, cognition and learning, SEMH) to "
            "carry out consultations and structured observations. EPs kept the statutory "
            "psychological advice and quality-assured the teachers' contributions. Schools "
            "book consultations through a single request form."
        ),
        results=(
            "Statutory EP advice now arrives in {advice_weeks} weeks on average, down from "
            "{old_advice_weeks}. Spending on locum educational psychologists fell by about "
            "£{saving}k in the first year, and more plans are issued within 20 weeks."
        ),
        lessons=(
            "Agree with the EP service early which advice only an EP can give. Specialist "
            "teachers value supervision and a clear career route; budget time for both."
        ),
        metrics=("ehc_issued_20wk_pct", "ep_vacancy_rate_pct"),
        cost_bands=("LOW", "MODERATE"),
    ),
    Template(
        key="annual_review_backlog",
        themes=("annual_reviews",),
        extra_themes=("workforce", "parent_carer_engagement"),
        titles=(
            "Interim team clears the annual review backlog",
            "Clearing {backlog} overdue annual reviews in {months} months",
            "An annual review recovery team, then business as usual",
        ),
        summary=(
            "An interim team of {officers} SEND officers cleared a backlog of {backlog} "
            "overdue annual reviews of EHC plans in {months} months, then handed a "
            "sustainable review schedule back to the casework teams."
        ),
        context=(
            "After a rise in EHC plans, {backlog} annual reviews were overdue and amendments "
            "after review could take months. Families told the parent carer forum they "
            "did not know when their child's review would happen."
        ),
        what_was_done=(
            "We recruited {officers} interim officers on fixed-term contracts, triaged the "
            "backlog by phase transfer deadlines and risk, and wrote to every family with a "
            "date. Schools received a review template and a named contact. A weekly "
            "dashboard tracked reviews held, decisions issued within four weeks, and "
            "amended plans."
        ),
        results=(
            "The backlog fell from {backlog} to {remaining} in {months} months. Decisions "
            "after review issued within four weeks rose to {pct}%, and complaints about "
            "annual reviews halved."
        ),
        lessons=(
            "A backlog clears faster than it reappears only if the permanent team's "
            "caseloads are fixed at the same time: we agreed caseloads of {caseload} plans "
            "per officer before the interim team left."
        ),
        metrics=("annual_reviews_on_time_pct",),
        cost_bands=("LOW", "VERY_LOW"),
    ),
    Template(
        key="inclusion_exclusions",
        themes=("exclusions_suspensions",),
        extra_themes=("early_help_inclusion", "alternative_provision"),
        titles=(
            "Inclusion support cuts suspensions and exclusions",
            "An inclusion outreach team for secondary schools",
            "Reducing permanent exclusions of pupils with SEND",
        ),
        summary=(
            "An inclusion outreach team worked with {schools} secondary schools to keep "
            "pupils with SEND in school: suspensions fell and permanent exclusions of pupils "
            "with EHC plans almost stopped."
        ),
        context=(
            "Differences between schools were large: {share}% of permanent exclusions came "
            "from {few} schools. Many excluded pupils had unmet social, emotional and mental "
            "health (SEMH) needs and ended up in alternative provision (AP)."
        ),
        what_was_done=(
            "A team of {officers} inclusion practitioners offered each school termly "
            "exclusion data, a fortnightly inclusion panel, and outreach for pupils at risk. "
            "Headteachers agreed a managed-move protocol. Funding of £{funding}k a year came "
            "from the high needs block."
        ),
        results=(
            "Across the participating schools suspensions fell by about {drop}% over two "
            "years and permanent exclusions of pupils with an EHC plan fell to {pex}. Fewer "
            "pupils needed full-time alternative provision."
        ),
        lessons=(
            "Sharing each school's exclusion data with its peers, without blame, changed "
            "practice more than any training. Keep the panel chaired by a headteacher."
        ),
        metrics=("suspension_rate", "permanent_exclusion_rate"),
        cost_bands=("LOW", "MODERATE"),
    ),
    Template(
        key="early_help_requests",
        themes=("early_help_inclusion", "ehc_needs_assessment"),
        extra_themes=("parent_carer_engagement",),
        titles=(
            "Early help reduces requests for EHC needs assessment",
            "Ordinarily available provision: support before statutory assessment",
            "A graduated approach toolkit and early help panel",
        ),
        summary=(
            "An early help offer for schools (a graduated approach toolkit, an inclusion fund "
            "and a multi-agency panel) meant more children got support without waiting for "
            "an EHC needs assessment, and requests for assessment levelled off."
        ),
        context=(
            "Requests for EHC needs assessment had risen by {rise}% in three years, and "
            "{share}% of requests came from schools that said they could not get support "
            "any other way."
        ),
        what_was_done=(
            "We published ordinarily available provision guidance with SENCOs, created an "
            "inclusion fund of £{funding}k that schools can draw on without a plan, and set "
            "up a weekly early help panel where schools present a child and leave with "
            "actions. Parent carers co-produced the family guide."
        ),
        results=(
            "Requests for EHC needs assessment fell by {drop}% in the first full year while "
            "they kept rising nationally; {share2}% of children discussed at the panel did "
            "not need a request within twelve months."
        ),
        lessons=(
            "Families need to trust the support offered without a plan. Publish what the "
            "inclusion fund paid for and what changed for the children it reached."
        ),
        metrics=("ehc_requests", "ehc_request_outcome_6wk_pct"),
        cost_bands=("VERY_LOW", "LOW"),
    ),
    Template(
        key="commissioning_restructure",
        themes=("commissioning_placements",),
        extra_themes=("workforce",),
        titles=(
            "Restructuring commissioning out of the SEND service",
            "A joint commissioning team for SEND placements",
            "Placement commissioning moves to a dedicated team",
        ),
        summary=(
            "Placement commissioning moved from SEND caseworkers to a dedicated commissioning "
            "team, which negotiates fees, reviews high-cost placements and plans sufficiency, "
            "slowing the growth of independent special school placements."
        ),
        context=(
            "Caseworkers were negotiating placements one child at a time. {share}% of the "
            "high needs block went on {count} independent and non-maintained special school "
            "placements, and the dedicated schools grant (DSG) deficit was growing."
        ),
        what_was_done=(
            "We moved {officers} posts into a commissioning team with a framework of "
            "approved providers, standard contracts and termly placement reviews. A "
            "sufficiency plan added {places} resourced provision places in mainstream "
            "schools."
        ),
        results=(
            "The number of new independent special school placements fell by {drop}% "
            "year on year, average fees were held at {fee_rise}% growth, and the DSG "
            "recovery plan is ahead of target."
        ),
        lessons=(
            "Commissioners and caseworkers must share one view of each child's needs: "
            "we agreed a single placement request form and monthly joint panels."
        ),
        metrics=("ehc_plans_independent_special", "high_needs_block_gbp"),
        cost_bands=("VERY_LOW", "LOW"),
    ),
    Template(
        key="mental_health_offer",
        themes=("mental_health",),
        extra_themes=("exclusions_suspensions", "early_help_inclusion"),
        titles=(
            "A mental health offer to every school",
            "Mental health support teams and SEMH outreach",
            "Emotionally based school avoidance: a schools' offer",
        ),
        summary=(
            "A joint mental health offer to schools (mental health support teams, an SEMH "
            "outreach service and CAMHS consultation) gave {schools} schools help for pupils "
            "with anxiety and emotionally based school avoidance."
        ),
        context=(
            "Schools reported rising anxiety and school avoidance; CAMHS waiting times were "
            "over {wait} weeks and SEMH was the fastest growing primary need in EHC plans."
        ),
        what_was_done=(
            "With the integrated care board we funded {teams} mental health support teams "
            "and an SEMH outreach service. Every school named a mental health lead, trained "
            "through a {days}-day programme, and could book a monthly CAMHS consultation."
        ),
        results=(
            "Attendance of pupils referred improved by {attendance} percentage points on "
            "average, suspensions for persistent disruptive behaviour fell, and fewer "
            "requests for assessment cited SEMH as the only need."
        ),
        lessons=(
            "Joint funding with health takes a year to agree: start early and write the "
            "evaluation into the agreement."
        ),
        metrics=("suspension_rate",),
        cost_bands=("LOW", "MODERATE"),
    ),
    Template(
        key="alternative_provision",
        themes=("alternative_provision",),
        extra_themes=("exclusions_suspensions", "commissioning_placements"),
        titles=(
            "A quality framework for alternative provision",
            "Alternative provision as a short intervention, not a destination",
            "Commissioning unregistered alternative provision safely",
        ),
        summary=(
            "A quality assurance framework and a directory of approved alternative provision "
            "(AP) made placements shorter and safer, with a planned return to school."
        ),
        context=(
            "{count} pupils were in unregistered alternative provision with no common "
            "standard, and some had been there for more than two years."
        ),
        what_was_done=(
            "We visited every provider, agreed standards on safeguarding, curriculum and "
            "attendance, and now commission AP for a fixed term of {weeks} weeks with a "
            "reintegration plan agreed with the home school."
        ),
        results=(
            "Average AP placements shortened from {old_weeks} to {weeks} weeks and "
            "{share}% of pupils returned to a school place."
        ),
        lessons="Reintegration works when the home school keeps the pupil on roll and visits.",
        metrics=("permanent_exclusion_rate",),
        cost_bands=("MODERATE", "HIGH", "VERY_HIGH"),
    ),
    Template(
        key="pfa_internships",
        themes=("preparation_for_adulthood",),
        extra_themes=("workforce", "commissioning_placements"),
        titles=(
            "Supported internships for young people with EHC plans",
            "Preparation for adulthood from Year 9",
            "Pathways to employment for young people with SEND",
        ),
        summary=(
            "Supported internships with {employers} local employers and preparation for "
            "adulthood (PfA) outcomes written into every EHC plan from Year 9."
        ),
        context=(
            "Few young people with EHC plans moved into paid work, and many stayed in "
            "education past 19 because no other route was planned."
        ),
        what_was_done=(
            "Job coaches supported {interns} interns a year; annual reviews from Year 9 "
            "record PfA outcomes for employment, independent living, friends and community, "
            "and health."
        ),
        results="{share}% of interns moved into paid employment within a year of finishing.",
        lessons="Employers stay when a job coach is on call in the first months.",
        metrics=(),
        cost_bands=("HIGH", "MODERATE"),
    ),
    Template(
        key="travel_training",
        themes=("send_transport",),
        extra_themes=("preparation_for_adulthood",),
        titles=(
            "Independent travel training cuts SEND transport costs",
            "Personal transport budgets for families",
            "Home to school transport: routes, budgets and travel training",
        ),
        summary=(
            "Independent travel training for {trainees} young people and personal transport "
            "budgets for families reduced taxi routes and gave young people independence."
        ),
        context=(
            "Home to school transport for pupils with SEND cost £{cost}m a year and rose "
            "faster than the number of EHC plans."
        ),
        what_was_done=(
            "Travel trainers worked with young people over {weeks} weeks on a chosen route; "
            "families could choose a personal transport budget instead of a taxi."
        ),
        results="{routes} taxi routes were withdrawn, saving about £{saving}k a year.",
        lessons="Start travel training before post-16 transfer, not after it.",
        metrics=(),
        cost_bands=("VERY_LOW", "LOW"),
    ),
    Template(
        key="coproduction",
        themes=("parent_carer_engagement",),
        extra_themes=("ehc_needs_assessment", "annual_reviews"),
        titles=(
            "Co-producing the EHC plan process with the parent carer forum",
            "Keeping families informed during EHC needs assessment",
            "Parent carer forum co-production of SEND communications",
        ),
        summary=(
            "With the parent carer forum we rewrote every letter families receive during an "
            "EHC needs assessment and added fortnightly updates, cutting complaints and "
            "mediation requests."
        ),
        context=(
            "Complaints about communication made up {share}% of SEND complaints and "
            "{mediations} families a year went to mediation."
        ),
        what_was_done=(
            "Forum members and officers reviewed {letters} template letters together and "
            "agreed service standards: a named officer, an update every two weeks and a "
            "draft plan meeting."
        ),
        results="Complaints fell by {drop}% and mediation requests by a third.",
        lessons="Pay forum members for their time and publish what changed because of them.",
        metrics=("ehc_request_outcome_6wk_pct",),
        cost_bands=("VERY_LOW",),
    ),
    Template(
        key="resourced_provision",
        themes=("commissioning_placements", "early_help_inclusion"),
        extra_themes=("alternative_provision",),
        titles=(
            "Resourced provision in mainstream schools",
            "New SEN units reduce independent special school placements",
            "Local places for local children: resourced provision",
        ),
        summary=(
            "{places} new resourced provision places in mainstream schools let more children "
            "with EHC plans learn locally instead of in independent special schools."
        ),
        context=(
            "Special schools were full and independent placements cost on average "
            "£{fee}k a year, far from children's homes."
        ),
        what_was_done=(
            "Capital funding of £{capital}m created units in {schools} schools for autism and "
            "communication needs, each with an outreach role for neighbouring schools."
        ),
        results=(
            "The share of EHC plans in mainstream settings rose and new independent special "
            "school placements fell by {drop}%."
        ),
        lessons="Agree admissions criteria with headteachers before the building work starts.",
        metrics=("ehc_plans_mainstream_pct", "ehc_plans_independent_special"),
        cost_bands=("HIGH", "VERY_HIGH"),
    ),
    Template(
        key="casework_model",
        themes=("workforce", "ehc_needs_assessment"),
        extra_themes=("annual_reviews",),
        titles=(
            "A caseload model for SEND casework officers",
            "EHC coordinators with manageable caseloads",
            "Restructuring the SEND casework team around the 20-week deadline",
        ),
        summary=(
            "A new casework structure with EHC coordinators holding {caseload} plans each "
            "and a dedicated assessment team brought EHC plan timeliness back towards the "
            "20-week deadline."
        ),
        context=(
            "Caseloads had reached {old_caseload} plans per officer and staff turnover was "
            "{turnover}% a year; fewer than half of new plans were issued within 20 weeks."
        ),
        what_was_done=(
            "We split new assessments from plan maintenance, recruited {officers} EHC "
            "coordinators, and introduced weekly tracking of every assessment against the "
            "20-week timeline."
        ),
        results=(
            "Plans issued within 20 weeks rose over two years and staff turnover fell to "
            "{new_turnover}%."
        ),
        lessons="Tracking every assessment weekly mattered more than any single process change.",
        metrics=("ehc_issued_20wk_pct", "ehc_request_outcome_6wk_pct"),
        cost_bands=("VERY_LOW", "LOW"),
    ),
)

PHASE_WEIGHTS = (
    ("DIAGNOSTIC", 2),
    ("DEVELOPING_SOLUTIONS", 3),
    ("IMPLEMENTATION", 5),
    ("SUSTAINING", 3),
)
EVIDENCE_WEIGHTS = ((0, 1), (1, 2), (2, 4), (3, 4), (4, 2), (5, 1))


@dataclass(frozen=True)
class DemoCaseStudySummary:
    created: int
    pseudonymous: int
    skipped: bool


def _numbers(fake: Faker) -> dict[str, Any]:
    r = fake.random_int
    return {
        "ep_vacancies": r(2, 7),
        "ep_posts": r(9, 20),
        "locum_rate": r(550, 800),
        "teachers": r(4, 12),
        "weeks": r(6, 16),
        "advice_weeks": r(4, 6),
        "old_advice_weeks": r(8, 12),
        "saving": r(80, 400),
        "officers": r(3, 9),
        "backlog": r(250, 1400),
        "remaining": r(10, 60),
        "months": r(4, 10),
        "pct": r(55, 92),
        "caseload": r(90, 130),
        "old_caseload": r(170, 260),
        "schools": r(8, 40),
        "share": r(20, 70),
        "share2": r(40, 80),
        "few": r(3, 6),
        "funding": r(150, 900),
        "drop": r(12, 45),
        "pex": r(0, 4),
        "rise": r(25, 60),
        "count": r(60, 400),
        "places": r(24, 160),
        "fee_rise": r(2, 5),
        "wait": r(18, 52),
        "teams": r(2, 6),
        "days": r(2, 5),
        "attendance": r(3, 12),
        "old_weeks": r(30, 60),
        "employers": r(10, 45),
        "interns": r(12, 40),
        "trainees": r(40, 160),
        "cost": r(8, 40),
        "routes": r(15, 90),
        "mediations": r(20, 120),
        "letters": r(12, 30),
        "fee": r(55, 95),
        "capital": r(2, 12),
        "turnover": r(20, 40),
        "new_turnover": r(8, 15),
    }


def _weighted(fake: Faker, pairs: tuple[tuple[Any, int], ...]) -> Any:
    from collections import OrderedDict

    return fake.random_element(OrderedDict((value, float(weight)) for value, weight in pairs))


def _link(fake: Faker, spans: Spans, code: str) -> tuple[service.LinkInput, int] | None:
    kind, first, last = spans[code]
    if last - first < 1:
        return None
    baseline = fake.random_int(first, last - 1)
    follow_up = fake.random_int(baseline + 1, min(last, baseline + 3))
    return (
        service.LinkInput(code, PeriodKey(kind, baseline).label, PeriodKey(kind, follow_up).label),
        follow_up,
    )


def generate(
    authority_list: list[Authority], spans: Spans, count: int = COUNT
) -> list[tuple[Authority, dict[str, Any], bool, datetime]]:
    """(author, field values, pseudonymous, published at) for ``count`` case studies. Pure."""
    fake = Faker("en_GB")
    fake.seed_instance(SEED)
    ordered = sorted(authority_list, key=lambda a: a.la_code)
    out = []
    for i in range(count):
        author = ordered[(i * 61) % len(ordered)]  # 61 is coprime with 153: covers everyone
        template = TEMPLATES[i % len(TEMPLATES)]
        n = _numbers(fake)
        title = fake.random_element(template.titles).format(**n)
        themes = list(template.themes)
        for extra in template.extra_themes:
            if fake.random_int(0, 2) == 0:
                themes.append(extra)
        links: list[service.LinkInput] = []
        follow_ups: list[int] = []
        for code in template.metrics:
            if code in spans and (made := _link(fake, spans, code)) is not None:
                links.append(made[0])
                follow_ups.append(made[1])
        # Published the year after the latest follow-up period started (a write-up follows
        # its results), otherwise any year of the programme.
        year = max(follow_ups) + 1 if follow_ups else fake.random_int(2021, 2025)
        year = min(year, LATEST_PUBLICATION.year)
        last_month = LATEST_PUBLICATION.month if year == LATEST_PUBLICATION.year else 12
        published = datetime(
            year, fake.random_int(1, last_month), fake.random_int(1, 28), 10, tzinfo=UTC
        )
        values: dict[str, Any] = {
            "title": DEMO_PREFIX + title,
            "summary": template.summary.format(**n),
            "context": template.context.format(**n),
            "what_was_done": template.what_was_done.format(**n),
            "results": template.results.format(**n),
            "lessons_learned": template.lessons.format(**n),
            "phase": _weighted(fake, PHASE_WEIGHTS),
            "themes": themes,
            "cost_band": fake.random_element(template.cost_bands),
            "evidence_strength": _weighted(fake, EVIDENCE_WEIGHTS),
            "outcome_links": links,
        }
        pseudonymous = fake.random_int(0, 999) < PSEUDONYMOUS_SHARE * 1000
        out.append((author, values, pseudonymous, published))
    return out


async def seed_demo_case_studies(session: AsyncSession, count: int = COUNT) -> DemoCaseStudySummary:
    """Create and publish the demo case studies (flushes; the caller commits)."""
    if await case_studies.count_demo(session) > 0:
        return DemoCaseStudySummary(0, 0, skipped=True)
    everyone = await authorities.all_authorities(session)
    if not everyone:
        return DemoCaseStudySummary(0, 0, skipped=True)
    spans = await linkable_spans(session)
    created = pseudonymous_count = 0
    for author, values, pseudonymous, published in generate(everyone, spans, count):
        viewer = role_viewer("publisher", authority_id=author.id)
        cs = await service.create(
            session,
            viewer,
            {**values, "pseudonymous": pseudonymous},
            is_demo=True,
            now=published,
            created_by="demo seed",
        )
        await service.publish(session, viewer, cs.public_id, now=published, created_by="demo seed")
        created += 1
        pseudonymous_count += pseudonymous
    return DemoCaseStudySummary(created, pseudonymous_count, skipped=False)
