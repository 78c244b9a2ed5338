"""Pseudonymous publishing: try to re-identify the publisher every way the issue lists.

Scenario (demo data seeded for every authority, six London boroughs and six North West
authorities "publishing" their demo figures pseudonymously):
- Q and R, two other London boroughs, publish ep_fte for 2020/21 and 2021/22 pseudonymously: no
  authority has a named figure for those years, so their labels have 33 candidates and are shown.
- West Berkshire publishes ep_fte 2024/25 pseudonymously: every other South East unitary has a
  named demo figure for it, and P, another London borough, does the same beside the six London demo
  labels. Demo figures are a dataset apart and play no part in the decision (the demo generator is
  public: it tells who owns each demo label), so both real labels keep every authority of their
  cell as a candidate and are shown, in a 2024/25 made of real figures only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from exchange.authorities.models import Authority
from exchange.db import transaction
from exchange.viewer import ANONYMOUS, Viewer
from seed.demo_metrics import pseudonymous_demo_authorities, seed_demo_metrics
from tests.conftest import Database, make_database, run_graphql
from tests.publishing_support import make_token, publish, row


@dataclass
class Scenario:
    db: Database
    q: Authority
    r: Authority
    p: Authority
    q_viewer: Viewer
    analyst: Viewer
    admin: Viewer
    other: Viewer
    london: list[Authority]
    demo_pseudonymous: set[int]


@pytest_asyncio.fixture(scope="module")
async def scenario(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Scenario]:
    db, cleanup = await make_database(
        backend, Path(tmp_path_factory.mktemp(f"pseudo-{backend}")), load="reference"
    )
    async with transaction(db.sessions) as s:
        await seed_demo_metrics(s)
        everyone = list((await s.execute(select(Authority).order_by(Authority.la_code))).scalars())
    demo = pseudonymous_demo_authorities(everyone)
    london = [a for a in everyone if a.region_code == "E12000007"]
    free = [a for a in london if a.id not in demo]
    q, r, p = free[3], free[7], free[11]
    q_viewer, _ = await make_token(db, authority=q.la_code)
    r_viewer, _ = await make_token(db, authority=r.la_code)
    p_viewer, _ = await make_token(db, authority=p.la_code)
    wb_viewer, _ = await make_token(db, authority="869")
    analyst, _ = await make_token(db, role="analyst")
    admin, _ = await make_token(db, role="admin")
    other, _ = await make_token(db, authority="330")
    for viewer, values in ((q_viewer, (11.0, 12.0)), (r_viewer, (21.0, 22.0))):
        result = await publish(
            db,
            viewer,
            [row("ep_fte", "2020/21", values[0]), row("ep_fte", "2021/22", values[1])],
            pseudonymous=True,
            visibility="public",
        )
        assert result.ok, result.errors
    for viewer in (wb_viewer, p_viewer):
        result = await publish(
            db, viewer, [row("ep_fte", "2024/25", 42.0)], pseudonymous=True, visibility="public"
        )
        assert result.ok, result.errors
    yield Scenario(db, q, r, p, q_viewer, analyst, admin, other, london, demo)
    await db.engine.dispose()
    await cleanup()


LIST = """query($m: [String!], $a: [String!], $p: [String!], $after: String) {
  observations(filter: {metrics: $m, authorities: $a, periods: $p}, first: 100, after: $after) {
    totalCount
    pageInfo { endCursor hasNextPage }
    edges { cursor node { id areaCode value isPseudonymous authority { laCode }
      pseudonym { label region type description } } }
  }
}"""

COMPARE = """query($a: String!, $peers: PeerGroup, $period: String!, $g: ID) {
  comparison(metric: "ep_fte", period: $period, authority: $a, peers: $peers, peerGroup: $g) {
    peerCount peerMean peerMedian suppressedCount
    entries { label value symbol rank isSubject isPseudonymous authority { laCode }
      pseudonym { label description } }
  }
}"""


def _leaks(payload: Any, authority: Authority) -> list[str]:
    text = json.dumps(payload)
    return [
        t
        for t in (authority.la_code, authority.gss_code, authority.gss_code_dfe, authority.name)
        if f'"{t}"' in text or f" {t}" in text or authority.name in text
    ]


async def _rows(s: Scenario, viewer: Viewer = ANONYMOUS, **variables: Any) -> list[dict[str, Any]]:
    out = await run_graphql(s.db, LIST, {"m": ["ep_fte"], **variables}, viewer)
    assert "errors" not in out, out
    return [e["node"] for e in out["data"]["observations"]["edges"]]


async def test_label_and_descriptors_never_the_authority(scenario: Scenario) -> None:
    nodes = await _rows(scenario, p=["2021/22"])
    assert len(nodes) == 2 and all(n["isPseudonymous"] for n in nodes)
    for n in nodes:
        assert n["authority"] is None
        assert n["areaCode"] == n["pseudonym"]["label"]
        assert n["pseudonym"]["region"] == "London" and n["pseudonym"]["type"] == "LONDON_BOROUGH"
    assert not _leaks(nodes, scenario.q) and not _leaks(nodes, scenario.r)
    own = await _rows(scenario, scenario.q_viewer, p=["2021/22"])
    assert {n["authority"]["laCode"] if n["authority"] else None for n in own} == {
        scenario.q.la_code,
        None,
    }


async def test_global_ids_and_cursors_carry_nothing_about_the_authority(scenario: Scenario) -> None:
    out = await run_graphql(scenario.db, LIST, {"m": ["ep_fte"], "p": ["2021/22"]})
    conn = out["data"]["observations"]
    for edge in conn["edges"]:
        for token in (edge["node"]["id"], edge["cursor"]):
            body = token.split(".")[0]
            decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
            assert scenario.q.la_code not in decoded and scenario.r.la_code not in decoded
            assert decoded.startswith(("Observation:", '{"o":'))


async def test_filtering_by_authority_never_finds_a_pseudonymous_figure(
    scenario: Scenario,
) -> None:
    for code in (scenario.q.la_code, scenario.q.gss_code):
        out = await run_graphql(
            scenario.db, LIST, {"m": ["ep_fte"], "a": [code], "p": ["2021/22"]}, scenario.analyst
        )
        assert out["data"]["observations"]["totalCount"] == 0
    # The same answer as for an authority that published nothing at all.
    neighbour = next(a for a in scenario.london if a.id not in (scenario.q.id, scenario.r.id))
    nothing = await run_graphql(
        scenario.db, LIST, {"m": ["ep_fte"], "a": [neighbour.la_code], "p": ["2021/22"]}
    )
    assert nothing["data"]["observations"]["totalCount"] == 0


async def test_sort_order_is_by_random_id_not_by_authority(scenario: Scenario) -> None:
    nodes = await _rows(scenario, scenario.analyst, p=["2021/22"])
    ids = [n["id"] for n in nodes]
    async with scenario.db.sessions() as s:
        from exchange.observations.models import Observation

        rows = list(
            (
                await s.execute(
                    select(Observation.public_id, Observation.area_code).where(
                        Observation.pseudonymous.is_(True), Observation.withdrawn.is_(False)
                    )
                )
            ).all()
        )
    from schema.ids import Signer

    signer = Signer(scenario.db.settings.secret_key)
    by_gid = {signer.global_id("Observation", pid): pid for pid, _ in rows}
    public_ids = [by_gid[i] for i in ids]
    assert public_ids == sorted(public_ids)


async def test_named_entry_is_not_available_and_label_joins_descriptor_groups(
    scenario: Scenario,
) -> None:
    for peers in ("REGION", "ENGLAND", "AUTHORITY_TYPE"):
        out = await run_graphql(
            scenario.db,
            COMPARE,
            {"a": scenario.q.la_code, "peers": peers, "period": "2021/22"},
            scenario.analyst,
        )
        c = out["data"]["comparison"]
        named_q = next(e for e in c["entries"] if e["isSubject"])
        assert named_q["value"] is None and named_q["symbol"] == "x"
        pseudo = [e for e in c["entries"] if e["isPseudonymous"]]
        assert sorted(e["value"] for e in pseudo) == [12.0, 22.0], peers
        assert all(e["authority"] is None and e["label"].startswith("Authority ") for e in pseudo)
        assert c["peerCount"] == 2 and not _leaks(pseudo, scenario.q)
    # A South East subject: the London labels join England, not its region or type.
    for peers, expected in (("ENGLAND", 2), ("REGION", 0), ("AUTHORITY_TYPE", 0)):
        out = await run_graphql(
            scenario.db,
            COMPARE,
            {"a": "869", "peers": peers, "period": "2021/22"},
            scenario.analyst,
        )
        entries = out["data"]["comparison"]["entries"]
        assert sum(e["isPseudonymous"] for e in entries) == expected, peers


async def test_subject_exclusion_cannot_single_out_the_publisher(scenario: Scenario) -> None:
    """Peers exclude the subject; if that excluded Q's pseudonymous figure when Q is the subject,
    comparing every borough's answer would find Q. Every London subject gets the same peers."""
    answers = set()
    for a in scenario.london:
        out = await run_graphql(
            scenario.db,
            COMPARE,
            {"a": a.la_code, "peers": "REGION", "period": "2021/22"},
            scenario.analyst,
        )
        c = out["data"]["comparison"]
        pseudo = tuple(
            sorted((e["label"], e["value"], e["rank"]) for e in c["entries"] if e["isPseudonymous"])
        )
        subject = next(e for e in c["entries"] if e["isSubject"])
        answers.add((c["peerCount"], c["peerMean"], c["peerMedian"], pseudo, subject["symbol"]))
    assert len(answers) == 1


