"""Tokens and ownership against every mutation, and node(id:) of what others may not see.

Every mutation in the schema must have a case in MUTATIONS (test_every_mutation_is_covered fails
otherwise): anonymous, expired, revoked and wrong-role tokens are refused; another authority's
publisher token cannot change anything that belongs to West Berkshire (869); drafts and
members-only figures resolve to null for those who may not see them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from exchange.settings import Settings
from schema.build import build_schema
from tests.conftest import Database
from tests.security.support import app_client, assert_no_leak, bearer, error_codes, make_token

OWNER = "869"  # West Berkshire
OTHER = "850"  # Hampshire


@dataclass
class Targets:
    """West Berkshire's own objects, made with its token."""

    observation_id: str
    peer_group_id: str
    draft_id: str
    published_case_id: str


Request = tuple[str, dict[str, Any]]


def _mutation(name: str, input_type: str, selection: str) -> Callable[[dict[str, Any]], Request]:
    def build(value: dict[str, Any]) -> Request:
        return (
            f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {selection} }} }}",
            {"i": value},
        )

    return build


PUBLISH = _mutation(
    "publishObservations",
    "PublishObservationsInput",
    "created revised observations { id value } userErrors { field code message }",
)
WITHDRAW = _mutation(
    "withdrawObservation", "WithdrawObservationInput", "observation { id } userErrors { code }"
)
CREATE_GROUP = _mutation(
    "createPeerGroup", "CreatePeerGroupInput", "peerGroup { id } userErrors { code }"
)
DELETE_GROUP = _mutation("deletePeerGroup", "DeletePeerGroupInput", "deletedId userErrors { code }")
CREATE_CASE = _mutation(
    "createCaseStudy", "CreateCaseStudyInput", "caseStudy { id } userErrors { field code message }"
)
UPDATE_CASE = _mutation(
    "updateCaseStudy", "UpdateCaseStudyInput", "caseStudy { id title } userErrors { code }"
)
PUBLISH_CASE = _mutation(
    "publishCaseStudy", "PublishCaseStudyInput", "caseStudy { id status } userErrors { code }"
)
WITHDRAW_CASE = _mutation(
    "withdrawCaseStudy", "WithdrawCaseStudyInput", "caseStudy { id status } userErrors { code }"
)

CSV_MUTATION = (
    "mutation($i: PublishObservationsCsvInput!) { publishObservationsCsv(input: $i) "
    "{ created userErrors { line code message } } }"
)

# mutation -> (targets -> the request another authority would send against West Berkshire's data)
MUTATIONS: dict[str, Callable[[Targets], Request]] = {
    "publishObservations": lambda t: PUBLISH(
        {
            "observations": [
                {"metric": "ep_fte", "period": "2024/25", "value": 1.0, "authority": OWNER}
            ]
        }
    ),
    "publishObservationsCsv": lambda t: (CSV_MUTATION, {"i": {"file": None}}),  # multipart
    "withdrawObservation": lambda t: WITHDRAW({"id": t.observation_id}),
    "createPeerGroup": lambda t: CREATE_GROUP({"name": "mine", "members": ["826", "867"]}),
    "deletePeerGroup": lambda t: DELETE_GROUP({"id": t.peer_group_id}),
    "createCaseStudy": lambda t: CREATE_CASE({"title": "Hampshire writes as itself"}),
    "updateCaseStudy": lambda t: UPDATE_CASE({"id": t.draft_id, "title": "Hijacked"}),
    "publishCaseStudy": lambda t: PUBLISH_CASE({"id": t.draft_id}),
    "withdrawCaseStudy": lambda t: WITHDRAW_CASE({"id": t.published_case_id}),
}
# Mutations that act on one of West Berkshire's objects (the others create the caller's own).
TARGETED = {
    "publishObservations",  # names West Berkshire as the authority
    "publishObservationsCsv",
    "withdrawObservation",
    "deletePeerGroup",
    "updateCaseStudy",
    "publishCaseStudy",
    "withdrawCaseStudy",
}
REFUSED = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "PERMISSION_DENIED", "NOT_OWNER"}


def test_every_mutation_is_covered() -> None:
    schema = build_schema(Settings.from_env())._schema
    assert schema.mutation_type is not None
    names = set(schema.mutation_type.fields)
    missing = names - MUTATIONS.keys()
    assert not missing, (
        f"mutations without a security case: {sorted(missing)} — add them to MUTATIONS "
        "in tests/security/test_authorization.py"
    )


async def send(
    client: httpx.AsyncClient, request: Request, headers: dict[str, str], csv: bytes | None = None
) -> httpx.Response:
    query, variables = request
    if "publishObservationsCsv" not in query:
        return await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    body = csv or b"metric,period,value,symbol,flags,authority,notes\nep_fte,2024/25,3,,,869,\n"
    return await client.post(
        "/graphql",
        headers={**headers, "graphql-preflight": "1"},
        files={"0": ("figures.csv", body, "text/csv")},
        data={
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps({"0": ["variables.i.file"]}),
        },
    )


