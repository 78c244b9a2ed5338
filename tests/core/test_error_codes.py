"""Every code a domain raises or reports is a member of its error-code enum, which the schema
exposes as the type of its payload errors' ``code`` (so no code reaches a client unlisted).

The codes are found in the source: each construction of an error (``InvalidInput(...)``,
``RowError(...)``, ``NotFound(...)``, ...) with a literal code, or with none (its class's default),
and each ``code = "..."`` of an error class.
"""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path

import pytest

from exchange.casestudies.errors import CaseStudyErrorCode
from exchange.errors import CommonErrorCode
from exchange.peergroups.errors import PeerGroupErrorCode
from exchange.publishing import csvfile
from exchange.publishing.errors import PublishErrorCode

ROOT = Path(__file__).resolve().parents[2]

# The error constructors: where their code is when given positionally (None: by keyword only),
# and the code they carry when none is given (None: a code is required).
CONSTRUCTORS: dict[str, tuple[int | None, str | None]] = {
    "DomainError": (None, CommonErrorCode.INVALID),
    "InvalidInput": (2, CommonErrorCode.INVALID),
    "NotFound": (None, CommonErrorCode.NOT_FOUND),
    "PermissionDenied": (None, CommonErrorCode.FORBIDDEN),
    "Unauthenticated": (None, CommonErrorCode.UNAUTHENTICATED),
    "RowError": (2, None),  # exchange.publishing.rows
    "GroupError": (1, None),  # exchange.peergroups.service
    "Problem": (1, None),  # exchange.casestudies.validation
    "UserError": (None, None),  # schema.user_errors and its subclasses
    "PublishError": (None, None),
    "PeerGroupError": (None, None),
    "CaseStudyError": (None, None),
}

# Each enum and the code that reports with it. exchange/periods/labels.py is in the lists of the
# domains that pass parse_label's codes on to their clients.
DOMAINS: dict[type[StrEnum], list[str]] = {
    PublishErrorCode: ["exchange/publishing", "schema/publishing.py", "exchange/periods/labels.py"],
    PeerGroupErrorCode: ["exchange/peergroups", "schema/peer_groups.py"],
    CaseStudyErrorCode: ["exchange/casestudies", "schema/case_stud*", "exchange/periods/labels.py"],
    CommonErrorCode: ["exchange/errors.py", "exchange/tokens"],
}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def codes_in(source: str) -> set[str]:
    """The literal codes the source's error constructions and error classes carry."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign | ast.AnnAssign)
                    and "code" in [t.id for t in _targets(stmt) if isinstance(t, ast.Name)]
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                ):
                    found.add(stmt.value.value)
        if not isinstance(node, ast.Call) or _name(node.func) not in CONSTRUCTORS:
            continue
        position, default = CONSTRUCTORS[_name(node.func) or ""]
        given = [k.value for k in node.keywords if k.arg == "code"]
        if not given and position is not None and len(node.args) > position:
            given = [node.args[position]]
        starred = any(isinstance(a, ast.Starred) for a in node.args)
        if not given and not starred and default is not None:
            found.add(default)
        for value in given:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(value.value)
    return found


def _targets(stmt: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return list(stmt.targets) if isinstance(stmt, ast.Assign) else [stmt.target]


def _files(patterns: list[str]) -> list[Path]:
    out: list[Path] = []
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            out.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return out


def test_the_walk_finds_codes_given_and_defaulted() -> None:
    source = """
class Odd(DomainError):
    code = "ODD"
InvalidInput("f", "m", "POSITIONAL")
InvalidInput("f", "m", code="KEYWORD")
InvalidInput("f", "m")
NotFound("m", field="id")
RowError(None, "f", "ROW", "m")
Problem("f", exc.code, "m")
"""
    assert codes_in(source) == {"ODD", "POSITIONAL", "KEYWORD", "INVALID", "NOT_FOUND", "ROW"}


@pytest.mark.parametrize("enum", list(DOMAINS), ids=lambda e: e.__name__)
def test_every_code_raised_is_in_its_domain_enum(enum: type[StrEnum]) -> None:
    files = _files(DOMAINS[enum])
    assert files, DOMAINS[enum]
    raised: dict[str, list[str]] = {}
    for path in files:
        for code in codes_in(path.read_text(encoding="utf-8")):
            raised.setdefault(code, []).append(str(path.relative_to(ROOT)))
    assert raised, f"no codes found in {DOMAINS[enum]}: the walk has gone blind"
    missing = {code: where for code, where in raised.items() if code not in set(enum)}
    assert not missing, f"codes raised but not in {enum.__name__}: {missing}"


@pytest.mark.parametrize("enum", list(DOMAINS), ids=lambda e: e.__name__)
def test_each_code_is_its_own_wire_value(enum: type[StrEnum]) -> None:
    assert [m.value for m in enum] == [m.name for m in enum]


def test_the_common_codes_a_payload_passes_on_are_in_its_enum() -> None:
    """withdrawObservation reports any domain error but a missing token; deletePeerGroup any but
    a missing token or scope; the case-study mutations any."""
    common = set(CommonErrorCode)
    assert common - {CommonErrorCode.UNAUTHENTICATED} <= set(PublishErrorCode)
    assert common - {CommonErrorCode.UNAUTHENTICATED, CommonErrorCode.FORBIDDEN} <= set(
        PeerGroupErrorCode
    )
    assert common <= set(CaseStudyErrorCode)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00",
        b"metric,period\n",
        b"metric,period,value,colour\n",
        b"metric,period,value\nep_fte,2024/25,1,2\n",
    ],
)
def test_a_bad_csv_reports_enum_members(data: bytes) -> None:
    _, errors = csvfile.read_rows(data)
    assert errors and all(type(e.code) is PublishErrorCode for e in errors)
