"""Tests for exchange.casestudies.screening.

Positive cases mark the expected span inline with ``[[`` and ``]]`` so each
table row states the exact characters that must be reported. Check digits for
generated identifiers come from small helpers written here independently of
the module under test (different code shape, same published algorithm), plus
published examples: NHS number 943 476 5919 (the NHS Digital test number) and
UPN B801200005001 (python-stdnum's documented valid UPN).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.casestudies.screening import (
    SWITCHBOARD_ALLOW_LIST,
    PersonalDataFinding,
    screen_fields,
    screen_text,
)

# ---------------------------------------------------------------------------
# Independent check-digit helpers
# ---------------------------------------------------------------------------

_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # DfE: A..Z without I, O, S
_UPN_VALUE = {str(d): d for d in range(10)} | {c: i for i, c in enumerate(_UPN_LETTERS)}


def upn_with_check(body: str) -> str:
    """Prefix the 12-character body with its DfE check letter."""
    assert len(body) == 12
    weighted = [(pos + 2) * _UPN_VALUE[ch] for pos, ch in enumerate(body)]
    return _UPN_LETTERS[sum(weighted) % 23] + body


def nhs_check_digit(first_nine: str) -> int | None:
    """Modulus-11 check digit, or None when the number can't be issued."""
    remainder = sum(int(ch) * (10 - i) for i, ch in enumerate(first_nine)) % 11
    check = (11 - remainder) % 11  # 11 -> 0
    return None if check == 10 else check


def nhs_number(first_nine: str) -> str:
    check = nhs_check_digit(first_nine)
    assert check is not None
    return first_nine + str(check)


def wrong_nhs_number(first_nine: str) -> str:
    check = nhs_check_digit(first_nine)
    assert check is not None
    return first_nine + str((check + 1) % 10)


# Sanity-check the helpers against the published examples before relying on them.
assert nhs_number("943476591") == "9434765919"
assert upn_with_check("801200005001") == "B801200005001"

# A valid temporary UPN (serial "01" + letter "T") and an NHS-valid number that
# also looks like a 10-digit 01 landline, both computed rather than hard-coded.
TEMP_UPN = upn_with_check("86940002301T")
NHS_LIKE_LANDLINE = nhs_number("016359123")
# The first nine digits "123456789" give a check value of 10: never issued.
assert nhs_check_digit("123456789") is None


def spaced_nhs(digits: str, sep: str) -> str:
    return f"{digits[:3]}{sep}{digits[3:6]}{sep}{digits[6:]}"


# ---------------------------------------------------------------------------
# Table-driven cases
# ---------------------------------------------------------------------------

_MARK = re.compile(r"\[\[(.*?)\]\]")


def unmark(marked: str) -> tuple[str, int, int]:
    """Strip the single [[...]] marker; return text and the marked span."""
    m = _MARK.search(marked)
    assert m is not None, marked
    text = marked[: m.start()] + m.group(1) + marked[m.end() :]
    assert "[[" not in text
    return text, m.start(), m.start() + len(m.group(1))


