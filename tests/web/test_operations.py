"""The pages' named GraphQL operations are valid against the schema the API serves."""

from __future__ import annotations

import re

import pytest
from graphql import OperationDefinitionNode, parse, validate

from exchange.settings import Settings
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
