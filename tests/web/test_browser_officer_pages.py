"""Officer pages the first browser tests left out: editing a draft, saving a draft and publishing
it later, the "no figures" comparison page, the owner's view of a draft and of a withdrawn case
study, and search filters without JavaScript.

Real browser (headless Chromium via Playwright), axe-core on every page, full-page screenshots
under test-artifacts/web/.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.web.conftest import WebApp, check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DRAFT_WARNING = "This is a draft: only your authority can see it."
WITHDRAWN_WARNING = "This case study has been withdrawn: only your authority can see it."

WITHDRAW = """
mutation Withdraw($id: ID!) {
  withdrawCaseStudy(input: {id: $id}) { caseStudy { status } userErrors { code message } }
}
"""


@pytest_asyncio.fixture
async def visitor(browser: Any) -> AsyncIterator[Any]:
    """A tab in a context of its own: an anonymous visitor, sharing no cookies with `page`."""
    ctx = await browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        yield await ctx.new_page()
    finally:
        await ctx.close()


def _word() -> str:
    """A made-up word, so that a search finds only this test's case study."""
    return "Zorvik" + secrets.token_hex(3)


async def _write_draft(page: Any, web_app: WebApp, title: str, summary: str) -> str:
    """Write a complete case study through the form and press "Save as draft"; its id."""
    await page.goto(web_app.url("/publish"))
    await page.click("a:has-text('Write a case study')")
    await page.wait_for_url(re.compile(r"/case-studies/new$"))
    await page.fill("#title", title)
    await page.fill("#summary", summary)
    await page.fill(
        "#whatWasDone",
        "Two caseworkers triaged every new request each Monday and sent the family a named "
        "contact within a week.",
    )
    await page.check("#phase-IMPLEMENTATION")
    await page.check("#themes-annual_reviews")
    await page.check("#evidenceStrength-2")
    await page.click("button:has-text('Save as draft')")
    await page.wait_for_url(re.compile(r"/case-studies/[^/]+$"))
    return str(page.url.rsplit("/", 1)[1])


async def _status(page: Any, url: str) -> int:
    response = await page.goto(url)
    assert response is not None
    return int(response.status)


async def _titles(page: Any) -> list[str]:
    return [t.strip() for t in await page.locator("#results h2").all_inner_texts()]


async def _count(page: Any) -> int:
    text = await page.inner_text("#result-count")
    return int(re.match(r"\s*(\d+)", text).group(1))  # type: ignore[union-attr]


async def test_publisher_edits_their_own_draft(
    page: Any, browser: Any, visitor: Any, web_app: WebApp, screenshots: Path
) -> None:
    await sign_in(page, web_app, web_app.publisher_token)
    word = _word()
    title = f"Monday triage of new assessment requests in {word}"
    case_id = await _write_draft(
        page, web_app, title, "A weekly triage meeting for every new request."
    )
    assert "Draft saved" in await page.inner_text(".govuk-notification-banner")

    # open it as an officer would: from "Your case studies" on the publish page, then "Edit"
    await page.goto(web_app.url("/publish"))
    row = page.locator("#my-case-studies tr", has_text=title)
    assert "Draft" in await row.inner_text()
    await row.locator("a").click()
    await page.wait_for_url(re.compile(rf"/case-studies/{re.escape(case_id)}$"))
    await page.click("a:has-text('Edit')")
    await page.wait_for_url(re.compile(rf"/case-studies/{re.escape(case_id)}/edit$"))
    assert await page.inner_text("h1") == "Edit your case study"
    # the form holds what was saved
    assert await page.input_value("#title") == title
    assert await page.is_checked("#themes-annual_reviews")
    assert await page.is_checked("#evidenceStrength-2")
    assert await page.locator("button:has-text('Save as draft')").count() == 1
    await check_page(page, "edit-case-study", screenshots)

    new_title = f"Weekly triage of new assessment requests in {word}"
    await page.fill("#title", new_title)
    await page.fill("#results", "Families heard from a named contact within five working days.")
    await page.check("#evidenceStrength-3")
    await page.click("button:has-text('Save as draft')")
    await page.wait_for_url(re.compile(rf"/case-studies/{re.escape(case_id)}$"))
    assert "Changes saved." in await page.inner_text(".govuk-notification-banner")
    assert await page.inner_text("h1") == new_title
    summary = await page.inner_text("#structured-summary")
    assert "3 of 5" in summary and "2 of 5" not in summary
    main = await page.inner_text("main")
    assert "Families heard from a named contact within five working days." in main
    assert DRAFT_WARNING in main  # saving changes does not publish it
    await check_page(page, "edit-case-study-saved", screenshots)
    # the edit page now starts from the saved values
    await page.goto(web_app.url(f"/case-studies/{case_id}/edit"))
    assert await page.input_value("#title") == new_title
    await page.goto(web_app.url("/publish"))
    mine = await page.inner_text("#my-case-studies")
    assert new_title in mine and title not in mine

    # nobody else may edit it: not another council's publisher, not an anonymous visitor
    other = await browser.new_context()
    try:
        tab = await other.new_page()
        await sign_in(tab, web_app, web_app.other_publisher_token)
        assert await _status(tab, web_app.url(f"/case-studies/{case_id}/edit")) == 404
        assert await tab.inner_text("h1") == "Case study not found"
    finally:
        await other.close()
    await visitor.goto(web_app.url(f"/case-studies/{case_id}/edit"))
    assert "/sign-in" in visitor.url