POSITIVE: list[tuple[str, str]] = [
    # --- UPN -------------------------------------------------------------
    ("UPN", "Pupil UPN [[B801200005001]] moved to a new school."),
    ("UPN", "(UPN: [[B801200005001]])."),
    ("UPN", "[[B801200005001]] at the start"),
    ("UPN", "lower case: [[b801200005001]]"),
    ("UPN", f"temporary UPN [[{TEMP_UPN}]] issued in year"),
    # --- NHS number ------------------------------------------------------
    ("NHS_NUMBER", "NHS no. [[943 476 5919]]."),
    ("NHS_NUMBER", "NHS number [[943-476-5919]] on the referral"),
    ("NHS_NUMBER", "NHS:[[9434765919]]"),
    ("NHS_NUMBER", "(NHS [[9434765919]])"),
    ("NHS_NUMBER", f"health record [[{spaced_nhs(nhs_number('401023213'), ' ')}]] shared"),
    # Same digits as a 10-digit 01 landline: the check digit is the stronger signal.
    ("NHS_NUMBER", f"ref [[{spaced_nhs(NHS_LIKE_LANDLINE, ' ')}]] noted"),
    # --- Email -----------------------------------------------------------
    ("EMAIL", "Contact [[jane.smith@westberks.gov.uk]] for details."),
    ("EMAIL", "Mum emailed from [[jane.smith@gmail.com]]."),
    ("EMAIL", "SENCo [[J.Smith@oakfield.berks.sch.uk]] led the review"),
    ("EMAIL", "role name on a free mailbox: [[info@gmail.com]]"),
    ("EMAIL", "look-alike domain [[send@westberks-gov.uk]]"),
    ("EMAIL", "family address <[[mum1985@hotmail.co.uk]]>"),
    # --- Phone -----------------------------------------------------------
    ("PHONE", "Call mum on [[07700 900123]] after 4pm."),
    ("PHONE", "mobile [[07700900123]]"),
    ("PHONE", "mobile [[07700-900-123]]"),
    ("PHONE", "dad: [[+44 7700 900123]]"),
    ("PHONE", "dad: [[+447700900123]]"),
    ("PHONE", "dad: [[+44 (0)7700 900 123]]"),
    ("PHONE", "dad: [[0044 7700 900123]]"),
    ("PHONE", "home [[0118 496 0000]]"),
    ("PHONE", "home [[(0118) 496 0000]]"),
    ("PHONE", "home [[020 7946 0958]]"),
    ("PHONE", "home [[01632-960123]]"),
    ("PHONE", "home [[016977 4321]]"),  # 10-digit geographic number
    ("PHONE", "Tel:[[01632 960123]]"),
    # A trailing count is not swallowed into the number.
    ("PHONE", "rang [[07700 900123]] 12 times"),
    # --- Date of birth ---------------------------------------------------
    ("DATE_OF_BIRTH", "He was born on [[12/03/2015]] in Newbury."),
    ("DATE_OF_BIRTH", "DOB: [[12.03.2015]]"),
    ("DATE_OF_BIRTH", "D.O.B [[2015-03-12]]"),
    ("DATE_OF_BIRTH", "d.o.b. [[12-03-15]]"),
    ("DATE_OF_BIRTH", "Date of birth: [[12 March 2015]]"),
    ("DATE_OF_BIRTH", "her birthday is [[March 12th 2015]]"),
    ("DATE_OF_BIRTH", "born [[March 12, 2015]]"),
    ("DATE_OF_BIRTH", "born on a Tuesday, the [[12th of March 2015]]"),
    ("DATE_OF_BIRTH", "birthdate [[12 Mar. 2015]]"),
    ("DATE_OF_BIRTH", "born [[29/02/2016]]"),
    ("DATE_OF_BIRTH", "born [[03/25/2015]] (US order)"),
    # --- Bypasses seen in the wild (finding "easy to bypass"): the text is normalised first
    # (NFKC, zero-width characters dropped, dashes and spaces folded) and the span is still
    # reported in the original text.
    ("PHONE", "Call mum on [[07700\u00a0900123]] after 4pm."),
    ("PHONE", "mobile [[07700.900.123]]"),
    ("PHONE", "dad: [[+44-7700-900123]]"),
    ("PHONE", "home [[020.7946.0958]]"),
    ("PHONE", "mobile [[07700 \u2013 900 123]]"),
    ("PHONE", "mobile [[07700\u200b900\u200d123]]"),
    ("PHONE", "mobile [[\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13]]"),
    ("NHS_NUMBER", "NHS no. [[943\u00a0476\u00a05919]]."),
    ("NHS_NUMBER", "NHS [[943.476.5919]]"),
    ("NHS_NUMBER", "NHS [[943\u2013476\u20135919]]"),
    ("NHS_NUMBER", "NHS [[943\u2009476\u20095919]]"),
    ("NHS_NUMBER", "NHS [[9434\u2060765919]]"),
    ("EMAIL", "Mum emailed from [[zo\u00eb.smith@gmail.com]]."),
    ("EMAIL", "dad: [[jos\u00e9.garc\u00eda@hotmail.co.uk]]"),
    ("EMAIL", "gran: [[\u0438\u0432\u0430\u043d.\u043f\u0435\u0442\u0440\u043e\u0432@mail.ru]]"),
    ("EMAIL", "mum: [[jane.smith\uff20gmail.com]]"),
    ("DATE_OF_BIRTH", "Child A (b. [[12/03/2015]]) joined Year 4."),
    ("DATE_OF_BIRTH", "date-of-birth: [[12/03/2015]]"),
    ("DATE_OF_BIRTH", "She was born at the Royal Berkshire Hospital in Reading on [[12/03/2015]]."),
    ("DATE_OF_BIRTH", "Child B, [[12/03/2015]] (DOB), was referred."),
    ("DATE_OF_BIRTH", "DOB[[12/03/2015]]"),
    ("DATE_OF_BIRTH", "Date of Birth \u2013 [[12\u201003\u20102015]]"),
    ("DATE_OF_BIRTH", "DoB [[12-Mar-2015]]"),
    ("DATE_OF_BIRTH", "dob: [[12 03 2015]]"),
    ("UPN", "UPN [[B801 2000 05001]]"),
    ("UPN", "UPN [[B801-2000-05001]]"),
    ("UPN", "UPN [[B80120\u200b0005001]]"),
    ("UPN", "UPN [[b 801\u00a0200\u00a0005\u00a0001]]"),
]


