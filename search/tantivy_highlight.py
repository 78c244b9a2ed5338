"""Highlights for the tantivy adapter: snippets of the hits, the matched words in <mark>."""

from __future__ import annotations

import tantivy

from search import text
from search.settings import ELLIPSIS, HIGHLIGHT_FIELDS, SNIPPET_MAX_CHARS
from search.tantivy_index import stem, stored
from search.tantivy_query import HighlightSpec, should


def highlights(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    spec: HighlightSpec,
    docs: list[tantivy.Document],
) -> list[dict[str, list[str]]]:
    """Per hit, its highlighted fields: HTML snippets with the matched words in <mark>."""
    stems = _highlight_stems(spec, docs)
    if not stems:
        return [{} for _ in docs]
    marker = should(
        [
            tantivy.Query.term_query(schema, name, term)
            for name in HIGHLIGHT_FIELDS
            for term in sorted(stems)
        ]
    )
    generators = {}
    for name in HIGHLIGHT_FIELDS:
        generator = tantivy.SnippetGenerator.create(searcher, marker, schema, name)
        generator.set_max_num_chars(SNIPPET_MAX_CHARS[name])
        generators[name] = generator
    out = []
    for doc in docs:
        marks: dict[str, list[str]] = {}
        for name, generator in generators.items():
            snippet = _snippet_html(generator.snippet_from_doc(doc), stored(doc, name))
            if snippet:
                marks[name] = [snippet]
        out.append(marks)
    return out


def _highlight_stems(spec: HighlightSpec, docs: list[tantivy.Document]) -> set[str]:
    """The spec's stems plus the stems of the typo'd and prefixed words the hits contain.

    tantivy's SnippetGenerator only knows the terms of term and phrase queries; fuzzy and
    prefix queries expand inside the engine. So the words of the displayed hits are matched
    here (a few hundred words, cheap) and their stems added as plain terms.
    """
    stems = set(spec.stems)
    if not spec.fuzzy and spec.prefix is None:
        return stems
    vocab = text.Vocabulary([stored(doc, f) for doc in docs for f in HIGHLIGHT_FIELDS])
    for word, budget in spec.fuzzy:
        stems.update(stem(w) for w in vocab.near(word, budget))
    if spec.prefix is not None:
        word, budget = spec.prefix
        stems.update(stem(w) for w in vocab.prefixed(word, budget))
    return stems


# One C-level pass instead of html.escape's five replace() calls; same output.
_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
)


def _escape(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").translate(_HTML_ESCAPES)


def _snippet_html(snippet: tantivy.Snippet, full_text: str) -> str | None:
    """Escape the fragment ourselves and wrap hits in <mark> (to_html only offers <b>).

    Highlight ranges are byte offsets into the UTF-8 fragment, hence the bytes.
    """
    ranges = sorted((r.start, r.end) for r in snippet.highlighted())
    if not ranges:
        return None
    fragment = snippet.fragment().encode("utf-8")
    parts: list[str] = []
    position = 0
    for start, end in ranges:
        start = max(start, position)  # never overlap a previous mark
        if end <= start:
            continue
        parts.append(_escape(fragment[position:start]))
        parts.append(f"<mark>{_escape(fragment[start:end])}</mark>")
        position = end
    parts.append(_escape(fragment[position:]))
    bounds = snippet.fragment_range()
    whole = full_text.encode("utf-8")
    return _edge(whole[: bounds.start]) + "".join(parts) + _edge(whole[bounds.end :])


def _edge(cut: bytes) -> str:
    """What stands for text outside the fragment: an ellipsis if it holds words, else itself.

    Fragments end on word boundaries, so a title's closing "." or ")" would otherwise turn
    into a misleading "…".
    """
    if len(cut) <= 8 and not any(ch.isalnum() for ch in cut.decode("utf-8", errors="replace")):
        return _escape(cut)
    return ELLIPSIS
