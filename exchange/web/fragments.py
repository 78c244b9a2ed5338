"""Fragments the pages' operations share: ``exchange/web/operations/fragments/<Name>.graphql``.

An operation spreads a shared fragment (``...CaseStudySummary``) without defining it; the loader
(``operations.operation_text``) appends the definitions it spreads, and those they spread in
turn, each once: GraphQL refuses a document with a fragment it does not use, so never all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from graphql import FragmentDefinitionNode, FragmentSpreadNode, Visitor, parse, visit

FRAGMENTS_DIR = Path(__file__).resolve().parent / "operations" / "fragments"


def _spread_and_defined(text: str) -> tuple[set[str], set[str]]:
    """The fragment names a document spreads, and those it defines itself."""
    document = parse(text)
    defined = {d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    spread: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
            spread.add(node.name.value)

    visit(document, Spreads())
    return spread, defined


@lru_cache(maxsize=1)
def shared_fragments() -> dict[str, str]:
    """Each shared fragment's definition by name (the file is named after its fragment)."""
    found: dict[str, str] = {}
    for path in sorted(FRAGMENTS_DIR.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        _, defined = _spread_and_defined(text)
        if defined != {path.stem}:
            raise ValueError(f"{path.name} must define exactly one fragment, {path.stem}")
        found[path.stem] = text
    return found


def with_fragments(text: str) -> str:
    """The operation with the shared fragments it needs appended (unknown names are left for
    GraphQL validation to report)."""
    shared = shared_fragments()
    spread, defined = _spread_and_defined(text)
    added: list[str] = []
    wanted = sorted(spread - defined)
    while wanted:
        name = wanted.pop(0)
        if name in defined or name not in shared:
            continue
        defined.add(name)
        added.append(shared[name])
        more, _ = _spread_and_defined(shared[name])
        wanted.extend(sorted(more - defined))
    return "\n".join([text.rstrip("\n"), *(a.rstrip("\n") for a in added)]) + "\n"
