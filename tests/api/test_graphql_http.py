"""GraphQL end to end over HTTP, on both databases, with real DfE answers."""

from __future__ import annotations

from tests.conftest import Database, http_client

COMPARISON = """
query($metric: String!, $period: String!, $authority: String!, $peers: PeerGroup) {
  comparison(metric: $metric, period: $period, authority: $authority, peers: $peers) {
    peerGroup peerCount suppressedCount peerMedian peerMin peerMax
    subject { label value rank percentile quartile }
    entries { label isSubject value symbol rank }
    england { value } region { value }
  }
}"""


async def test_authority_by_either_code(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        for code in ("869", "E06000037"):
            r = await client.post(
                "/graphql",
                json={
                    "query": f'{{ authority(code: "{code}") {{ name laCode gssCode region type }} }}'
                },
            )
            assert r.status_code == 200
            assert r.json()["data"]["authority"] == {
                "name": "West Berkshire",
                "laCode": "869",
                "gssCode": "E06000037",
                "region": "South East",
                "type": "UNITARY",
            }


async def test_old_dfe_gss_code_is_accepted(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        # Buckinghamshire: DfE files still use E10000002; the 2025 ONS code is E06000060.
        r = await client.post(
            "/graphql",
            json={
                "query": '{ a: authority(code: "E10000002") { laCode } b: authority(code: "E06000060") { laCode } }'
            },
        )
        data = r.json()["data"]
        assert data["a"] == data["b"] and data["a"]["laCode"] == "825"


async def test_west_berkshire_against_its_neighbours(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        r = await client.post(
            "/graphql",
            json={
                "query": COMPARISON,
                "variables": {"metric": "ehc_plans", "period": "2024/25", "authority": "869"},
            },
        )
    body = r.json()
    assert "errors" not in body, body
    c = body["data"]["comparison"]
    assert c["subject"]["value"] == 1685
    assert c["peerCount"] == 10 and c["suppressedCount"] == 0
    assert len(c["entries"]) == 11
    assert c["england"]["value"] == 638745
    values = [e["value"] for e in c["entries"] if e["rank"] is not None]
    assert values == sorted(values, reverse=True)  # neutral metric: highest first
    peers = sorted(e["value"] for e in c["entries"] if not e["isSubject"])
    assert c["peerMedian"] == (peers[4] + peers[5]) / 2
    assert c["peerMin"] == peers[0] and c["peerMax"] == peers[-1]
    assert c["subject"]["rank"] == 1 + sum(1 for v in peers if v > 1685)


async def test_lower_is_better_ranks_lowest_first(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        r = await client.post(
            "/graphql",
            json={
                "query": COMPARISON,
                "variables": {
                    "metric": "suspension_rate",
                    "period": "2023/24",
                    "authority": "869",
                    "peers": "REGION",
                },
            },
        )
    c = r.json()["data"]["comparison"]
    ranked = [e for e in c["entries"] if e["rank"] is not None]
    assert ranked[0]["rank"] == 1
    assert [e["value"] for e in ranked] == sorted(e["value"] for e in ranked)


async def test_unknown_metric_and_wrong_period_kind_are_clear_errors(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        r = await client.post(
            "/graphql",
            json={
                "query": COMPARISON,
                "variables": {"metric": "nope", "period": "2024/25", "authority": "869"},
            },
        )
        err = r.json()["errors"][0]
        assert err["extensions"]["code"] == "NOT_FOUND" and "nope" in err["message"]
        r = await client.post(
            "/graphql",
            json={
                "query": COMPARISON,
                "variables": {"metric": "ehc_plans", "period": "2024", "authority": "869"},
            },
        )
        err = r.json()["errors"][0]
        assert err["extensions"]["code"] == "WRONG_PERIOD_KIND"
        assert "2024/25" in err["message"]


async def test_trend_has_direction_and_peer_median(loaded_db: Database) -> None:
    query = """{ trend(metric: "ehc_issued_20wk_pct", authority: "869", from: "2019", to: "2024") {
        direction points { period { label } value symbol peerMedian direction england { value } } } }"""
    async with http_client(loaded_db) as client:
        r = await client.post("/graphql", json={"query": query})
    t = r.json()["data"]["trend"]
    labels = [p["period"]["label"] for p in t["points"]]
    assert labels == ["2019", "2020", "2021", "2022", "2023", "2024"]
    last = t["points"][-1]
    assert last["value"] == 48.0 and last["england"]["value"] == 45.9
    assert last["direction"] == "WORSENING"  # 63.0 in 2023 -> 48.0 in 2024, higher is better
    assert t["points"][3]["symbol"] == "x" and t["points"][4]["direction"] == "NOT_COMPARABLE"
    assert all(p["peerMedian"] is not None for p in t["points"])
    # The first point of a window compares with the period before it (not returned).
    window = query.replace('from: "2019"', 'from: "2023"')
    async with http_client(loaded_db) as client:
        r = await client.post("/graphql", json={"query": window})
    points = r.json()["data"]["trend"]["points"]
    assert [p["period"]["label"] for p in points] == ["2023", "2024"]
    assert points[0]["direction"] == t["points"][4]["direction"]
    assert points[1]["direction"] == "WORSENING"


async def test_authorities_connection_pages_with_opaque_cursors(loaded_db: Database) -> None:
    q = "query($after: String) { authorities(first: 100, after: $after) { totalCount edges { cursor node { laCode } } pageInfo { hasNextPage endCursor } } }"
    seen: list[str] = []
    after = None
    async with http_client(loaded_db) as client:
        while True:
            r = await client.post("/graphql", json={"query": q, "variables": {"after": after}})
            conn = r.json()["data"]["authorities"]
            assert conn["totalCount"] == 153
            seen += [e["node"]["laCode"] for e in conn["edges"]]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)) == 153
        r = await client.post("/graphql", json={"query": q.replace("first: 100", "first: 101")})
        assert r.json()["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"
        r = await client.post(
            "/graphql", json={"query": q, "variables": {"after": "b2Zmc2V0OjE.AAAAAAAAAAAA"}}
        )
        assert r.json()["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_node_round_trips_and_rejects_forged_ids(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        r = await client.post("/graphql", json={"query": '{ authority(code: "869") { id } }'})
        gid = r.json()["data"]["authority"]["id"]
        assert "869" not in gid
        r = await client.post(
            "/graphql",
            json={
                "query": "query($id: ID!) { node(id: $id) { id ... on Authority { name } } }",
                "variables": {"id": gid},
            },
        )
        assert r.json()["data"]["node"]["name"] == "West Berkshire"
        forged = gid[:-2] + ("AA" if not gid.endswith("AA") else "BB")
        r = await client.post(
            "/graphql",
            json={"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": forged}},
        )
        assert r.json()["data"]["node"] is None


async def test_graphql_response_media_type_and_status(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        accept = {"accept": "application/graphql-response+json"}
        r = await client.post("/graphql", json={"query": "{ metrics { code } }"}, headers=accept)
        assert r.status_code == 200 and r.headers["content-type"].startswith(
            "application/graphql-response+json"
        )
        r = await client.post("/graphql", json={"query": "{ nope }"}, headers=accept)
        assert r.status_code == 400 and "data" not in r.json()
        r = await client.post("/graphql", json={"query": "{ nope }"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        r = await client.post(
            "/graphql",
            content=b"query { metrics { code } }",
            headers={"content-type": "text/plain"},
        )
        assert r.status_code == 415
        r = await client.get("/graphql", params={"query": "mutation { x }"})
        assert r.status_code == 405 and r.headers["allow"] == "POST"
        r = await client.get("/graphql", params={"query": '{ metric(code: "ehc_plans") { name } }'})
        assert r.status_code == 200 and r.json()["data"]["metric"]["name"].startswith("EHC plans")
