"""The officer pages over HTTP (httpx against the ASGI app), on SQLite and PostgreSQL.

The browser tests (test_browser.py) cover the flows end to end; these check the same pages'
figures, permissions, CSRF, headers and the CSV against the table, without a browser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from exchange.web.account_pages import _safe_next
from exchange.web.search_pages import highlight
from tests.conftest import Database, http_client

HTML = {"accept": "text/html"}


class _Tables(HTMLParser):
    """Rows of the table with a given id, as the text of each cell."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (dict(attrs).get("id") == self.table_id or self.depth):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table(html: str, table_id: str) -> list[list[str]]:
    parser = _Tables(table_id)
    parser.feed(html)
    return parser.rows


async def test_west_berkshire_dashboard_shows_its_real_ehc_plans_and_rank(
    loaded_db: Database,
) -> None:
    async with http_client(loaded_db) as client:
        response = await client.get("/authorities/869", headers=HTML)
        assert response.status_code == 200
        rows = table(response.text, "dashboard-table")
        ehc = next(r for r in rows if r and r[0] == "EHC plans maintained (January census)")
        assert ehc[1:5] == ["2024/25", "1,685", "10 of 11 (highest first)", "4 (lowest quarter)"]
        assert ehc[5] == "6,814.5"  # neighbours' median, West Berkshire left out
        assert ehc[6] == "638,745"  # England
        timeliness = next(
            r for r in rows if r and r[0] == "New EHC plans issued within 20 weeks (%)"
        )
        assert timeliness[1:5] == ["2024", "48.0%", "2 of 11 (1 = best)", "1 (best quarter)"]
        assert (
            "Contains public sector information licensed under the Open Government Licence v3.0."
            in re.sub(r"<[^>]+>", "", response.text)
        )


