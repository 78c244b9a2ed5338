"""A small hand-written corpus of SEND case studies and labelled queries over it.

Authorities are fictional (names and codes), so nothing here attributes work to a real council.
Each labelled query lists ids that must appear in the top 3, and optionally ids that must not
appear at all (filters). The corpus is shaped so that each query tests one thing: a synonym
query's target never contains the words typed, a typo query's target only has the correct
spelling, and so on.
"""

from dataclasses import dataclass, field

from search.port import CaseStudyDocument


@dataclass(frozen=True)
class _Author:
    region: str | None  # None: withheld, as for some pseudonymous documents
    authority_type: str
    code: str | None  # None: pseudonymous
    label: str


_ASHVALE = _Author("London", "London borough", "801", "Ashvale Borough Council")
_NORTHWOLD = _Author("North West", "Metropolitan district", "802", "Northwold Metropolitan Borough")
_FENSHIRE = _Author("East of England", "County council", "803", "Fenshire County Council")
_MIDLEY = _Author("West Midlands", "Unitary authority", "804", "Midley City Council")
_COASTWELL = _Author("South West", "County council", "805", "Coastwell Council")
_PSEUDO_COUNTY = _Author(None, "County council", None, "A large shire county")
_PSEUDO_NORTH_EAST = _Author(
    "North East", "Unitary authority", None, "A unitary authority in the North East"
)

_BASE_TIME = 1_600_000_000  # 2020-09-13; published_at grows with the document's position


def _doc(
    position: int,
    id: str,
    title: str,
    summary: str,
    body: str,
    themes: tuple[str, ...],
    *,
    author: _Author = _ASHVALE,
    phase: str = "IMPLEMENTATION",
    evidence_strength: int = 3,
    metrics: tuple[str, ...] = (),
    year: int = 2023,
) -> CaseStudyDocument:
    return CaseStudyDocument(
        id=id,
        title=title,
        summary=summary,
        body=body,
        themes=themes,
        phase=phase,
        region=author.region,
        authority_type=author.authority_type,
        authority_code=author.code,
        author_label=author.label,
        evidence_strength=evidence_strength,
        metrics=metrics,
        year=year,
        published_at=_BASE_TIME + position * 86_400 * 7,
    )