def refusal_codes(body: dict[str, Any]) -> set[str]:
    """Codes of the refusal: top-level errors, or the payload's userErrors."""
    codes = {c for c in error_codes(body) if c}
    for payload in (body.get("data") or {}).values():
        if isinstance(payload, dict):
            codes |= {e["code"] for e in payload.get("userErrors") or []}
    return codes


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    r = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=bearer(token) if token else {},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert "errors" not in body, body
    return body["data"]


async def make_targets(client: httpx.AsyncClient, owner: str) -> Targets:
    q, v = PUBLISH({"observations": [{"metric": "ep_fte", "period": "2024/25", "value": 12.5}]})
    data = await gql(client, q, v, owner)
    assert data["publishObservations"]["userErrors"] == [], data
    observation_id = data["publishObservations"]["observations"][0]["id"]
    q, v = CREATE_GROUP({"name": "Berkshire and friends", "members": ["867", "868", "870"]})
    peer_group_id = (await gql(client, q, v, owner))["createPeerGroup"]["peerGroup"]["id"]
    draft = {
        "title": "Weekly EP triage clinic",
        "summary": "A draft West Berkshire has not published.",
        "whatWasDone": "An educational psychologist answered schools' questions each week.",
        "phase": "IMPLEMENTATION",
        "themes": ["EDUCATIONAL_PSYCHOLOGY"],
        "evidenceStrength": 2,
    }
    q, v = CREATE_CASE(draft)
    created = (await gql(client, q, v, owner))["createCaseStudy"]
    assert created["userErrors"] == [], created
    draft_id = created["caseStudy"]["id"]
    q, v = CREATE_CASE({**draft, "title": "Annual review sprint", "summary": "Published."})
    published_id = (await gql(client, q, v, owner))["createCaseStudy"]["caseStudy"]["id"]
    q, v = PUBLISH_CASE({"id": published_id})
    published = (await gql(client, q, v, owner))["publishCaseStudy"]
    assert published["userErrors"] == [], published
    return Targets(observation_id, peer_group_id, draft_id, published_id)


STATE = """query($o: ID!, $g: ID!, $d: ID!, $p: ID!) {
  o: node(id: $o) { ... on Observation { value revision } }
  g: node(id: $g) { id }
  d: caseStudy(id: $d) { title status }
  p: caseStudy(id: $p) { title status }
}"""


async def owner_view(client: httpx.AsyncClient, t: Targets, owner: str) -> dict[str, Any]:
    return await gql(
        client,
        STATE,
        {"o": t.observation_id, "g": t.peer_group_id, "d": t.draft_id, "p": t.published_case_id},
        owner,
    )


async def test_bad_tokens_and_wrong_roles_are_refused_by_every_mutation(
    fresh_db: Database,
) -> None:
    owner = await make_token(fresh_db, authority=OWNER)
    expired = await make_token(
        fresh_db, authority=OWNER, expires_in=timedelta(days=1), created_ago=timedelta(days=2)
    )
    revoked = await make_token(fresh_db, authority=OWNER, revoked=True)
    analyst = await make_token(fresh_db, role="analyst", authority=None)
    async with app_client(fresh_db) as client:
        targets = await make_targets(client, owner)
        before = await owner_view(client, targets, owner)
        for name, build in MUTATIONS.items():
            request = build(targets)
            for label, token in (("expired", expired), ("revoked", revoked)):
                r = await send(client, request, bearer(token))
                assert r.status_code == 401, (name, label, r.text)
                assert error_codes(r.json()) == ["UNAUTHENTICATED"]
                assert_no_leak(r)
            r = await send(client, request, bearer("dbvx_" + "x" * 43))
            assert r.status_code == 401, (name, "unknown", r.text)
            r = await send(client, request, {})
            assert r.status_code == 200, (name, "anonymous", r.text)
            assert refusal_codes(r.json()) & {"UNAUTHENTICATED"}, (name, r.text)
            assert_no_leak(r)
            r = await send(client, request, bearer(analyst))
            assert refusal_codes(r.json()) & REFUSED, (name, "analyst", r.text)
            assert_no_leak(r)
        assert await owner_view(client, targets, owner) == before


async def test_another_authoritys_token_cannot_touch_west_berkshires_data(
    fresh_db: Database,
) -> None:
    owner = await make_token(fresh_db, authority=OWNER)
    other = await make_token(fresh_db, authority=OTHER)
    async with app_client(fresh_db) as client:
        targets = await make_targets(client, owner)
        before = await owner_view(client, targets, owner)
        for name in sorted(TARGETED):
            r = await send(client, MUTATIONS[name](targets), bearer(other))
            assert r.status_code == 200, (name, r.text)
            body = r.json()
            assert refusal_codes(body), (name, "accepted", r.text)
            payload = next(iter((body.get("data") or {}).values()), None) or {}
            assert not payload.get("created"), (name, r.text)
            assert_no_leak(r)
        after = await owner_view(client, targets, owner)
        assert after == before, (before, after)
        # Hampshire cannot use West Berkshire's peer group in a comparison either.
        q = """query($g: ID!) { comparison(metric: "ehc_plans", period: "2024/25",
              authority: "850", peerGroup: $g) { peerCount } }"""
        r = await client.post(
            "/graphql",
            json={"query": q, "variables": {"g": targets.peer_group_id}},
            headers=bearer(other),
        )
        assert refusal_codes(r.json()) & REFUSED, r.text
        assert "Berkshire and friends" not in r.text


