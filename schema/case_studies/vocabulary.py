"""Case-study vocabularies: the domain's enums exposed to the API, and caseStudyVocabulary."""

from __future__ import annotations

import strawberry

from exchange.casestudies import finder, vocab

# The codes are the domain's (exchange/casestudies/vocab.py); the API shows them by these names.
strawberry.enum(
    vocab.Theme,
    name="Theme",
    description="Case-study themes (a fixed vocabulary; see caseStudyVocabulary).",
)
strawberry.enum(
    vocab.Phase, name="DbvPhase", description="Delivering Better Value programme phase."
)
strawberry.enum(
    vocab.CostBand,
    name="CostBand",
    description="EEF cost bands, per pupil per year (see caseStudyVocabulary).",
)
strawberry.enum(vocab.Status, name="CaseStudyStatus")
strawberry.enum(finder.Sort, name="CaseStudySort")


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


def case_study_vocabulary() -> CaseStudyVocabulary:
    return CaseStudyVocabulary()


@strawberry.type
class CaseStudyVocabularyQuery:
    case_study_vocabulary: CaseStudyVocabulary = strawberry.field(
        resolver=case_study_vocabulary,
        description="Themes, DBV phases, EEF cost bands and evidence levels, defined.",
    )