@pytest.mark.parametrize(("kind", "marked"), POSITIVE, ids=[m for _, m in POSITIVE])
def test_flags_personal_data_with_exact_span(kind: str, marked: str) -> None:
    text, start, end = unmark(marked)
    findings = screen_text("whatWasDone", text)
    assert [(f.kind, f.start, f.end) for f in findings] == [(kind, start, end)]
    finding = findings[0]
    assert finding.field == "whatWasDone"
    span = text[start:end]
    # The excerpt and message point at the data without repeating it.
    assert finding.excerpt != span
    assert span not in finding.message
    assert finding.excerpt == f"{span[:2]}…{span[-2:]}"
    assert f"characters {start}–{end}" in finding.message
    assert f'("{finding.excerpt}")' in finding.message


NEGATIVE: list[str] = [
    # --- UPN near misses -------------------------------------------------
    "UPN A801200005001 has the wrong check letter",
    "B80120000500 is one digit short",
    "B8012000050011 is one digit long",
    "glued XB801200005001 to a code",
    "I801200005001 uses a letter DfE never issues",
    "B801200005001X glued at the end",
    # --- NHS near misses -------------------------------------------------
    "NHS 943 476 5918",
    "NHS 943-476-5910",
    f"NHS {wrong_nhs_number('401023213')}",
    "check value ten: 1234567890",
    "part of a longer run 94347659190",
    "part of a longer run 1943 476 5919",
    "grouped into a longer number 943 476 5919 1",
    "12345678901234",
    "reference 9434765919A",
    # --- Role mailboxes on public-sector domains -------------------------
    "Email send@westberks.gov.uk for help.",
    "SENteam@wokingham.gov.uk",
    "send.team@reading.gov.uk",
    "info@oakfield.berks.sch.uk",
    "enquiries@england.nhs.uk",
    "admin@school.sch.uk, contact@bracknell-forest.gov.uk",
    "Local.Offer@westberks.gov.uk or localoffer@westberks.gov.uk",
    "send+casestudies@westberks.gov.uk",
    "info@gov.uk",
    # --- Allow-listed / organisational numbers ---------------------------
    "Call the council on 01635 42 42 42.",
    "Call the council on 01635 424242.",
    "Call +44 (0)1635 42 42 42 from abroad.",
    "Wokingham: (0118) 974 6000",
    "NSPCC 0808 800 5000, Childline 0800 1111",
    "Outside the UK call +44 203 879 8560.",
    "Service line 0300 123 4567",
    "Kent 03000 41 41 41",
    "Benefits 0345 600 0000",
    "Business line 0845 600 0000",
    "0300 123 4567 2023-24",
    # --- Not phone numbers -----------------------------------------------
    "aged 0-25",
    "0800 12",
    "07700 90012 is too short",
    "077009001234 is too long",
    "between 2000-01 2023 2024",
    "£1,250,010 2023 2024",
    "https://example.org/01632960123",
    # --- Dates without birth context -------------------------------------
    "from 1 September 2023",
    "The panel met on 12/03/2015.",
    "Review 2015-03-12",
    "March 12th 2015 was the start date",
    "born in 2015",
    "born in March 2015",
    "born 31/02/2015",
    "born 13/25/2015",
    "stubborn resistance until 12/03/2015",
    "born in Reading and, some years later, on 12/03/2015 started school",
    "born 2023-24 March 2025",
    # --- Figures case studies are full of -------------------------------
    "£7.5m",
    "£1,250,000",
    "£12,345,678",
    "2023",
    "2023-24",
    "2024/25",
    "48.0%",
    "LA 869",
    "869",
    "E06000037",
    "1,685 EHC plans",
    "https://www.gov.uk/government/publications/unique-pupil-numbers",
    "https://explore-education-statistics.service.gov.uk/find-statistics/"
    "education-health-and-care-plans/2024",
    "The council invested £7.5m in 2023-24, cutting waits by 48.0% across 1,685 EHC plans.",
    "",
    # --- Normalisation must not create false alarms -----------------------
    "The £1,234,567 programme ran in 2023/24 and cut waits to 20\u00a0weeks (48.0%).",
    "Rates were 0.12 0.34 0.56 0.78 0.90 across the five cohorts.",
    "aged 0\u201325, from 2019\u201320 to 2023\u201324",
    "Open 09:00\u201317:00, Monday\u2013Friday, from 01/09/2023 \u2013 31/08/2024",
    "Year 6 pupils (Key Stage 2) in 2023\u00a02024 and 2024\u00a02025",
    "The 2019 2020 2021 cohorts",
    "Call the council on 01635\u00a042\u00a042\u00a042.",
    "Service line 0300.123.4567",
    "SEND\uff20westberks.gov.uk",
    "NHS 943.476.5918",
    "NHS 943\u00a0476\u00a05918",
    f"case reference {spaced_nhs(wrong_nhs_number('401023213'), '.')}",
    "UPN A801 2000 05001 has the wrong check letter",
    "Children born in 2015 were assessed on 12/03/2023.",
    "born 2015, assessed 12/03/2019",
    "Children born prematurely were later referred, and on 12/03/2019 the panel met.",
    "On 12/03/2015 the panel reviewed newborn hearing screening.",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_passes_near_misses_and_ordinary_figures(text: str) -> None:
    assert screen_text("whatWasDone", text) == []


def test_none_text_has_no_findings() -> None:
    assert screen_text("impact", None) == []


def test_switchboard_allow_list_is_normalised_digits() -> None:
    assert "01635424242" in SWITCHBOARD_ALLOW_LIST
    assert "08088005000" in SWITCHBOARD_ALLOW_LIST
    assert all(n.isdigit() and n.startswith("0") for n in SWITCHBOARD_ALLOW_LIST)


def test_an_installation_extends_the_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from exchange.casestudies import screening
    from exchange.settings import Settings

    text = "Families can call the council on 020 7974 4444 during office hours."
    assert [f.start for f in screen_text("results", text)] == [text.index("020")]
    monkeypatch.setenv(screening.ALLOW_ENV, " +44 20 7974 4444 , 01635 42 42 42")
    allowed = screening.allowed_numbers(Settings.from_env().allowed_phone_numbers)
    assert screen_text("results", text, allowed) == []
    # Another number in the same range is still refused.
    assert screen_text("results", "Call Sam on 020 7974 4445.", allowed) != []
    with pytest.raises(ValueError, match="not a UK phone number"):
        screening.allowed_numbers(["not a number"])


def test_message_matches_brief_example_shape() -> None:
    text = "The child's identifier, for the record, is " + "B801200005001"
    [finding] = screen_text("whatWasDone", text)
    assert finding == PersonalDataFinding(
        field="whatWasDone",
        start=43,
        end=56,
        kind="UPN",
        excerpt="B8…01",
        message=(
            'Looks like a Unique Pupil Number at characters 43–56 ("B8…01"). '
            "Remove pupil identifiers before publishing."
        ),
    )


def test_overlapping_matches_reported_once() -> None:
    # NHS-valid digits inside a personal email address: one EMAIL finding.
    text = "write to jane.9434765919@gmail.com"
    findings = screen_text("f", text)
    assert [(f.kind, f.start, f.end) for f in findings] == [("EMAIL", 9, len(text))]


def test_several_findings_in_one_field_are_ordered() -> None:
    text = "DOB 12/03/2015, NHS 943 476 5919, mum 07700 900123, UPN B801200005001"
    kinds = [f.kind for f in screen_text("f", text)]
    assert kinds == ["DATE_OF_BIRTH", "NHS_NUMBER", "PHONE", "UPN"]


def test_screen_fields_sorts_by_field_then_start() -> None:
    findings = screen_fields(
        {
            "whatWasDone": "mum 07700 900123 and NHS 943 476 5919",
            "impact": None,
            "context": "email jane.smith@gmail.com",
            "challenges": "nothing personal here, £7.5m in 2023-24",
        }
    )
    assert [(f.field, f.kind, f.start) for f in findings] == [
        ("context", "EMAIL", 6),
        ("whatWasDone", "PHONE", 4),
        ("whatWasDone", "NHS_NUMBER", 25),
    ]


def test_screen_fields_empty_mapping() -> None:
    assert screen_fields({}) == []


# ---------------------------------------------------------------------------
# Property-based tests
# ---------------------------------------------------------------------------

# Words include the trigger vocabulary on purpose: "born", "NHS", "UPN",
# "phone" must not cause findings on their own.
WORDS = [
    "the",
    "a",
    "and",
    "of",
    "to",
    "in",
    "for",
    "with",
    "on",
    "by",
    "council",
    "pupil",
    "pupils",
    "child",
    "children",
    "family",
    "parents",
    "school",
    "schools",
    "SEND",
    "EHC",
    "plan",
    "plans",
    "needs",
    "assessment",
    "tribunal",
    "panel",
    "review",
    "annual",
    "outreach",
    "speech",
    "language",
    "therapy",
    "autism",
    "ADHD",
    "SENCo",
    "team",
    "officer",
    "budget",
    "funding",
    "high",
    "needs",
    "block",
    "deficit",
    "safety",
    "valve",
    "placements",
    "independent",
    "special",
    "maintained",
    "mainstream",
    "resourced",
    "provision",
    "transport",
    "travel",
    "training",
    "born",
    "birthday",
    "DOB",
    "date",
    "birth",
    "NHS",
    "number",
    "UPN",
    "email",
    "phone",
    "call",
    "tel",
    "contact",
    "may",
    "March",
    "September",
    "year",
    "term",
    "cohort",
    "rate",
    "increase",
    "decrease",
    "per",
    "cent",
    "total",
    "average",
]

SAFE_FIXED_TOKENS = [
    "send@westberks.gov.uk",
    "localoffer@wokingham.gov.uk",
    "01635 42 42 42",
    "(0118) 974 6000",
    "0808 800 5000",
    "0300 123 4567",
    "https://www.gov.uk/government/publications/unique-pupil-numbers",
    "https://www.westberks.gov.uk/send",
    "E06000037",
    "LA 869",
]

words = st.sampled_from(WORDS)
money = st.one_of(
    st.integers(1, 10**9).map(lambda n: f"£{n:,}"),
    st.integers(1, 999).map(lambda n: f"£{n / 10:.1f}m"),
    st.integers(1, 999).map(lambda n: f"£{n}k"),
)
percent = st.one_of(
    st.integers(0, 1000).map(lambda n: f"{n / 10:.1f}%"),
    st.integers(0, 100).map(lambda n: f"{n}%"),
)
years = st.integers(1990, 2035)
year_tokens = st.one_of(
    years.map(str),
    years.map(lambda y: f"{y}-{(y + 1) % 100:02d}"),
    years.map(lambda y: f"{y}/{(y + 1) % 100:02d}"),
    years.map(lambda y: f"{y} to {y + 1}"),
    st.tuples(st.sampled_from(["March", "September", "Sept", "Jan"]), years).map(
        lambda t: f"{t[0]} {t[1]}"
    ),
)
counts = st.one_of(
    st.integers(1000, 999_999).map(lambda n: f"{n:,} EHC plans"),
    st.integers(1, 999).map(lambda n: f"{n} children"),
)
tokens = st.one_of(
    words, words, words, money, percent, year_tokens, counts, st.sampled_from(SAFE_FIXED_TOKENS)
)
separators = st.sampled_from([" ", " ", " ", ", ", ". ", "; "])


@st.composite
def prose(draw: st.DrawFn, min_size: int = 0, max_size: int = 30) -> str:
    parts = draw(st.lists(tokens, min_size=min_size, max_size=max_size))
    out = ""
    for i, part in enumerate(parts):
        out += (draw(separators) if i else "") + part
    return out


_settings = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(prose(min_size=1, max_size=40))
def test_random_prose_with_figures_has_no_findings(text: str) -> None:
    assert screen_text("whatWasDone", text) == []


@st.composite
def valid_nhs_numbers(draw: st.DrawFn) -> str:
    first_nine = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))
    check = nhs_check_digit(first_nine)
    if check is None:
        # Re-roll the last digit deterministically rather than filtering.
        first_nine = first_nine[:8] + str((int(first_nine[8]) + 1) % 10)
        check = nhs_check_digit(first_nine)
    assert check is not None
    digits = first_nine + str(check)
    sep = draw(st.sampled_from(["", " ", "-"]))
    return spaced_nhs(digits, sep)