async def test_statistical_neighbours_and_custom_groups_never_take_pseudonymous_figures(
    scenario: Scenario,
) -> None:
    out = await run_graphql(
        scenario.db,
        COMPARE,
        {"a": scenario.q.la_code, "peers": "STATISTICAL_NEIGHBOURS", "period": "2021/22"},
        scenario.analyst,
    )
    c = out["data"]["comparison"]
    assert not any(e["isPseudonymous"] for e in c["entries"]) and c["peerCount"] == 0
    # A custom group of the owner's choosing, small or large, with or without Q.
    owner = scenario.other
    for members in (
        [scenario.q.la_code],
        [scenario.q.la_code, scenario.r.la_code, *[a.la_code for a in scenario.london[:3]]],
        [a.la_code for a in scenario.london],
    ):
        made = await run_graphql(
            scenario.db,
            "mutation($m: [String!]!, $n: String!) { createPeerGroup(input: {name: $n, "
            "members: $m}) { peerGroup { id } userErrors { code } } }",
            {"m": members, "n": f"group of {len(members)}"},
            owner,
        )
        gid = made["data"]["createPeerGroup"]["peerGroup"]["id"]
        out = await run_graphql(
            scenario.db, COMPARE, {"a": "330", "g": gid, "period": "2021/22"}, owner
        )
        c = out["data"]["comparison"]
        assert not any(e["isPseudonymous"] for e in c["entries"]), members
        assert c["peerCount"] == 0