async def test_saved_draft_is_hidden_until_published(
    page: Any, visitor: Any, web_app: WebApp, screenshots: Path
) -> None:
    await sign_in(page, web_app, web_app.publisher_token)
    word = _word()
    title = f"Key worker pilot for {word} families"
    case_id = await _write_draft(
        page, web_app, title, f"A named key worker for each {word} family."
    )
    url = web_app.url(f"/case-studies/{case_id}")
    # the owner's view of the draft: marked as a draft, with Edit and Publish
    assert DRAFT_WARNING in await page.inner_text("main")
    assert await page.locator("a:has-text('Edit')").count() == 1
    assert await page.locator("button:has-text('Publish')").count() == 1
    await check_page(page, "case-study-draft", screenshots)

    # an anonymous visitor can neither open nor find it
    assert await _status(visitor, url) == 404
    assert await visitor.inner_text("h1") == "Case study not found"
    await visitor.goto(web_app.url(f"/search?q={word}"))
    assert title not in await _titles(visitor)
    assert await _count(visitor) == 0

    await page.click("button:has-text('Publish')")
    await page.wait_for_url(re.compile(rf"/case-studies/{re.escape(case_id)}$"))
    assert "Case study published" in await page.inner_text(".govuk-notification-banner")
    main = await page.inner_text("main")
    assert DRAFT_WARNING not in main
    assert await page.locator("button:has-text('Publish')").count() == 0
    await check_page(page, "case-study-draft-published", screenshots)

    # now the visitor can open it, and search finds it
    assert await _status(visitor, url) == 200
    assert await visitor.inner_text("h1") == title
    assert DRAFT_WARNING not in await visitor.inner_text("main")
    assert await visitor.locator("a:has-text('Edit')").count() == 0
    await visitor.goto(web_app.url(f"/search?q={word}"))
    assert title in await _titles(visitor)


async def test_owner_sees_a_withdrawn_case_study_and_nobody_else_does(
    page: Any, visitor: Any, web_app: WebApp, screenshots: Path
) -> None:
    # There is no withdraw button in the web pages: withdrawing is done through the API.
    await sign_in(page, web_app, web_app.publisher_token)
    word = _word()
    title = f"Outreach clinics in {word} libraries"
    case_id = await _write_draft(page, web_app, title, f"Monthly SEND clinics in {word} libraries.")
    await page.click("button:has-text('Publish')")
    await page.wait_for_url(re.compile(rf"/case-studies/{re.escape(case_id)}$"))
    url = web_app.url(f"/case-studies/{case_id}")
    assert await _status(visitor, url) == 200  # published: public

    response = await page.context.request.post(
        web_app.url("/graphql"),
        data={"query": WITHDRAW, "variables": {"id": case_id}},
        headers={"Authorization": f"Bearer {web_app.publisher_token}"},
    )
    assert response.ok
    withdrawn = (await response.json())["data"]["withdrawCaseStudy"]
    assert withdrawn["userErrors"] == [] and withdrawn["caseStudy"]["status"] == "WITHDRAWN"

    await page.goto(url)
    assert await page.inner_text("h1") == title
    main = await page.inner_text("main")
    assert WITHDRAWN_WARNING in main
    assert await page.locator("button:has-text('Publish')").count() == 0
    await check_page(page, "case-study-withdrawn", screenshots)
    await page.goto(web_app.url("/publish"))
    assert "Withdrawn" in await page.locator("#my-case-studies tr", has_text=title).inner_text()

    assert await _status(visitor, url) == 404
    assert await visitor.inner_text("h1") == "Case study not found"
    await visitor.goto(web_app.url(f"/search?q={word}"))
    assert title not in await _titles(visitor)


async def test_comparison_without_figures_says_why_and_where_to_go(
    page: Any, web_app: WebApp, screenshots: Path
) -> None:
    # A self-reported metric, seen anonymously: there are figures, but only for members.
    path = "/authorities/869/metrics/ep_fte"
    assert await _status(page, web_app.url(path)) == 200
    assert await page.inner_text("h1") == "No figures to compare"
    text = await page.inner_text("#no-figures")
    assert "Educational psychologists in post (FTE)" in text
    assert "West Berkshire" in text
    assert "sign in" in text
    sign_in_link = page.locator("#no-figures a:has-text('sign in')")
    assert await sign_in_link.get_attribute("href") == f"/sign-in?next={path}"
    assert await page.locator("#no-figures a[href='/authorities/869']").count() == 1
    await check_page(page, "comparison-empty", screenshots)
    # ... and the advice holds: the link signs in and comes back to figures to compare
    await sign_in_link.click()
    await page.wait_for_url(re.compile(r"/sign-in\?next="))
    await page.fill("#token", web_app.analyst_token)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(web_app.url(path))
    assert await page.inner_text("h1") != "No figures to compare"
    assert await page.locator("#comparison-table").count() == 1


