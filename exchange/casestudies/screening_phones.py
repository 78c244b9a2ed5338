"""Personal phone numbers in normalised case-study text (see screening_normalise).

Two finders, one policy. A regular expression finds UK numbers written with any one separator
style (spaces, hyphens, dots, brackets round the area code, ``+44``/``0044``/``+44 (0)``) and
trims trailing groups, so "07700 900123 12 times" still finds the mobile. ``phonenumbers``'
``PhoneNumberMatcher`` (region GB) finds what the expression does not anticipate, including
international numbers. Its leniency is ``POSSIBLE``: ``VALID`` only accepts numbers in ranges
libphonenumber's metadata lists as allocated, so it misses Ofcom's reserved drama ranges and any
range allocated after the metadata was built; the range policy below decides instead.

Both finders' candidates must stand alone (not glued to a word, a URL, a decimal, money or the
middle of another number) and use one separator style throughout: "0-25 1990 2035" is an age
range and two years, not a London number. Then :func:`classify_uk_number` says whether a UK
number is personal, and the allow-list has the last word. A non-UK number written with ``+`` or
``00`` is personal when libphonenumber says it is a valid mobile or fixed line there.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Final

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher, PhoneNumberType

__all__ = ["ORGANISATIONAL", "PERSONAL", "classify_uk_number", "find_phones", "national_digits"]

PERSONAL: Final[str] = "personal"
ORGANISATIONAL: Final[str] = "organisational"

_SEP: Final[str] = r"(?:[ ]?-[ ]?|[ ]|\.)"
# Standing alone: no word character, URL/path/query character, email "@", money sign or
# decimal point before it, and not the second half of "2000-01", "1.5" or "17:00". Or glued to
# a label such as "mob07700 900123" or "Tel01632 960123".
_LABELS: Final[tuple[str, ...]] = ("tel", "mob", "mobile", "phone", "ph", "home", "work", "m", "t")
_BEFORE: Final[str] = "(?:{})".format(
    "|".join(
        [r"(?<![\w+/=,£$€@])(?<![0-9][.:-])(?<![0-9] - )"]
        + [rf"(?<=(?<![A-Za-z])(?i:{label}))" for label in _LABELS]
    )
)
_CANDIDATE_RE: Final[re.Pattern[str]] = re.compile(
    rf"""
    {_BEFORE}
    (?:
        \(?(?:\+[ ]?44|0044)\)?{_SEP}?(?:\(0\){_SEP}?)?
      | \(?(?=0)
    )
    (?>[0-9]+(?:(?:\){_SEP}?|{_SEP})[0-9]+)*)
    """,
    re.VERBOSE,
)
_BEFORE_RE: Final[re.Pattern[str]] = re.compile(_BEFORE)
_MAX_DIGITS: Final[int] = 15  # ITU E.164, and "0044 (0)" + 10 digits
_DIGITS_RE: Final[re.Pattern[str]] = re.compile(r"[0-9]+")
_PERSONAL_TYPES: Final[frozenset[int]] = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.PERSONAL_NUMBER,
    }
)


def classify_uk_number(national: str) -> str | None:
    """Classify a national-format number (leading 0, digits only).

    Returns ``"personal"`` for ranges a private individual is normally reached on,
    ``"organisational"`` for ranges that are, in UK practice, only used by organisations, and
    ``None`` if it isn't a dialable UK number at all.

    * 07 (mobiles, and the 070 "personal numbering" range) -> personal.
    * 01 / 02 geographic -> personal unless allow-listed: a family's landline looks exactly
      like a council office's.
    * 03 (public bodies, charities, businesses), 080x freephone, 084x/087x business rate ->
      organisational, never reported: nobody publishes a child's family on an 0300 or 0800
      line, so flagging them would only teach officers to ignore the screen.
    * 09 premium rate and anything else -> not a phone number for our purposes.
    """
    length = len(national)
    if national.startswith("07"):
        return PERSONAL if length == 11 else None
    if national.startswith(("01", "02")):
        return PERSONAL if length in (10, 11) else None
    if national.startswith("03"):
        return ORGANISATIONAL if length == 11 else None
    if national.startswith("080"):
        return ORGANISATIONAL if length in (10, 11) else None
    if national.startswith(("084", "087")):
        return ORGANISATIONAL if length == 11 else None
    return None


def national_digits(raw: str) -> str | None:
    """A written UK number as national digits: ``+44 (0)1635 42 42 42``, ``0044 1635 424242``
    and ``01635-424242`` all give ``01635424242``. ``None`` when it is not a UK number."""
    digits = "".join(_DIGITS_RE.findall(raw))
    stripped = raw.lstrip(" (")
    if stripped.startswith("+"):
        if not digits.startswith("44"):
            return None
        digits = digits[2:]
    elif stripped.startswith("0044"):
        digits = digits[4:]
    else:
        return digits if digits.startswith("0") else None
    if not digits:
        return None
    # "+44 (0)1635..." (and the common "+44 01635...") keep their trunk 0.
    return digits if digits.startswith("0") else "0" + digits


def _one_style(raw: str, *, strict: bool = False) -> bool:
    """The separators between digit groups could be one person's way of writing one number.

    Dots are all or nothing ("0.12 0.34" are decimals); a slash only comes from the matcher
    ("07911 / 123456"); spaces and hyphens may mix ("07700 900-123") unless the number starts
    with a lone 0 ("0-25 1990 2035" is an age range and two years), or ``strict``. The
    separator after an international prefix and those next to brackets don't count.
    """
    groups = list(_DIGITS_RE.finditer(raw))
    international = raw.lstrip(" (").startswith(("+", "00"))
    kinds = set()
    for i, (left, right) in enumerate(itertools.pairwise(groups)):
        sep = raw[left.end() : right.start()]
        if (i == 0 and international) or "(" in sep or ")" in sep:
            continue
        kind = sep.strip() or " "
        if kind not in (" ", "-", ".", "/"):
            return False
        kinds.add(kind)
    if len(kinds) <= 1:
        return True
    if strict:
        return False
    national_first = groups[1] if international and len(groups) > 1 else groups[0]
    return kinds == {" ", "-"} and len(national_first.group()) >= 3


def _verdict(raw: str, allowed: frozenset[str]) -> str | None:
    """``"personal"``, ``"public"`` (organisational or allow-listed) or ``None`` (not a number)."""
    national = national_digits(raw)
    kind = classify_uk_number(national) if national is not None else None
    if kind is None or not _one_style(raw):
        return None
    return PERSONAL if kind == PERSONAL and national not in allowed else "public"


def _from_expression(text: str, allowed: frozenset[str]) -> Iterator[tuple[int, int]]:
    for match in _CANDIDATE_RE.finditer(text):
        raw = match.group()
        groups = list(_DIGITS_RE.finditer(raw))
        first = 0
        while first < len(groups):
            # Start at the candidate's start, or at a later group that starts with the trunk 0
            # ("0.12 07700 900123": the decimal is not part of the number).
            begin = 0 if first == 0 else groups[first].start()
            if first and not (
                raw.startswith("0", begin) and _BEFORE_RE.match(text, match.start() + begin)
            ):
                first += 1
                continue
            found = None
            # Longest dialable prefix wins; a public number stops the trimming, or we would
            # report a prefix of it. No number has more than _MAX_DIGITS digits.
            last_possible, digits = first, 0
            while last_possible < len(groups):
                digits += len(groups[last_possible].group())
                if digits > _MAX_DIGITS:
                    break
                last_possible += 1
            for last in range(last_possible - 1, first - 1, -1):
                verdict = _verdict(raw[begin : groups[last].end()], allowed)
                if verdict is not None:
                    found = (verdict, last)
                    break
            if found is None:
                first += 1
                continue
            verdict, last = found
            if verdict == PERSONAL:
                yield match.start() + begin, match.start() + groups[last].end()
            first = last + 1


def _from_matcher(text: str, allowed: frozenset[str]) -> Iterator[tuple[int, int]]:
    for match in PhoneNumberMatcher(text, "GB", leniency=Leniency.POSSIBLE):
        start, end = match.start, match.end
        if not _BEFORE_RE.match(text, start) or (end < len(text) and text[end].isalnum()):
            continue
        number, raw = match.number, match.raw_string
        if number.country_code == 44:
            if _verdict(raw, allowed) == PERSONAL:
                yield start, end
        elif (
            re.match(r"[ (]*(?:\+|00[1-9])", raw)
            and _one_style(raw, strict=True)
            and phonenumbers.is_valid_number(number)
            and phonenumbers.number_type(number) in _PERSONAL_TYPES
        ):
            yield start, end


def find_phones(text: str, allowed: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Spans of personal phone numbers in normalised ``text`` (overlaps possible)."""
    yield from _from_expression(text, allowed)
    if any(c.isdigit() for c in text):
        yield from _from_matcher(text, allowed)