async def test_demo_figures_neither_rule_out_nor_take_candidates(scenario: Scenario) -> None:
    """Named demo figures (every other South East unitary) do not rule West Berkshire's rivals
    out, and the six London demo labels do not take P's rivals: both real labels are shown, in a
    comparison of real figures only; the demo labels stay in the demo years."""
    for viewer in (ANONYMOUS, scenario.analyst, scenario.other):
        nodes = await _rows(scenario, viewer, p=["2024/25"])
        real = [n for n in nodes if n["value"] == 42.0]
        assert len(real) == 2 and all(n["isPseudonymous"] and n["authority"] is None for n in real)
    england = await run_graphql(
        scenario.db,
        COMPARE.replace("isSubject", "isSubject isDemo"),
        {"a": "330", "peers": "ENGLAND", "period": "2024/25"},
        scenario.analyst,
    )
    entries = england["data"]["comparison"]["entries"]
    assert not any(e["isDemo"] for e in entries)
    assert sorted(e["value"] for e in entries if e["value"] is not None) == [42.0, 42.0]
    # The demo labels (a demo dataset of their own) are shown in a year with no real figures.
    london = await run_graphql(
        scenario.db,
        COMPARE,
        {"a": scenario.q.la_code, "peers": "REGION", "period": "2023/24"},
        scenario.analyst,
    )
    pseudo = [e for e in london["data"]["comparison"]["entries"] if e["isPseudonymous"]]
    assert len(pseudo) == 6
    assert all(e["pseudonym"]["description"] == "London, London borough" for e in pseudo)


