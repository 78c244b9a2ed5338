"""Bearer tokens over HTTP: one 401 for every bad token, anonymous without a header, ``viewer``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from exchange.db import transaction
from exchange.tokens import service as tokens
from tests.conftest import Database, http_client

GRAPHQL_RESPONSE = "application/graphql-response+json"
VIEWER = "{ viewer { role scopes expiresAt authority { laCode } pseudonym { label description } } }"


async def test_every_bad_token_gets_the_same_401(fresh_db: Database) -> None:
    async with transaction(fresh_db.sessions) as s:
        good = await tokens.create_token(s, role="analyst")
        expired = await tokens.create_token(
            s,
            role="analyst",
            expires_in=timedelta(days=1),
            now=datetime.now(UTC) - timedelta(days=3),
        )
        revoked = await tokens.create_token(s, role="analyst")
        await tokens.revoke_token(s, revoked.token.id)
    headers = {
        "malformed": "Bearer nonsense",
        "not bearer": "Basic dXNlcjpwYXNz",
        "empty": "",
        "bare scheme": "Bearer",
        "unknown": f"Bearer {tokens.new_secret()}",
        "expired": f"Bearer {expired.secret}",
        "revoked": f"Bearer {revoked.secret}",
    }
    seen = set()
    async with http_client(fresh_db) as client:
        for name, value in headers.items():
            r = await client.post(
                "/graphql", json={"query": "{ metrics { code } }"}, headers={"Authorization": value}
            )
            assert r.status_code == 401, name
            assert r.headers["www-authenticate"].startswith("Bearer"), name
            body = r.json()
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert "data" not in body
            seen.add((r.content, r.headers["www-authenticate"], r.headers["content-type"]))
        ok = await client.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {good.secret}"}
        )
        anonymous = await client.post("/graphql", json={"query": VIEWER})
        negotiated = await client.post(
            "/graphql",
            json={"query": VIEWER},
            headers={"Authorization": "Bearer nonsense", "Accept": GRAPHQL_RESPONSE},
        )
    assert len(seen) == 1, "every bad token must get byte-identical responses"
    assert negotiated.status_code == 401
    assert negotiated.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert ok.status_code == 200 and ok.json()["data"]["viewer"]["role"] == "ANALYST"
    assert anonymous.status_code == 200
    assert anonymous.json()["data"]["viewer"] == {
        "role": "ANONYMOUS",
        "scopes": [],
        "expiresAt": None,
        "authority": None,
        "pseudonym": None,
    }


async def test_viewer_shows_role_authority_scopes_expiry_and_own_label(fresh_db: Database) -> None:
    async with transaction(fresh_db.sessions) as s:
        pub = await tokens.create_token(
            s, role="publisher", authority_code="869", expires_in=timedelta(days=90)
        )
    async with http_client(fresh_db) as client:
        r = await client.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {pub.secret}"}
        )
    v = r.json()["data"]["viewer"]
    assert v["role"] == "PUBLISHER" and v["authority"] == {"laCode": "869"}
    assert "observations:publish" in v["scopes"]
    expires = datetime.fromisoformat(v["expiresAt"])
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    assert v["pseudonym"]["label"].startswith("Authority ")
    assert "869" not in v["pseudonym"]["label"]
    assert v["pseudonym"]["description"] == "South East, unitary authority"


async def test_publishing_without_a_token_gets_the_same_message(fresh_db: Database) -> None:
    mutation = (
        'mutation { publishObservations(input: {observations: [{metric: "ep_fte", '
        'period: "2024/25", value: 1}]}) { created userErrors { code } } }'
    )
    async with http_client(fresh_db) as client:
        anonymous = await client.post("/graphql", json={"query": mutation})
        bad = await client.post(
            "/graphql", json={"query": mutation}, headers={"Authorization": "Bearer x"}
        )
    err = anonymous.json()["errors"][0]
    assert err["extensions"]["code"] == "UNAUTHENTICATED"
    assert err["message"] == bad.json()["errors"][0]["message"] == tokens.UNAUTHENTICATED_MESSAGE
