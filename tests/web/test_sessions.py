"""Server-side sessions for the officer pages, on SQLite and PostgreSQL.

The security finding: a session cookie copied before sign-out kept opening /publish for 8 hours,
because the cookie itself was the session. Now the cookie holds only a random id; the session is
a row the server ends on sign-out, "sign out everywhere" and token revocation.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from exchange.db import transaction
from exchange.tokens.service import Created, create_token, revoke_token
from exchange.websessions import service as websessions
from exchange.websessions.models import WebSession
from tests.conftest import Database, http_client
from tests.web.conftest import WebApp, check_page, sign_in

HTML = {"accept": "text/html"}
COOKIE = "dbvx_session"


async def _token(db: Database, code: str = "869") -> Created:
    async with transaction(db.sessions) as session:
        return await create_token(session, role="publisher", authority_code=code, name="sessions")


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, html[:300]
    return match.group(1)


async def _sign_in(client: httpx.AsyncClient, secret: str, agent: str = "") -> str:
    """Sign in through the form; the raw value of the session cookie the server set."""
    headers = {**HTML, **({"user-agent": agent} if agent else {})}
    form = await client.get("/sign-in", headers=headers)
    response = await client.post(
        "/sign-in", data={"token": secret, "csrf_token": _csrf(form.text)}, headers=headers
    )
    assert response.status_code == 303 and response.headers["location"] == "/publish"
    raw = next((c.value for c in client.cookies.jar if c.name == COOKIE), None)
    assert raw, response.headers.get_list("set-cookie")
    return raw


def _cookie_header(client: httpx.AsyncClient) -> str:
    """Every cookie the browser holds, as someone copying them would replay them."""
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)


async def _publish_as(db: Database, cookie: str) -> httpx.Response:
    """GET /publish from another machine, with nothing but the copied cookies."""
    async with http_client(db) as other:
        return await other.get("/publish", headers={**HTML, "cookie": cookie})


def _refused(response: httpx.Response) -> bool:
    """Anonymous: sent to the sign-in page, and told to forget the session cookie."""
    cleared = any(
        h.startswith(f"{COOKIE}=") and "max-age=0" in h.lower()
        for h in response.headers.get_list("set-cookie")
    )
    return (
        response.status_code == 303
        and response.headers["location"].startswith("/sign-in")
        and cleared
    )


async def _sign_out(client: httpx.AsyncClient) -> None:
    page = await client.get("/publish", headers=HTML)
    response = await client.post("/sign-out", data={"csrf_token": _csrf(page.text)}, headers=HTML)
    assert response.status_code == 303 and response.headers["location"] == "/"


async def _row(db: Database, raw: str) -> WebSession:
    async with db.sessions() as session:
        found = (
            await session.execute(
                select(WebSession).where(WebSession.session_hash == websessions.hash_id(raw))
            )
        ).scalar_one()
    return found


async def test_a_cookie_copied_before_sign_out_stops_working(fresh_db: Database) -> None:
    created = await _token(fresh_db)
    async with http_client(fresh_db) as browser:
        await _sign_in(browser, created.secret)
        copied = _cookie_header(browser)
        before = await _publish_as(fresh_db, copied)
        assert before.status_code == 200 and "West Berkshire" in before.text  # the copy works
        await _sign_out(browser)
        assert (await browser.get("/publish", headers=HTML)).status_code == 303
    after = await _publish_as(fresh_db, copied)
    assert _refused(after), (after.status_code, after.headers)


async def test_sign_out_everywhere_ends_every_session_of_the_token(fresh_db: Database) -> None:
    created = await _token(fresh_db)
    someone_else = await _token(fresh_db, code="202")
    async with (
        http_client(fresh_db) as laptop,
        http_client(fresh_db) as desktop,
        http_client(fresh_db) as camden,
    ):
        firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
        await _sign_in(laptop, created.secret, agent=firefox)
        await _sign_in(desktop, created.secret)
        await _sign_in(camden, someone_else.secret)
        account = await laptop.get("/account", headers=HTML)
        assert account.status_code == 200
        assert account.text.count('name="session"') == 2  # Camden's session is not listed
        assert "Firefox on Windows" in account.text and "This browser" in account.text
        response = await laptop.post(
            "/account/sign-out-everywhere",
            data={"csrf_token": _csrf(account.text)},
            headers=HTML,
        )
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert _refused(await desktop.get("/publish", headers=HTML))
        assert (await laptop.get("/publish", headers=HTML)).status_code == 303
        assert (await camden.get("/publish", headers=HTML)).status_code == 200


async def test_the_account_page_signs_out_one_session(fresh_db: Database) -> None:
    created = await _token(fresh_db)
    async with http_client(fresh_db) as laptop, http_client(fresh_db) as phone:
        await _sign_in(laptop, created.secret)
        phone_cookie = await _sign_in(phone, created.secret)
        phone_id = (await _row(fresh_db, phone_cookie)).public_id
        account = await laptop.get("/account", headers=HTML)
        assert f'value="{phone_id}"' in account.text
        response = await laptop.post(
            "/account/sessions/end",
            data={"csrf_token": _csrf(account.text), "session": phone_id},
            headers=HTML,
        )
        assert response.status_code == 303 and response.headers["location"] == "/account"
        assert _refused(await phone.get("/publish", headers=HTML))
        again = await laptop.get("/account", headers=HTML)
        assert again.status_code == 200 and again.text.count('name="session"') == 1
        assert f'value="{phone_id}"' not in again.text


async def test_a_session_of_another_token_cannot_be_ended_from_the_account_page(
    fresh_db: Database,
) -> None:
    mine, theirs = await _token(fresh_db), await _token(fresh_db, code="202")
    async with http_client(fresh_db) as me, http_client(fresh_db) as them:
        await _sign_in(me, mine.secret)
        their_id = (await _row(fresh_db, await _sign_in(them, theirs.secret))).public_id
        account = await me.get("/account", headers=HTML)
        response = await me.post(
            "/account/sessions/end",
            data={"csrf_token": _csrf(account.text), "session": their_id},
            headers=HTML,
        )
        assert response.status_code == 303
        assert (await them.get("/publish", headers=HTML)).status_code == 200


async def test_revoking_the_token_ends_its_sessions(fresh_db: Database) -> None:
    created = await _token(fresh_db)
    async with http_client(fresh_db) as browser:
        raw = await _sign_in(browser, created.secret)
        copied = _cookie_header(browser)
        async with transaction(fresh_db.sessions) as session:
            await revoke_token(session, created.token.id)
        assert (await _row(fresh_db, raw)).revoked_at is not None  # ended explicitly, not only
        assert _refused(await _publish_as(fresh_db, copied))  # refused by the token check


async def test_the_revoke_command_ends_the_tokens_sessions(
    fresh_db: Database, tmp_path: Path
) -> None:
    created = await _token(fresh_db)
    async with http_client(fresh_db) as browser:
        raw = await _sign_in(browser, created.secret)
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": fresh_db.url,
        "EXCHANGE_DATA_DIR": str(tmp_path),
        "EXCHANGE_SECRET_KEY": fresh_db.settings.secret_key,
    }
    exchange = str(Path(sys.executable).parent / "exchange")
    result = subprocess.run(
        [exchange, "token", "revoke", str(created.token.id)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (await _row(fresh_db, raw)).revoked_at is not None


@pytest.mark.parametrize("which", ["idle", "absolute"])
async def test_an_expired_session_is_refused(fresh_db: Database, which: str) -> None:
    created = await _token(fresh_db)
    async with http_client(fresh_db) as browser:
        raw = await _sign_in(browser, created.secret)
        copied = _cookie_header(browser)
        now = datetime.now(UTC)
        changes: dict[str, Any] = (
            {"last_seen_at": now - websessions.IDLE_TIMEOUT - timedelta(seconds=1)}
            if which == "idle"
            else {"expires_at": now - timedelta(seconds=1)}
        )
        async with transaction(fresh_db.sessions) as session:
            await session.execute(
                update(WebSession)
                .where(WebSession.session_hash == websessions.hash_id(raw))
                .values(**changes)
            )
        assert _refused(await browser.get("/publish", headers=HTML))
        assert _refused(await _publish_as(fresh_db, copied))


async def test_a_busy_session_still_ends_after_the_working_day(fresh_db: Database) -> None:
    """Used every hour, a session never goes idle, but it ends 8 hours after sign-in."""
    created = await _token(fresh_db)
    opened_at = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    async with transaction(fresh_db.sessions) as session:
        opened = await websessions.open(session, created.token.id, now=opened_at)
    for hour in range(1, 8):
        async with transaction(fresh_db.sessions) as session:
            when = opened_at + timedelta(hours=hour)
            assert await websessions.lookup(session, opened.raw_id, now=when) is not None
    async with transaction(fresh_db.sessions) as session:
        late = opened_at + websessions.ABSOLUTE_LIFETIME
        assert await websessions.lookup(session, opened.raw_id, now=late) is None
        assert await websessions.list_for_token(session, created.token.id, now=late) == []


async def test_the_cookie_holds_a_random_id_and_only_its_hash_is_stored(
    fresh_db: Database,
) -> None:
    created = await _token(fresh_db)
    async with http_client(fresh_db) as browser:
        form = await browser.get("/sign-in", headers=HTML)
        response = await browser.post(
            "/sign-in",
            data={"token": created.secret, "csrf_token": _csrf(form.text)},
            headers=HTML,
        )
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE))
    raw = header.split(";", 1)[0].split("=", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", raw)  # 256 random bits, nothing else
    attributes = {a.strip().lower() for a in header.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    token_hash = hashlib.sha256(created.secret.encode()).hexdigest()
    assert created.secret not in raw and token_hash not in raw
    async with fresh_db.sessions() as session:
        rows = list((await session.execute(select(WebSession))).scalars())
    assert len(rows) == 1
    stored = {str(getattr(rows[0], c.key)) for c in WebSession.__table__.columns}
    assert raw not in stored
    assert rows[0].session_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert rows[0].token_id == created.token.id


async def test_secure_cookies_when_configured(
    fresh_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exchange.app import create_app
    from exchange.settings import Settings

    monkeypatch.setenv("EXCHANGE_SECURE_COOKIES", "1")
    assert Settings.from_env().secure_cookies is True
    created = await _token(fresh_db)
    app = create_app(fresh_db.settings.model_copy(update={"secure_cookies": True}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as browser:
        form = await browser.get("/sign-in", headers=HTML)
        response = await browser.post(
            "/sign-in",
            data={"token": created.secret, "csrf_token": _csrf(form.text)},
            headers=HTML,
        )
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE))
    assert "secure" in {a.strip().lower() for a in header.split(";")[1:]}


async def test_an_unknown_session_id_is_anonymous(fresh_db: Database) -> None:
    made_up = "A" * 43
    assert _refused(await _publish_as(fresh_db, f"{COOKIE}={made_up}"))
    async with http_client(fresh_db) as other:
        home = await other.get("/", headers={**HTML, "cookie": f"{COOKIE}={made_up}"})
    assert home.status_code == 200 and 'href="/sign-in"' in home.text


@pytest.mark.browser
@pytest.mark.slow
async def test_account_page_in_a_browser(
    page: Any, browser: Any, web_app: WebApp, screenshots: Path
) -> None:
    """The account page passes axe; "Sign out everywhere" also signs out another browser."""
    own = await _token(web_app.db, code="869")  # a token of its own: other tests keep theirs
    other = await browser.new_context()
    try:
        tab = await other.new_page()
        await sign_in(tab, web_app, own.secret)
        await sign_in(page, web_app, own.secret)
        await page.click("a:has-text('Your account')")
        await page.wait_for_url(web_app.url("/account"))
        assert await page.locator("#open-sessions tbody tr").count() >= 2
        assert await page.locator("#open-sessions .govuk-tag:has-text('This browser')").count() == 1
        await check_page(page, "account", screenshots)
        await page.click("button:has-text('Sign out everywhere')")
        await page.wait_for_url(web_app.url("/"))
        assert "signed out everywhere" in await page.inner_text(".govuk-notification-banner")
        await tab.goto(web_app.url("/account"))
        assert "/sign-in" in tab.url
    finally:
        await other.close()