async def test_a_gss_code_redirects_to_the_dfe_address(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        response = await client.get("/authorities/E06000037", headers=HTML)
        assert response.status_code == 301
        assert response.headers["location"] == "/authorities/869"


@pytest.mark.parametrize(
    "path",
    [
        "/authorities/999",
        "/authorities/869/metrics/no_such_metric",
        "/authorities/869/metrics/ehc_plans?period=1999/00",
        "/authorities/869/metrics/ehc_plans?peers=EVERYONE",
        "/case-studies/not-a-real-id-at-all",
    ],
)
async def test_unknown_things_are_404_pages(loaded_db: Database, path: str) -> None:
    async with http_client(loaded_db) as client:
        response = await client.get(path, headers=HTML)
        assert response.status_code == 404
        assert "govuk-heading-l" in response.text  # the service's page, not a trace


async def test_pages_send_security_headers(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        response = await client.get("/", headers=HTML)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_static_assets_are_served_from_the_app(loaded_db: Database) -> None:
    async with http_client(loaded_db) as client:
        css = await client.get("/static/govuk/govuk-frontend.min.css")
        js = await client.get("/static/govuk/govuk-frontend.min.js")
        ide = await client.get("/graphql", headers={"accept": "text/html,*/*;q=0.8"})
        ide_only_html = await client.get("/graphql", headers={"accept": "text/html"})
    assert css.status_code == 200 and "govuk-template" in css.text
    assert "GDS Transport" not in css.text  # the GOV.UK-only font is not used
    assert js.status_code == 200
    assert ide.status_code == 200 and ide_only_html.status_code == 200
    assert "/static/graphiql/graphiql.min.js" in ide.text
    assert "https://" not in ide.text  # no CDN


# -- sign-in, CSRF ------------------------------------------------------------------------------


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


async def _token(db: Database, role: str = "publisher", code: str | None = "869") -> Any:
    from exchange.db import transaction
    from exchange.tokens.service import create_token

    async with transaction(db.sessions) as session:
        return await create_token(session, role=role, authority_code=code, name="pages test")


async def test_sign_in_needs_the_forms_csrf_token(fresh_db: Database) -> None:
    created = await _token(fresh_db)
    async with http_client(fresh_db) as client:
        refused = await client.post("/sign-in", data={"token": created.secret}, headers=HTML)
        assert refused.status_code == 403
        form = await client.get("/sign-in", headers=HTML)
        wrong = await client.post(
            "/sign-in", data={"token": created.secret, "csrf_token": "x" * 43}, headers=HTML
        )
        assert wrong.status_code == 403
        ok = await client.post(
            "/sign-in",
            data={"token": created.secret, "csrf_token": _csrf(form.text)},
            headers=HTML,
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/publish"
        cookie = client.cookies.get("dbvx_session")
        assert cookie and created.secret not in cookie
        publish = await client.get("/publish", headers=HTML)
        assert publish.status_code == 200
        assert "West Berkshire" in publish.text


async def test_a_revoked_token_signs_the_session_out_at_once(fresh_db: Database) -> None:
    from exchange.db import transaction
    from exchange.tokens.service import revoke_token

    created = await _token(fresh_db)
    async with http_client(fresh_db) as client:
        form = await client.get("/sign-in", headers=HTML)
        await client.post(
            "/sign-in",
            data={"token": created.secret, "csrf_token": _csrf(form.text)},
            headers=HTML,
        )
        assert (await client.get("/publish", headers=HTML)).status_code == 200
        async with transaction(fresh_db.sessions) as session:
            await revoke_token(session, created.token.id)
        again = await client.get("/publish", headers=HTML)
        assert again.status_code == 303
        assert again.headers["location"].startswith("/sign-in")


async def test_a_bad_token_is_refused_with_a_message(fresh_db: Database) -> None:
    async with http_client(fresh_db) as client:
        form = await client.get("/sign-in", headers=HTML)
        response = await client.post(
            "/sign-in",
            data={"token": "dbvx_" + "B" * 43, "csrf_token": _csrf(form.text)},
            headers=HTML,
        )
    assert response.status_code == 200
    assert "not recognised" in response.text
    assert "dbvx_session" not in response.headers.get("set-cookie", "") or (
        "token_hash" not in response.headers.get("set-cookie", "")
    )


async def test_an_analyst_cannot_write_case_studies(fresh_db: Database) -> None:
    created = await _token(fresh_db, role="analyst", code=None)
    async with http_client(fresh_db) as client:
        form = await client.get("/sign-in", headers=HTML)
        await client.post(
            "/sign-in",
            data={"token": created.secret, "csrf_token": _csrf(form.text)},
            headers=HTML,
        )
        response = await client.get("/case-studies/new", headers=HTML)
    assert response.status_code == 403


async def test_writing_needs_sign_in(fresh_db: Database) -> None:
    async with http_client(fresh_db) as client:
        response = await client.get("/case-studies/new", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/case-studies/new"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/publish", "/publish"),
        ("//evil.example/x", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("", None),
    ],
)
def test_sign_in_only_redirects_within_the_site(target: str, expected: str | None) -> None:
    assert _safe_next(target) == expected


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("the <mark>annual</mark> review", "the <mark>annual</mark> review"),
        ("a &lt;b&gt; c <mark>x</mark>", "a &lt;b&gt; c <mark>x</mark>"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("open <mark>never closed", "open <mark>never closed</mark>"),
        ("&lt;mark&gt;", "&lt;mark&gt;"),
    ],
)
def test_search_highlights_allow_only_mark(snippet: str, expected: str) -> None:
    assert str(highlight(snippet)) == expected


async def test_a_pasted_control_character_is_named_on_the_form_and_nothing_is_saved(
    fresh_db: Database,
) -> None:
    """A vertical tab (as Word leaves) in a case-study field: the form says which field and where,
    instead of the error page, and no case study is created."""
    created = await _token(fresh_db)
    async with http_client(fresh_db) as client:
        form = await client.get("/sign-in", headers=HTML)
        await client.post(
            "/sign-in",
            data={"token": created.secret, "csrf_token": _csrf(form.text)},
            headers=HTML,
        )
        page = await client.get("/case-studies/new", headers=HTML)
        response = await client.post(
            "/case-studies/new",
            data={
                "csrf_token": _csrf(page.text),
                "title": "Triage panel for EHC needs assessments",
                "summary": "We moved\x0bdecisions to a weekly panel.",
                "action": "save",
            },
            headers=HTML,
        )
    assert response.status_code == 200
    assert "Summary contains an invisible control character (U+000B) at character 9" in (
        response.text
    )
    from sqlalchemy import func, select

    from exchange.casestudies.models import CaseStudy

    async with fresh_db.sessions() as session:
        assert (await session.execute(select(func.count(CaseStudy.id)))).scalar_one() == 0
