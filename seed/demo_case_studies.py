"""Demo case studies: synthetic intervention write-ups, clearly marked as demo data.

No public collection of DBV case studies exists, so the demo generates them (faker with a fixed
seed, so every installation gets the same set) from templates grounded in interventions councils
in the Delivering Better Value in SEND programme have described publicly: specialist teachers
covering an educational psychologist shortage, an interim team clearing an annual-review backlog,
inclusion support cutting exclusions, early help reducing EHC needs assessment requests,
restructuring commissioning out of the SEND service, a mental-health offer to schools, and more.
The templates are data, in seed/demo_case_studies.toml; this module fills them in and seeds.

Every case study is ``is_demo = True`` and its title starts with "DEMO:"; the API exposes
``isDemo``. They are spread across all 153 authorities, every theme and every DBV phase; about
one in eight is pseudonymous. Outcome links point at metrics and periods that hold real DfE data
(or the demo self-reported figures), so the "what the figures say" panel has numbers to show.

They are written through the case-study service (screening, revisions, search outbox), so the
demo exercises the same path as a council's own writing. Idempotent: if any demo case study
exists, nothing is added.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
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


TEMPLATES_FILE = Path(__file__).with_name("demo_case_studies.toml")


def load_templates(path: Path = TEMPLATES_FILE) -> tuple[Template, ...]:
    """The templates, in file order (case study i uses template i mod their number)."""
    entries: list[dict[str, Any]] = tomllib.loads(path.read_text(encoding="utf-8"))["template"]
    return tuple(
        Template(
            key=e["key"],
            themes=tuple(e["themes"]),
            extra_themes=tuple(e["extra_themes"]),
            titles=tuple(e["titles"]),
            summary=e["summary"],
            context=e["context"],
            what_was_done=e["what_was_done"],
            results=e["results"],
            lessons=e["lessons"],
            metrics=tuple(e["metrics"]),
            cost_bands=tuple(e["cost_bands"]),
        )
        for e in entries
    )


TEMPLATES: tuple[Template, ...] = load_templates()

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
