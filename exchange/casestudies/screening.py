"""Screen SEND case-study text for personal data before it is stored.

Case studies are written by council officers and published to other councils.
They describe interventions, not individual children, so anything that
identifies a child or a family member has to be removed first. This module is
deliberately conservative about *what* it calls personal data (every detector
is a pattern with a strong signal: a check digit, a mailbox, a dialable UK
number or a date explicitly labelled as a birth date) so that it can sit in
front of the save button without nagging officers about budgets, percentages
and years, which case studies are full of.

Detectors
---------
``UPN``
    Unique Pupil Number: a check letter followed by 12 characters (LA code,
    DfE establishment number, 2-digit year, 3-character serial whose last
    character is a letter for a *temporary* UPN). Only numbers whose check
    letter is correct are reported (DfE "Unique Pupil Numbers (UPNs)" guidance,
    UK Government Data Standards Catalogue v2.0): the characters in positions
    2..13 are multiplied by their position (2..13), digits count as their
    value and a trailing letter counts as its index in the 23-letter check
    alphabet ``ABCDEFGHJKLMNPQRTUVWXYZ`` (A=0 ... Z=22, no I, O or S); the
    sum mod 23 indexes the same alphabet to give the check letter. The LA code
    is *not* checked against the list of live codes: a 1-in-23 chance of a
    false alarm on a letter+12-digit token is acceptable, a missed pupil
    identifier from a reorganised LA is not.
``NHS_NUMBER``
    Ten digits, contiguous or grouped 3-3-4 with spaces or hyphens, passing
    the modulus-11 check (weights 10..2; check = 11 - sum mod 11; 11 -> 0;
    10 -> never issued).
``EMAIL``
    Any email address, except a generic role mailbox (local part in
    :data:`ROLE_MAILBOX_LOCAL_PARTS`) on a ``.gov.uk``, ``.nhs.uk`` or
    ``.sch.uk`` domain. ``jane.smith@westberks.gov.uk`` is a person.
``PHONE``
    UK mobiles (07...), geographic numbers (01/02...), national or ``+44`` /
    ``0044`` form. Non-geographic *organisational* ranges are not reported
    (see :func:`_classify_uk_number`), nor are numbers in
    :data:`SWITCHBOARD_ALLOW_LIST`.
``DATE_OF_BIRTH``
    A full date (day, month and year, numeric, ISO or with a month name)
    preceded within :data:`DOB_CONTEXT_WINDOW` characters by "born" (or
    "newborn"), "DOB", "D.O.B", "date of birth", "birthday" or "birthdate".
    Dates without that context ("from 1 September 2023") are programme dates,
    not personal data. A month and year alone ("born in March 2015") is not
    reported.

Offsets are Python string indices (code points) into the field's text;
``end`` is exclusive, like a slice.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

__all__ = [
    "DOB_CONTEXT_WINDOW",
    "ROLE_MAILBOX_DOMAIN_SUFFIXES",
    "ROLE_MAILBOX_LOCAL_PARTS",
    "SWITCHBOARD_ALLOW_LIST",
    "PersonalDataFinding",
    "screen_fields",
    "screen_text",
]


@dataclass(frozen=True)
class PersonalDataFinding:
    """One suspected piece of personal data in one field."""

    field: str
    start: int
    end: int
    kind: str
    excerpt: str
    message: str


# --------------------------------------------------------------------------
# Allow-lists (policy, not pattern: keep them together and documented)
# --------------------------------------------------------------------------

#: Published organisational numbers that may appear in a case study even
#: though they are in the geographic (01/02) range, which we otherwise treat as
#: potentially personal. Stored as national-format digits (leading 0, no
#: spaces), the form :func:`_national_digits` produces from any way of writing
#: the number. Non-geographic 03 / 080 / 084 / 087 numbers never need listing
#: (they are organisational by range), but the helplines officers most often
#: quote are listed too so that the list doubles as documentation.
#: Extend this from the council's own "contact us" page, never from a case
#: study.
SWITCHBOARD_ALLOW_LIST: Final[frozenset[str]] = frozenset(
    {
        # West Berkshire Council switchboard: 01635 42 42 42
        "01635424242",
        # Wokingham Borough Council: (0118) 974 6000
        "01189746000",
        # Reading Borough Council out-of-hours emergency line: 0118 937 3737
        "01189373737",
        # NSPCC helpline for callers outside the UK: +44 203 879 8560
        "02038798560",
        # NSPCC helpline: 0808 800 5000 (freephone, allowed by range anyway)
        "08088005000",
        # Childline: 0800 1111 (short freephone number)
        "08001111",
        # Contact (for families with disabled children) helpline: 0808 808 3555
        "08088083555",
    }
)

ALLOW_ENV = "EXCHANGE_ALLOWED_PHONE_NUMBERS"


@functools.cache
def allowed_numbers() -> frozenset[str]:
    """The shipped list plus the installation's own (``EXCHANGE_ALLOWED_PHONE_NUMBERS``: comma-
    separated public numbers, written any way, e.g. "020 7974 4444, +44 1635 42 42 42")."""
    extra = set()
    for entry in (raw.strip() for raw in os.environ.get(ALLOW_ENV, "").split(",")):
        if not entry:
            continue
        national = _national_digits(entry)
        if national is None:
            raise ValueError(f"{ALLOW_ENV}: '{entry}' is not a UK phone number")
        extra.add(national)
    return SWITCHBOARD_ALLOW_LIST | extra


#: Local parts (before the ``@``) of generic role mailboxes. Compared after
#: lower-casing, dropping any ``+tag`` and removing ``.``, ``-`` and ``_``, so
#: ``Local.Offer@``, ``local-offer@`` and ``localoffer@`` are the same entry.
#: Every entry names a team, service or function, never a person; ``senco``
#: and ``headteacher`` are roles published on school websites.
ROLE_MAILBOX_LOCAL_PARTS: Final[frozenset[str]] = frozenset(
    {
        # SEND services
        "send",
        "sen",
        "senteam",
        "sendteam",
        "sendservice",
        "sendservices",
        "sendiass",
        "iass",
        "ehc",
        "ehcp",
        "ehcplans",
        "ehcteam",
        "ehcpteam",
        "localoffer",
        "senco",
        "earlyhelp",
        "mash",
        "safeguarding",
        "admissions",
        "schooladmissions",
        # General-purpose council / school / NHS mailboxes
        "info",
        "information",
        "enquiries",
        "enquiry",
        "admin",
        "office",
        "schooloffice",
        "headteacher",
        "contact",
        "contactus",
        "reception",
        "helpdesk",
        "customerservices",
        "feedback",
        "complaints",
        "foi",
        "dpo",
        "dataprotection",
        "noreply",
    }
)

#: Role mailboxes are only accepted on public-sector domains: ``info@gmail.com``
#: could be anyone.
ROLE_MAILBOX_DOMAIN_SUFFIXES: Final[tuple[str, ...]] = ("gov.uk", "nhs.uk", "sch.uk")

#: How far back (in characters, from the start of the date) a birth keyword may
#: end and still label the date: enough for "was born on Tuesday " or
#: "Date of birth (child): ", short enough not to reach into the previous
#: sentence in most prose.
DOB_CONTEXT_WINDOW: Final[int] = 30


# --------------------------------------------------------------------------
# UPN
# --------------------------------------------------------------------------

# DfE check alphabet: 23 letters, I, O and S omitted (too easily read as 1, 0, 5).
_UPN_ALPHABET: Final[str] = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_LETTER_CLASS: Final[str] = "A-HJ-NP-RT-Za-hj-np-rt-z"

# Check letter + 11 digits + (digit | temporary-UPN letter), standing alone.
# Lower case is accepted (officers retype identifiers) but spelled out in the
# classes rather than via re.IGNORECASE, which would also fold oddities such as
# the Kelvin sign onto "k".
_UPN_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<!\w)[{_UPN_LETTER_CLASS}][0-9]{{11}}[0-9{_UPN_LETTER_CLASS}](?!\w)"
)


def _upn_check_letter(body: str) -> str:
    """Check letter for the 12 characters after it (positions 2..13)."""
    total = 0
    for weight, char in enumerate(body.upper(), start=2):
        value = int(char) if char.isdigit() else _UPN_ALPHABET.index(char)
        total += weight * value
    return _UPN_ALPHABET[total % 23]


def _is_valid_upn(candidate: str) -> bool:
    return _upn_check_letter(candidate[1:]) == candidate[0].upper()


# --------------------------------------------------------------------------
# NHS number
# --------------------------------------------------------------------------

# 3-3-4 digits with optional single space/hyphen separators. The look-arounds
# stop us picking ten digits out of something longer: a money amount or decimal
# (".,£$" before, ".5"/",000" after), a word or code (E06000037, REF123...), a
# percentage, or a longer grouped number ("+44 203 879 8560", "1234 567 890 1").
# [0-9] rather than \d so non-ASCII digits can't slip into int().
_NHS_RE: Final[re.Pattern[str]] = re.compile(
    r"(?<![\w.,£$])(?<![0-9][ -])"
    r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}"
    r"(?![\w%])(?![.,][0-9])(?![ -][0-9])"
)


def _is_valid_nhs_number(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    # A computed check of 10 means the number can never have been issued.
    return check != 10 and check == int(digits[9])


# --------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------

_EMAIL_RE: Final[re.Pattern[str]] = re.compile(
    r"(?<![\w.%+'-])"
    r"(?P<local>[A-Za-z0-9][A-Za-z0-9._%+'-]*)"
    r"@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,})"
    r"(?![\w-])"
)

_LOCAL_PART_NOISE_RE: Final[re.Pattern[str]] = re.compile(r"[._-]")


def _is_role_mailbox(local: str, domain: str) -> bool:
    domain = domain.lower()
    if not any(
        domain == suffix or domain.endswith("." + suffix) for suffix in ROLE_MAILBOX_DOMAIN_SUFFIXES
    ):
        return False
    normalised = _LOCAL_PART_NOISE_RE.sub("", local.lower().split("+", 1)[0])
    return normalised in ROLE_MAILBOX_LOCAL_PARTS


# --------------------------------------------------------------------------
# UK phone numbers
# --------------------------------------------------------------------------

# A candidate is an optional international prefix (+44 / 0044, optional "(0)")
# or a national number starting with the trunk 0 (optionally in brackets), then
# digit groups separated by at most ")", one space or one hyphen. The
# look-behind keeps us out of words, URLs/paths, decimals, money, email local
# parts and the middle of other numbers ("2000-01", "£1,250,010").
# Candidates are deliberately greedy; _phone_finding trims trailing groups to
# the longest dialable number, so "07700 900123 12 times" still finds the
# mobile without swallowing the "12".
_PHONE_CANDIDATE_RE: Final[re.Pattern[str]] = re.compile(
    r"""
    (?<![\w+/=.,£$@-])
    (?:
        (?:\+[ ]?44|0044)[ ]?(?:\(0\)[ ]?)?
      | \(?(?=0)
    )
    [0-9]+
    (?:\)?[ -]?[0-9]+)*
    """,
    re.VERBOSE,
)
_DIGIT_GROUP_RE: Final[re.Pattern[str]] = re.compile(r"[0-9]+")

_PERSONAL: Final[str] = "personal"
_ORGANISATIONAL: Final[str] = "organisational"


def _classify_uk_number(national: str) -> str | None:
    """Classify a national-format number (leading 0, digits only).

    Returns ``"personal"`` for ranges a private individual is normally reached
    on, ``"organisational"`` for ranges that are, in UK practice, only used
    by organisations, and ``None`` if it isn't a dialable UK number at all.

    Decision on non-geographic numbers (documented policy):

    * 07 (mobiles, and the 070 "personal numbering" range) -> personal.
    * 01 / 02 geographic -> personal unless in SWITCHBOARD_ALLOW_LIST: a
      family's landline looks exactly like a council office's.
    * 03 (030x public bodies and charities, 033x/034x/037x businesses),
      080x freephone, 084x/087x business rate -> organisational, never
      reported. Ofcom rules tie 030 to public-sector/not-for-profit users and
      nobody publishes a child's family on an 0300 or 0800 line, so flagging
      them would only teach officers to ignore the screen.
    * 09 premium rate and anything else -> not a phone number for our purposes.
    """
    length = len(national)
    if national.startswith("07"):
        return _PERSONAL if length == 11 else None
    if national.startswith(("01", "02")):
        return _PERSONAL if length in (10, 11) else None
    if national.startswith("03"):
        return _ORGANISATIONAL if length == 11 else None
    if national.startswith("080"):
        return _ORGANISATIONAL if length in (10, 11) else None
    if national.startswith(("084", "087")):
        return _ORGANISATIONAL if length == 11 else None
    return None


def _national_digits(raw: str) -> str | None:
    """Normalise a written UK number to national digits ("01635424242").

    ``+44 (0)1635 42 42 42``, ``0044 1635 424242`` and ``01635-424242`` all
    give the same string, which is how SWITCHBOARD_ALLOW_LIST is keyed.
    """
    digits = "".join(_DIGIT_GROUP_RE.findall(raw))
    stripped = raw.lstrip()
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


def _phone_finding(match: re.Match[str]) -> tuple[int, int] | None:
    """Span of a personal UK number inside a candidate match, if any."""
    raw = match.group()
    group_ends = [g.end() for g in _DIGIT_GROUP_RE.finditer(raw)]
    # Longest dialable prefix wins: a valid 11-digit number followed by a year
    # is that number, not a 15-digit non-number.
    for end in reversed(group_ends):
        national = _national_digits(raw[:end])
        if national is None:
            continue
        kind = _classify_uk_number(national)
        if kind is None:
            continue
        if kind == _PERSONAL and national not in allowed_numbers():
            return match.start(), match.start() + end
        # Organisational or allow-listed: stop here rather than trimming
        # further, or we'd report a prefix of a public number.
        return None
    return None


# --------------------------------------------------------------------------
# Dates of birth
# --------------------------------------------------------------------------

_DOB_KEYWORD_RE: Final[re.Pattern[str]] = re.compile(
    r"\b(?:(?:new)?born|d\.?o\.?b\.?|date\s+of\s+birth|birth\s?days?|birth\s?date)\b",
    re.IGNORECASE,
)

_MONTHS: Final[dict[str, int]] = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_NAME: Final[str] = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORDINAL: Final[str] = r"(?:st|nd|rd|th)?"

# 12/03/2015, 12.03.2015, 12-03-15 (day first, as written in England).
_DATE_DMY_NUMERIC_RE: Final[re.Pattern[str]] = re.compile(
    r"(?<![0-9/.\-])(?P<d>[0-9]{1,2})(?P<sep>[/.\-])(?P<m>[0-9]{1,2})(?P=sep)"
    r"(?P<y>[0-9]{4}|[0-9]{2})(?![0-9])(?![/.\-][0-9])"
)
# 2015-03-12, 2015/03/12.
_DATE_ISO_RE: Final[re.Pattern[str]] = re.compile(
    r"(?<![0-9/.\-])(?P<y>[0-9]{4})(?P<sep>[/\-])(?P<m>[0-9]{1,2})(?P=sep)"
    r"(?P<d>[0-9]{1,2})(?![0-9])(?![/.\-][0-9])"
)
# 12 March 2015, 12th of March 2015, 12 Mar. 2015. The look-behind stops the
# "24" of a year range ("2023-24 March 2025") being read as a day.
_DATE_D_MONTH_Y_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![0-9/.\-])\b(?P<d>[0-9]{{1,2}}){_ORDINAL}(?:\s+of)?\s+"
    rf"(?P<mname>{_MONTH_NAME})\b\.?,?\s+(?P<y>[0-9]{{4}})\b",
    re.IGNORECASE,
)
# March 12th 2015, March 12, 2015.
_DATE_MONTH_D_Y_RE: Final[re.Pattern[str]] = re.compile(
    rf"\b(?P<mname>{_MONTH_NAME})\b\.?\s+(?P<d>[0-9]{{1,2}}){_ORDINAL}(?![0-9])"
    rf",?\s+(?P<y>[0-9]{{4}})\b",
    re.IGNORECASE,
)
_DATE_RES: Final[tuple[re.Pattern[str], ...]] = (
    _DATE_DMY_NUMERIC_RE,
    _DATE_ISO_RE,
    _DATE_D_MONTH_Y_RE,
    _DATE_MONTH_D_Y_RE,
)


def _is_real_date(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    year = int(groups["y"])
    if len(groups["y"]) == 2:
        year += 2000  # only used for validity (2000 is a leap year, so 29/02 passes)
    day = int(groups["d"])
    if groups.get("mname"):
        month = _MONTHS[groups["mname"][:3].lower()]
        candidates = [(day, month)]
    else:
        month = int(groups["m"])
        # Day-first is the English convention, but a US-style date of birth is
        # still a date of birth.
        candidates = [(day, month), (month, day)]
    for d, m in candidates:
        try:
            date(year, m, d)
        except ValueError:
            continue
        return True
    return False


# --------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------

_UPN: Final[str] = "UPN"
_NHS: Final[str] = "NHS_NUMBER"
_EMAIL: Final[str] = "EMAIL"
_PHONE: Final[str] = "PHONE"
_DOB: Final[str] = "DATE_OF_BIRTH"

# When two detectors claim exactly the same span, the one with the stronger
# evidence wins: a passed check digit beats "looks dialable".
_PRIORITY: Final[dict[str, int]] = {_UPN: 0, _NHS: 1, _EMAIL: 2, _DOB: 3, _PHONE: 4}

_DESCRIPTION: Final[dict[str, tuple[str, str]]] = {
    _UPN: ("a Unique Pupil Number", "Remove pupil identifiers before publishing."),
    _NHS: ("an NHS number", "Remove health identifiers before publishing."),
    _EMAIL: (
        "a personal email address",
        "Use a team mailbox (for example send@yourcouncil.gov.uk) or remove it.",
    ),
    _PHONE: (
        "a personal phone number",
        "Use your council's switchboard or a service number instead.",
    ),
    _DOB: (
        "a date of birth",
        "Describe the child by age or school year instead.",
    ),
}


def _mask(span: str) -> str:
    """Enough of the match for an officer to find it, not enough to leak it."""
    if len(span) >= 6:
        return f"{span[:2]}…{span[-2:]}"
    if len(span) >= 3:
        return f"{span[0]}…{span[-1]}"
    return "…"


def _raw_spans(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _UPN_RE.finditer(text):
        if _is_valid_upn(m.group()):
            yield m.start(), m.end(), _UPN

    for m in _NHS_RE.finditer(text):
        digits = "".join(_DIGIT_GROUP_RE.findall(m.group()))
        if _is_valid_nhs_number(digits):
            yield m.start(), m.end(), _NHS

    for m in _EMAIL_RE.finditer(text):
        if not _is_role_mailbox(m.group("local"), m.group("domain")):
            yield m.start(), m.end(), _EMAIL

    for m in _PHONE_CANDIDATE_RE.finditer(text):
        span = _phone_finding(m)
        if span is not None:
            yield span[0], span[1], _PHONE

    keyword_ends = [k.end() for k in _DOB_KEYWORD_RE.finditer(text)]
    if keyword_ends:
        for pattern in _DATE_RES:
            for m in pattern.finditer(text):
                start = m.start()
                labelled = any(start - DOB_CONTEXT_WINDOW <= e <= start for e in keyword_ends)
                if labelled and _is_real_date(m):
                    yield start, m.end(), _DOB


def screen_text(field: str, text: str | None) -> list[PersonalDataFinding]:
    """Findings for one field's text, ordered by start, without overlaps."""
    if not text:
        return []
    spans = sorted(_raw_spans(text), key=lambda s: (s[0], -(s[1] - s[0]), _PRIORITY[s[2]]))
    findings: list[PersonalDataFinding] = []
    last_end = -1
    for start, end, kind in spans:
        # Overlaps (an NHS-valid run inside an email address, the same digits
        # seen as NHS number and phone) are reported once: the earliest, then
        # longest, then highest-priority match covers the text to be removed.
        if start < last_end:
            continue
        last_end = end
        excerpt = _mask(text[start:end])
        what, advice = _DESCRIPTION[kind]
        message = f'Looks like {what} at characters {start}–{end} ("{excerpt}"). {advice}'
        findings.append(PersonalDataFinding(field, start, end, kind, excerpt, message))
    return findings


def screen_fields(fields: Mapping[str, str | None]) -> list[PersonalDataFinding]:
    """Screen every field; findings sorted by field name, then start offset."""
    findings: list[PersonalDataFinding] = []
    for field, text in fields.items():
        findings.extend(screen_text(field, text))
    findings.sort(key=lambda f: (f.field, f.start))
    return findings
