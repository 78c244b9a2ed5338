"""The fixed vocabularies of a case study: themes, DBV phases, cost bands and evidence levels.

Codes are stable (stored, indexed, used in API enums); labels and definitions are for people.
Theme codes match the ``theme`` of the metric catalogue (seed/metrics.toml) where both exist.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    label: str
    description: str


THEMES: tuple[Term, ...] = (
    Term(
        "early_help_inclusion",
        "Early help and inclusion",
        "Support offered before or instead of statutory assessment: inclusion funding, outreach, "
        "graduated approach, ordinarily available provision.",
    ),
    Term(
        "ehc_needs_assessment",
        "EHC needs assessment",
        "Requests for and completion of education, health and care needs assessments, "
        "including 20-week timeliness.",
    ),
    Term(
        "annual_reviews",
        "Annual reviews",
        "Reviewing EHC plans on time, amending them and clearing review backlogs.",
    ),
    Term(
        "educational_psychology",
        "Educational psychology and specialist teachers",
        "Educational psychologist capacity, advice for assessments, and specialist teachers "
        "or other professionals covering the shortage.",
    ),
    Term(
        "alternative_provision",
        "Alternative provision",
        "Provision for pupils who cannot attend a mainstream or special school: AP, PRUs, "
        "education otherwise than at school.",
    ),
    Term(
        "exclusions_suspensions",
        "Exclusions and suspensions",
        "Reducing suspensions and permanent exclusions of pupils with SEND.",
    ),
    Term(
        "commissioning_placements",
        "Commissioning and placements",
        "Sufficiency, commissioning and placement decisions: special school places, resourced "
        "provision, independent and non-maintained placements, costs.",
    ),
    Term(
        "mental_health",
        "Mental health",
        "Social, emotional and mental health support for children and young people, with "
        "schools and health partners.",
    ),
    Term(
        "preparation_for_adulthood",
        "Preparation for adulthood",
        "Post-16 and transition to adult life: employment, independent living, community "
        "inclusion and health.",
    ),
    Term(
        "send_transport",
        "SEND transport",
        "Home to school and post-16 travel assistance: independent travel training, personal "
        "transport budgets, route planning.",
    ),
    Term(
        "workforce",
        "Workforce",
        "Recruitment, retention, training and structure of the SEND service and school staff.",
    ),
    Term(
        "parent_carer_engagement",
        "Parent carer engagement",
        "Co-production with parent carer forums, communication with families, complaints "
        "and tribunals.",
    ),
)

PHASES: tuple[Term, ...] = (
    Term(
        "DIAGNOSTIC",
        "Diagnostic",
        "Understanding the local system: data, case reviews and root causes behind the "
        "high needs pressure (DBV module 1).",
    ),
    Term(
        "DEVELOPING_SOLUTIONS",
        "Developing solutions",
        "Designing and testing interventions with partners, building the business case "
        "(DBV module 2).",
    ),
    Term(
        "IMPLEMENTATION",
        "Implementation",
        "Delivering the intervention at scale and monitoring early outcomes (DBV module 3).",
    ),
    Term(
        "SUSTAINING",
        "Sustaining",
        "Embedding what worked in business as usual after the programme funding ends.",
    ),
)

# The Education Endowment Foundation's Teaching and Learning Toolkit cost rating, estimated per
# pupil per year (EEF, "Toolkit guide: cost", 2021 update).
COST_BANDS: tuple[Term, ...] = (
    Term("VERY_LOW", "£ Very low", "Less than about £80 per pupil per year."),
    Term("LOW", "££ Low", "About £80 to £170 per pupil per year."),
    Term("MODERATE", "£££ Moderate", "About £170 to £250 per pupil per year."),
    Term("HIGH", "££££ High", "About £250 to £1,200 per pupil per year."),
    Term("VERY_HIGH", "£££££ Very high", "More than about £1,200 per pupil per year."),
)

# Strength of evidence that the intervention caused the change (after Nesta's Standards of
# Evidence and the EEF's padlocks, simplified for council practice).
EVIDENCE_LEVELS: tuple[Term, ...] = (
    Term("0", "Not yet evaluated", "A description of what was done; no outcome data yet."),
    Term(
        "1",
        "Practitioner and family feedback",
        "Qualitative feedback from staff, schools, children or families; no figures.",
    ),
    Term(
        "2",
        "Before and after",
        "The authority's own figures moved in the intended direction after the intervention "
        "(no comparison group).",
    ),
    Term(
        "3",
        "Compared with peers or trend",
        "The change is compared with statistical neighbours, England or the authority's own "
        "prior trend, so a general national movement is ruled out.",
    ),
    Term(
        "4",
        "Robust or independent evaluation",
        "A matched comparison group or an independent evaluation attributes the change to "
        "the intervention.",
    ),
    Term(
        "5",
        "Replicated",
        "The result has been repeated in at least one other authority, or tested by a "
        "randomised trial.",
    ),
)

THEME_CODES = frozenset(t.code for t in THEMES)
PHASE_CODES = frozenset(t.code for t in PHASES)
COST_BAND_CODES = frozenset(t.code for t in COST_BANDS)
MIN_EVIDENCE, MAX_EVIDENCE = 0, 5

STATUSES = ("draft", "published", "withdrawn")


def label_of(vocabulary: tuple[Term, ...], code: str) -> str:
    for term in vocabulary:
        if term.code == code:
            return term.label
    return code
