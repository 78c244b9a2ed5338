"""publishObservations / withdrawObservation / observationHistory / auditLog over GraphQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from exchange.observations.models import Observation
from exchange.viewer import ANONYMOUS
from tests.conftest import Database, http_client, run_graphql
from tests.publishing_support import make_token

PUBLISH = """mutation($rows: [ObservationInput!]!, $v: Visibility, $p: Boolean) {
  publishObservations(input: {observations: $rows, visibility: $v, pseudonymous: $p}) {
    created revised unchanged
    observations { id value symbol revision visibility isDemo isPseudonymous authority { laCode } }
    userErrors { index field code message }
  }
}"""


async def _publish(db: Database, viewer: Any, rows: list[dict[str, Any]], **kw: Any) -> Any:
    out = await run_graphql(db, PUBLISH, {"rows": rows, **kw}, viewer)
    assert "errors" not in out, out
    return out["data"]["publishObservations"]


async def test_publish_then_read_back(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    rows = [
        {"metric": "ep_fte", "period": "2024/25", "value": 12.5, "flags": "p"},
        {"metric": "ep_vacancies", "period": "2024/25", "value": 6},
        {"metric": "hnb_cumulative_deficit_gbp", "period": "2024-25", "value": 7_500_000},
        {"metric": "ehc_plans_per_10k_0_25", "period": "2024/25", "symbol": "x"},
    ]
    p = await _publish(fresh_db, viewer, rows, v="PUBLIC")
    assert p["userErrors"] == [] and p["created"] == 4
    assert [o["value"] for o in p["observations"]] == [12.5, 6.0, 7_500_000.0, None]
    assert {o["visibility"] for o in p["observations"]} == {"PUBLIC"}
    assert all(o["authority"] == {"laCode": "869"} and not o["isDemo"] for o in p["observations"])
    anonymous = await run_graphql(
        fresh_db,
        '{ observations(filter: {authorities: ["869"], metrics: ["ep_fte"]}) '
        "{ totalCount edges { node { value flags source } } } }",
    )
    node = anonymous["data"]["observations"]["edges"][0]["node"]
    assert node["value"] == 12.5 and node["flags"] == "p" and "West Berkshire" in node["source"]


async def test_bad_rows_come_back_as_user_errors_and_nothing_is_stored(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    rows = [
        {"metric": "ep_fte", "period": "2024/25", "value": 1},
        {"metric": "ep_fte", "period": "2024/25", "value": 2},
        {"metric": "suspension_rate", "period": "2023/24", "value": 2},
        {"metric": "ep_vacancies", "period": "2024/25", "value": 3, "authority": "201"},
    ]
    p = await _publish(fresh_db, viewer, rows)
    assert p["created"] == 0 and p["observations"] == []
    assert [(e["index"], e["field"], e["code"]) for e in p["userErrors"]] == [
        (1, "period", "DUPLICATE_ROW"),
        (2, "metric", "NOT_SELF_REPORTED"),
        (3, "authority", "NOT_YOUR_AUTHORITY"),
    ]
    async with fresh_db.sessions() as s:
        assert (await s.execute(select(func.count(Observation.id)))).scalar_one() == 0


async def test_too_many_rows_is_one_error(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    rows = [{"metric": "ep_fte", "period": "2024/25", "value": 1}] * 501
    p = await _publish(fresh_db, viewer, rows)
    assert [(e["index"], e["code"]) for e in p["userErrors"]] == [(None, "TOO_MANY_ROWS")]


async def test_analyst_cannot_publish(fresh_db: Database) -> None:
    analyst, _ = await make_token(fresh_db, role="analyst")
    out = await run_graphql(
        fresh_db,
        PUBLISH,
        {"rows": [{"metric": "ep_fte", "period": "2024/25", "value": 1}]},
        analyst,
    )
    assert out["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_withdraw_and_history_over_http(fresh_db: Database) -> None:
    _, secret = await make_token(fresh_db)
    auth = {"Authorization": f"Bearer {secret}"}
    async with http_client(fresh_db) as client:
        first = await client.post(
            "/graphql",
            headers=auth,
            json={
                "query": PUBLISH,
                "variables": {"rows": [{"metric": "ep_fte", "period": "2024/25", "value": 10}]},
            },
        )
        oid = first.json()["data"]["publishObservations"]["observations"][0]["id"]
        await client.post(
            "/graphql",
            headers=auth,
            json={
                "query": PUBLISH,
                "variables": {"rows": [{"metric": "ep_fte", "period": "2024/25", "value": 11}]},
            },
        )
        w = await client.post(
            "/graphql",
            headers=auth,
            json={
                "query": "mutation($id: ID!) { withdrawObservation(input: {id: $id}) "
                "{ observation { withdrawn revision } userErrors { code } } }",
                "variables": {"id": oid},
            },
        )
        history_query = {
            "query": "query($id: ID!) { observationHistory(id: $id) "
            "{ revisions { revision value withdrawn } } }",
            "variables": {"id": oid},
        }
        own = await client.post("/graphql", headers=auth, json=history_query)
        anonymous = await client.post("/graphql", json=history_query)
    assert w.json()["data"]["withdrawObservation"] == {
        "observation": {"withdrawn": True, "revision": 3},
        "userErrors": [],
    }
    revisions = own.json()["data"]["observationHistory"]["revisions"]
    assert [(r["revision"], r["value"], r["withdrawn"]) for r in revisions] == [
        (1, 10.0, False),
        (2, 11.0, False),
        (3, None, True),
    ]
    assert anonymous.json()["data"]["observationHistory"] is None


async def test_members_only_figures_are_invisible_to_anonymous_viewers(fresh_db: Database) -> None:
    viewer, _ = await make_token(fresh_db)
    analyst, _ = await make_token(fresh_db, role="analyst")
    p = await _publish(fresh_db, viewer, [{"metric": "ep_fte", "period": "2024/25", "value": 12}])
    oid = p["observations"][0]["id"]
    queries = {
        "list": '{ observations(filter: {metrics: ["ep_fte"]}) { totalCount edges { node { id } } } }',
        "compare": '{ comparison(metric: "ep_fte", period: "2024/25", authority: "869", '
        "peers: REGION) { subject { value symbol } peerCount suppressedCount } }",
        "node": f'{{ node(id: "{oid}") {{ id }} }}',
        "history": f'{{ observationHistory(id: "{oid}") {{ revisions {{ value }} }} }}',
    }
    anonymous = {k: await run_graphql(fresh_db, q) for k, q in queries.items()}
    assert anonymous["list"]["data"]["observations"]["totalCount"] == 0
    assert anonymous["node"]["data"]["node"] is None
    assert anonymous["history"]["data"]["observationHistory"] is None
    member = await run_graphql(fresh_db, queries["compare"], None, analyst)
    assert member["data"]["comparison"]["subject"]["value"] == 12.0
    # Members-only and never-published look the same to anonymous viewers: the same "no data"
    # error as for a year nobody published anything for.
    nobody = await run_graphql(
        fresh_db,
        '{ comparison(metric: "ep_fte", period: "2019/20", authority: "869", peers: REGION) '
        "{ subject { value symbol } peerCount suppressedCount } }",
    )
    seen, never = anonymous["compare"]["errors"][0], nobody["errors"][0]
    assert (seen["extensions"], seen["message"].replace("2024/25", "Y")) == (
        never["extensions"],
        never["message"].replace("2019/20", "Y"),
    )
    assert seen["extensions"]["code"] == "NOT_FOUND"


HISTORY = """query($id: ID!) { observationHistory(id: $id) {
  observation { value symbol } revisions { revision value symbol } } }"""


async def _rate_history(db: Database, viewer: Any, rate_id: str) -> Any:
    from schema.ids import Signer

    gid = Signer(db.settings.secret_key).global_id("Observation", rate_id)
    out = await run_graphql(db, HISTORY, {"id": gid}, viewer)
    assert "errors" not in out, out
    return out["data"]["observationHistory"]


async def test_a_past_rate_stays_suppressed_once_its_numerator_grows(fresh_db: Database) -> None:
    """Rate revision 1 stood beside a numerator of 3: showing it later, when the numerator is 9,
    would give back the 3 (rate x denominator). Each past rate is judged against the numerators it
    stood beside."""
    from tests.publishing_support import publish, row

    publisher, _ = await make_token(fresh_db, authority="869")
    analyst, _ = await make_token(fresh_db, role="analyst")
    first = await publish(
        fresh_db,
        publisher,
        [row("ep_vacancies", "2024/25", 3), row("ep_vacancy_rate_pct", "2024/25", 10.0)],
        visibility="public",
    )
    assert first.ok, first.errors
    rate_id = next(o.public_id for o in first.observations if o.value == 10.0)
    before = await _rate_history(fresh_db, analyst, rate_id)
    assert [r["value"] for r in before["revisions"]] == [None]
    assert before["observation"]["symbol"] == "c"

    second = await publish(
        fresh_db,
        publisher,
        [row("ep_vacancies", "2024/25", 9), row("ep_vacancy_rate_pct", "2024/25", 30.0)],
        visibility="public",
    )
    assert second.ok, second.errors
    for viewer in (analyst, ANONYMOUS):
        after = await _rate_history(fresh_db, viewer, rate_id)
        assert after["observation"]["value"] == 30.0
        assert [(r["revision"], r["value"], r["symbol"]) for r in after["revisions"]] == [
            (1, None, "c"),
            (2, 30.0, None),
        ]
    # The publisher still sees its own figures in full.
    own = await _rate_history(fresh_db, publisher, rate_id)
    assert [r["value"] for r in own["revisions"]] == [10.0, 30.0]

    # The numerator then falls below the threshold again: the current rate, and its history, hide.
    third = await publish(
        fresh_db, publisher, [row("ep_vacancies", "2024/25", 2)], visibility="public"
    )
    assert third.ok, third.errors
    latest = await _rate_history(fresh_db, analyst, rate_id)
    assert latest["observation"]["value"] is None
    assert [r["value"] for r in latest["revisions"]] == [None, None]
