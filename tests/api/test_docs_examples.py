"""docs/api-examples.md stays true.

Every ```graphql block in docs/api-examples.md and README.md must parse and validate against the
schema. The examples marked `<!-- example: run -->` (read-only, anonymous, shipped DfE data only)
are executed against `loaded_db`, and the ```json answer the page shows after each one must match
what the API returns:

- every key shown must be in the answer with the same value (numbers compared with a tolerance);
  an object shown must have exactly the answer's keys, and a list exactly its items in order;
- `trimmed` in the marker lets the page leave keys or list items out (list items shown must still
  appear in the answer, in order);
- `ignore=a+b` skips those keys (for demo data the test database does not have);
- ids and cursors are never compared: they are signed with the server's secret key.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSchema, parse, validate

from exchange.settings import Settings
from schema.build import build_schema
from tests.conftest import Database, run_graphql

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "api-examples.md"
README = ROOT / "README.md"

FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"<!--\s*example:\s*(.*?)\s*-->\s*\Z", re.DOTALL)
OPAQUE = frozenset({"id", "cursor", "startCursor", "endCursor"})


@dataclass
class Example:
    path: Path
    line: int
    query: str
    run: bool = False
    trimmed: bool = False
    ignore: frozenset[str] = frozenset()
    answer: str | None = None  # the first ```json block after the query
    answer_line: int | None = None

    @property
    def name(self) -> str:
        return f"{self.path.name}:{self.line}"


@dataclass
class Page:
    examples: list[Example] = field(default_factory=list)
    json_blocks: list[tuple[int, str]] = field(default_factory=list)


def _options(text: str, where: str) -> dict[str, Any]:
    opts: dict[str, Any] = {"run": False, "trimmed": False, "ignore": frozenset()}
    for raw in text.split(","):
        word = raw.strip()
        if word in ("run", "trimmed"):
            opts[word] = True
        elif word.startswith("ignore="):
            opts["ignore"] = frozenset(k for k in word.removeprefix("ignore=").split("+") if k)
        else:
            raise AssertionError(f"{where}: unknown example option {word!r}")
    return opts


def read_page(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    page = Page()
    previous_end = 0
    waiting: Example | None = None  # the last query, until a ```json block answers it
    for match in FENCE.finditer(text):
        lang, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if lang == "graphql":
            marker = MARKER.search(text[previous_end : match.start()])
            opts = _options(marker.group(1), f"{path.name}:{line}") if marker else {}
            waiting = Example(path, line, body, **opts)
            page.examples.append(waiting)
        elif lang == "json":
            page.json_blocks.append((line, body))
            if waiting is not None:
                waiting.answer, waiting.answer_line = body, line
                waiting = None
        previous_end = match.end()
    return page


DOC_PAGE = read_page(DOC)
README_PAGE = read_page(README)
ALL_QUERIES = DOC_PAGE.examples + README_PAGE.examples
RUN = [e for e in DOC_PAGE.examples if e.run]


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema(Settings.from_env())._schema


def test_the_page_has_its_examples_and_every_answer_is_json() -> None:
    assert len(DOC_PAGE.examples) >= 12, "docs/api-examples.md lost its GraphQL examples"
    assert len(RUN) >= 5, "too few examples are checked against the shipped data"
    assert len(README_PAGE.examples) >= 2
    for line, body in DOC_PAGE.json_blocks:
        try:
            json.loads(body)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{DOC.name}:{line}: the ```json block is not JSON: {exc}")
    for example in RUN:
        assert example.answer is not None, f"{example.name}: a checked example needs its answer"


@pytest.mark.parametrize("example", ALL_QUERIES, ids=lambda e: e.name)
def test_every_graphql_block_validates(example: Example, graphql_schema: GraphQLSchema) -> None:
    errors = validate(graphql_schema, parse(example.query))
    assert not errors, f"{example.name}: " + "; ".join(e.message for e in errors)


def _mismatch(shown: Any, actual: Any, where: str, ex: Example) -> str | None:
    """Why `shown` (from the page) does not describe `actual` (from the API), or None."""
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return f"{where}: page shows an object, API returned {actual!r}"
        missing = shown.keys() - actual.keys()
        if missing:
            return f"{where}: API returned no {sorted(missing)}"
        extra = actual.keys() - shown.keys() - ex.ignore
        if extra and not ex.trimmed:
            return f"{where}: API also returned {sorted(extra)} (mark the example trimmed?)"
        for key, value in shown.items():
            if key in OPAQUE or key in ex.ignore:
                continue
            problem = _mismatch(value, actual[key], f"{where}.{key}", ex)
            if problem:
                return problem
        return None
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return f"{where}: page shows a list, API returned {actual!r}"
        if not ex.trimmed:
            if len(shown) != len(actual):
                return f"{where}: page shows {len(shown)} items, API returned {len(actual)}"
            for i, (s, a) in enumerate(zip(shown, actual, strict=True)):
                problem = _mismatch(s, a, f"{where}[{i}]", ex)
                if problem:
                    return problem
            return None
        start = 0  # trimmed: the items shown appear in the answer, in order
        for i, s in enumerate(shown):
            found = next(
                (j for j in range(start, len(actual)) if not _mismatch(s, actual[j], "", ex)),
                None,
            )
            if found is None:
                return f"{where}[{i}]: {json.dumps(s)} is not in the answer (in this order)"
            start = found + 1
        return None
    if isinstance(shown, bool) or shown is None or isinstance(shown, str):
        ok = type(shown) is type(actual) and shown == actual
        return None if ok else f"{where}: page shows {shown!r}, API returned {actual!r}"
    if isinstance(shown, int | float):
        ok = (
            isinstance(actual, int | float)
            and not isinstance(actual, bool)
            and math.isclose(shown, actual, rel_tol=1e-9, abs_tol=1e-9)
        )
        return None if ok else f"{where}: page shows {shown!r}, API returned {actual!r}"
    return f"{where}: cannot compare {shown!r}"


@pytest.mark.parametrize("example", RUN, ids=lambda e: e.name)
async def test_shipped_data_examples_give_the_answers_shown(
    example: Example, loaded_db: Database
) -> None:
    assert example.answer is not None
    shown = json.loads(example.answer)
    actual = await run_graphql(loaded_db, example.query)
    assert set(shown) == set(actual), (
        f"{example.name}: page shows {sorted(shown)}, API returned {sorted(actual)}: {actual}"
    )
    problem = _mismatch(shown, actual, "answer", example)
    assert problem is None, f"{example.name} (answer at line {example.answer_line}): {problem}"


def test_the_comparison_catches_drift() -> None:
    """The matcher itself: a changed figure, a lost item or an unshown key is reported."""
    ex = Example(DOC, 0, "")
    shown = {"data": {"x": {"value": 48.0, "entries": [{"rank": 1}, {"rank": 2}]}}}
    same = {"data": {"x": {"value": 48.0 + 1e-12, "entries": [{"rank": 1}, {"rank": 2}]}}}
    assert _mismatch(shown, same, "answer", ex) is None
    changed = {"data": {"x": {"value": 47.9, "entries": [{"rank": 1}, {"rank": 2}]}}}
    assert "47.9" in (_mismatch(shown, changed, "answer", ex) or "")
    shorter = {"data": {"x": {"value": 48.0, "entries": [{"rank": 1}]}}}
    assert _mismatch(shown, shorter, "answer", ex)
    more_keys = {"data": {"x": {"value": 48.0, "entries": [{"rank": 1}, {"rank": 2}], "n": 1}}}
    assert _mismatch(shown, more_keys, "answer", ex)
    trimmed = Example(DOC, 0, "", trimmed=True)
    longer = {"data": {"x": {"value": 48.0, "entries": [{"rank": 1}, {"rank": 9}, {"rank": 2}]}}}
    assert _mismatch(shown, longer, "answer", trimmed) is None
    reordered = {"data": {"x": {"value": 48.0, "entries": [{"rank": 2}, {"rank": 1}]}}}
    assert _mismatch(shown, reordered, "answer", trimmed)
    assert _mismatch({"a": 1}, {"a": True}, "answer", ex)