async def test_node_of_drafts_and_members_only_data_is_null_to_those_who_may_not_see_it(
    fresh_db: Database,
) -> None:
    owner = await make_token(fresh_db, authority=OWNER)
    other = await make_token(fresh_db, authority=OTHER)
    analyst = await make_token(fresh_db, role="analyst", authority=None)
    async with app_client(fresh_db) as client:
        t = await make_targets(client, owner)
        query = """query($id: ID!) { node(id: $id) { id } }"""
        for gid in (t.observation_id, t.peer_group_id, t.draft_id, t.published_case_id):
            owned = await gql(client, query, {"id": gid}, owner)
            assert owned["node"] == {"id": gid}
        # Members-only figure: hidden from anonymous callers, shown to members.
        for token, seen in ((None, False), (other, True), (analyst, True)):
            data = await gql(client, query, {"id": t.observation_id}, token)
            assert (data["node"] is not None) is seen, (token, data)
            history = await gql(
                client,
                "query($id: ID!) { observationHistory(id: $id) { revisions { revision } } }",
                {"id": t.observation_id},
                token,
            )
            assert (history["observationHistory"] is not None) is seen
        # Drafts and peer groups: their owner's alone.
        for token in (None, other, analyst):
            for gid in (t.draft_id, t.peer_group_id):
                assert (await gql(client, query, {"id": gid}, token))["node"] is None
            data = await gql(
                client,
                "query($id: ID!) { caseStudy(id: $id) { title } }",
                {"id": t.draft_id},
                token,
            )
            assert data["caseStudy"] is None
        # The published case study is visible to all.
        assert (await gql(client, query, {"id": t.published_case_id}, None))["node"]


async def test_multipart_needs_the_csrf_preflight_header(fresh_db: Database) -> None:
    owner = await make_token(fresh_db, authority=OWNER)
    csv = b"metric,period,value,symbol,flags,authority,notes\nep_fte,2024/25,3,,,869,\n"
    form = {
        "operations": json.dumps({"query": CSV_MUTATION, "variables": {"i": {"file": None}}}),
        "map": json.dumps({"0": ["variables.i.file"]}),
    }
    async with app_client(fresh_db) as client:
        # What a cross-site HTML form can send: multipart, the victim's credentials, no header.
        r = await client.post(
            "/graphql",
            headers=bearer(owner),
            files={"0": ("f.csv", csv, "text/csv")},
            data=form,
        )
        assert r.status_code == 400 and "preflight" in r.text.lower()
        # A text/plain or urlencoded form cannot carry GraphQL either.
        for ctype in ("text/plain", "application/x-www-form-urlencoded"):
            r = await client.post(
                "/graphql",
                headers={**bearer(owner), "content-type": ctype},
                content=json.dumps({"query": CSV_MUTATION}).encode(),
            )
            assert r.status_code == 415
        # And a GET can never run a mutation.
        r = await client.get("/graphql", params={"query": CSV_MUTATION}, headers=bearer(owner))
        assert r.status_code == 405
        r = await send(client, (CSV_MUTATION, {"i": {"file": None}}), bearer(owner), csv)
        assert r.status_code == 200 and r.json()["data"]["publishObservationsCsv"]["created"] == 1


HTML = {"accept": "text/html"}


def _csrf(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, html[:500]
    return match.group(1)


async def test_every_officer_form_refuses_a_cross_site_post(fresh_db: Database) -> None:
    """A signed-in officer's browser posting a form from another site (no CSRF token, or a
    wrong one) changes nothing: every POST route of the pages answers 403."""
    from starlette.routing import Route

    from exchange.app import create_app

    owner = await make_token(fresh_db, authority=OWNER)
    post_routes = [
        r.path
        for r in create_app(fresh_db.settings).routes
        if isinstance(r, Route) and "POST" in (r.methods or set()) and r.path != "/graphql"
    ]
    assert "/sign-in" in post_routes and len(post_routes) >= 4, post_routes
    async with app_client(fresh_db) as client:
        targets = await make_targets(client, owner)
        before = await owner_view(client, targets, owner)
        form = await client.get("/sign-in", headers=HTML)
        r = await client.post(
            "/sign-in", data={"token": owner, "csrf_token": _csrf(form.text)}, headers=HTML
        )
        assert r.status_code == 303, r.text[:300]  # signed in: the session cookie is set
        for path in post_routes:
            url = path.replace("{id}", targets.draft_id)
            for data in (
                {"title": "Forged", "summary": "x"},
                {"title": "Forged", "csrf_token": "A" * 43},
            ):
                r = await client.post(url, data=data, headers=HTML)
                assert r.status_code == 403, (url, r.status_code, r.text[:200])
                assert_no_leak(r)
        assert (await client.get("/publish", headers=HTML)).status_code == 200  # still signed in
        assert await owner_view(client, targets, owner) == before