async def test_history_errors_and_node_do_not_reveal_the_authority(scenario: Scenario) -> None:
    nodes = await _rows(scenario, scenario.analyst, p=["2020/21"])
    q_node = next(n for n in nodes if n["value"] == 11.0)
    history = await run_graphql(
        scenario.db,
        "query($id: ID!) { observationHistory(id: $id) { observation { areaCode authority "
        "{ laCode } pseudonym { label } } revisions { revision value publishedAt } } "
        "node(id: $id) { ... on Observation { authority { laCode } areaCode } } }",
        {"id": q_node["id"]},
        scenario.analyst,
    )
    assert "errors" not in history
    assert history["data"]["observationHistory"]["observation"]["authority"] is None
    assert history["data"]["node"]["authority"] is None
    assert not _leaks(history, scenario.q)
    withdraw = (
        "mutation($id: ID!) { withdrawObservation(input: {id: $id}) "
        "{ observation { id } userErrors { field code message } } }"
    )
    theirs = await run_graphql(scenario.db, withdraw, {"id": q_node["id"]}, scenario.other)
    from schema.ids import Signer

    made_up = Signer(scenario.db.settings.secret_key).global_id("Observation", "no-such-id")
    missing = await run_graphql(scenario.db, withdraw, {"id": made_up}, scenario.other)
    assert theirs == missing
    assert theirs["data"]["withdrawObservation"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_only_admins_read_the_audit_log_which_names_the_publisher(scenario: Scenario) -> None:
    query = (
        '{ auditLog(action: "observation.publish", first: 100) { totalCount edges { node '
        "{ action entityType entityId actorRole actorAuthority { laCode } after } } } }"
    )
    for viewer in (ANONYMOUS, scenario.analyst, scenario.q_viewer):
        out = await run_graphql(scenario.db, query, None, viewer)
        assert out["data"] is None or out["data"].get("auditLog") is None
        wanted = "UNAUTHENTICATED" if viewer is ANONYMOUS else "FORBIDDEN"
        assert out["errors"][0]["extensions"]["code"] == wanted
    out = await run_graphql(scenario.db, query, None, scenario.admin)
    entries = [e["node"] for e in out["data"]["auditLog"]["edges"]]
    assert out["data"]["auditLog"]["totalCount"] == len(entries) == 6
    q_entries = [e for e in entries if e["actorAuthority"]["laCode"] == scenario.q.la_code]
    assert len(q_entries) == 2 and all(e["after"]["pseudonymous"] for e in q_entries)


async def test_a_pseudonymous_rate_is_never_decided_by_a_named_count(scenario: Scenario) -> None:
    """A pseudonymous rate whose numerator was published under the name would be shown or
    suppressed by a named figure, linking the two: it counts as having no numerator (c)."""
    r_viewer = (await make_token(scenario.db, authority=scenario.r.la_code))[0]
    named = await publish(
        scenario.db, r_viewer, [row("ep_vacancies", "2019/20", 9)], visibility="public"
    )
    assert named.ok
    rate = await publish(
        scenario.db,
        r_viewer,
        [row("ep_vacancy_rate_pct", "2019/20", 30.0)],
        pseudonymous=True,
        visibility="public",
    )
    assert rate.ok
    out = await run_graphql(
        scenario.db, LIST, {"m": ["ep_vacancy_rate_pct"], "p": ["2019/20"]}, scenario.analyst
    )
    nodes = [e["node"] for e in out["data"]["observations"]["edges"]]
    assert [(n["value"], n["isPseudonymous"]) for n in nodes] == [(None, True)]


async def test_a_demo_label_says_nothing_about_the_label_of_real_figures(
    fresh_db: Database,
) -> None:
    """The demo generator is public code: anyone can rerun it and match a demo label to its
    authority. The same authority's real pseudonymous figures must carry another label."""
    async with transaction(fresh_db.sessions) as s:
        await seed_demo_metrics(s)
        everyone = list((await s.execute(select(Authority).order_by(Authority.la_code))).scalars())
    demo_ids = pseudonymous_demo_authorities(everyone)
    author = next(a for a in everyone if a.id in demo_ids and a.region_code == "E12000007")
    viewer, _ = await make_token(fresh_db, authority=author.la_code)
    result = await publish(
        fresh_db, viewer, [row("ep_fte", "2019/20", 9.0)], pseudonymous=True, visibility="public"
    )
    assert result.ok, result.errors
    analyst, _ = await make_token(fresh_db, role="analyst")
    own_labels: dict[str, set[str]] = {}
    for period in ("2019/20", "2024/25"):
        mine = {n["id"] for n in await _rows_in(fresh_db, viewer, period) if n["authority"]}
        for n in await _rows_in(fresh_db, analyst, period):
            if n["isPseudonymous"] and n["id"] in mine:
                own_labels.setdefault(period, set()).add(n["pseudonym"]["label"])
    # The analyst sees the author's real figure and its demo figure, under different labels.
    assert len(own_labels.get("2019/20", set())) == 1
    assert len(own_labels.get("2024/25", set())) == 1
    assert own_labels["2019/20"] != own_labels["2024/25"]


async def _rows_in(db: Database, viewer: Viewer, period: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        out = await run_graphql(db, LIST, {"m": ["ep_fte"], "p": [period], "after": after}, viewer)
        assert "errors" not in out, out
        page = out["data"]["observations"]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]
