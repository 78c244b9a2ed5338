"""Token scopes are enforced: every mutation and every privileged query checks the scope it needs.

The rules are one table, ``exchange.tokens.scopes.API_RULES``. These tests walk it:
- every Mutation and Query root field of the schema has a rule (a new field without one fails);
- every field that needs a scope is refused (FORBIDDEN) to a token of a role that normally has
  the scope but was created without it (``--scope``), bound to the very authority that owns the
  target, and nothing in the database changes; the same request with the scope succeeds;
- members-only figures are left out of every read for a token without ``read:members``;
- the officer pages refuse a signed-in token without the scope;
- docs/publishing.md's table says what the rules say, and no other module decides by role/scope.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from exchange.audit.models import AuditEntry
from exchange.db import transaction
from exchange.models import Base
from exchange.settings import Settings
from exchange.tokens import service as tokens
from exchange.tokens.scopes import API_RULES, ROLE_SCOPES, Access, Rule, Scope
from exchange.viewer import ANONYMOUS, Viewer
from schema.build import build_schema
from tests.conftest import Database, run_graphql
from tests.security.support import app_client

OWNER = "869"  # West Berkshire
OTHER = "850"  # Hampshire
ROOT = Path(__file__).resolve().parents[2]
_READ = (Scope.READ_MEMBERS,)


# -- tokens ------------------------------------------------------------------------------------


async def token_viewer(
    db: Database, role: str, authority: str | None = None, scopes: list[str] | None = None
) -> Viewer:
    """The viewer of a real token, created the way ``exchange token create --scope`` does."""
    async with transaction(db.sessions) as s:
        created = await tokens.create_token(
            s, role=role, authority_code=authority, scopes=scopes, name="scope tests"
        )
    async with db.sessions() as s:
        viewer = await tokens.authenticate_token(s, created.secret)
        await s.commit()
    assert viewer is not None
    if scopes:
        assert viewer.scopes == frozenset(scopes)
    return viewer


def roles_for(rule: Rule) -> list[str]:
    """The roles that get (one of) the rule's scopes by default."""
    return [r for r, granted in ROLE_SCOPES.items() if set(granted) & set(rule.scopes)]


def all_but(role: str, missing: tuple[Scope, ...]) -> list[str]:
    left = [s.value for s in ROLE_SCOPES[role] if s not in missing]
    assert left, f"a {role} token without {missing} would have no scope at all"
    return left


def authority_of(role: str) -> str | None:
    return OWNER if role == "publisher" else None


# -- what is in the database ---------------------------------------------------------------------


