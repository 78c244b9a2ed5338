"""Property tests: personal data written in any common style is refused, with the span named in
the officer's own text; ordinary case-study prose is not.

Each generator writes one identifier the way an officer (or someone testing the screen) might:
separators of every kind (spaces, no-break and thin spaces, dots, hyphens, Unicode dashes),
zero-width characters inside, look-alike digits (fullwidth, mathematical, other scripts) and any
letter case. The expected span is always the characters of the identifier as written.

Phone numbers come from Ofcom's ranges reserved for drama (07700 900xxx, 020 7946 0xxx,
0118 496 0xxx, 0113 496 0xxx, 01632 960xxx), so no real person's number is in this file. Check
digits are computed by the independent helpers in test_screening.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.casestudies.screening import screen_text
from tests.casestudies.test_screening import nhs_check_digit, upn_with_check

_settings = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SPACES = [" ", "\u00a0", "\u2009", "\u202f", "\u2007", "\u3000"]
DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\ufe63", "\uff0d"]
SEPARATORS = ["", ".", *SPACES, *DASHES]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
# Digit look-alikes: fullwidth, mathematical bold, Arabic-Indic, Devanagari.
DIGIT_BASES = [0xFF10, 0x1D7CE, 0x0660, 0x0966]

# Prose around the identifier: nothing here is personal data or a birth keyword.
FILLER = [
    "the",
    "council",
    "family",
    "asked",
    "us",
    "to",
    "ring",
    "write",
    "after",
    "school",
    "SENCo",
    "team",
    "panel",
    "review",
    "EHC",
    "plan",
    "in",
    "Year",
    "and",
    "then",
]
filler = st.lists(st.sampled_from(FILLER), max_size=6).map(" ".join)


@st.composite
def disguise(draw: st.DrawFn, groups: list[str], separator: str | None = None) -> str:
    """Join ``groups`` with one separator style, swap some digits for look-alikes and slip
    zero-width characters in between characters (never at the ends)."""
    sep = draw(st.sampled_from(SEPARATORS)) if separator is None else separator
    plain = sep.join(groups)
    out = []
    look_alike = draw(st.booleans())
    base = draw(st.sampled_from(DIGIT_BASES))
    for i, char in enumerate(plain):
        if char.isdigit() and look_alike and draw(st.booleans()):
            char = chr(base + int(char))
        out.append(char)
        if i < len(plain) - 1 and draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from(ZERO_WIDTH)))
    return "".join(out)


def assert_single(text: str, start: int, written: str, kind: str) -> None:
    findings = screen_text("whatWasDone", text)
    assert [(f.kind, f.start, f.end) for f in findings] == [(kind, start, start + len(written))]
    assert f"characters {start}–{start + len(written)}" in findings[0].message


def embed(before: str, lead: str, written: str, after: str) -> tuple[str, int]:
    head = f"{before} {lead} " if before else f"{lead} "
    return f"{head}{written} {after}.", len(head)


# -- phone numbers ---------------------------------------------------------------------------

DRAMA_RANGES = [("07700", "900"), ("020", "7946 0"), ("0118", "496 0"), ("0113", "496 0")]


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, len(DRAMA_RANGES)))
    tail = f"{draw(st.integers(0, 999)):03d}"
    if kind == len(DRAMA_RANGES):
        national = ["01632", "960" + tail]
    else:
        area, prefix = DRAMA_RANGES[kind]
        rest = (prefix + tail).replace(" ", "")
        national = [area, rest[: len(rest) - 4], rest[-4:]] if area != "07700" else [area, rest]
        if area == "07700" and draw(st.booleans()):
            national = [area, rest[:3], rest[3:]]
    style = draw(st.sampled_from(["national", "+44", "+44 (0)", "0044"]))
    sep = draw(st.sampled_from(SEPARATORS))
    if style == "national":
        return draw(disguise(national, sep))
    groups = [national[0][1:], *national[1:]]
    if style == "+44 (0)":
        return "+44" + (sep or " ") + "(0)" + draw(disguise(groups, sep))
    return style + sep + draw(disguise(groups, sep))


@_settings
@given(filler, phone_numbers(), filler)
def test_uk_phone_numbers_in_any_style_are_refused(before: str, number: str, after: str) -> None:
    text, start = embed(before, "call", number, after)
    assert_single(text, start, number, "PHONE")


# -- NHS numbers -----------------------------------------------------------------------------


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    first_nine = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))
    if nhs_check_digit(first_nine) is None:
        first_nine = first_nine[:8] + str((int(first_nine[8]) + 1) % 10)
    digits = first_nine + str(nhs_check_digit(first_nine))
    grouped = draw(st.booleans())
    groups = [digits[:3], digits[3:6], digits[6:]] if grouped else [digits]
    return draw(disguise(groups))


@_settings
@given(
    filler, st.sampled_from(["NHS number", "nhs no.", "health ref", "ref:"]), nhs_numbers(), filler
)
def test_nhs_numbers_in_any_style_are_refused(
    before: str, lead: str, number: str, after: str
) -> None:
    text, start = embed(before, lead, number, after)
    assert_single(text, start, number, "NHS_NUMBER")


# -- UPNs ------------------------------------------------------------------------------------


# Real LA numbers (a UPN starts with the issuing LA's): older, newer (2019-23) and ours.
LA_NUMBERS = ["201", "330", "869", "872", "873", "838", "839", "940", "941", "942", "943"]


@st.composite
def upns(draw: st.DrawFn) -> str:
    la = draw(st.sampled_from(LA_NUMBERS))
    body = la + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=8)))
    last = draw(st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUVWXYZ"))
    upn = upn_with_check(body + last)
    if draw(st.booleans()):
        upn = upn.lower()
    cuts = sorted(set(draw(st.lists(st.integers(1, 12), max_size=3))))
    groups = [upn[a:b] for a, b in zip([0, *cuts], [*cuts, 13], strict=True)]
    return draw(disguise(groups))


@_settings
@given(filler, upns(), filler)
def test_upns_in_any_style_are_refused(before: str, upn: str, after: str) -> None:
    text, start = embed(before, "UPN", upn, after)
    assert_single(text, start, upn, "UPN")


# -- personal email addresses ----------------------------------------------------------------

LOCAL_WORDS = ["jane", "smith", "zoë", "josé", "garcía", "øyvind", "straße", "иван", "αλέξης"]
PROVIDERS = ["gmail.com", "hotmail.co.uk", "outlook.com", "btinternet.com", "westberks.gov.uk"]


@st.composite
def emails(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(LOCAL_WORDS), min_size=1, max_size=3))
    local = draw(st.sampled_from([".", "_", "-", ""])).join(words)
    if draw(st.booleans()):
        local += str(draw(st.integers(1, 2015)))
    address = local + draw(st.sampled_from(["@", "\uff20"])) + draw(st.sampled_from(PROVIDERS))
    address = draw(st.sampled_from([str.lower, str.upper, str.title]))(address)
    cut = draw(st.integers(1, len(local) - 1)) if len(local) > 1 else 0
    if cut and draw(st.booleans()):
        address = address[:cut] + draw(st.sampled_from(ZERO_WIDTH)) + address[cut:]
    return address


@_settings
@given(filler, emails(), filler)
def test_personal_emails_in_any_script_are_refused(before: str, address: str, after: str) -> None:
    text, start = embed(before, "email", address, after)
    assert_single(text, start, address, "EMAIL")


# -- dates of birth --------------------------------------------------------------------------

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August"]
MONTHS += ["September", "October", "November", "December"]
KEYWORDS = [
    "born",
    "born on",
    "b.",
    "DOB",
    "DOB:",
    "D.O.B.",
    "d.o.b",
    "DoB -",
    "date of birth:",
    "Date-of-Birth:",
    "date_of_birth =",
    "birthday",
    "birth date",
    "birthdate:",
    "was born, according to the school's admission form, on",
]
AFTER_LABELS = ["(DOB)", "(d.o.b.)", "- date of birth", "(born)", "is her birthday", "(b.)"]

DATE_STYLES = [
    lambda d, s: s.join([f"{d.day:02d}", f"{d.month:02d}", str(d.year)]),
    lambda d, s: s.join([str(d.day), str(d.month), f"{d.year % 100:02d}"]),
    lambda d, s: s.join([str(d.year), f"{d.month:02d}", f"{d.day:02d}"]),
    lambda d, s: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    lambda d, s: f"{d.day}{s}{MONTHS[d.month - 1][:3]}{s}{d.year}",
    lambda d, s: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
]
date_separators = st.sampled_from(["/", ".", "-", "\u2013", "\u2010", " ", "\u00a0"])
written_dates = st.builds(
    lambda d, style, sep: style(d, sep),
    st.dates(min_value=date(1995, 1, 1), max_value=date(2024, 12, 31)),
    st.sampled_from(DATE_STYLES),
    date_separators,
)
case = st.sampled_from([str, str.lower, str.upper])


@_settings
@given(filler, st.sampled_from(KEYWORDS), case, st.sampled_from(["", " ", "\u00a0", "\t"]))
def test_dates_of_birth_labelled_before_are_refused(
    before: str, keyword: str, casing: Any, gap: str
) -> None:
    for when in ("12/03/2015", "12 March 2015", "2015-03-12"):
        head = f"{before} {casing(keyword)}{gap}" if before else f"{casing(keyword)}{gap}"
        assert_single(f"{head}{when}, then Year 1.", len(head), when, "DATE_OF_BIRTH")


@_settings
@given(filler, written_dates, st.sampled_from(KEYWORDS[:12]), case)
def test_dates_of_birth_in_any_style_are_refused(
    before: str, when: str, keyword: str, casing: Any
) -> None:
    text, start = embed(before, casing(keyword), when, "")
    assert_single(text, start, when, "DATE_OF_BIRTH")


@_settings
@given(filler, written_dates, st.sampled_from(AFTER_LABELS), filler)
def test_dates_of_birth_labelled_after_are_refused(
    before: str, when: str, label: str, after: str
) -> None:
    head = f"{before} Child A, " if before else "Child A, "
    text = f"{head}{when} {label}, {after}."
    assert_single(text, len(head), when, "DATE_OF_BIRTH")


# -- ordinary prose stays clean --------------------------------------------------------------

FIGURES = st.one_of(
    st.integers(1, 10**8).map(lambda n: f"£{n:,}"),
    st.integers(1, 999).map(lambda n: f"£{n / 10:.1f}m"),
    st.integers(0, 1000).map(lambda n: f"{n / 10:.1f}%"),
    st.integers(0, 100).map(lambda n: f"0.{n:02d}"),
    st.integers(1990, 2035).map(str),
    st.integers(1990, 2035).map(lambda y: f"{y}/{(y + 1) % 100:02d}"),
    st.builds(
        lambda y, dash: f"{y}{dash}{(y + 1) % 100:02d}",
        st.integers(1990, 2035),
        st.sampled_from(DASHES),
    ),
    st.integers(1, 52).map(lambda n: f"{n} weeks"),
    st.integers(1, 9999).map(lambda n: f"{n:,} EHC plans"),
    st.builds(lambda d: d.strftime("%d/%m/%Y"), st.dates(date(2015, 1, 1), date(2030, 1, 1))),
    st.sampled_from(["01635 42 42 42", "0300 123 4567", "0808 800 5000", "send@westberks.gov.uk"]),
    st.sampled_from(["Key Stage 2", "Year 6", "aged 0-25", "09:00-17:00", "LA 869", "E06000037"]),
)
WORDS = st.sampled_from([*FILLER, "children", "rose", "fell", "by", "from", "cost", "births"])


@_settings
@given(
    st.lists(st.one_of(WORDS, FIGURES), min_size=1, max_size=30), st.lists(st.sampled_from(SPACES))
)
def test_case_study_prose_with_figures_is_accepted(parts: list[str], gaps: list[str]) -> None:
    text = ""
    for i, part in enumerate(parts):
        text += (gaps[i % len(gaps)] if gaps else " ") + part if i else part
    assert screen_text("results", text) == []