CORPUS: tuple[CaseStudyDocument, ...] = (
    _doc(
        1,
        "cs-ep-capacity",
        "Growing educational psychologist capacity through a trainee pipeline",
        "Sponsoring trainee educational psychologists cut the wait for statutory advice.",
        "Context: vacancies in the educational psychology team meant statutory advice was late. "
        "What we did: we sponsored four trainee educational psychologists a year and offered "
        "bursaries tied to a two-year commitment. Results: advice returned within six weeks "
        "rose from 31% to 78%. Lessons: recruitment is a five-year investment.",
        ("workforce", "ehcp_timeliness"),
        metrics=("ehcp_20wk_rate",),
        evidence_strength=4,
    ),
    _doc(
        2,
        "cs-ep-consult",
        "Consultation slots for schools from the EP service",
        "Termly consultation slots replaced ad hoc referrals.",
        "Context: schools queued for individual casework. What we did: every school received "
        "termly consultation time with an EP, booked through its SENCO. Results: requests for "
        "statutory assessment fell by 12%. Lessons: consultation needs protected time.",
        ("workforce", "early_intervention"),
        author=_NORTHWOLD,
    ),
    _doc(
        3,
        "cs-ar-london",
        "Clearing the annual review backlog",
        "A six-month sprint brought overdue annual reviews back within timescale.",
        "Context: over 600 annual reviews were overdue. What we did: a temporary team triaged "
        "reviews by phase transfer deadlines and amended plans within four weeks of each "
        "meeting. Results: overdue annual reviews fell to 40. Lessons: plan amendments, not "
        "meetings, were the bottleneck.",
        ("annual_reviews",),
        metrics=("ehcp_annual_review_timeliness",),
        evidence_strength=4,
        year=2022,
    ),
    _doc(
        4,
        "cs-ar-north",
        "Person-centred annual reviews in secondary schools",
        "Young people chaired part of their own annual review meeting.",
        "Context: annual review meetings felt like paperwork to families. What we did: "
        "secondary schools used one-page profiles and let young people chair part of the "
        "meeting. Results: family satisfaction rose and fewer amendments were disputed. "
        "Lessons: train school staff before changing the meeting format.",
        ("annual_reviews", "coproduction"),
        author=_NORTHWOLD,
        metrics=("ehcp_annual_review_timeliness",),
    ),
    _doc(
        5,
        "cs-20-week",
        "Meeting the 20-week deadline for every education, health and care plan",
        "Weekly case tracking lifted timeliness of new plans.",
        "Context: only a third of new education, health and care plans were issued within 20 "
        "weeks. What we did: a weekly tracker flagged cases at risk and health advice requests "
        "were sent on day one. Results: timeliness reached 71%. Lessons: health advice was the "
        "slowest step.",
        ("ehcp_timeliness",),
        author=_FENSHIRE,
        metrics=("ehcp_20wk_rate",),
        evidence_strength=5,
        phase="EVALUATED",
    ),
    _doc(
        6,
        "cs-ehcp-qa",
        "EHCP quality assurance framework",
        "A multi-agency audit cycle for EHCP drafts.",
        "Context: audits found outcomes in many EHCP drafts were vague. What we did: a monthly "
        "multi-agency audit scored a sample of drafts against a rubric and fed back to "
        "caseworkers. Results: the share rated good rose from 35% to 60%. Lessons: share the "
        "rubric with schools too.",
        ("ehcp_quality",),
        author=_MIDLEY,
    ),
    _doc(
        7,
        "cs-tribunal",
        "Reducing SEND tribunal appeals through early mediation",
        "Offering mediation before decisions were issued reduced appeals.",
        "Context: tribunal appeals had doubled in three years. What we did: a caseworker "
        "called every family before a refusal letter and offered mediation meetings within "
        "ten days. Results: appeals fell by a quarter. Lessons: an early phone call matters.",
        ("tribunals", "coproduction"),
        author=_COASTWELL,
        metrics=("tribunal_appeal_rate",),
        evidence_strength=4,
    ),
    _doc(
        8,
        "cs-travel-training",
        "Independent travel training for young people",
        "Travel training helped students travel to college on their own.",
        "Context: spending on home to school transport was rising fast. What we did: a travel "
        "trainer worked with students in year 10 and 11 on bus routes to college. Results: 85 "
        "students became independent travellers. Lessons: start before post-16 transfer.",
        ("send_transport", "preparation_for_adulthood"),
        author=_FENSHIRE,
        metrics=("transport_cost_per_pupil",),
        evidence_strength=4,
    ),
    _doc(
        9,
        "cs-transport-routes",
        "Route optimisation for SEND transport",
        "Re-planning routes saved money without longer journeys.",
        "Context: taxi contracts had grown one by one. What we did: we re-planned every route "
        "with routing software and retendered the contracts. Results: costs fell by 9% and "
        "journey times stayed the same. Lessons: involve drivers and parents early.",
        ("send_transport",),
        author=_MIDLEY,
        metrics=("transport_cost_per_pupil",),
        evidence_strength=2,
    ),
    _doc(
        10,
        "cs-ap-commissioning",
        "Commissioning alternative provision as a graduated offer",
        "A tiered framework of alternative provision with outcomes monitoring.",
        "Context: pupils were placed in unregistered settings. What we did: we commissioned "
        "three tiers of alternative provision, from part-time outreach to full-time places, "
        "with shared outcome measures. Results: unregistered placements ended. Lessons: "
        "reintegration plans need dates.",
        ("alternative_provision",),
        metrics=("ap_placements",),
    ),
    _doc(
        11,
        "cs-ap-quality",
        "AP quality framework and placement monitoring",
        "Termly visits to every AP setting with a shared quality framework.",
        "Context: we knew little about the quality of AP placements. What we did: officers "
        "visited each AP setting termly and scored safeguarding, curriculum and progress. "
        "Results: two settings were decommissioned. Lessons: share findings with schools.",
        ("alternative_provision",),
        author=_NORTHWOLD,
        metrics=("ap_placements",),
    ),
    _doc(
        12,
        "cs-nurture",
        "Nurture groups for pupils with social, emotional and mental health needs",
        "Primary nurture groups reduced exclusions.",
        "Context: exclusions of primary pupils were rising. What we did: twelve schools ran "
        "nurture groups for pupils with social, emotional and mental health needs with "
        "training from the outreach team. Results: suspensions fell by 30%. Lessons: "
        "headteacher buy-in decided success.",
        ("mental_health", "inclusion"),
        author=_COASTWELL,
        year=2021,
    ),
    _doc(
        13,
        "cs-senco-network",
        "A termly network for every special educational needs coordinator",
        "A termly network shared practice across schools.",
        "Context: a new special educational needs coordinator often felt isolated. What we did: we "
        "ran a termly network with case discussion and updates from the local offer. Results: "
        "attendance averaged 80% of schools. Lessons: keep the agenda practical.",
        ("workforce", "inclusion"),
        author=_FENSHIRE,
    ),
    _doc(
        14,
        "cs-hnb-deficit",
        "Bringing the HNB deficit under control",
        "A five-year plan to bring HNB spending back into balance.",
        "Context: the HNB deficit reached 14% of the annual allocation. What we did: we "
        "modelled demand by need type and set a five-year recovery plan agreed with schools "
        "forum. Results: the in-year overspend halved. Lessons: model demand early.",
        ("high_needs_finance",),
        author=_MIDLEY,
        metrics=("hnb_deficit",),
        evidence_strength=2,
    ),
    _doc(
        15,
        "cs-safety-valve",
        "Safety valve agreement and the dedicated schools grant recovery plan",
        "Our safety valve agreement with the department.",
        "Context: the cumulative dedicated schools grant overspend was unsustainable. What we "
        "did: we agreed a safety valve plan with milestones on placements and inclusion. "
        "Results: the overspend is on trajectory. Lessons: milestones need owners.",
        ("high_needs_finance",),
        author=_COASTWELL,
        metrics=("hnb_deficit",),
    ),
    _doc(
        16,
        "cs-pfa",
        "Preparation for adulthood from year 9",
        "Adulthood outcomes built into every review from year 9.",
        "Context: plans rarely mentioned employment or independent living. What we did: "
        "reviews from year 9 used preparation for adulthood outcomes on employment, housing, "
        "friendships and health. Results: more plans had employment outcomes. Lessons: "
        "involve adult social care early.",
        ("preparation_for_adulthood",),
        author=_NORTHWOLD,
        metrics=("neet_send",),
    ),
    _doc(
        17,
        "cs-internships",
        "Supported internships with local employers",
        "Supported internships led to paid jobs.",
        "Context: few young people with plans moved into work. What we did: we funded job "
        "coaches for supported internships with hospitals and retailers, alongside "
        "apprenticeships for those ready. Results: 60% of interns got paid jobs. Lessons: "
        "employers need a named contact.",
        ("preparation_for_adulthood",),
        author=_FENSHIRE,
        metrics=("neet_send",),
        evidence_strength=5,
        phase="EVALUATED",
    ),
    _doc(
        18,
        "cs-joint-triage",
        "Joint triage with child and adolescent mental health services",
        "Shared triage cut waiting times for assessment.",
        "Context: families waited a year for child and adolescent mental health services. "
        "What we did: a joint triage panel with school nurses agreed the right service at "
        "first contact. Results: waiting times fell to 14 weeks. Lessons: share one referral "
        "form.",
        ("mental_health",),
        author=_MIDLEY,
        year=2023,
    ),
    _doc(
        19,
        "cs-short-stay",
        "Turning the pupil referral unit into a short-stay outreach hub",
        "Outreach from the pupil referral unit kept pupils in school.",
        "Context: most pupils who entered the pupil referral unit never returned to "
        "mainstream. What we did: staff spent half their time on outreach to schools. "
        "Results: reintegration rose to 45%. Lessons: outreach needs a clear referral route.",
        ("alternative_provision", "inclusion"),
        author=_COASTWELL,
        metrics=("ap_placements",),
    ),
    _doc(
        20,
        "cs-asd-outreach",
        "ASD outreach for mainstream primary schools",
        "Specialist teachers supported pupils with ASD in mainstream classes.",
        "Context: pupils with ASD were moving to specialist places. What we did: a team of "
        "specialist teachers coached mainstream staff on visual timetables and sensory "
        "breaks. Results: fewer requests for specialist places. Lessons: follow-up visits "
        "embed the training.",
        ("inclusion",),
        author=_FENSHIRE,
    ),
    _doc(
        21,
        "cs-ehe",
        "Supporting families who choose elective home education",
        "A welfare-first offer for families educating at home.",
        "Context: elective home education among pupils with plans doubled. What we did: an "
        "adviser visited each family, checked provision and explained routes back to school. "
        "Results: a third returned to school within a year. Lessons: keep relationships warm.",
        ("attendance",),
        author=_NORTHWOLD,
        metrics=("ehe_numbers",),
    ),
    _doc(
        22,
        "cs-dbv-lessons",
        "What we learned from the delivering better value programme",
        "Our diagnostic found early support was the biggest lever.",
        "Context: we joined the delivering better value programme in its first wave. What we "
        "did: the diagnostic reviewed 200 case files and modelled demand. Results: we funded "
        "early support in mainstream schools. Lessons: case file reviews convinced schools.",
        ("high_needs_finance", "early_intervention"),
        author=_MIDLEY,
        phase="DIAGNOSTIC",
    ),
    _doc(
        23,
        "cs-dyslexia",
        "Dyslexia screening in key stage 2",
        "Screening in year 3 found reading needs earlier.",
        "Context: literacy needs were found late. What we did: all year 3 pupils had a short "
        "dyslexia screening and targeted phonics. Results: reading ages improved. Lessons: "
        "screening without interventions achieves little.",
        ("early_intervention",),
        author=_COASTWELL,
    ),
    _doc(
        24,
        "cs-absence",
        "Tackling persistent absence among pupils on SEN support",
        "Attendance mentors worked with families of pupils on SEN support.",
        "Context: persistent absence was twice as high for pupils on SEN support. What we "
        "did: attendance mentors visited families and agreed reasonable adjustments with "
        "schools. Results: persistent absence fell by 8 points. Lessons: adjust before you "
        "fine.",
        ("attendance",),
        metrics=("persistent_absence_sen",),
        evidence_strength=4,
    ),
    _doc(
        25,
        "cs-salt",
        "Speech and language therapy in early years settings",
        "Therapists coached nursery staff.",
        "Context: referrals for speech and language therapy had long waits. What we did: "
        "therapists coached nursery practitioners to run small-group language sessions. "
        "Results: fewer children needed individual therapy. Lessons: coaching beats "
        "one-off training.",
        ("early_intervention",),
        author=_FENSHIRE,
        year=2021,
    ),
    _doc(
        26,
        "cs-parent-forum",
        "Coproduction with the parent carer forum",
        "The forum co-designed our local offer and communications.",
        "Context: parent confidence in the local area was low. What we did: parents from the "
        "forum co-designed letters, the local offer website and the annual survey. Results: "
        "confidence scores rose 15 points. Lessons: pay parents for their time.",
        ("coproduction",),
        author=_NORTHWOLD,
    ),
    _doc(
        27,
        "cs-oap",
        "Ordinarily available provision and the graduated approach",
        "A shared description of what every school offers before a plan.",
        "Context: expectations of mainstream schools differed. What we did: schools and "
        "parents wrote a guide to ordinarily available provision organised by the graduated "
        "approach of assess, plan, do, review. Results: requests became more consistent. "
        "Lessons: examples help more than principles.",
        ("inclusion",),
        author=_MIDLEY,
    ),
    _doc(
        28,
        "cs-sufficiency",
        "Reducing reliance on independent special school placements",
        "New local specialist places replaced costly out-of-area placements.",
        "Context: independent special school placements cost three times local places. What "
        "we did: we opened 120 local specialist places and reviewed every out-of-area "
        "placement at transfer points. Results: new independent placements fell by 40%. "
        "Lessons: build places before you need them.",
        ("sufficiency", "high_needs_finance"),
        author=_COASTWELL,
        metrics=("ind_spec_placements",),
        evidence_strength=4,
    ),
    _doc(
        29,
        "cs-resource-bases",
        "Opening resourced provision in mainstream secondary schools",
        "Resource bases let pupils stay in their local school.",
        "Context: few secondary schools could meet complex needs. What we did: six schools "
        "opened resource bases with specialist staff funded per place. Results: 70 pupils "
        "stayed local. Lessons: agree admissions criteria first.",
        ("sufficiency", "inclusion"),
        author=_FENSHIRE,
    ),
    _doc(
        30,
        "cs-portage",
        "Early identification in the early years through portage",
        "Home visiting for under-fives with emerging needs.",
        "Context: needs were often identified at school entry. What we did: portage workers "
        "visited families of under-fives referred by health visitors. Results: more children "
        "arrived at school with support in place. Lessons: link with health visitors.",
        ("early_intervention",),
        author=_NORTHWOLD,
    ),
    _doc(
        31,
        "cs-post16",
        "Post-16 pathways and preventing young people becoming NEET",
        "Tracking every young person with a plan after year 11.",
        "Context: too many young people with plans dropped out of college. What we did: "
        "careers advisers tracked each young person monthly after year 11. Results: the NEET "
        "rate fell. Lessons: the first term of college is the riskiest.",
        ("preparation_for_adulthood",),
        author=_MIDLEY,
        metrics=("neet_send",),
    ),
    _doc(
        32,
        "cs-ta-training",
        "Training teaching assistants in precision teaching",
        "Short daily sessions delivered by trained assistants.",
        "Context: support staff had little training. What we did: teaching assistants "
        "learned precision teaching and delivered short daily sessions. Results: pupils made "
        "accelerated progress in reading. Lessons: supervision keeps quality up.",
        ("workforce", "inclusion"),
        author=_COASTWELL,
    ),
    _doc(
        33,
        "cs-transition",
        "Primary to secondary transition support",
        "Extra visits and key workers for the move to secondary school.",
        "Context: pupils with plans struggled after moving to secondary school. What we did: "
        "key workers organised extra visits and passports describing each pupil. Results: "
        "fewer suspensions in year 7. Lessons: start in the spring term.",
        ("inclusion",),
        author=_FENSHIRE,
    ),
    _doc(
        34,
        "cs-panel",
        "Redesigning the SEND panel",
        "A panel with schools and health made faster, clearer decisions.",
        "Context: decisions looked inconsistent to families. What we did: the decision panel "
        "added headteachers and health colleagues and published its criteria. Results: "
        "decisions were quicker and fewer were challenged. Lessons: publish the criteria.",
        ("ehcp_timeliness", "coproduction"),
        author=_MIDLEY,
    ),
    _doc(
        35,
        "cs-early-help",
        "Fewer EHC needs assessment requests through early help",
        "Early help coordinators supported schools before a request was made.",
        "Context: requests for assessment were rising by 20% a year. What we did: early help "
        "coordinators worked with schools on support plans first. Results: requests levelled "
        "off. Lessons: schools need quick access to advice.",
        ("early_intervention",),
        author=_NORTHWOLD,
    ),
    _doc(
        36,
        "cs-pseudo-ar",
        "Annual review reset in a large county",
        "Rebuilding the annual review process from scratch.",
        "Context: the annual review process had broken down. What we did: we rebuilt it with "
        "a single tracker and school-led meetings. Results: most reviews were on time within a "
        "year. Lessons: schools want clear deadlines.",
        ("annual_reviews",),
        author=_PSEUDO_COUNTY,
    ),
    _doc(
        37,
        "cs-pseudo-tribunal",
        "Managing tribunal caseload with a dedicated caseworker team",
        "A specialist team prepared cases and settled many early.",
        "Context: tribunal work was spread across all caseworkers. What we did: a small "
        "dedicated team took every appeal and reviewed each case for early settlement. "
        "Results: more cases settled before hearing. Lessons: specialism pays off.",
        ("tribunals",),
        author=_PSEUDO_NORTH_EAST,
    ),
    _doc(
        38,
        "cs-mhst",
        "Mental health support teams in schools",
        "Mental health support teams worked with pupils on SEN support.",
        "Context: schools struggled to support low-level anxiety. What we did: mental health "
        "support teams ran groups and trained school staff. Results: fewer referrals to "
        "specialist services. Lessons: include special schools.",
        ("mental_health",),
        year=2022,
    ),
    _doc(
        39,
        "cs-semh-outreach",
        "SEMH outreach team for secondary schools",
        "A multi-disciplinary outreach team supported secondary pupils.",
        "Context: secondary exclusions were high. What we did: a SEMH outreach team of "
        "teachers and youth workers supported pupils at risk. Results: permanent exclusions "
        "fell. Lessons: youth workers reached disengaged pupils.",
        ("mental_health", "inclusion"),
        author=_NORTHWOLD,
    ),
    _doc(
        40,
        "cs-hearing",
        "Sensory support for pupils with hearing impairment",
        "Specialist teachers of the deaf advised schools.",
        "Context: pupils with hearing impairment were spread across many schools. What we "
        "did: specialist teachers of the deaf visited each school and loaned radio aids. "
        "Results: attainment gaps narrowed. Lessons: acoustics matter.",
        ("inclusion",),
        author=_MIDLEY,
    ),
)