async def snapshot(db: Database, skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Every row of every table: a refused request must leave all of it as it was."""
    out: dict[str, list[str]] = {}
    async with db.sessions() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = (await s.execute(select(table))).all()
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


async def audit_rows(db: Database) -> int:
    async with db.sessions() as s:
        return int((await s.execute(select(func.count(AuditEntry.id)))).scalar_one())


def nothing_returned(result: dict[str, Any], name: str) -> bool:
    """The refused field answered null, or a payload with nothing in it but userErrors."""
    payload = (result.get("data") or {}).get(name.split(".")[1])
    if not isinstance(payload, dict):
        return payload is None
    return not any(v for k, v in payload.items() if k != "userErrors")


def codes(result: dict[str, Any]) -> set[str]:
    """Codes of top-level errors and of every payload's userErrors."""
    found = {str((e.get("extensions") or {}).get("code")) for e in result.get("errors") or []}
    for payload in (result.get("data") or {}).values():
        if isinstance(payload, dict):
            found |= {e["code"] for e in payload.get("userErrors") or []}
    return found


# -- the objects the requests act on -------------------------------------------------------------


@dataclass
class Targets:
    figure: str  # West Berkshire's members-only ep_fte 2024/25 (12.5)
    other_figure: str  # its ep_vacancies 2024/25, for the moderator
    peer_group: str
    draft: str
    published: str  # linked to ep_fte 2023/24 -> 2024/25
    other_published: str  # for the moderator


FIGURE = 12.5

PUBLISH = """mutation($i: PublishObservationsInput!) { publishObservations(input: $i) {
  created observations { id } userErrors { field code message } } }"""
CSV = """mutation($i: PublishObservationsCsvInput!) { publishObservationsCsv(input: $i) {
  created userErrors { line field code message } } }"""
WITHDRAW = """mutation($i: WithdrawObservationInput!) { withdrawObservation(input: $i) {
  observation { id } userErrors { field code message } } }"""
CREATE_GROUP = """mutation($i: CreatePeerGroupInput!) { createPeerGroup(input: $i) {
  peerGroup { id } userErrors { field code message } } }"""
DELETE_GROUP = """mutation($i: DeletePeerGroupInput!) { deletePeerGroup(input: $i) {
  deletedId userErrors { field code message } } }"""
CREATE_CASE = """mutation($i: CreateCaseStudyInput!) { createCaseStudy(input: $i) {
  caseStudy { id } userErrors { field code message } } }"""
UPDATE_CASE = """mutation($i: UpdateCaseStudyInput!) { updateCaseStudy(input: $i) {
  caseStudy { id } userErrors { field code message } } }"""
PUBLISH_CASE = """mutation($i: PublishCaseStudyInput!) { publishCaseStudy(input: $i) {
  caseStudy { id status } userErrors { field code message } } }"""
WITHDRAW_CASE = """mutation($i: WithdrawCaseStudyInput!) { withdrawCaseStudy(input: $i) {
  caseStudy { id status } userErrors { field code message } } }"""
AUDIT = """{ auditLog(first: 100) { totalCount edges { node { action actorAuthority { laCode } } } } }"""


def case_input(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "summary": "What we tried and what changed.",
        "whatWasDone": "An educational psychologist answered schools' questions each week.",
        "phase": "IMPLEMENTATION",
        "themes": ["EDUCATIONAL_PSYCHOLOGY"],
        "evidenceStrength": 2,
        **extra,
    }


async def ok(db: Database, query: str, variables: dict[str, Any], viewer: Viewer) -> Any:
    result = await run_graphql(db, query, variables, viewer)
    assert "errors" not in result and not codes(result), result
    return next(iter(result["data"].values()))


async def make_targets(db: Database, owner: Viewer) -> Targets:
    rows = [
        {"metric": "ep_fte", "period": "2023/24", "value": 10.0},
        {"metric": "ep_fte", "period": "2024/25", "value": FIGURE},
        {"metric": "ep_vacancies", "period": "2024/25", "value": 6},
    ]
    published = await ok(db, PUBLISH, {"i": {"observations": rows}}, owner)
    ids = [o["id"] for o in published["observations"]]
    assert len(ids) == 3
    group = await ok(
        db, CREATE_GROUP, {"i": {"name": "Berkshire", "members": ["867", "868"]}}, owner
    )
    draft = await ok(db, CREATE_CASE, {"i": case_input("Weekly EP triage clinic")}, owner)
    link = {"metric": "ep_fte", "baselinePeriod": "2023/24", "followUpPeriod": "2024/25"}
    cases = []
    for title, extra in (("Annual review sprint", {"outcomeLinks": [link]}), ("EP clinic", {})):
        created = await ok(db, CREATE_CASE, {"i": case_input(title, **extra)}, owner)
        await ok(db, PUBLISH_CASE, {"i": {"id": created["caseStudy"]["id"]}}, owner)
        cases.append(created["caseStudy"]["id"])
    await _one_breakdown_figure(db)
    return Targets(
        figure=ids[1],
        other_figure=ids[2],
        peer_group=group["peerGroup"]["id"],
        draft=draft["caseStudy"]["id"],
        published=cases[0],
        other_published=cases[1],
    )


async def _one_breakdown_figure(db: Database) -> None:
    """A DfE breakdown figure for the public breakdownFigures probe (the importer writes them)."""
    from exchange.metrics import repository as metrics
    from exchange.observations import breakdowns
    from exchange.periods import repository as periods
    from exchange.periods.labels import PeriodKey

    async with transaction(db.sessions) as session:
        metric = await metrics.get_by_code(session, "ehc_plans")
        assert metric is not None
        key = PeriodKey("academic", 2024)
        period = (await periods.ensure(session, [key]))[key]
        row = {
            "metric_id": metric.id,
            "period_id": period.id,
            "area_level": "national",
            "area_code": "E92000001",
            "authority_id": None,
            "breakdown_topic": "Sex",
            "breakdown": "Female",
            "value": 190_000.0,
            "symbol": None,
            "source": "test",
        }
        await breakdowns.replace(session, [metric.id], [row])


# Every rule that refuses without a scope: (targets, role) -> the request that role would send.
# The publisher's requests act on its own authority's things, so only the scope is missing.
Request = tuple[str, dict[str, Any]]
REQUESTS: dict[str, Callable[[Targets, str], Request]] = {
    "Mutation.publishObservations": lambda t, role: (
        PUBLISH,
        {"i": {"observations": [{"metric": "ep_fte", "period": "2021/22", "value": 9.0}]}},
    ),
    "Mutation.publishObservationsCsv": lambda t, role: (
        CSV,
        {"i": {"file": "metric,period,value\nep_fte,2020/21,8\n"}},
    ),
    "Mutation.withdrawObservation": lambda t, role: (
        WITHDRAW,
        {"i": {"id": t.figure if role == "publisher" else t.other_figure}},
    ),
    "Mutation.createPeerGroup": lambda t, role: (
        CREATE_GROUP,
        {"i": {"name": "Another group", "members": ["826", "867"]}},
    ),
    "Mutation.deletePeerGroup": lambda t, role: (DELETE_GROUP, {"i": {"id": t.peer_group}}),
    "Mutation.createCaseStudy": lambda t, role: (CREATE_CASE, {"i": case_input("Read-only?")}),
    "Mutation.updateCaseStudy": lambda t, role: (
        UPDATE_CASE,
        {"i": {"id": t.draft, "title": "Changed by a read-only token"}},
    ),
    "Mutation.publishCaseStudy": lambda t, role: (PUBLISH_CASE, {"i": {"id": t.draft}}),
    "Mutation.withdrawCaseStudy": lambda t, role: (
        WITHDRAW_CASE,
        {"i": {"id": t.published if role == "publisher" else t.other_published}},
    ),
    "Query.auditLog": lambda t, role: (AUDIT, {}),
}

# Every other rule: how to see whether the viewer got the members-only figure (NARROWED), its
# own things (OWN), or an answer at all (PUBLIC).
Probe = tuple[str, Callable[[Targets], dict[str, Any]], Callable[[dict[str, Any]], bool]]


def _data(result: dict[str, Any], name: str) -> Any:
    return (result.get("data") or {}).get(name)


def _figure_in(value: Any) -> bool:
    """True when the members-only figure (12.5) appears anywhere in the answer."""
    if isinstance(value, dict):
        return any(_figure_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_figure_in(v) for v in value)
    return value == FIGURE


PROBES: dict[str, Probe] = {
    "Query.observations": (
        """{ observations(filter: {metrics: ["ep_fte"], authorities: ["869"],
             periods: ["2024/25"]}) { edges { node { value } } } }""",
        lambda t: {},
        lambda r: _figure_in(_data(r, "observations")),
    ),
    "Query.observationHistory": (
        "query($id: ID!) { observationHistory(id: $id) { revisions { value } } }",
        lambda t: {"id": t.figure},
        lambda r: _figure_in(_data(r, "observationHistory")),
    ),
    "Query.node": (
        "query($id: ID!) { node(id: $id) { ... on Observation { value } } }",
        lambda t: {"id": t.figure},
        lambda r: _figure_in(_data(r, "node")),
    ),
    "Query.comparison": (
        """{ comparison(metric: "ep_fte", period: "2024/25", authority: "869") {
             subject { value } entries { value } } }""",
        lambda t: {},
        lambda r: _figure_in(_data(r, "comparison")),
    ),
    "Query.trend": (
        """{ trend(metric: "ep_fte", authority: "869") { points { value } } }""",
        lambda t: {},
        lambda r: _figure_in(_data(r, "trend")),
    ),
    "Query.improvers": (
        """{ improvers(metric: "ep_fte", from: "2023/24", to: "2024/25", authority: "869") {
             entries { isSubject followUp { value } } } }""",
        lambda t: {},
        lambda r: _figure_in(_data(r, "improvers")),
    ),
    "Query.caseStudy": (
        "query($id: ID!) { caseStudy(id: $id) { outcomeLinks { followUp { value } } } }",
        lambda t: {"id": t.published},
        lambda r: _figure_in(_data(r, "caseStudy")),
    ),
    "Query.caseStudies": (
        """{ caseStudies(query: "") { edges { node { outcomeLinks { followUp { value } } } } } }""",
        lambda t: {},
        lambda r: _figure_in(_data(r, "caseStudies")),
    ),
    "Query.myCaseStudies": (
        "{ myCaseStudies { edges { node { id } } } }",
        lambda t: {},
        lambda r: bool((_data(r, "myCaseStudies") or {}).get("edges")),
    ),
    "Query.peerGroups": (
        "{ peerGroups { id } }",
        lambda t: {},
        lambda r: bool(_data(r, "peerGroups")),
    ),
    "Query.viewer": ("{ viewer { role } }", lambda t: {}, lambda r: bool(_data(r, "viewer"))),
    "Query.authority": (
        '{ authority(code: "869") { name } }',
        lambda t: {},
        lambda r: bool(_data(r, "authority")),
    ),
    "Query.authorities": (
        "{ authorities(first: 1) { totalCount } }",
        lambda t: {},
        lambda r: bool(_data(r, "authorities")),
    ),
    "Query.metrics": ("{ metrics { code } }", lambda t: {}, lambda r: bool(_data(r, "metrics"))),
    "Query.metric": (
        '{ metric(code: "ep_fte") { code } }',
        lambda t: {},
        lambda r: bool(_data(r, "metric")),
    ),
    "Query.breakdownFigures": (
        '{ breakdownFigures(metric: "ehc_plans", breakdownTopic: "Sex", first: 1) { totalCount } }',
        lambda t: {},
        lambda r: (_data(r, "breakdownFigures") or {}).get("totalCount") == 1,
    ),
    "Query.formerAuthorities": (
        '{ formerAuthorities { laCode figures(metric: "ehc_plans") { value } } }',
        lambda t: {},
        lambda r: "formerAuthorities" in (r.get("data") or {}),
    ),
    "Query.caseStudyVocabulary": (
        "{ caseStudyVocabulary { themes { code } } }",
        lambda t: {},
        lambda r: bool(_data(r, "caseStudyVocabulary")),
    ),
}


def _root_fields() -> set[str]:
    schema = build_schema(Settings.from_env())._schema
    names = set()
    for prefix, root in (("Query", schema.query_type), ("Mutation", schema.mutation_type)):
        assert root is not None
        names |= {f"{prefix}.{name}" for name in root.fields}
    return names


def test_every_mutation_and_query_has_a_scope_rule() -> None:
    fields = _root_fields()
    missing = sorted(fields - API_RULES.keys())
    assert not missing, (
        f"root fields without a rule: {missing}. Add each to API_RULES in "
        "exchange/tokens/scopes.py (and the table in docs/publishing.md), check the scope in "
        "its service with exchange.tokens.scopes.require, and add a case here."
    )
    assert not sorted(API_RULES.keys() - fields), "rules for fields the schema no longer has"
    refused = {k for k, r in API_RULES.items() if r.access is Access.REFUSED}
    assert {k for k in fields if k.startswith("Mutation.")} <= refused, "every write needs a scope"
    assert set(REQUESTS) == refused
    assert set(PROBES) == API_RULES.keys() - refused
    for name, rule in API_RULES.items():
        needs_scope = rule.access in (Access.REFUSED, Access.NARROWED)
        assert bool(rule.scopes) == needs_scope, name
        for scope in rule.scopes:
            assert roles_for(Rule(rule.access, (scope,))), f"{name}: no role gets {scope}"
    used = {s for r in API_RULES.values() for s in r.scopes}
    assert used == set(Scope), f"scopes no rule uses: {set(Scope) - used}"


async def test_a_token_without_the_scope_is_refused_and_changes_nothing(
    fresh_db: Database,
) -> None:
    db = fresh_db
    owner = await token_viewer(db, "publisher", OWNER)
    admin = await token_viewer(db, "admin")
    full = {"publisher": owner, "admin": admin}
    targets = await make_targets(db, owner)
    lacking: dict[tuple[str, str], Viewer] = {}
    for name, rule in API_RULES.items():
        if rule.access is Access.REFUSED:
            for role in roles_for(rule):
                lacking[(name, role)] = await token_viewer(
                    db, role, authority_of(role), all_but(role, rule.scopes)
                )
    before = await snapshot(db)
    for (name, role), viewer in lacking.items():
        query, variables = REQUESTS[name](targets, role)
        result = await run_graphql(db, query, variables, viewer)
        assert "FORBIDDEN" in codes(result), (name, role, sorted(viewer.scopes), result)
        assert nothing_returned(result, name), (name, role, result)
        assert await snapshot(db) == before, (name, role, "changed the database")
    # The same requests, with the scope, are accepted: the refusals above were the scope's.
    for (name, role), _ in lacking.items():
        query, variables = REQUESTS[name](targets, role)
        audited = await audit_rows(db)
        result = await run_graphql(db, query, variables, full[role])
        assert "errors" not in result and not codes(result), (name, role, result)
        if name.startswith("Mutation."):
            assert await audit_rows(db) > audited, (name, role, "no audit entry")


async def test_members_only_figures_need_read_members_on_every_read_path(
    fresh_db: Database,
) -> None:
    db = fresh_db
    owner = await token_viewer(db, "publisher", OWNER)
    targets = await make_targets(db, owner)
    members = [
        ("analyst", await token_viewer(db, "analyst")),
        ("publisher", await token_viewer(db, "publisher", OTHER)),
        ("admin", await token_viewer(db, "admin")),
    ]
    without = [
        ("anonymous", ANONYMOUS),
        ("publisher", await token_viewer(db, "publisher", OTHER, all_but("publisher", _READ))),
        ("admin", await token_viewer(db, "admin", None, all_but("admin", _READ))),
        # Members-only means read:members, even for the authority's own figures: a token made
        # for uploading alone reads what anyone without a token reads.
        ("own", await token_viewer(db, "publisher", OWNER, all_but("publisher", _READ))),
    ]
    narrowed = [k for k, r in API_RULES.items() if r.access is Access.NARROWED]
    assert narrowed
    for name in narrowed:
        query, variables, sees = PROBES[name]
        for label, viewer in members:
            result = await run_graphql(db, query, variables(targets), viewer)
            assert sees(result), (name, label, "with read:members", result)
        for label, viewer in without:
            result = await run_graphql(db, query, variables(targets), viewer)
            assert not sees(result), (name, label, "without read:members", result)
            assert "INTERNAL" not in codes(result), (name, label, result)


async def test_own_and_public_fields(fresh_db: Database) -> None:
    db = fresh_db
    owner = await token_viewer(db, "publisher", OWNER)
    targets = await make_targets(db, owner)
    read_only = await token_viewer(db, "publisher", OWNER, ["read:members"])
    other = await token_viewer(db, "publisher", OTHER)
    analyst = await token_viewer(db, "analyst")
    for name, rule in API_RULES.items():
        if rule.access is Access.OWN:
            query, variables, sees = PROBES[name]
            # The authority's own drafts and groups, to any of its tokens (no scope needed) ...
            assert sees(await run_graphql(db, query, variables(targets), read_only)), name
            # ... and to nobody else's.
            for viewer in (other, analyst, ANONYMOUS):
                assert not sees(await run_graphql(db, query, variables(targets), viewer)), name
        elif rule.access is Access.PUBLIC:
            query, variables, sees = PROBES[name]
            result = await run_graphql(db, query, variables(targets), ANONYMOUS)
            assert sees(result) and "errors" not in result, (name, result)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, html[:500]
    return match.group(1)


async def test_officer_pages_refuse_a_token_without_the_scope(fresh_db: Database) -> None:
    """The pages write through the same GraphQL operations (and so the same checks); their own
    gates also refuse a signed-in token that lacks the scope, and nothing is written."""
    db = fresh_db
    owner = await token_viewer(db, "publisher", OWNER)
    targets = await make_targets(db, owner)
    async with transaction(db.sessions) as s:
        read_only = await tokens.create_token(
            s, role="publisher", authority_code=OWNER, scopes=["read:members"]
        )
    html = {"accept": "text/html"}
    skip = ("web_sessions", "api_tokens")  # signing in writes these, and only these
    before = await snapshot(db, skip)
    async with app_client(db) as client:
        form = await client.get("/sign-in", headers=html)
        r = await client.post(
            "/sign-in",
            data={"token": read_only.secret, "csrf_token": _csrf(form.text)},
            headers=html,
        )
        assert r.status_code == 303, r.text[:300]
        page = await client.get("/", headers=html)
        csrf = _csrf(page.text)
        draft = targets.draft
        for path in ("/publish", "/publish/upload", "/case-studies/new"):
            r = await client.get(path, headers=html)
            assert r.status_code == 403, (path, r.status_code)
        case = {"csrf_token": csrf, "title": "Written by a read-only token", "action": "publish"}
        for path, data in (
            ("/case-studies/new", case),
            (f"/case-studies/{draft}/edit", case),
            (f"/case-studies/{draft}/publish", {"csrf_token": csrf}),
        ):
            r = await client.post(path, data=data, headers=html)
            assert r.status_code == 403, (path, r.status_code, r.text[:300])
        r = await client.post(
            "/publish/upload",
            data={"csrf_token": csrf, "visibility": "PUBLIC"},
            files={"file": ("f.csv", b"metric,period,value\nep_fte,2019/20,3\n", "text/csv")},
            headers=html,
        )
        assert r.status_code == 403, r.text[:300]
    assert await snapshot(db, skip) == before


# -- the docs, and the one place -----------------------------------------------------------------


def _docs_table() -> dict[str, set[str]]:
    """docs/publishing.md "What each scope allows": scope -> the fields its row names."""
    text = (ROOT / "docs" / "publishing.md").read_text(encoding="utf-8")
    section = text.split("What each scope allows", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        scope = re.fullmatch(r"`([a-z_]+:[a-z_]+)`", cells[0]) if cells else None
        if scope and len(cells) >= 3:
            rows[scope.group(1)] = set(re.findall(r"`([a-z][A-Za-z]+)`", cells[2]))
    return rows


def test_the_docs_table_says_what_the_rules_say() -> None:
    rows = _docs_table()
    assert set(rows) == {s.value for s in Scope}, rows.keys()
    for scope in Scope:
        wanted = {k.split(".")[1] for k, r in API_RULES.items() if scope in r.scopes}
        assert rows[scope.value] == wanted, (scope, rows[scope.value] ^ wanted)


ALLOWED = {
    "exchange/tokens/scopes.py",  # the one place
    "exchange/viewer.py",
    "exchange/tokens/service.py",  # creates tokens with scopes
    "exchange/tokens/models.py",
    "exchange/web/auth.py",  # builds the viewer from a token
    "schema/viewer.py",  # shows the token's scopes
    "exchange/cli_tokens.py",  # prints a new token's scopes
}
DECIDES = re.compile(r"(?<!tokens)\.scopes\b|\bis_admin\b|\.role\s*(==|!=|\bin\b)|scope_set")


def test_no_other_module_decides_by_role_or_scope() -> None:
    offenders = []
    for folder in ("exchange", "schema", "seed"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in ALLOWED or "/migrations/" in rel:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if DECIDES.search(line) and "import" not in line:
                    offenders.append(f"{rel}:{number}: {line.strip()}")
    assert not offenders, (
        "decide what a viewer may do with exchange.tokens.scopes (require / has), not by its "
        "role or scopes:\n" + "\n".join(offenders)
    )
