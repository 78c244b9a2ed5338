"""Screen SEND case-study text for personal data before it is stored.

Case studies are written by council officers and published to other councils. They describe
interventions, not individual children, so anything that identifies a child or a family member
has to be removed first. The screen is deliberately conservative about *what* it calls personal
data (every detector has a strong signal: a check digit, a mailbox, a dialable UK number or a
date explicitly labelled as a birth date) so that it can sit in front of the save button without
nagging officers about budgets, percentages and years, which case studies are full of.

Every field is first *normalised* (exchange.casestudies.screening_normalise: NFKC, zero-width
and other invisible characters dropped, accents dropped, digits of any script made ASCII, every
Unicode dash made ``-`` and every Unicode space `` ``, Cyrillic/Greek look-alike letters made
Latin), so a no-break space, a zero-width joiner or a fullwidth digit changes nothing. Findings
are reported in the field's ORIGINAL text: offsets are Python string indices (code points) into
the text as sent, ``end`` exclusive, like a slice.

Detectors
---------
``UPN``
    Unique Pupil Number: a check letter and 12 characters (LA code, DfE establishment number,
    2-digit year, 3-character serial whose last character is a letter for a *temporary* UPN),
    written together or with one kind of separator anywhere ("B801 2000 05001",
    "B-801-2000-05001"). Reported only when the check letter is right (``stdnum.gb.upn``; DfE
    "Unique Pupil Numbers (UPNs)" guidance). Written together, the LA code is *not* checked
    against the list of LA numbers: a 1-in-23 chance of a false alarm is acceptable, a missed
    pupil identifier from a reorganised LA is not. Written with separators it must be a known LA
    number (stdnum's list plus the LAs created since), or a GSS code and a year would do.
``NHS_NUMBER``
    Ten digits passing the modulus-11 check (``stdnum.gb.nhs``), contiguous or grouped 3-3-4,
    3-7 or 6-4, or spelled out in ones or twos, with one kind of separator (space, hyphen, dot).
    Ten digits that are part of a longer number are not reported.
``EMAIL``
    Any email address, in any script (``zoë@…``, ``иван@…``; also ``name [at] domain``), except a
    generic role mailbox (local part in :data:`ROLE_MAILBOX_LOCAL_PARTS`) on a ``.gov.uk``,
    ``.nhs.uk`` or ``.sch.uk`` domain. ``jane.smith@westberks.gov.uk`` is a person.
``PHONE``
    UK mobiles (07...) and geographic numbers (01/02...), national or ``+44`` / ``0044`` form,
    and valid mobile or fixed-line numbers of other countries written with ``+``/``00``
    (exchange.casestudies.screening_phones, with ``phonenumbers``). Non-geographic
    organisational ranges (03, 080, 084, 087) are not reported, nor are numbers in
    :func:`allowed_numbers`.
``DATE_OF_BIRTH``
    A full date labelled as a birth date by a keyword before it ("born", "b.", "DOB", "date of
    birth", "birthday", ...) or a label after it ("(DOB)"); see
    exchange.casestudies.screening_dates. Dates without that context ("from 1 September 2023")
    are programme dates, not personal data. A month and year alone is not reported.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from stdnum.gb import nhs, upn

from exchange.casestudies.screening_dates import NEAR, find_dates_of_birth
from exchange.casestudies.screening_normalise import normalise, visible
from exchange.casestudies.screening_phones import find_phones, national_digits

__all__ = [
    "DOB_CONTEXT_WINDOW",
    "ROLE_MAILBOX_DOMAIN_SUFFIXES",
    "ROLE_MAILBOX_LOCAL_PARTS",
    "SWITCHBOARD_ALLOW_LIST",
    "PersonalDataFinding",
    "allowed_numbers",
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
#: spaces), the form :func:`national_digits` produces from any way of writing
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


def allowed_numbers(entries: Iterable[str] = ()) -> frozenset[str]:
    """The shipped list plus the installation's own (``Settings.allowed_phone_numbers``, from
    ``EXCHANGE_ALLOWED_PHONE_NUMBERS``: public numbers written any way, e.g. "020 7974 4444")."""
    return _allowed(tuple(entries))


@functools.cache
def _allowed(entries: tuple[str, ...]) -> frozenset[str]:
    extra = set()
    for entry in (raw.strip() for raw in entries):
        if not entry:
            continue
        national = national_digits(normalise(entry).text)
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

#: How far back (in characters, from the start of the date) a birth keyword may end and always
#: label the date ("was born on Tuesday ", "Date of birth (child): "); further back, up to
#: screening_dates.FAR, it still does when the words between stay in one clause.
DOB_CONTEXT_WINDOW: Final[int] = NEAR


# --------------------------------------------------------------------------
# Patterns (all run on normalised text: ASCII digits, "-" for dashes, " " for spaces)
# --------------------------------------------------------------------------

# One separator between characters of an identifier: " ", "-", " - " or ".".
_SEP: Final[str] = r"(?:[ ]?-[ ]?|[ ]|\.)"
_SEP_RE: Final[re.Pattern[str]] = re.compile(_SEP)

# UPN: check letter (DfE alphabet: no I, O or S), 11 digits, then a digit or a letter, with
# optional separators between any two characters. Lower case is accepted (officers retype
# identifiers).
_UPN_LETTER: Final[str] = "A-HJ-NP-RT-Za-hj-np-rt-z"
_UPN_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<!\w)[{_UPN_LETTER}](?:{_SEP}?[0-9]){{11}}{_SEP}?[0-9{_UPN_LETTER}](?!\w)"
)

# NHS: a maximal run of digit groups (atomic, so it never backtracks into a shorter run), not
# inside money, a decimal, a word or code, a percentage or a longer grouped number.
_NHS_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![\w.,£$€])(?<![0-9][ .,/-])(?<![0-9] - )"
    rf"(?>[0-9]+(?:{_SEP}[0-9]+)*)"
    r"(?![\w%])(?!,[0-9])"
)
_NHS_GROUPINGS: Final[frozenset[tuple[int, ...]]] = frozenset({(10,), (3, 3, 4), (3, 7), (6, 4)})

# A label just before an identifier is evidence enough to relax its shape rules.
_LABEL_WINDOW: Final[int] = 25
_NHS_LABEL_RE: Final[re.Pattern[str]] = re.compile(r"\bnhs\b", re.IGNORECASE)
_UPN_LABEL_RE: Final[re.Pattern[str]] = re.compile(r"\bupn\b|pupil[ ]+(?:no|number)", re.IGNORECASE)

_AT: Final[str] = r"(?:[ ]?@[ ]?|[ ]?[\[(][ ]?at[ ]?[\])][ ]?)"
_DOT: Final[str] = r"(?:\.|[ ]?[\[(][ ]?dot[ ]?[\])][ ]?)"
_EMAIL_RE: Final[re.Pattern[str]] = re.compile(
    r"(?<![\w.%+'-])"
    r"(?P<local>\w[\w.%+'-]*)"
    rf"{_AT}"
    rf"(?P<domain>(?:\w(?:[\w-]*\w)?{_DOT})+[^\W\d_]{{2,}})"
    r"(?![\w-])",
    re.IGNORECASE,
)
_DOMAIN_DOT_RE: Final[re.Pattern[str]] = re.compile(_DOT, re.IGNORECASE)
_LOCAL_PART_NOISE_RE: Final[re.Pattern[str]] = re.compile(r"[._-]")


def _separator_kinds(chunks: list[str]) -> set[str]:
    return {"-" if "-" in sep else sep for sep in chunks}


# LA numbers created after python-stdnum's list (2011): Dorset, BCP, the Northamptonshires,
# Cumberland, Westmorland and Furness.
_NEWER_LA_NUMBERS: Final[frozenset[int]] = frozenset({838, 839, 940, 941, 942, 943})


def _is_valid_upn(candidate: str, labelled: bool) -> bool:
    """Right check letter; a UPN written with separators and not labelled ("UPN", "pupil
    number") must also start with a known LA number: "E06000037 2023" is a GSS code and a year."""
    seps = _SEP_RE.findall(candidate)
    if len(_separator_kinds(seps)) > 1:
        return False
    compact = _SEP_RE.sub("", candidate).upper()
    if upn.calc_check_digit(compact[1:]) != compact[0]:
        return False
    if not seps or labelled:
        return True
    return upn.is_valid(compact) or int(compact[1:4]) in _NEWER_LA_NUMBERS


def _is_nhs_number(candidate: str, labelled: bool) -> bool:
    """Ten digits with a valid check digit, grouped the usual ways; grouped any way at all when
    labelled ("NHS 9434 765 919")."""
    groups = re.findall(r"[0-9]+", candidate)
    sizes = tuple(len(g) for g in groups)
    if sum(sizes) != 10 or len(_separator_kinds(_SEP_RE.findall(candidate))) > 1:
        return False
    spelled_out = len(set(sizes)) == 1 and sizes[0] <= 2
    usual = sizes in _NHS_GROUPINGS or spelled_out or labelled
    return usual and nhs.is_valid("".join(groups))


def _labelled(label: re.Pattern[str], text: str, start: int) -> bool:
    return label.search(text, max(0, start - _LABEL_WINDOW), start) is not None


def _is_role_mailbox(local: str, domain: str) -> bool:
    domain = _DOMAIN_DOT_RE.sub(".", domain).lower()
    if not any(
        domain == suffix or domain.endswith("." + suffix) for suffix in ROLE_MAILBOX_DOMAIN_SUFFIXES
    ):
        return False
    normalised = _LOCAL_PART_NOISE_RE.sub("", local.lower().split("+", 1)[0])
    return normalised in ROLE_MAILBOX_LOCAL_PARTS


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
    span = visible(span)
    if len(span) >= 6:
        return f"{span[:2]}…{span[-2:]}"
    if len(span) >= 3:
        return f"{span[0]}…{span[-1]}"
    return "…"


def _raw_spans(text: str, allowed: frozenset[str]) -> Iterator[tuple[int, int, str]]:
    """Spans in normalised ``text``."""
    for m in _UPN_RE.finditer(text):
        if _is_valid_upn(m.group(), _labelled(_UPN_LABEL_RE, text, m.start())):
            yield m.start(), m.end(), _UPN
    for m in _NHS_RE.finditer(text):
        if _is_nhs_number(m.group(), _labelled(_NHS_LABEL_RE, text, m.start())):
            yield m.start(), m.end(), _NHS
    if "@" in text or "at" in text.lower():
        for m in _EMAIL_RE.finditer(text):
            if not _is_role_mailbox(m.group("local"), m.group("domain")):
                yield m.start(), m.end(), _EMAIL
    for start, end in find_phones(text, allowed):
        yield start, end, _PHONE
    for start, end in find_dates_of_birth(text):
        yield start, end, _DOB


def screen_text(
    field: str, text: str | None, allowed: frozenset[str] = SWITCHBOARD_ALLOW_LIST
) -> list[PersonalDataFinding]:
    """Findings for one field's text, ordered by start, without overlaps; offsets are in
    ``text`` as given (not in its normalised form). ``allowed``: phone numbers not reported
    (:func:`allowed_numbers`)."""
    if not text:
        return []
    folded = normalise(text)
    spans = sorted(
        (
            (*folded.original_span(start, end), kind)
            for start, end, kind in _raw_spans(folded.text, allowed)
        ),
        key=lambda s: (s[0], -(s[1] - s[0]), _PRIORITY[s[2]]),
    )
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


def screen_fields(
    fields: Mapping[str, str | None], allowed: frozenset[str] = SWITCHBOARD_ALLOW_LIST
) -> list[PersonalDataFinding]:
    """Screen every field; findings sorted by field name, then start offset."""
    findings: list[PersonalDataFinding] = []
    for field, text in fields.items():
        findings.extend(screen_text(field, text, allowed))
    findings.sort(key=lambda f: (f.field, f.start))
    return findings