@_settings
@given(prose(), words, valid_nhs_numbers(), words, prose())
def test_valid_nhs_number_in_prose_is_found_with_span(
    before: str, left: str, number: str, right: str, after: str
) -> None:
    head = f"{before} {left} " if before else f"{left} "
    text = f"{head}{number} {right} {after}"
    findings = screen_text("whatWasDone", text)
    assert [(f.kind, f.start, f.end) for f in findings] == [
        ("NHS_NUMBER", len(head), len(head) + len(number))
    ]


@st.composite
def valid_upns(draw: st.DrawFn) -> str:
    digits = st.sampled_from("0123456789")
    body = "".join(draw(st.lists(digits, min_size=11, max_size=11)))
    last = draw(st.one_of(digits, st.sampled_from(_UPN_LETTERS)))
    return upn_with_check(body + last)


@_settings
@given(prose(), valid_upns(), prose())
def test_valid_upn_in_prose_is_found_with_span(before: str, upn: str, after: str) -> None:
    head = f"{before} UPN " if before else "UPN "
    text = f"{head}{upn} {after}"
    findings = screen_text("whatWasDone", text)
    assert [(f.kind, f.start, f.end) for f in findings] == [("UPN", len(head), len(head) + 13)]


_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


DATE_FORMATS = [
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    lambda d: f"{d.day}.{d.month}.{d.year}",
    lambda d: f"{d.day:02d}-{d.month:02d}-{d.year % 100:02d}",
    lambda d: d.isoformat(),
    lambda d: f"{d.day} {_MONTH_NAMES[d.month - 1]} {d.year}",
    lambda d: f"{_ordinal(d.day)} of {_MONTH_NAMES[d.month - 1]} {d.year}",
    lambda d: f"{_MONTH_NAMES[d.month - 1]} {_ordinal(d.day)} {d.year}",
    lambda d: f"{_MONTH_NAMES[d.month - 1][:3]} {d.day}, {d.year}",
]
written_dates = st.tuples(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31)),
    st.sampled_from(DATE_FORMATS),
).map(lambda t: t[1](t[0]))

NON_BIRTH_WORDS = [w for w in WORDS if w.lower() not in {"born", "birthday", "dob", "birth"}]
plain_prose = st.lists(st.sampled_from(NON_BIRTH_WORDS), max_size=10).map(" ".join)


@_settings
@given(plain_prose, written_dates, plain_prose)
def test_dates_are_only_flagged_with_birth_context(before: str, when: str, after: str) -> None:
    assert screen_text("f", f"{before} from {when} {after}") == []
    head = f"{before} born on "
    findings = screen_text("f", f"{head}{when} {after}")
    assert [(f.kind, f.start, f.end) for f in findings] == [
        ("DATE_OF_BIRTH", len(head), len(head) + len(when))
    ]
