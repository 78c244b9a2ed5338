"""Checks of a GraphQL request's text before it is costed: no control characters.

The document's size limits (depth, aliases, tokens) are graphql validation rules and the
parser's ``max_tokens``, set up in schema/build.py; the cost limits are in schema/cost.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphql import StringValueNode, visit
from graphql.language import Visitor

# C0 control characters other than tab, line feed and carriage return. No text needs them;
# PostgreSQL cannot store NUL; stored, they would be indexed and served back in highlights.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _named(char: str) -> str:
    return f"U+{ord(char):04X}"


class _EscapedControlFinder(Visitor):
    """String literals whose value holds a control character written as an escape."""

    found: tuple[str, Any] | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        hit = CONTROL_CHARACTERS.search(node.value)
        if hit is not None:
            self.found = (hit.group(), node.loc)
            return self.BREAK
        return None


def _line_column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - text.rfind(chr(10), 0, offset)}"


def control_character(
    query: str | None, document: Any, variables: Mapping[str, Any] | None
) -> str | None:
    """Where the first control character is (``U+0000 in variables.input.title``), or None.

    The document is searched as sent (a raw character inside a string literal, block strings
    and comments included) and as parsed (one written as an escape: ``\\u0001``, ``\\b``,
    ``\\f``); variables are searched whole, keys too."""
    if query is not None:
        hit = CONTROL_CHARACTERS.search(query)
        if hit is not None:
            return f"{_named(hit.group())} in the query at {_line_column(query, hit.start())}"
    if document is not None and (query is None or "\\" in query):  # an escape: \u0001, \b
        finder = _EscapedControlFinder()
        visit(document, finder)
        if finder.found is not None:
            char, loc = finder.found
            where = f" at {_line_column(query, loc.start)}" if query and loc else ""
            return f"{_named(char)} (an escape) in the query{where}"
    stack: list[tuple[Any, str]] = [(dict(variables or {}), "variables")]
    while stack:  # no recursion: any depth the JSON parser accepted
        value, path = stack.pop()
        if isinstance(value, str):
            hit = CONTROL_CHARACTERS.search(value)
            if hit is not None:
                return f"{_named(hit.group())} in {path[:120]}"
        elif isinstance(value, Mapping):
            for key, item in value.items():
                hit = CONTROL_CHARACTERS.search(key) if isinstance(key, str) else None
                if hit is not None:
                    return f"{_named(hit.group())} in a key of {path[:120]}"
                stack.append((item, f"{path}.{key}"))
        elif isinstance(value, list | tuple):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
    return None