@dataclass(frozen=True)
class LabelledQuery:
    kind: str  # misspelling / synonym / prefix / filter / natural
    text: str
    expected: tuple[str, ...]  # must all be in the top 3
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    absent: tuple[str, ...] = ()  # must not be returned at all

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.text or '<empty>'}:{sorted(self.filters.items())}"


QUERIES: tuple[LabelledQuery, ...] = (
    # Misspellings: the target only has the correct spelling.
    LabelledQuery("misspelling", "psycholgist", ("cs-ep-capacity",)),
    LabelledQuery("misspelling", "anual reveiw", ("cs-ar-london",)),
    LabelledQuery("misspelling", "tribunel appeals", ("cs-tribunal",)),
    LabelledQuery("misspelling", "transprot", ("cs-transport-routes",)),
    LabelledQuery("misspelling", "mediaton", ("cs-tribunal",)),
    LabelledQuery("misspelling", "coproducton with the parent forum", ("cs-parent-forum",)),
    LabelledQuery("misspelling", "dyslexia screenning", ("cs-dyslexia",)),
    LabelledQuery("misspelling", "persistant absence", ("cs-absence",)),
    LabelledQuery("misspelling", "speach and langauge therapy", ("cs-salt",)),
    LabelledQuery("misspelling", "suported internships", ("cs-internships",)),
    # Synonyms: the target uses only the other side of the group.
    LabelledQuery("synonym", "EHCP deadline", ("cs-20-week",)),
    LabelledQuery("synonym", "education health and care plan quality", ("cs-ehcp-qa",)),
    LabelledQuery("synonym", "EP", ("cs-ep-capacity", "cs-ep-consult")),
    LabelledQuery("synonym", "alternative provision quality", ("cs-ap-quality",)),
    LabelledQuery("synonym", "SEMH nurture", ("cs-nurture",)),
    LabelledQuery("synonym", "social emotional and mental health outreach", ("cs-semh-outreach",)),
    LabelledQuery("synonym", "SENCO network", ("cs-senco-network",)),
    LabelledQuery("synonym", "high needs block deficit", ("cs-hnb-deficit",)),
    LabelledQuery("synonym", "DSG recovery", ("cs-safety-valve",)),
    LabelledQuery("synonym", "PfA outcomes", ("cs-pfa",)),
    LabelledQuery("synonym", "CAMHS waiting times", ("cs-joint-triage",)),
    LabelledQuery("synonym", "PRU outreach", ("cs-short-stay",)),
    LabelledQuery("synonym", "autism outreach", ("cs-asd-outreach",)),
    LabelledQuery("synonym", "EHE", ("cs-ehe",)),
    LabelledQuery("synonym", "DBV", ("cs-dbv-lessons",)),
    LabelledQuery("synonym", "EHCNA requests", ("cs-early-help",)),
    # Prefixes: the last word is typed halfway.
    LabelledQuery("prefix", "psycho", ("cs-ep-capacity",)),
    LabelledQuery("prefix", "alternat", ("cs-ap-commissioning",)),
    LabelledQuery("prefix", "route optim", ("cs-transport-routes",)),
    LabelledQuery("prefix", "dyslex", ("cs-dyslexia",)),
    LabelledQuery("prefix", "supported intern", ("cs-internships",)),
    LabelledQuery("prefix", "nurture gro", ("cs-nurture",)),
    # Filters.
    LabelledQuery(
        "filter",
        "annual review",
        ("cs-ar-london",),
        filters={"region": ("London",)},
        absent=("cs-ar-north", "cs-pseudo-ar"),
    ),
    LabelledQuery(
        "filter",
        "",
        ("cs-travel-training", "cs-transport-routes"),
        filters={"theme": ("send_transport",)},
    ),
    LabelledQuery(
        "filter",
        "",
        ("cs-mhst",),
        filters={"theme": ("mental_health",), "year": ("2022",)},
        absent=("cs-joint-triage", "cs-nurture", "cs-semh-outreach"),
    ),
    LabelledQuery(
        "filter",
        "transport",
        ("cs-travel-training",),
        filters={"evidence_strength": ("4", "5")},
        absent=("cs-transport-routes",),
    ),
    LabelledQuery(
        "filter",
        "tribunal",
        ("cs-pseudo-tribunal",),
        filters={"region": ("North East",)},
        absent=("cs-tribunal",),
    ),
    # Natural phrasing.
    LabelledQuery("natural", "reducing independent special school placements", ("cs-sufficiency",)),
    LabelledQuery("natural", "parent confidence", ("cs-parent-forum",)),
    LabelledQuery("natural", "graduated approach and ordinarily available provision", ("cs-oap",)),
    LabelledQuery("natural", "pupils stay in their local school", ("cs-resource-bases",)),
)
