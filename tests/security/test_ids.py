"""Forged and tampered global IDs and cursors: refused (null, or INVALID_CURSOR / NOT_FOUND),
never an internal error, never a hint about what the ID would have named."""

from __future__ import annotations

import base64

from schema.ids import Signer
from tests.conftest import Database
from tests.security.support import app_client, assert_no_leak, bearer, error_codes, make_token

NODE = "query($id: ID!) { node(id: $id) { id } }"


def tampered(real: str, signer_for_other_secret: Signer, key: str) -> list[str]:
    body, tag = real.split(".", 1)
    flips = []
    for i in range(0, len(real), max(1, len(real) // 12)):
        c = real[i]
        if c == ".":
            continue
        flips.append(real[:i] + ("A" if c != "A" else "B") + real[i + 1 :])
    return [
        *flips,
        body,  # no signature
        body + "." + "A" * len(tag),
        body + "." + tag[::-1],
        signer_for_other_secret.global_id("Authority", key),  # right shape, wrong secret
        signer_for_other_secret.global_id("CaseStudy", key),
        base64.b64encode(b"Authority:869").decode(),  # what strawberry's relay IDs look like
        # another record's payload under this record's signature
        base64.urlsafe_b64encode(b"Authority:826").decode().rstrip("=") + "." + tag,
        "",
        ".",
        "..",
        "A" * 100_000,
        "🦓.🦓",
        "' OR 1=1 --",
        "null",
        "%00",
    ]


async def test_forged_and_tampered_ids_resolve_to_nothing(fresh_db: Database) -> None:
    owner = await make_token(fresh_db, authority="869")
    other_secret = Signer("not-the-server-secret")
    async with app_client(fresh_db, cost_budget_per_hour=0) as client:
        r = await client.post("/graphql", json={"query": '{ authority(code: "869") { id } }'})
        authority_id = r.json()["data"]["authority"]["id"]
        publish = """mutation { publishObservations(input: {observations: [
            {metric: "ep_fte", period: "2024/25", value: 11}]}) { observations { id } } }"""
        r = await client.post("/graphql", json={"query": publish}, headers=bearer(owner))
        observation_id = r.json()["data"]["publishObservations"]["observations"][0]["id"]
        for real, key in ((authority_id, "869"), (observation_id, "x")):
            for forged in tampered(real, other_secret, key):
                for query in (
                    NODE,
                    "query($id: ID!) { observationHistory(id: $id) { observation { id } } }",
                    "query($id: ID!) { caseStudy(id: $id) { id } }",
                ):
                    r = await client.post(
                        "/graphql",
                        json={"query": query, "variables": {"id": forged}},
                        headers=bearer(owner),
                    )
                    assert r.status_code == 200, r.text[:300]
                    body = r.json()
                    assert list(body["data"].values()) == [None], (forged[:40], body)
                    assert "errors" not in body or "INTERNAL" not in error_codes(body)
                    assert_no_leak(r, forged)
                    assert "West Berkshire" not in r.text
            # The real one still works: the forgeries were refused for being forged.
            r = await client.post(
                "/graphql", json={"query": NODE, "variables": {"id": real}}, headers=bearer(owner)
            )
            assert r.json()["data"]["node"] == {"id": real}
        # Mutations given a forged id say "not found", the same as for a deleted record.
        withdraw = """mutation($id: ID!) { withdrawObservation(input: {id: $id}) {
            observation { id } userErrors { code } } }"""
        for forged in tampered(observation_id, other_secret, "x")[:6]:
            r = await client.post(
                "/graphql",
                json={"query": withdraw, "variables": {"id": forged}},
                headers=bearer(owner),
            )
            payload = r.json()["data"]["withdrawObservation"]
            assert payload["observation"] is None
            assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]


async def test_forged_and_tampered_cursors_are_refused(loaded_db: Database) -> None:
    page = "query($after: String, $before: String) { authorities(first: 5, after: $after, before: $before) { edges { node { laCode } } pageInfo { endCursor } } }"
    async with app_client(loaded_db, cost_budget_per_hour=0) as client:
        r = await client.post("/graphql", json={"query": page})
        cursor = r.json()["data"]["authorities"]["pageInfo"]["endCursor"]
        other = Signer("not-the-server-secret")
        forged_cursors = [
            *tampered(cursor, other, "x")[:14],
            other.cursor(10**9),
            other.cursor(-5),
            base64.b64encode(b'{"o": 3}').decode(),
            base64.b64encode(b"arrayconnection:3").decode(),
        ]
        for forged in forged_cursors:
            for arg in ("after", "before"):
                r = await client.post("/graphql", json={"query": page, "variables": {arg: forged}})
                assert r.status_code == 200
                assert error_codes(r.json()) == ["INVALID_CURSOR"], (forged[:40], r.text[:300])
                assert_no_leak(r, forged)
        r = await client.post("/graphql", json={"query": page, "variables": {"after": cursor}})
        assert len(r.json()["data"]["authorities"]["edges"]) == 5
