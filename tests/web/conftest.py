"""Browser fixtures: a real server (uvicorn, in a subprocess) on a database of its own, driven by
Python Playwright through Debian's Chromium (/usr/bin/chromium; never `playwright install`).

The database is built like `exchange init` builds one: reference data, every shipped DfE file,
demo self-reported figures, demo case studies and the search index. The browser tests write to it
(sign-in, case studies, uploads), so it is theirs alone.

Without Chromium the browser tests are skipped with the reason; on CI (CI=true) they fail.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.conftest import ON_CI, Database, make_database

CHROMIUM = os.environ.get("EXCHANGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
ROOT = Path(__file__).resolve().parents[2]


def _browser_problem() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def require_browser() -> None:
    problem = _browser_problem()
    if problem:
        if ON_CI:
            pytest.fail(f"CI requires the browser tests: {problem}")
        pytest.skip(problem)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WebApp:
    base_url: str
    db: Database
    data_dir: Path
    publisher_token: str  # West Berkshire (869)
    other_publisher_token: str  # Camden (202): a London borough
    analyst_token: str

    def url(self, path: str) -> str:
        return self.base_url + path


async def _build(tmp: Path) -> tuple[Database, Any, dict[str, str]]:
    from rich.console import Console

    from exchange import composition
    from exchange.db import transaction
    from exchange.tokens.service import create_token

    db, cleanup = await make_database("sqlite", tmp, load="all")
    await composition.after_init(db.settings, Console(file=io.StringIO()))
    tokens = {}
    async with transaction(db.sessions) as session:
        for key, role, code in (
            ("publisher", "publisher", "869"),
            ("other", "publisher", "202"),
            ("analyst", "analyst", None),
        ):
            created = await create_token(session, role=role, authority_code=code, name=key)
            tokens[key] = created.secret
    return db, cleanup, tokens


@pytest_asyncio.fixture(scope="session")
async def web_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebApp]:
    require_browser()
    tmp = tmp_path_factory.mktemp("web")
    db, cleanup, tokens = await _build(tmp)
    port = _free_port()
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": db.url,
        "EXCHANGE_DATA_DIR": str(tmp),
        "EXCHANGE_SECRET_KEY": db.settings.secret_key,
        "EXCHANGE_REDIS_URL": "",
        "EXCHANGE_MEILI_URL": "",
    }
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "exchange.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server, tmp / "server.log")
        yield WebApp(
            base_url=base,
            db=db,
            data_dir=tmp,
            publisher_token=tokens["publisher"],
            other_publisher_token=tokens["other"],
            analyst_token=tokens["analyst"],
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        await db.engine.dispose()
        await cleanup()


def _wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()[-3000:]}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(base + "/healthz", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not start: {log.read_text()[-3000:]}")


@pytest_asyncio.fixture(scope="session")
async def browser(web_app: WebApp) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture
async def context(browser: Any) -> AsyncIterator[Any]:
    # bypass_csp: only so the test can inject axe-core; the pages themselves load no inline code.
    ctx = await browser.new_context(
        bypass_csp=True, accept_downloads=True, viewport={"width": 1200, "height": 900}
    )
    try:
        yield ctx
    finally:
        await ctx.close()


@pytest_asyncio.fixture
async def page(context: Any) -> AsyncIterator[Any]:
    tab = await context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_console(msg: Any) -> None:
        # A failed load is reported by on_response below (a 404 page itself is expected).
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            problems.append(f"console {msg.type}: {msg.text}")

    def on_response(response: Any) -> None:
        document = response.request.resource_type == "document"
        if response.status >= 500 or (response.status >= 400 and not document):
            problems.append(f"{response.status} {response.url}")

    tab.on("console", on_console)
    tab.on("response", on_response)
    tab.problems = problems
    yield tab
    assert not problems, problems


@pytest.fixture(scope="session")
def screenshots(artifacts_dir: Path) -> Iterator[Path]:
    path = artifacts_dir / "web"
    path.mkdir(exist_ok=True)
    yield path


async def check_page(page: Any, name: str, screenshots: Path) -> None:
    """Run axe-core on the page (0 violations) and save a full-page screenshot."""
    await page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))}"
    )
    assert result == [], f"axe violations on {name}: {json.dumps(result, indent=1)}"


async def sign_in(page: Any, web_app: WebApp, token: str) -> None:
    await page.goto(web_app.url("/sign-in"))
    await page.fill("#token", token)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_load_state()
