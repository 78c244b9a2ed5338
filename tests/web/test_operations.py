"""The pages' named GraphQL operations are valid against the schema the API serves."""

from __future__ import annotations

import re

import pytest
from graphql import OperationDefinitionNode, parse, validate

from exchange.settings import Settings
from exchange.web.fragments import FRAGMENTS_DIR, shared_fragments, with_fragments
from exchange.web.operations import OPERATIONS_DIR, operation_names, operation_text
from schema.build import build_schema

NAMES = operation_names()


@pytest.fixture(scope="module")
def graphql_schema():  # type: ignore[no-untyped-def]
    return build_schema(Settings.from_env())._schema


def test_the_pages_have_their_operations() -> None:
    expected = {
        "AuthorityDashboard",
        "MetricTrend",
        "MetricComparison",
        "Improvers",
        "SearchCaseStudies",
        "CaseStudyPage",
        "CreateCaseStudy",
        "PublishCaseStudy",
        "PublishObservationsCsv",
        "CurrentViewer",
    }
    assert expected <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_operation_validates_against_the_schema(name: str, graphql_schema) -> None:  # type: ignore[no-untyped-def]
    document = parse(operation_text(name))
    assert validate(graphql_schema, document) == []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.name.value for op in operations if op.name] == [name]


@pytest.mark.parametrize("name", ["../etc/passwd", "lower", "Bad-Name", ""])
def test_operation_names_are_checked(name: str) -> None:
    with pytest.raises((ValueError, FileNotFoundError)):
        operation_text(name)


def test_operation_files_are_named_after_their_operation() -> None:
    for path in OPERATIONS_DIR.glob("*.graphql"):
        assert re.search(rf"\b(query|mutation) {path.stem}\b", path.read_text())


def test_shared_fragments_are_named_after_their_fragment() -> None:
    names = sorted(p.stem for p in FRAGMENTS_DIR.glob("*.graphql"))
    assert names and sorted(shared_fragments()) == names
    for name, text in shared_fragments().items():
        assert re.search(rf"\bfragment {name} on\b", text)


def test_every_shared_fragment_serves_an_operation() -> None:
    used = {
        n
        for name in NAMES
        for n in shared_fragments()
        if f"fragment {n} on" in operation_text(name)
    }
    assert used == set(shared_fragments())


def test_only_the_fragments_spread_are_added_each_once() -> None:
    text = 'query Q { caseStudies(query: "") { edges { node { ...CaseStudySummary } } } }'
    full = with_fragments(text)
    assert full.count("fragment CaseStudySummary on CaseStudy") == 1
    assert "fragment Vocabulary" not in full and "fragment CaseStudyWritten" not in full
    # A fragment the operation defines itself is its own: nothing is added for it.
    own = text + "\nfragment CaseStudySummary on CaseStudy { id }"
    assert with_fragments(own).count("fragment CaseStudySummary") == 1
