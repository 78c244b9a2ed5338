"""Screening through the API, on both backends: create, update and publish all refuse personal
data written to get past the screen, naming the field and the span in the text as sent."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from exchange.casestudies import reads, repository
from exchange.db import transaction
from exchange.viewer import Viewer
from tests.conftest import run_graphql
from tests.core.case_study_support import WEST_BERKSHIRE, publisher

CREATE = """mutation($input: CreateCaseStudyInput!) {
  createCaseStudy(input: $input) { caseStudy { id } userErrors { field code message } }
}"""
UPDATE = """mutation($input: UpdateCaseStudyInput!) {
  updateCaseStudy(input: $input) { caseStudy { id revision } userErrors { field code message } }
}"""
PUBLISH = """mutation($id: ID!) {
  publishCaseStudy(input: {id: $id}) { caseStudy { id status } userErrors { field code message } }
}"""
SEARCH = """query($q: String) { caseStudies(query: $q) { totalCount } }"""


def _input(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Early help for families",
        "summary": "What we tried and what changed.",
        "whatWasDone": "We changed how the service works.",
        "phase": "IMPLEMENTATION",
        "themes": ["WORKFORCE"],
        "evidenceStrength": 2,
        **extra,
    }


async def _writer(db: Any) -> Viewer:
    """West Berkshire's publishing token, with the scope that lets it write case studies."""
    return replace(await publisher(db, WEST_BERKSHIRE), scopes=frozenset({"case_studies:write"}))


def _span(text: str, written: str) -> str:
    start = text.index(written)
    return f"characters {start}–{start + len(written)}"


async def test_create_refuses_disguised_personal_data_naming_field_and_span(fresh_db: Any) -> None:
    owner = await _writer(fresh_db)
    mobile = "07700\u00a0900\u200b123"
    birth = "12/03/2015"
    what = f"  Mum asked us to ring {mobile} after school."  # leading spaces are the officer's
    lessons = f"Child A (b. {birth}) settled well."
    result = await run_graphql(
        fresh_db, CREATE, {"input": _input(whatWasDone=what, lessonsLearned=lessons)}, owner
    )
    payload = result["data"]["createCaseStudy"]
    assert payload["caseStudy"] is None
    errors = {e["field"]: e for e in payload["userErrors"]}
    assert set(errors) == {"whatWasDone", "lessonsLearned"}
    assert errors["whatWasDone"]["code"] == "PERSONAL_DATA"
    assert "phone number" in errors["whatWasDone"]["message"]
    assert _span(what, mobile) in errors["whatWasDone"]["message"]
    assert errors["lessonsLearned"]["code"] == "PERSONAL_DATA"
    assert "date of birth" in errors["lessonsLearned"]["message"]
    assert _span(lessons, birth) in errors["lessonsLearned"]["message"]
    mine = await run_graphql(fresh_db, "{ myCaseStudies { totalCount } }", None, owner)
    assert mine["data"]["myCaseStudies"]["totalCount"] == 0


async def test_update_refuses_disguised_personal_data(fresh_db: Any) -> None:
    owner = await _writer(fresh_db)
    created = await run_graphql(fresh_db, CREATE, {"input": _input()}, owner)
    cid = created["data"]["createCaseStudy"]["caseStudy"]["id"]
    upn = "B801\u20112000\u201105001"
    title = f"Pupil {upn} moved school"
    result = await run_graphql(fresh_db, UPDATE, {"input": {"id": cid, "title": title}}, owner)
    payload = result["data"]["updateCaseStudy"]
    assert payload["caseStudy"] is None
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == ("title", "PERSONAL_DATA")
    assert "Unique Pupil Number" in error["message"] and _span(title, upn) in error["message"]


async def test_publishing_rescreens_text_stored_before_the_screen_caught_it(
    fresh_db: Any,
) -> None:
    owner = await _writer(fresh_db)
    created = await run_graphql(fresh_db, CREATE, {"input": _input()}, owner)
    cid = created["data"]["createCaseStudy"]["caseStudy"]["id"]
    mine = await run_graphql(fresh_db, "{ myCaseStudies { edges { node { id } } } }", None, owner)
    assert [e["node"]["id"] for e in mine["data"]["myCaseStudies"]["edges"]] == [cid]
    # A draft saved by an earlier, weaker screen (the row is written directly, as it was then).
    nhs = "943.476.5919"
    async with transaction(fresh_db.sessions) as session:
        [draft] = (await reads.mine(session, owner, ["draft"], 0, 10))[0]
        draft.results = f"Referred with NHS number {nhs}."
        public_id = draft.public_id
    result = await run_graphql(fresh_db, PUBLISH, {"id": cid}, owner)
    payload = result["data"]["publishCaseStudy"]
    assert payload["caseStudy"] is None
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == ("results", "PERSONAL_DATA")
    assert _span(f"Referred with NHS number {nhs}.", nhs) in error["message"]
    async with fresh_db.sessions() as session:
        kept = await repository.get_by_public_id(session, public_id)
    assert kept is not None and kept.status == "draft"
    assert (await run_graphql(fresh_db, SEARCH, {"q": "Referred"}))["data"]["caseStudies"][
        "totalCount"
    ] == 0


async def test_the_installations_allowed_numbers_reach_the_mutations(fresh_db: Any) -> None:
    """EXCHANGE_ALLOWED_PHONE_NUMBERS (Settings.allowed_phone_numbers) is passed to the screen."""
    owner = await _writer(fresh_db)
    what = "Families can call the council on 020 7974 4444 during office hours."
    refused = await run_graphql(fresh_db, CREATE, {"input": _input(whatWasDone=what)}, owner)
    assert [e["code"] for e in refused["data"]["createCaseStudy"]["userErrors"]] == [
        "PERSONAL_DATA"
    ]
    settings = fresh_db.settings.model_copy(update={"allowed_phone_numbers": ("020 7974 4444",)})
    allowed = replace(fresh_db, settings=settings)
    created = await run_graphql(allowed, CREATE, {"input": _input(whatWasDone=what)}, owner)
    assert created["data"]["createCaseStudy"]["userErrors"] == []
    cid = created["data"]["createCaseStudy"]["caseStudy"]["id"]
    published = await run_graphql(allowed, PUBLISH, {"id": cid}, owner)
    assert published["data"]["publishCaseStudy"]["caseStudy"]["status"] == "PUBLISHED"
