"""publishObservationsCsv: a GraphQL multipart request (file upload), CSRF-safe."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from exchange.observations.models import Observation
from tests.conftest import Database, http_client
from tests.publishing_support import make_token

UPLOAD = """mutation($input: PublishObservationsCsvInput!) {
  publishObservationsCsv(input: $input) {
    created revised unchanged observations { value isPseudonymous }
    userErrors { index line field code message }
  }
}"""

GOOD = b"metric,period,value\nep_fte,2024/25,12.5\nep_vacancies,2024/25,6\n"
BAD = b"metric,period,value\nep_fte,2024/25,12.5\nep_vacancies,2024/25,-6\nep_fte,2024,1\n"


def _form(
    data: bytes, *, pseudonymous: bool = False, path: str = "variables.input.file"
) -> dict[str, Any]:
    operations = {
        "query": UPLOAD,
        "variables": {
            "input": {"file": None, "visibility": "PUBLIC", "pseudonymous": pseudonymous}
        },
    }
    return {
        "data": {"operations": json.dumps(operations), "map": json.dumps({"0": [path]})},
        "files": {"0": ("figures.csv", data, "text/csv")},
    }


async def _count(db: Database) -> int:
    async with db.sessions() as s:
        return int((await s.execute(select(func.count(Observation.id)))).scalar_one())


async def test_upload_needs_a_preflight_header(fresh_db: Database) -> None:
    _, secret = await make_token(fresh_db)
    auth = {"Authorization": f"Bearer {secret}"}
    async with http_client(fresh_db) as client:
        refused = await client.post("/graphql", headers=auth, **_form(GOOD))
        assert refused.status_code == 400
        assert "preflight" in refused.json()["errors"][0]["message"].lower()
        assert await _count(fresh_db) == 0
        for header in ({"GraphQL-Preflight": "1"}, {"Apollo-Require-Preflight": "true"}):
            ok = await client.post("/graphql", headers={**auth, **header}, **_form(GOOD))
            assert ok.status_code == 200, ok.text
    assert await _count(fresh_db) == 2


async def test_upload_publishes_and_reports_errors_by_line(fresh_db: Database) -> None:
    _, secret = await make_token(fresh_db)
    headers = {"Authorization": f"Bearer {secret}", "GraphQL-Preflight": "1"}
    async with http_client(fresh_db) as client:
        bad = await client.post("/graphql", headers=headers, **_form(BAD))
        payload = bad.json()["data"]["publishObservationsCsv"]
        assert payload["created"] == 0
        assert [(e["line"], e["code"]) for e in payload["userErrors"]] == [
            (3, "NEGATIVE_COUNT"),
            (4, "WRONG_PERIOD_KIND"),
        ]
        assert payload["userErrors"][0]["message"].startswith("line 3: ")
        assert await _count(fresh_db) == 0
        good = await client.post("/graphql", headers=headers, **_form(GOOD, pseudonymous=True))
        payload = good.json()["data"]["publishObservationsCsv"]
    assert payload["userErrors"] == [] and payload["created"] == 2
    assert [o["isPseudonymous"] for o in payload["observations"]] == [True, True]


async def test_malformed_multipart_requests_are_400(fresh_db: Database) -> None:
    _, secret = await make_token(fresh_db)
    headers = {"Authorization": f"Bearer {secret}", "GraphQL-Preflight": "1"}
    async with http_client(fresh_db) as client:
        outside = await client.post("/graphql", headers=headers, **_form(GOOD, path="query"))
        missing = _form(GOOD)
        missing["files"] = {"1": ("x.csv", GOOD, "text/csv")}
        no_file = await client.post("/graphql", headers=headers, **missing)
        no_ops = await client.post(
            "/graphql", headers=headers, files={"0": ("x.csv", GOOD, "text/csv")}
        )
        wrong_path = await client.post(
            "/graphql", headers=headers, **_form(GOOD, path="variables.nothing.here")
        )
    for r in (outside, no_file, no_ops, wrong_path):
        assert r.status_code == 400, r.text
        assert r.json()["errors"][0]["message"]
    assert await _count(fresh_db) == 0


async def test_anonymous_upload_is_refused(fresh_db: Database) -> None:
    async with http_client(fresh_db) as client:
        r = await client.post("/graphql", headers={"GraphQL-Preflight": "1"}, **_form(GOOD))
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await _count(fresh_db) == 0