async def test_comparison_for_a_period_without_figures_lists_those_with(
    page: Any, web_app: WebApp, screenshots: Path
) -> None:
    assert (
        await _status(page, web_app.url("/authorities/869/metrics/ehc_plans?period=2010/11")) == 404
    )
    assert await page.inner_text("h1") == "No figures to compare"
    text = await page.inner_text("#no-figures")
    assert "EHC plans maintained (January census)" in text and "2010/11" in text
    periods = [
        p.split(":")[0].strip()
        for p in await page.locator("#periods-with-figures a").all_inner_texts()
    ]
    assert periods and periods[0] == "2024/25"  # newest first
    assert "2010/11" not in periods
    await check_page(page, "comparison-empty-period", screenshots)
    await page.click("#periods-with-figures a >> nth=0")
    await page.wait_for_url(re.compile(r"period=2024/25"))
    assert await page.inner_text("h1") == "EHC plans maintained (January census), 2024/25"
    # a year written the wrong way is explained, not just refused
    await page.goto(web_app.url("/authorities/869/metrics/ehc_plans?period=2010"))
    assert await page.inner_text("h1") == "No figures to compare"
    assert "academic year (for example 2010/11)" in await page.inner_text("#no-figures")
    # there is still no CSV for a period without figures
    csv = await page.context.request.get(
        web_app.url("/authorities/869/metrics/ehc_plans.csv?period=2010/11")
    )
    assert csv.status == 404


async def _render_without_page_scripts(page: Any, url: str) -> None:
    """Load `url` as a browser without JavaScript renders it (the page's own scripts are
    answered with empty files), in a context where the test can still inject axe-core."""

    async def empty(route: Any) -> None:
        await route.fulfill(status=200, content_type="text/javascript", body="")

    await page.route("**/*.js", empty)
    await page.goto(url)
    assert not await page.evaluate("document.body.classList.contains('govuk-frontend-supported')")


async def test_facets_narrow_the_results_without_javascript(
    browser: Any, page: Any, web_app: WebApp, screenshots: Path
) -> None:
    ctx = await browser.new_context(java_script_enabled=False)
    try:
        tab = await ctx.new_page()
        await tab.goto(web_app.url("/search"))
        everything = await _count(tab)
        apply = tab.locator("button:has-text('Apply filters')")
        assert await apply.is_visible()
        label = await tab.inner_text("label[for='f-theme-annual-reviews']")
        expected = int(re.search(r"\((\d+)\)", label).group(1))  # type: ignore[union-attr]
        await tab.check("#f-theme-annual-reviews")
        assert "theme=" not in tab.url  # no script: the box alone does not submit the form
        await apply.click()
        await tab.wait_for_url(re.compile(r"theme=annual_reviews"))
        narrowed = await _count(tab)
        assert narrowed == expected and 0 < narrowed < everything
        assert await tab.is_checked("#f-theme-annual-reviews")
        themes = await tab.locator("#results li p:has-text('Themes:')").all_inner_texts()
        assert themes and all("Annual reviews" in t for t in themes)
        # a second facet, in another group, narrows further
        phase = await tab.inner_text("label[for='f-phase-IMPLEMENTATION']")
        both = int(re.search(r"\((\d+)\)", phase).group(1))  # type: ignore[union-attr]
        await tab.check("#f-phase-IMPLEMENTATION")
        await tab.click("button:has-text('Apply filters')")
        await tab.wait_for_url(re.compile(r"phase=IMPLEMENTATION"))
        assert "theme=annual_reviews" in tab.url
        assert await _count(tab) == both and 0 < both <= narrowed
        # unticking and applying widens again
        await tab.uncheck("#f-phase-IMPLEMENTATION")
        await tab.click("button:has-text('Apply filters')")
        await tab.wait_for_url(re.compile(r"^(?!.*phase=).*theme=annual_reviews"))
        assert await _count(tab) == narrowed
        await tab.screenshot(
            path=str(screenshots / "search-facets-no-javascript.png"), full_page=True
        )
        final = tab.url
    finally:
        await ctx.close()
    # axe-core needs script, so it checks the same address rendered without the page's scripts
    await _render_without_page_scripts(page, final)
    assert await _count(page) == narrowed
    await check_page(page, "search-facets-no-javascript-axe", screenshots)
