"""Turning untrusted user text into plain words, the same way for every adapter.

Neither engine ever sees user syntax: quotes, `title:foo`, `*`, `AND`/`OR`/`NOT`, `-`, `~`, `^`
are all reduced to the alphanumeric words around them, so no user input can scope a search
to a field, negate a term or blow up a query parser.
"""

import re
import unicodedata
from dataclasses import dataclass

from search.settings import (
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    MAX_WORD_BYTES,
    ONE_TYPO_MIN_LEN,
    TWO_TYPOS_MIN_LEN,
)

# A word is a run of letters or digits in any script. `_` counts as a separator, as it does for
# tantivy's simple tokenizer, so `annual_reviews` splits into two words on both sides.
_WORD_RE = re.compile(r"[^\W_]+")

# Words too common to be required. They still count towards the score when present, but a
# query like "reviews of the plan" must not fail because a document never says "of".
STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have",
        "in", "into", "is", "it", "its", "not", "of", "on", "or", "our", "so", "that", "the",
        "their", "this", "to", "was", "we", "were", "with",
    }
)  # fmt: skip


def normalise(text: str) -> str:
    """NFC-normalise so that a composed and a decomposed "é" are the same word."""
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class UserQuery:
    """What is left of untrusted user text: plain words, and whether the last is unfinished."""

    words: tuple[str, ...]
    # The text ends inside its last word, which may still be being typed: match it as a prefix
    # (as-you-type). A trailing space or punctuation means the word is finished.
    last_is_partial: bool


def parse(text: str) -> UserQuery:
    """Lower-cased alphanumeric words of `text`, at most MAX_QUERY_WORDS of them.

    The input is cut to MAX_QUERY_CHARS first so a 10 KB paste costs no more than a sentence.
    Words of MAX_WORD_BYTES or more are dropped: tantivy's tokenizer drops them at index time,
    so they could never match anyway.
    """
    cut = normalise(text[:MAX_QUERY_CHARS])
    found = _WORD_RE.findall(cut.lower())
    kept = [w for w in found if len(w.encode("utf-8")) < MAX_WORD_BYTES]
    partial = (
        bool(kept)
        and len(kept) <= MAX_QUERY_WORDS  # a cut-off query's last word is not its last word
        and len(found[-1].encode("utf-8")) < MAX_WORD_BYTES  # the last word was not dropped
        and _WORD_RE.fullmatch(cut[-1]) is not None
    )
    return UserQuery(tuple(kept[:MAX_QUERY_WORDS]), partial)


def typo_budget(word: str) -> int:
    """Edits tolerated in `word`, following Meilisearch's defaults (1 from 5 letters, 2 from 9)."""
    if len(word) >= TWO_TYPOS_MIN_LEN:
        return 2
    if len(word) >= ONE_TYPO_MIN_LEN:
        return 1
    return 0


def within_edits(query: str, word: str, budget: int, *, prefix: bool = False) -> bool:
    """True when `word` is within `budget` edits of `query` (adjacent swaps count as one edit).

    With `prefix`, it is enough that some prefix of `word` is within budget, which is how a
    prefix fuzzy query matches "psycholgi" against "psychologist". Used only to choose which
    words of the displayed hits to highlight, so it must be cheap in plain Python.
    """
    if not prefix:
        return _within(query, word, budget)
    shortest = max(len(query) - budget, 0)
    return any(
        _within(query, word[:size], budget)
        for size in range(shortest, min(len(query) + budget, len(word)) + 1)
    )


def _within(a: str, b: str, budget: int) -> bool:
    """Optimal-string-alignment distance of a and b <= budget, by bounded recursion.

    Common prefixes and suffixes cost nothing, so they are stripped; the first remaining
    character must then be substituted, deleted, inserted or swapped with its neighbour, each
    spending one edit. With budget <= 2 that is at most a few dozen cheap string comparisons.
    """
    if abs(len(a) - len(b)) > budget:
        return False
    start = 0
    shorter = min(len(a), len(b))
    while start < shorter and a[start] == b[start]:
        start += 1
    end = 0
    while end < shorter - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start : len(a) - end], b[start : len(b) - end]
    if not a or not b:
        return max(len(a), len(b)) <= budget
    if budget == 0:
        return False
    rest = budget - 1
    return (
        _within(a[1:], b[1:], rest)
        or _within(a[1:], b, rest)
        or _within(a, b[1:], rest)
        or (
            len(a) > 1
            and len(b) > 1
            and a[0] == b[1]
            and a[1] == b[0]
            and _within(a[2:], b[2:], rest)
        )
    )


class Vocabulary:
    """The distinct lower-cased words of some texts (the displayed hits), for highlighting.

    Answers "which of these words would a fuzzy (or prefix) query for X have matched?", which
    tantivy does not report. Words are bucketed by first letter: as in Meilisearch, a typo on
    the first letter costs two edits, so a one-edit match always shares it, and a two-edit
    match is looked for in the whole vocabulary only when the budget allows it.
    """

    def __init__(self, texts: list[str]) -> None:
        joined = "\n".join(texts).lower()
        # str.split is several times faster than a regex; only the few tokens carrying
        # punctuation ("plan," "co-ordinator") need the regex.
        self._words: set[str] = set()
        for token in set(joined.split()):
            if token.isalnum():
                self._words.add(token)
            else:
                self._words.update(_WORD_RE.findall(token))
        self._by_first: dict[str, list[str]] = {}
        for word in self._words:
            self._by_first.setdefault(word[0], []).append(word)

    def __contains__(self, word: str) -> bool:
        return word in self._words

    def _candidates(self, query: str, budget: int, *, min_len: int, max_len: int) -> list[str]:
        """Words of a plausible length that start close enough to `query` to be worth a look."""
        if budget >= 2:  # enough budget to spend both edits on the first letter
            return [w for w in self._words if min_len <= len(w) <= max_len and near_start(query, w)]
        return [w for w in self._by_first.get(query[:1], []) if min_len <= len(w) <= max_len]

    def near(self, query: str, budget: int) -> list[str]:
        """Words within `budget` edits of `query` (what a fuzzy term query matched)."""
        size = len(query)
        candidates = self._candidates(query, budget, min_len=size - budget, max_len=size + budget)
        return [w for w in candidates if _within(query, w, budget)]

    def prefixed(self, query: str, budget: int) -> list[str]:
        """Words that begin with `query`, give or take `budget` edits."""
        found = [w for w in self._by_first.get(query[:1], []) if w.startswith(query)]
        if budget == 0:
            return found
        # Only a word's first len(query) + budget letters can take part in a prefix match, so
        # judge each distinct head once.
        span = len(query) + budget
        candidates = [
            w
            for w in self._candidates(query, budget, min_len=len(query) - budget, max_len=1_000)
            if not w.startswith(query)
        ]
        heads = {w[:span] for w in candidates}
        good = {head for head in heads if within_edits(query, head, budget, prefix=True)}
        found.extend(w for w in candidates if w[:span] in good)
        return found


def near_start(query: str, word: str) -> bool:
    """Cheap pre-check before an edit-distance check: do the words start alike?

    True when the first letters agree or when the start is explained by a single edit at the
    first letter (substituted, swapped with the second, deleted or inserted). Typos at the
    start and elsewhere at once are not highlighted; they are still found.
    """
    return (
        word[:1] == query[:1]
        or word[1:3] == query[1:3]  # first letter substituted
        or (word[:1] == query[1:2] and word[1:2] == query[:1])  # first two swapped
        or word[:2] == query[1:3]  # first letter missing from the word
        or word[1:3] == query[:2]  # a letter added before the word
    )
