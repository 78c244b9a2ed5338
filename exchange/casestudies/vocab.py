"""The fixed vocabularies of a case study: themes, DBV phases, cost bands, evidence levels and
statuses.

Each vocabulary is one ``StrEnum`` (the codes: stored, indexed, and exposed as the API's enums by
schema/case_studies/vocabulary.py) and a table of terms (labels and definitions, for people).
Theme codes match the ``theme`` of the metric catalogue (seed/metrics.toml) where both exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Theme(StrEnum):
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


class Phase(StrEnum):
    """Delivering Better Value programme phase."""

    DIAGNOSTIC = "DIAGNOSTIC"
    DEVELOPING_SOLUTIONS = "DEVELOPING_SOLUTIONS"
    IMPLEMENTATION = "IMPLEMENTATION"
    SUSTAINING = "SUSTAINING"


class CostBand(StrEnum):
    VERY_LOW = "VERY_LOW"
    LOW = "LOW"
    MODERATE = "MODERATE"
    HIGH = "HIGH"
    VERY_HIGH = "VERY_HIGH"


class EvidenceLevel(IntEnum):
    NOT_EVALUATED = 0
    FEEDBACK = 1
    BEFORE_AND_AFTER = 2
    COMPARED = 3
    ROBUST = 4
    REPLICATED = 5


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Term:
    code: str  # an enum member's value, kept as plain text
    label: str
    description: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", str(self.code))


THEMES: tuple[Term, ...] = (
    Term(
        Theme.EARLY_HELP_INCLUSION,
        "Early help and inclusion",
        "Support offered before or instead of statutory assessment: inclusion funding, outreach, "
        "graduated approach, ordinarily available provision.",
    ),
    Term(
        Theme.EHC_NEEDS_ASSESSMENT,
        "EHC needs assessment",
        "Requests for and completion of education, health and care needs assessments, "
        "including 20-week timeliness.",
    ),
    Term(
        Theme.ANNUAL_REVIEWS,
        "Annual reviews",
        "Reviewing EHC plans on time, amending them and clearing review backlogs.",
    ),
    Term(
        Theme.EDUCATIONAL_PSYCHOLOGY,
        "Educational psychology and specialist teachers",
        "Educational psychologist capacity, advice for assessments, and specialist teachers "
        "or other professionals covering the shortage.",
    ),
    Term(
        Theme.ALTERNATIVE_PROVISION,
        "Alternative provision",
        "Provision for pupils who cannot attend a mainstream or special school: AP, PRUs, "
        "education otherwise than at school.",
    ),
    Term(
        Theme.EXCLUSIONS_SUSPENSIONS,
        "Exclusions and suspensions",
        "Reducing suspensions and permanent exclusions of pupils with SEND.",
    ),
    Term(
        Theme.COMMISSIONING_PLACEMENTS,
        "Commissioning and placements",
        "Sufficiency, commissioning and placement decisions: special school places, resourced "
        "provision, independent and non-maintained placements, costs.",
    ),
    Term(
        Theme.MENTAL_HEALTH,
        "Mental health",
        "Social, emotional and mental health support for children and young people, with "
        "schools and health partners.",
    ),
    Term(
        Theme.PREPARATION_FOR_ADULTHOOD,
        "Preparation for adulthood",
        "Post-16 and transition to adult life: employment, independent living, community "
        "inclusion and health.",
    ),
    Term(
        Theme.SEND_TRANSPORT,
        "SEND transport",
        "Home to school and post-16 travel assistance: independent travel training, personal "
        "transport budgets, route planning.",
    ),
    Term(
        Theme.WORKFORCE,
        "Workforce",
        "Recruitment, retention, training and structure of the SEND service and school staff.",
    ),
    Term(
        Theme.PARENT_CARER_ENGAGEMENT,
        "Parent carer engagement",
        "Co-production with parent carer forums, communication with families, complaints "
        "and tribunals.",
    ),
)

PHASES: tuple[Term, ...] = (
    Term(
        Phase.DIAGNOSTIC,
        "Diagnostic",
        "Understanding the local system: data, case reviews and root causes behind the "
        "high needs pressure (DBV module 1).",
    ),
    Term(
        Phase.DEVELOPING_SOLUTIONS,
        "Developing solutions",
        "Designing and testing interventions with partners, building the business case "
        "(DBV module 2).",
    ),
    Term(
        Phase.IMPLEMENTATION,
        "Implementation",
        "Delivering the intervention at scale and monitoring early outcomes (DBV module 3).",
    ),
    Term(
        Phase.SUSTAINING,
        "Sustaining",
        "Embedding what worked in business as usual after the programme funding ends.",
    ),
)

# The Education Endowment Foundation's Teaching and Learning Toolkit cost rating, estimated per
# pupil per year (EEF, "Toolkit guide: cost", 2021 update).
COST_BANDS: tuple[Term, ...] = (
    Term(CostBand.VERY_LOW, "£ Very low", "Less than about £80 per pupil per year."),
    Term(CostBand.LOW, "££ Low", "About £80 to £170 per pupil per year."),
    Term(CostBand.MODERATE, "£££ Moderate", "About £170 to £250 per pupil per year."),
    Term(CostBand.HIGH, "££££ High", "About £250 to £1,200 per pupil per year."),
    Term(CostBand.VERY_HIGH, "£££££ Very high", "More than about £1,200 per pupil per year."),
)

# Strength of evidence that the intervention caused the change (after Nesta's Standards of
# Evidence and the EEF's padlocks, simplified for council practice).
EVIDENCE_LEVELS: tuple[Term, ...] = (
    Term(
        str(EvidenceLevel.NOT_EVALUATED),
        "Not yet evaluated",
        "A description of what was done; no outcome data yet.",
    ),
    Term(
        str(EvidenceLevel.FEEDBACK),
        "Practitioner and family feedback",
        "Qualitative feedback from staff, schools, children or families; no figures.",
    ),
    Term(
        str(EvidenceLevel.BEFORE_AND_AFTER),
        "Before and after",
        "The authority's own figures moved in the intended direction after the intervention "
        "(no comparison group).",
    ),
    Term(
        str(EvidenceLevel.COMPARED),
        "Compared with peers or trend",
        "The change is compared with statistical neighbours, England or the authority's own "
        "prior trend, so a general national movement is ruled out.",
    ),
    Term(
        str(EvidenceLevel.ROBUST),
        "Robust or independent evaluation",
        "A matched comparison group or an independent evaluation attributes the change to "
        "the intervention.",
    ),
    Term(
        str(EvidenceLevel.REPLICATED),
        "Replicated",
        "The result has been repeated in at least one other authority, or tested by a "
        "randomised trial.",
    ),
)

THEME_CODES = frozenset(t.value for t in Theme)
PHASE_CODES = frozenset(p.value for p in Phase)
COST_BAND_CODES = frozenset(b.value for b in CostBand)
MIN_EVIDENCE, MAX_EVIDENCE = int(min(EvidenceLevel)), int(max(EvidenceLevel))

STATUSES = tuple(s.value for s in Status)


def label_of(vocabulary: tuple[Term, ...], code: str) -> str:
    for term in vocabulary:
        if term.code == code:
            return term.label
    return code
