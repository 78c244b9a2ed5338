"""Case studies: checking what a create or update sends, before anything is stored.

Each check appends a Problem (field, code, message) instead of raising, so one refusal names
every problem at once; ``raise_if_any`` turns them into a CaseStudyRejected. The outcome links
are checked against the metric catalogue and the metric's own period kind (and their periods
created if new); every text field is screened for personal data as sent
(exchange.casestudies.screening).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.casestudies import vocab
from exchange.casestudies.models import TEXT_FIELDS, CaseStudy
from exchange.casestudies.screening import screen_fields
from exchange.errors import InvalidInput
from exchange.metrics import repository as metrics
from exchange.periods import repository as periods
from exchange.periods.labels import parse_label

MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_THEMES = 5
MAX_LINKS = 10
REQUIRED_TO_PUBLISH = ("summary", "what_was_done", "phase", "themes", "evidence_strength")
EDITABLE = (
    *TEXT_FIELDS,
    "phase",
    "themes",
    "cost_band",
    "evidence_strength",
    "outcome_links",
    "pseudonymous",
)


@dataclass(frozen=True)
class LinkInput:
    metric: str
    baseline_period: str
    follow_up_period: str


@dataclass(frozen=True)
class Problem:
    field: str  # snake_case path, e.g. "summary" or "outcome_links[0].baseline_period"
    code: str
    message: str


class CaseStudyRejected(InvalidInput):
    """One or more problems with a create or update; nothing was stored."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        first = problems[0]
        super().__init__(first.field, first.message, first.code)
        self.problems = list(problems)


def clean_text(name: str, value: Any, problems: list[Problem]) -> str | None:
    if value is None:
        if name == "title":
            problems.append(Problem("title", "REQUIRED", "a case study needs a title"))
        return None
    if not isinstance(value, str):
        problems.append(Problem(name, "INVALID", f"{name} must be text"))
        return None
    text = value.strip()
    limit = MAX_TITLE if name == "title" else MAX_TEXT
    if name == "title" and len(text) < 3:
        problems.append(Problem("title", "REQUIRED", "a title needs at least 3 characters"))
    if len(text) > limit:
        problems.append(
            Problem(name, "TOO_LONG", f"{name} is {len(text):,} characters; the limit is {limit:,}")
        )
    return text or None


def clean_themes(value: Any, problems: list[Problem]) -> list[str]:
    if value is None:
        return []
    themes: list[str] = []
    for theme in value:
        if theme not in vocab.THEME_CODES:
            problems.append(Problem("themes", "UNKNOWN_THEME", f"unknown theme '{theme}'"))
        elif theme not in themes:
            themes.append(theme)
    if len(themes) > MAX_THEMES:
        problems.append(Problem("themes", "TOO_MANY", f"at most {MAX_THEMES} themes"))
    return themes


def clean_choice(
    name: str, value: Any, allowed: frozenset[str], problems: list[Problem]
) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        problems.append(Problem(name, "INVALID", f"unknown {name.replace('_', ' ')} '{value}'"))
        return None
    return str(value)


def clean_evidence(value: Any, problems: list[Problem]) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or not vocab.MIN_EVIDENCE <= value <= vocab.MAX_EVIDENCE:
        problems.append(
            Problem(
                "evidence_strength",
                "INVALID",
                f"evidence strength runs from {vocab.MIN_EVIDENCE} to {vocab.MAX_EVIDENCE}",
            )
        )
        return None
    return value


async def clean_links(
    session: AsyncSession, value: Sequence[LinkInput] | None, problems: list[Problem]
) -> list[tuple[int, int, int]]:
    if not value:
        return []
    if len(value) > MAX_LINKS:
        problems.append(Problem("outcome_links", "TOO_MANY", f"at most {MAX_LINKS} outcome links"))
        return []
    catalogue = await metrics.get_many_by_code(session, sorted({link.metric for link in value}))
    parsed: list[tuple[int, Any, Any]] = []
    for i, link in enumerate(value):
        at = f"outcome_links[{i}]"
        metric = catalogue.get(link.metric)
        if metric is None:
            problems.append(
                Problem(f"{at}.metric", "NOT_FOUND", f"no metric with code '{link.metric}'")
            )
            continue
        keys = []
        for part, label in (
            ("baseline_period", link.baseline_period),
            ("follow_up_period", link.follow_up_period),
        ):
            try:
                keys.append(parse_label(label, metric.period_kind))
            except InvalidInput as exc:
                problems.append(Problem(f"{at}.{part}", exc.code, exc.message))
        if len(keys) != 2:
            continue
        if keys[0].start_year >= keys[1].start_year:
            problems.append(
                Problem(
                    f"{at}.follow_up_period",
                    "PERIOD_ORDER",
                    f"the follow-up period ({keys[1].label}) must come after the baseline "
                    f"({keys[0].label})",
                )
            )
            continue
        parsed.append((metric.id, keys[0], keys[1]))
    if problems or not parsed:
        return []
    found = await periods.ensure(session, {k for _, a, b in parsed for k in (a, b)})
    out: list[tuple[int, int, int]] = []
    for metric_id, baseline, follow_up in parsed:
        row = (metric_id, found[baseline].id, found[follow_up].id)
        if row not in out:
            out.append(row)
    return out


def screen(values: Mapping[str, Any], problems: list[Problem], allowed: frozenset[str]) -> None:
    """Screen every text field as the officer sent it (before trimming), so the offsets in the
    messages point into their own text. Non-text values were refused by clean_text.
    ``allowed``: the phone numbers a case study may quote (screening.allowed_numbers)."""
    texts = {
        k: v if isinstance(v, str) else None for k, v in ((k, values.get(k)) for k in TEXT_FIELDS)
    }
    for finding in screen_fields(texts, allowed):
        problems.append(Problem(finding.field, "PERSONAL_DATA", finding.message))


def raise_if_any(problems: list[Problem]) -> None:
    if problems:
        raise CaseStudyRejected(problems)


def current(case_study: CaseStudy) -> dict[str, Any]:
    return {name: getattr(case_study, name) for name in REQUIRED_TO_PUBLISH}


def check_publishable(values: Mapping[str, Any], problems: list[Problem]) -> None:
    for name in REQUIRED_TO_PUBLISH:
        if values.get(name) in (None, "", []):
            problems.append(
                Problem(
                    name,
                    "REQUIRED_TO_PUBLISH",
                    f"a published case study needs {name.replace('_', ' ')}",
                )
            )
