"""Fold the ways a number or an address can be disguised, keeping a map back to the original.

The screen matches patterns against a *normalised* copy of each field and reports findings in the
officer's own text. Normalisation, in order, per character (a base character together with the
combining marks and invisible characters that follow it, so offsets never split one):

1. Unicode NFKC: fullwidth and mathematical digits and letters, ``＠``, ``．``, ligatures and
   compatibility spaces become their plain forms.
2. Invisible characters are dropped: zero-width space/non-joiner/joiner (U+200B-U+200D), word
   joiner (U+2060), BOM (U+FEFF), every other format character (category Cf: soft hyphen,
   direction marks, ...), variation selectors and the combining grapheme joiner.
3. Accents are dropped (NFKD, then combining marks removed): ``bórn`` is "born", a digit with a
   combining underline is the digit.
4. Every decimal digit of any script (Arabic-Indic, Devanagari, ...) becomes its ASCII digit.
5. Every Unicode dash (category Pd, the minus signs) becomes ``-``; every Unicode space (category
   Zs, tab, form feed) becomes `` ``; line and paragraph separators and CR become ``\\n``; the
   middle dots and bullets officers use as separators become ``.``.
6. Cyrillic and Greek letters that look like Latin ones (``В``, ``О``, ``р``, ``Ο``...) become the
   Latin letter.
7. In a word made only of digits and the look-alike letters O, o, I and l (``9OO123``), O and
   o become 0, and I and l between two digits become 1.

``Normalised.original_span`` turns a span of the normalised text back into the span of the
original text that produced it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

__all__ = ["Normalised", "is_invisible", "normalise", "visible"]

ZERO_WIDTH: Final[frozenset[str]] = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_EXTRA_DASHES: Final[frozenset[str]] = frozenset("\u2212\u2043\u02d7\u2796\u2e3a\u2e3b\u207b\u208b")
_DOTS: Final[frozenset[str]] = frozenset("\u00b7\u2022\u2027\u2219\u22c5\u30fb\uff65\u2981")
_LINE_BREAKS: Final[frozenset[str]] = frozenset("\r\u2028\u2029\x85")
_SPACES: Final[frozenset[str]] = frozenset("\t\x0b\x0c")

# Letters that render like Latin ones (Unicode confusables, Cyrillic and Greek only).
_LOOK_ALIKES: Final[dict[str, str]] = dict(
    zip(
        "АВЕКМНОРСТХУЅІЈаеорсуххіјѕԁһԛԝ" + "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαρνι",
        "ABEKMHOPCTXYSIJaeopcyxxijsdhqw" + "ABEZHIKMNOPTYXoapvi",
        strict=True,
    )
)
# Possessive: a long run of digits followed by a letter fails at once, without backtracking.
_DIGIT_WORD_RE: Final[re.Pattern[str]] = re.compile(r"(?<!\w)[0-9OoIl]++(?!\w)")
_ZERO_FOLD: Final[dict[int, int]] = str.maketrans("Oo", "00")
_ONE_RE: Final[re.Pattern[str]] = re.compile(r"(?<=[0-9])[Il](?=[0-9])")


def is_invisible(char: str) -> bool:
    """Zero-width, format, variation-selector and grapheme-joiner characters."""
    code = ord(char)
    return (
        char in ZERO_WIDTH
        or unicodedata.category(char) == "Cf"
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or code == 0x034F
    )


def _attaches(char: str) -> bool:
    """Belongs with the character before it: a combining mark or an invisible character."""
    return unicodedata.category(char) in ("Mn", "Me") or is_invisible(char)


def _fold(char: str) -> str:
    """One character of NFKC output, folded (steps 2-6); may be empty."""
    if char.isascii():
        if char in _SPACES:
            return " "
        return "\n" if char == "\r" else char
    if is_invisible(char):
        return ""
    category = unicodedata.category(char)
    if category in ("Mn", "Me"):
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category == "Pd" or char in _EXTRA_DASHES:
        return "-"
    if category == "Zs":
        return " "
    if char in _LINE_BREAKS:
        return "\n"
    if char in _DOTS:
        return "."
    return _LOOK_ALIKES.get(char, char)


@dataclass(frozen=True)
class Normalised:
    """Normalised text; ``starts[i]``/``ends[i]`` bound the original characters that produced
    normalised character ``i``."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span behind normalised ``text[start:end]`` (``end > start``)."""
        return self.starts[start], self.ends[end - 1]


def normalise(original: str) -> Normalised:
    """Fold ``original`` for matching (see the module docstring)."""
    if original.isascii() and not any(c in original for c in "\t\x0b\x0c\r"):
        positions = tuple(range(len(original)))
        return Normalised(
            original,
            _fold_digit_words(original),
            positions,
            tuple(p + 1 for p in positions),
        )
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(original)
    while i < n:
        j = i + 1
        while j < n and _attaches(original[j]):
            j += 1
        if j == i + 1 and original[i].isascii():
            folded = _fold(original[i])
        else:
            chunk = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", original[i:j]))
            folded = "".join(_fold(c) for c in chunk)
        out.append(folded)
        starts.extend([i] * len(folded))
        ends.extend([j] * len(folded))
        i = j
    return Normalised(original, _fold_digit_words("".join(out)), tuple(starts), tuple(ends))


def _fold_digit_words(text: str) -> str:
    """Step 7; one character for one, so the offset map is unchanged."""
    if not any(c in text for c in "OoIl"):
        return text
    return _DIGIT_WORD_RE.sub(_fold_word, text)


def _fold_word(match: re.Match[str]) -> str:
    """O and o anywhere; I and l only between two digits (a UPN may start with l)."""
    word = match.group()
    if not any(c.isdigit() for c in word):
        return word
    word = word.translate(_ZERO_FOLD)
    return _ONE_RE.sub("1", word)


def visible(text: str) -> str:
    """``text`` without its invisible characters: for excerpts shown to the officer."""
    return "".join(c for c in text if not is_invisible(c))
