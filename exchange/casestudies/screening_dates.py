"""Dates of birth in normalised case-study text (see screening_normalise).

A date on its own is a programme date ("from 1 September 2023"). It is a date of birth when
something labels it as one:

* a birth keyword before it: "born", "newborn", "b.", "DOB"/"D.O.B."/"d o b", "date of birth"
  (also "date-of-birth", "date_of_birth", "dates of birth"), "birth date", "birthdate",
  "birthday", "bday"/"b'day", "birth:". Within :data:`NEAR` characters (parenthetical asides
  such as "(from the census)" not counted) that is enough. Up to :data:`FAR` characters it still
  counts when the words between stay in one clause: no sentence end, no other year or date, and
  none of :data:`_CLAUSE_WORDS` ("and", "later", "were", "assessed", ...), so "born at the Royal
  Berkshire Hospital in Reading on 12/03/2015" is caught and "born in Reading and, some years
  later, on 12/03/2015 started school" is not. Never across another year, or a range word
  ("children born between 1 September 2015 and 31 August 2016" is a cohort);
* a label just after it (within :data:`AFTER` characters, same sentence): "(DOB)", "(born)",
  "(b.)", "- date of birth", "is her birthday", "was born";
* being listed right after (or before) a labelled date: "dates of birth 12/03/2015 and
  14/05/2017".

Dates are day-first numeric (12/03/2015, 12.3.15, 12 03 2015), year-first (2015-03-12), compact
(20150312, 12032015), or with a month name (12 March 2015, 12th of March 2015, 12-Mar-15,
March 12th, 2015). A month and year alone ("born in March 2015") is not a date of birth.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator
from datetime import date
from typing import Final

__all__ = ["AFTER", "FAR", "NEAR", "find_dates_of_birth"]

NEAR: Final[int] = 30
FAR: Final[int] = 80
AFTER: Final[int] = 20

_SPELLED_DOB: Final[str] = r"d[ ./_-]{0,2}o[ ./_-]{0,2}b\.?"
_STRONG: Final[str] = (
    rf"{_SPELLED_DOB}|dates?[ _-]*of[ _-]*birth|birth[ _-]*(?:date|day)s?|b[-'\u2019]?days?"
)
_BEFORE_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![a-z])(?:{_STRONG}|(?:new)?born|b\.|birth(?=[ ]*:))(?![a-z])", re.IGNORECASE
)
_AFTER_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![a-z])(?:(?:{_STRONG})s?|(?<=\()born(?=\))|(?<=\()b\.(?=\))"
    r"|(?:was|were|is|are|been|being)[ ]+born)(?![a-z])",
    re.IGNORECASE,
)

_MONTHS: Final[dict[str, int]] = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH: Final[str] = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORD: Final[str] = r"(?:st|nd|rd|th)?"
_NUM_SEP: Final[str] = r"(?P<sep>[ ]?[/.-][ ]?|[ ])"
_WORD_SEP: Final[str] = r"(?:[ ]+|[ ]?[/.-][ ]?)"
_EDGE: Final[str] = r"(?<![0-9])(?<![0-9][/.-])"
_DATE_RES: Final[tuple[re.Pattern[str], ...]] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # 12/03/2015, 12.3.15, 12 03 2015 (day first, as written in England; US order also tried)
        rf"{_EDGE}(?P<d>[0-9]{{1,2}}){_NUM_SEP}(?P<m>[0-9]{{1,2}})(?P=sep)"
        r"(?P<y>[0-9]{4}|[0-9]{2})(?![0-9])(?!(?P=sep)[0-9])",
        # 2015-03-12, 2015/3/12
        rf"{_EDGE}(?P<y>(?:19|20)[0-9]{{2}}){_NUM_SEP}(?P<m>[0-9]{{1,2}})(?P=sep)"
        r"(?P<d>[0-9]{1,2})(?![0-9])(?!(?P=sep)[0-9])",
        # 20150312 and 12032015
        r"(?<![0-9])(?P<y>(?:19|20)[0-9]{2})(?P<m>[01][0-9])(?P<d>[0-3][0-9])(?![0-9])",
        r"(?<![0-9])(?P<d>[0-3][0-9])(?P<m>[01][0-9])(?P<y>(?:19|20)[0-9]{2})(?![0-9])",
        # 12 March 2015, 12th of March 2015, 12-Mar-15, 12 Mar. 2015
        rf"{_EDGE}(?P<d>[0-9]{{1,2}}){_ORD}(?:[ ]+of)?{_WORD_SEP}(?P<mname>{_MONTH})\b\.?,?"
        rf"{_WORD_SEP}'?(?P<y>[0-9]{{4}}|[0-9]{{2}})(?![0-9])",
        # March 12th 2015, March 12, 2015, Mar-12-2015
        rf"\b(?P<mname>{_MONTH})\b\.?{_WORD_SEP}(?P<d>[0-9]{{1,2}}){_ORD}(?![0-9]),?"
        rf"{_WORD_SEP}(?P<y>[0-9]{{4}})(?![0-9])",
    )
)

_ASIDE_RE: Final[re.Pattern[str]] = re.compile(r"\([^()\n]*\)|\[[^\[\]\n]*\]")
_SENTENCE_END_RE: Final[re.Pattern[str]] = re.compile(r"[.!?;](?:\s|$)|\n")
_YEAR_RE: Final[re.Pattern[str]] = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
_CLAUSE_WORDS: Final[re.Pattern[str]] = re.compile(
    r"\b(?:and|but|or|later|then|until|till|after|afterwards|before|since|when|while|whilst"
    r"|subsequently|was|were|is|are|has|had|have|been|started|joined|moved|referred|diagnosed"
    r"|assessed|admitted|excluded|placed|attended|met|reviewed|began|left)\b",
    re.IGNORECASE,
)
# "born between 1 September 2015 and 31 August 2016", "born on or after ...": a cohort.
_RANGE_WORDS: Final[re.Pattern[str]] = re.compile(
    r"\b(?:between|from|after|before|since|until|till|or)\b", re.IGNORECASE
)
_LIST_GAP_RE: Final[re.Pattern[str]] = re.compile(r"\s*(?:[,;&/]|and|or)?\s*", re.IGNORECASE)


def _is_real_date(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    year = int(groups["y"])
    if len(groups["y"]) == 2:
        year += 2000  # only used for validity (2000 is a leap year, so 29/02 passes)
    day = int(groups["d"])
    if groups.get("mname"):
        candidates = [(day, _MONTHS[groups["mname"][:3].lower()])]
    else:
        month = int(groups["m"])
        candidates = [(day, month), (month, day)]
    for d, m in candidates:
        try:
            date(year, m, d)
        except ValueError:
            continue
        return True
    return False


def _dates(text: str) -> list[tuple[int, int]]:
    """Real dates, earliest first, the longest where two overlap."""
    found = sorted(
        ((m.start(), m.end()) for p in _DATE_RES for m in p.finditer(text) if _is_real_date(m)),
        key=lambda s: (s[0], -s[1]),
    )
    out: list[tuple[int, int]] = []
    for start, end in found:
        if not out or start >= out[-1][1]:
            out.append((start, end))
    return out


def _labelled_before(text: str, keyword_ends: list[int], start: int) -> bool:
    # Keywords ending at most FAR characters before the date, plus room for asides.
    first = bisect.bisect_left(keyword_ends, start - 4 * FAR)
    for end in keyword_ends[first : bisect.bisect_right(keyword_ends, start)]:
        gap = _ASIDE_RE.sub("", text[end:start])
        if _YEAR_RE.search(gap) or _RANGE_WORDS.search(gap) or "\n\n" in gap or len(gap) > FAR:
            continue
        if len(gap) <= NEAR or not (_SENTENCE_END_RE.search(gap) or _CLAUSE_WORDS.search(gap)):
            return True
    return False


def _labelled_after(text: str, keyword_starts: list[int], end: int) -> bool:
    first = bisect.bisect_left(keyword_starts, end)
    for start in keyword_starts[first : bisect.bisect_right(keyword_starts, end + AFTER)]:
        gap = text[end:start]
        if not any(c.isdigit() for c in gap) and not _SENTENCE_END_RE.search(gap):
            return True
    return False


def find_dates_of_birth(text: str) -> Iterator[tuple[int, int]]:
    """Spans of labelled dates of birth in normalised ``text``."""
    before = [m.end() for m in _BEFORE_RE.finditer(text)]
    after = [m.start() for m in _AFTER_RE.finditer(text)]
    if not before and not after:
        return
    dates = _dates(text)
    labelled = [
        _labelled_before(text, before, s) or _labelled_after(text, after, e) for s, e in dates
    ]
    # A date listed right next to a labelled one is labelled too, in either direction.
    listed = [
        _LIST_GAP_RE.fullmatch(text, left[1], right[0]) is not None
        for left, right in itertools.pairwise(dates)
    ]
    for i in range(1, len(dates)):
        labelled[i] = labelled[i] or (labelled[i - 1] and listed[i - 1])
    for i in range(len(dates) - 2, -1, -1):
        labelled[i] = labelled[i] or (labelled[i + 1] and listed[i])
    for (start, end), is_dob in zip(dates, labelled, strict=True):
        if is_dob:
            yield start, end
