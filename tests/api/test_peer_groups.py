"""Custom peer groups: created by a publisher's authority, usable in comparison and trend, visible
to their owner only (to anyone else they do not exist)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from exchange.peergroups.models import PeerGroup, PeerGroupMember
from tests.conftest import Database, run_graphql
from tests.publishing_support import make_token, publish, row

CREATE = """mutation($name: String!, $members: [String!]!) {
  createPeerGroup(input: {name: $name, members: $members}) {
    peerGroup { id name members { laCode } }
    userErrors { index field code message }
  }
}"""


async def _create(db: Database, viewer: Any, name: str, members: list[str]) -> dict[str, Any]:
    out = await run_graphql(db, CREATE, {"name": name, "members": members}, viewer)
    assert "errors" not in out, out
    return out["data"]["createPeerGroup"]  # type: ignore[no-any-return]


async def test_create_list_and_use_in_comparison_and_trend(fresh_db: Database) -> None:
    members = ["867", "868", "870", "871", "872"]  # the other Berkshire unitaries
    for i, code in enumerate(["869", *members]):
        publisher, _ = await make_token(fresh_db, authority=code)
        result = await publish(
            fresh_db,
            publisher,
            [row("ep_fte", "2023/24", 10.0 + i), row("ep_fte", "2024/25", 11.0 + i)],
            visibility="public",
        )
        assert result.ok
    owner, _ = await make_token(fresh_db, authority="869")
    made = await _create(
        fresh_db, owner, "Berkshire unitaries", ["867", "868", "E06000038", "871", "872"]
    )
    assert made["userErrors"] == []
    group = made["peerGroup"]
    assert group["name"] == "Berkshire unitaries"
    assert sorted(m["laCode"] for m in group["members"]) == members
    listed = await run_graphql(fresh_db, "{ peerGroups { id name } }", None, owner)
    assert listed["data"]["peerGroups"] == [{"id": group["id"], "name": "Berkshire unitaries"}]
    out = await run_graphql(
        fresh_db,
        'query($g: ID!) { comparison(metric: "ep_fte", period: "2024/25", authority: "869", '
        "peerGroup: $g) { peerGroup peerCount peerMean entries { authority { laCode } value "
        'isSubject rank } } trend(metric: "ep_fte", authority: "869", peerGroup: $g) { '
        "peerGroup points { period { label } value peerCount peerMedian } } "
        "node(id: $g) { ... on CustomPeerGroup { name } } }",
        {"g": group["id"]},
        owner,
    )
    assert "errors" not in out, out
    c = out["data"]["comparison"]
    assert c["peerGroup"] == "CUSTOM" and c["peerCount"] == 5 and c["peerMean"] == 14.0
    assert sorted(e["authority"]["laCode"] for e in c["entries"] if not e["isSubject"]) == members
    assert next(e for e in c["entries"] if e["isSubject"])["rank"] == 6  # fewest EPs
    t = out["data"]["trend"]
    assert t["peerGroup"] == "CUSTOM"
    points = [
        (p["period"]["label"], p["value"], p["peerCount"], p["peerMedian"]) for p in t["points"]
    ]
    assert points == [("2023/24", 10.0, 5, 13.0), ("2024/25", 11.0, 5, 14.0)]
    assert out["data"]["node"] == {"name": "Berkshire unitaries"}


async def test_a_group_is_invisible_to_everyone_but_its_owner(fresh_db: Database) -> None:
    owner, _ = await make_token(fresh_db, authority="869")
    colleague, _ = await make_token(fresh_db, authority="869")  # same authority, other token
    stranger, _ = await make_token(fresh_db, authority="330")
    analyst, _ = await make_token(fresh_db, role="analyst")
    assert (await publish(fresh_db, owner, [row("ep_fte", "2024/25", 9.5)])).ok
    gid = (await _create(fresh_db, owner, "Mine", ["867", "868"]))["peerGroup"]["id"]
    compare = (
        'query($g: ID!) { comparison(metric: "ep_fte", period: "2024/25", authority: "869", '
        "peerGroup: $g) { peerCount } }"
    )
    assert (await run_graphql(fresh_db, compare, {"g": gid}, colleague)).get("errors") is None
    from schema.ids import Signer

    forged = Signer(fresh_db.settings.secret_key).global_id("PeerGroup", "nope")
    answers = []
    for viewer, group_id in ((stranger, gid), (analyst, gid), (stranger, forged), (owner, forged)):
        out = await run_graphql(fresh_db, compare, {"g": group_id}, viewer)
        answers.append((out["errors"][0]["message"], out["errors"][0]["extensions"]["code"]))
        listed = await run_graphql(fresh_db, "{ peerGroups { id } }", None, viewer)
        if viewer is not owner:
            assert listed["data"]["peerGroups"] == []
        node = await run_graphql(
            fresh_db, "query($id: ID!) { node(id: $id) { id } }", {"id": gid}, viewer
        )
        assert node["data"]["node"] is None or viewer is owner
    assert len(set(answers)) == 1 and answers[0][1] == "NOT_FOUND"


async def test_invalid_groups_are_refused_whole(fresh_db: Database) -> None:
    owner, _ = await make_token(fresh_db)
    analyst, _ = await make_token(fresh_db, role="analyst")
    bad = await _create(fresh_db, owner, "  ", ["867", "999", "867", "E06000038"])
    assert bad["peerGroup"] is None
    assert {(e["index"], e["code"]) for e in bad["userErrors"]} == {
        (None, "BLANK"),
        (1, "UNKNOWN_AUTHORITY"),
        (2, "DUPLICATE_MEMBER"),
    }
    assert (await _create(fresh_db, owner, "x", []))["userErrors"][0]["code"] == "NO_MEMBERS"
    await _create(fresh_db, owner, "Twice", ["867"])
    again = await _create(fresh_db, owner, "Twice", ["868"])
    assert [e["code"] for e in again["userErrors"]] == ["NAME_TAKEN"]
    out = await run_graphql(fresh_db, CREATE, {"name": "n", "members": ["867"]}, analyst)
    assert out["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with fresh_db.sessions() as s:
        assert (await s.execute(select(func.count(PeerGroup.id)))).scalar_one() == 1


async def test_delete(fresh_db: Database) -> None:
    owner, _ = await make_token(fresh_db)
    stranger, _ = await make_token(fresh_db, authority="330")
    gid = (await _create(fresh_db, owner, "Temp", ["867"]))["peerGroup"]["id"]
    delete = (
        "mutation($id: ID!) { deletePeerGroup(input: {id: $id}) { deletedId userErrors { code } } }"
    )
    theirs = await run_graphql(fresh_db, delete, {"id": gid}, stranger)
    assert theirs["data"]["deletePeerGroup"]["userErrors"] == [{"code": "NOT_FOUND"}]
    mine = await run_graphql(fresh_db, delete, {"id": gid}, owner)
    assert mine["data"]["deletePeerGroup"] == {"deletedId": gid, "userErrors": []}
    async with fresh_db.sessions() as s:
        assert (await s.execute(select(func.count(PeerGroupMember.id)))).scalar_one() == 0
