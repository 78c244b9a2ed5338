"""End-to-end flows in a real browser (headless Chromium via Playwright), axe-core on every page.

Each test saves full-page screenshots under test-artifacts/web/.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from exchange.web import formatting
from exchange.web.csv_export import COMPARISON_COLUMNS
from tests.web.conftest import WebApp, check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _table(page: Any, selector: str) -> list[list[str]]:
    return await page.eval_on_selector(
        selector,
        "t => [...t.querySelectorAll('tr')].map(r => [...r.children].map(c => c.innerText.trim()))",
    )


async def _result_titles(page: Any) -> list[str]:
    return [t.strip() for t in await page.locator("#results h2").all_inner_texts()]


async def _count(page: Any) -> int:
    text = await page.inner_text("#result-count")
    return int(re.match(r"\s*(\d+)", text).group(1))  # type: ignore[union-attr]


async def test_home_page(page: Any, web_app: WebApp, screenshots: Path) -> None:
    await page.goto(web_app.url("/"))
    assert await page.title() == "Share what works in SEND – DBV Exchange"
    assert await page.locator("#q").count() == 1
    latest = page.locator("main .dbvx-result")
    assert await latest.count() == 5
    assert "Demo data" in await latest.first.inner_text()
    footer = await page.inner_text("footer")
    assert (
        "Contains public sector information licensed under the Open Government Licence v3.0."
        in footer
    )
    await check_page(page, "home", screenshots)
    # choose your authority: no JavaScript needed, a plain GET form
    await page.select_option("#authority", "869")
    await page.click("button:has-text('Show dashboard')")
    await page.wait_for_url(re.compile(r"/authorities/869$"))


async def test_misspelt_search_finds_the_case_study(
    page: Any, web_app: WebApp, screenshots: Path
) -> None:
    await page.goto(web_app.url("/"))
    await page.fill("#q", "anual reveiw backlog")  # two typos
    await page.click("form[role=search] button")
    await page.wait_for_url(re.compile(r"/search\?q=anual"))
    titles = await _result_titles(page)
    assert titles, "no results for a misspelt query"
    assert "annual review backlog" in titles[0].lower()
    # highlights: the matched words are marked in the snippet
    marked = await page.locator("#results mark").all_inner_texts()
    assert any(m.lower().startswith(("annual", "review", "backlog")) for m in marked)
    await check_page(page, "search-results", screenshots)
    await page.click("#results h2 a >> nth=0")
    await page.wait_for_url(re.compile(r"/case-studies/"))
    assert "annual review backlog" in (await page.inner_text("h1")).lower()


async def test_synonym_search(page: Any, web_app: WebApp) -> None:
    await page.goto(web_app.url("/search?q=EP+shortage"))
    titles = " ".join(await _result_titles(page)).lower()
    assert "educational psychologist" in titles


async def test_facet_narrows_the_results(page: Any, web_app: WebApp, screenshots: Path) -> None:
    await page.goto(web_app.url("/search"))
    everything = await _count(page)
    assert everything > 100
    label = page.locator("label[for='f-theme-annual-reviews']")
    facet_count = int(re.search(r"\((\d+)\)", await label.inner_text()).group(1))  # type: ignore[union-attr]
    await page.check("#f-theme-annual-reviews")  # JavaScript submits the form at once
    await page.wait_for_url(re.compile(r"theme=annual_reviews"))
    narrowed = await _count(page)
    assert narrowed == facet_count
    assert 0 < narrowed < everything
    assert await page.is_checked("#f-theme-annual-reviews")
    themes = await page.locator("#results li p:has-text('Themes:')").all_inner_texts()
    assert themes and all("Annual reviews" in t for t in themes)
    await check_page(page, "search-facet", screenshots)
    # a second facet narrows further (AND across fields)
    await page.check("#f-phase-IMPLEMENTATION")
    await page.wait_for_url(re.compile(r"phase=IMPLEMENTATION"))
    assert 0 < await _count(page) <= narrowed
    # removing a filter widens again
    await page.click("a:has-text('✕') >> nth=1")
    await page.wait_for_url(re.compile(r"^(?!.*phase=).*theme=annual_reviews"))
    assert await _count(page) == narrowed


async def test_search_works_without_javascript(
    browser: Any, web_app: WebApp, screenshots: Path
) -> None:
    ctx = await browser.new_context(java_script_enabled=False)
    try:
        page = await ctx.new_page()
        await page.goto(web_app.url("/search?q=travel+training"))
        before = await _count(page)
        await page.click("summary:has-text('Evidence strength')")  # <details> needs no script
        await page.check("#f-evidence_strength-3")
        await page.click("button:has-text('Apply filters')")
        await page.wait_for_url(re.compile(r"evidence_strength=3"))
        after = await _count(page)
        assert 0 < after <= before
        await page.screenshot(path=str(screenshots / "search-no-javascript.png"), full_page=True)
    finally:
        await ctx.close()


async def test_empty_search_is_helpful(page: Any, web_app: WebApp, screenshots: Path) -> None:
    await page.goto(web_app.url("/search?q=zzqqxxwwvv&theme=annual_reviews"))
    assert await _count(page) == 0
    text = await page.inner_text("#no-results")
    assert "check the spelling" in text
    assert "remove all filters" in text
    await check_page(page, "search-empty", screenshots)
    await page.click("#no-results a:has-text('remove all filters')")
    await page.wait_for_url(re.compile(r"/search\?q=zzqqxxwwvv$"))


async def test_west_berkshire_dashboard(page: Any, web_app: WebApp, screenshots: Path) -> None:
    await page.goto(web_app.url("/authorities/869"))
    assert await page.inner_text("h1") == "West Berkshire"
    row = page.locator("#dashboard-table tr[data-metric='ehc_plans']")
    cells = await row.locator("th, td").all_inner_texts()
    assert cells[1] == "2024/25"  # the January 2025 census
    assert cells[2] == "1,685"
    assert cells[3] == "10 of 11 (highest first)"  # rank among its 10 neighbours
    assert cells[4].startswith("4")
    # every metric of the catalogue has a row
    assert await page.locator("#dashboard-table tbody tr").count() >= 20
    # the trend chart against the peer median, with its caption, summary and table
    chart = page.locator("#trend-ehc_plans")
    assert await chart.get_attribute("role") == "img"
    summary = await page.inner_text("#trend-ehc_plans-summary")
    assert "1,685 in 2024/25" in summary and "median" in summary
    section = await page.inner_text("#metric-ehc_plans")
    assert "1,531" in section  # 2023/24 in the table beside the chart
    # a metric where lower/higher is better links to what improving neighbours did
    assert await page.locator("[data-improvers] a").count() > 0
    assert (
        "Contains public sector information licensed under the Open Government Licence v3.0."
        in await page.inner_text("footer")
    )
    await check_page(page, "dashboard-west-berkshire", screenshots)
    # for docs/officers.md: the top of the page and one metric's chart with its table
    await page.screenshot(
        path=str(screenshots / "dashboard-top.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1200, "height": 1800},
    )
    await page.locator("#metric-ehc_issued_20wk_pct").screenshot(
        path=str(screenshots / "dashboard-metric.png")
    )


async def test_dashboard_marks_demo_data_for_members(
    page: Any, web_app: WebApp, screenshots: Path
) -> None:
    await page.goto(web_app.url("/authorities/869"))
    anonymous = await page.inner_text("#dashboard-table tr[data-metric='ep_fte']")
    assert "x" in anonymous and "not available" in anonymous
    await sign_in(page, web_app, web_app.analyst_token)
    await page.goto(web_app.url("/authorities/869"))
    member = await page.inner_text("#dashboard-table tr[data-metric='ep_fte']")
    assert "Demo data" in member
    await check_page(page, "dashboard-signed-in", screenshots)


async def test_comparison_csv_matches_the_table(
    page: Any, web_app: WebApp, screenshots: Path, tmp_path: Path
) -> None:
    await page.goto(web_app.url("/authorities/869/metrics/ehc_issued_20wk_pct?period=2024"))
    assert "West Berkshire (selected)" in await page.inner_html("#comparison-chart")
    table = await _table(page, "#comparison-table")
    await check_page(page, "comparison", screenshots)
    async with page.expect_download() as info:
        await page.click("a:has-text('Download this table as CSV')")
    download = await info.value
    target = tmp_path / download.suggested_filename
    await download.save_as(target)
    assert download.suggested_filename == "869-ehc_issued_20wk_pct-2024-statistical-neighbours.csv"
    lines = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    blank = lines.index([])  # heading lines (metric, period, peer group, ...), then the table
    heading, rows = dict(lines[:blank]), lines[blank + 1 :]
    assert heading["Period"] == "2024" and heading["Peer group"] == "statistical neighbours"
    assert rows[0] == list(COMPARISON_COLUMNS)
    assert len(rows) == len(table) == 12  # header + West Berkshire + 10 neighbours
    for shown, downloaded in zip(table[1:], rows[1:], strict=True):
        assert _same(shown, dict(zip(rows[0], downloaded, strict=True))), (shown, downloaded)
    subject = next(r for r in rows if r[2] == "West Berkshire")
    assert subject[:2] == ["869", "E06000037"] and subject[3] == "48" and subject[5] == "2"


def _same(shown: list[str], downloaded: dict[str, str]) -> bool:
    """A table row (rank, authority, value, percentile, quartile, notes) and the file's row: the
    same figures, the file's at full precision."""
    rank, authority, value, percentile, quartile, notes = shown
    figure = downloaded["Value"]
    return (
        rank == downloaded["Rank"]
        and authority == downloaded["Authority"]
        and value
        == (formatting.number(float(figure), "percent") if figure else downloaded["Symbol"])
        and percentile == (f"{float(downloaded['Percentile']):.1f}" if percentile else "")
        and quartile == downloaded["Quartile"]
        and notes == downloaded["Notes"]
    )


async def test_comparison_shows_symbols_and_pseudonyms(
    page: Any, web_app: WebApp, screenshots: Path
) -> None:
    # Signed in as Camden: London's pseudonymous demo figures appear in a REGION comparison, and
    # small counts of other councils are suppressed (c).
    await sign_in(page, web_app, web_app.other_publisher_token)
    await page.goto(web_app.url("/authorities/202/metrics/ep_vacancies?peers=REGION"))
    notes = " ".join(await page.locator("#comparison-table td:last-child").all_inner_texts())
    assert "Pseudonymous (London, London borough)" in notes
    assert "c: confidential" in notes
    key = await page.inner_text("#symbols")
    assert "c – Confidential" in key and "Pseudonymous" in key and "Demo data" in key
    await check_page(page, "comparison-symbols", screenshots)


async def test_case_study_page(page: Any, web_app: WebApp, screenshots: Path) -> None:
    await page.goto(web_app.url("/search?q=interim+team+annual+review+backlog"))
    await page.click("#results h2 a >> nth=0")
    await page.wait_for_url(re.compile(r"/case-studies/"))
    summary = await page.inner_text("#structured-summary")
    for key in ("DBV phase", "Themes", "Cost", "Evidence strength"):
        assert key in summary
    assert "Annual reviews" in summary
    assert "Demo data" in await page.inner_text("main")
    assert await page.locator("#related-heading").count() == 1
    await check_page(page, "case-study", screenshots)


async def test_case_study_outcome_links(page: Any, web_app: WebApp, screenshots: Path) -> None:
    await page.goto(web_app.url("/search?metric=ehc_issued_20wk_pct&sort=newest"))
    await page.click("#results h2 a >> nth=0")
    await page.wait_for_url(re.compile(r"/case-studies/"))
    table = await _table(page, "#outcome-table")
    assert table[0] == ["Metric", "Before", "After", "Change", "Peers’ median change"]
    assert any("within 20 weeks" in row[0] for row in table[1:])
    assert "median" in table[1][4]
    await check_page(page, "case-study-outcomes", screenshots)


async def test_sign_in_and_out(page: Any, web_app: WebApp, screenshots: Path) -> None:
    await page.goto(web_app.url("/sign-in"))
    await check_page(page, "sign-in", screenshots)
    await page.fill("#token", "dbvx_" + "A" * 43)
    await page.click("button:has-text('Sign in')")
    assert "not recognised" in await page.inner_text(".govuk-error-summary")
    assert "not recognised" in await page.inner_text("#token-error")
    await check_page(page, "sign-in-error", screenshots)
    await sign_in(page, web_app, web_app.publisher_token)
    assert page.url.endswith("/publish")
    assert "West Berkshire" in await page.inner_text(".govuk-phase-banner")
    cookies = await page.context.cookies()
    session = next(c for c in cookies if c["name"] == "dbvx_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert web_app.publisher_token not in session["value"]
    await check_page(page, "publish", screenshots)
    await page.click("button:has-text('Sign out')")
    await page.wait_for_url(web_app.url("/"))
    assert await page.locator("a:has-text('Sign in')").count() == 1
    await page.goto(web_app.url("/publish"))
    assert "/sign-in" in page.url


async def test_forms_refuse_a_missing_csrf_token(page: Any, web_app: WebApp) -> None:
    await sign_in(page, web_app, web_app.publisher_token)
    response = await page.request.post(
        web_app.url("/case-studies/new"),
        form={"title": "Forged", "action": "save"},
    )
    assert response.status == 403
    response = await page.request.post(
        web_app.url("/sign-out"), form={"csrf_token": "not-the-right-one"}
    )
    assert response.status == 403


async def test_publish_flow_personal_data_then_success(
    page: Any, web_app: WebApp, screenshots: Path
) -> None:
    await sign_in(page, web_app, web_app.publisher_token)
    await page.click("a:has-text('Write a case study')")
    await page.wait_for_url(re.compile(r"/case-studies/new"))
    await check_page(page, "write-case-study", screenshots)
    title = "Annual review hub for Year 6 transfers in Newbury"
    await page.fill("#title", title)
    await page.fill(
        "#summary",
        "A single hub team took every Year 6 phase transfer review and finished them by February.",
    )
    await page.fill(
        "#whatWasDone",
        "We set up a hub of three officers. One pupil, NHS number 943 476 5919, had his review "
        "moved to the hub first.",
    )
    await page.check("#phase-IMPLEMENTATION")
    await page.check("#themes-annual_reviews")
    await page.check("#evidenceStrength-2")
    await page.select_option("#link-0-metric", "annual_review_decision_4wk_pct")
    await page.fill("#link-0-baselinePeriod", "2022")
    await page.fill("#link-0-followUpPeriod", "2024")
    await page.click("button:has-text('Save and publish')")
    await page.wait_for_load_state()
    summary = await page.inner_text(".govuk-error-summary")
    assert "NHS number" in summary
    field_error = await page.inner_text("#whatWasDone-error")
    assert "NHS number" in field_error
    assert await page.locator(".govuk-form-group--error #whatWasDone").count() == 1
    # what the officer typed is kept
    assert await page.input_value("#title") == title
    assert await page.is_checked("#themes-annual_reviews")
    await check_page(page, "write-case-study-error", screenshots)
    # jump from the summary to the field
    await page.click(".govuk-error-summary a >> nth=0")
    await page.screenshot(path=str(screenshots / "write-case-study-error-field.png"))
    await page.fill(
        "#whatWasDone",
        "We set up a hub of three officers and moved every Year 6 review to it in September.",
    )
    await page.click("button:has-text('Save and publish')")
    await page.wait_for_url(re.compile(r"/case-studies/[^/]+$"))
    assert "Case study published" in await page.inner_text(".govuk-notification-banner")
    assert await page.inner_text("h1") == title
    assert "What the figures say" in await page.inner_text("main")
    await check_page(page, "case-study-published", screenshots)
    # it is searchable at once, even misspelt
    await page.goto(web_app.url("/search?q=newbury+tranfers+hub"))
    assert title in await _result_titles(page)


async def test_csv_upload_errors_by_line_then_success(
    page: Any, web_app: WebApp, screenshots: Path, tmp_path: Path
) -> None:
    await sign_in(page, web_app, web_app.publisher_token)
    await page.goto(web_app.url("/publish/upload"))
    await check_page(page, "upload", screenshots)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "metric,period,value\n"
        "ep_fte,2024/25,12.5\n"
        "no_such_metric,2024/25,3\n"
        "ep_vacancies,2024/25,lots\n",
        encoding="utf-8",
    )
    await page.set_input_files("#file", str(bad))
    await page.click("button:has-text('Upload and publish')")
    await page.wait_for_load_state()
    table = await _table(page, "#upload-errors")
    lines = [row[0] for row in table[1:]]
    assert lines == ["3", "4"]
    assert "nothing was published" in (await page.inner_text(".govuk-error-summary")).lower()
    await check_page(page, "upload-errors", screenshots)
    good = tmp_path / "good.csv"
    good.write_text(
        "metric,period,value\nep_fte,2024/25,12.5\nep_vacancies,2024/25,3\n", encoding="utf-8"
    )
    await page.set_input_files("#file", str(good))
    await page.click("button:has-text('Upload and publish')")
    await page.wait_for_load_state()
    assert "Figures published" in await page.inner_text(".govuk-panel")
    published = await _table(page, "#published-figures")
    assert len(published) == 3
    await check_page(page, "upload-done", screenshots)


async def test_other_pages_pass_axe(page: Any, web_app: WebApp, screenshots: Path) -> None:
    for name, path in (
        ("authorities", "/authorities"),
        ("about-figures", "/about/figures"),
        ("not-found", "/authorities/999"),
        ("comparison-england", "/authorities/869/metrics/suspension_rate?peers=ENGLAND"),
    ):
        await page.goto(web_app.url(path))
        await check_page(page, name, screenshots)


async def test_graphiql_is_served_without_a_cdn(page: Any, web_app: WebApp) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(web_app.base_url) else None,
    )
    await page.goto(web_app.url("/graphql"))
    await page.wait_for_selector(".graphiql-container", timeout=15000)
    assert outside == []


async def test_pages_need_nothing_the_content_security_policy_forbids(
    browser: Any, web_app: WebApp
) -> None:
    ctx = await browser.new_context()  # no bypass: the real policy applies
    refused: list[str] = []
    try:
        page = await ctx.new_page()
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        for path in (
            "/",
            "/search?q=ehcp",
            "/authorities/869",
            "/authorities/869/metrics/ehc_plans",
            "/sign-in",
        ):
            await page.goto(web_app.url(path))
            await page.wait_for_load_state("networkidle")
            assert await page.evaluate(
                "document.body.classList.contains('govuk-frontend-supported')"
            )
        await page.goto(web_app.url("/search"))
        await page.check("#f-theme-annual-reviews")  # the enhancement script runs under the CSP
        await page.wait_for_url(re.compile(r"theme=annual_reviews"))
    finally:
        await ctx.close()
    assert refused == []


async def test_pages_of_results_follow_on_to_the_last(
    page: Any, web_app: WebApp, screenshots: Path
) -> None:
    """Every page of a search is its own ten results (cursor-based, not a slice of one long
    fetch), past the hundred an unpaged API call could return, up to the last page."""
    await page.goto(web_app.url("/search?sort=newest"))
    total = await _count(page)
    assert total > 120  # the demo seed: enough for pages beyond the API's first: 100
    last = (total + 9) // 10
    seen: list[str] = []
    for n in (1, 2, 12, last):
        await page.goto(web_app.url(f"/search?sort=newest&page={n}"))
        links = await page.locator("#results h2 a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert len(links) == (10 if n < last else total - 10 * (last - 1)), n
        assert not set(links) & set(seen), n  # no page repeats another's results
        seen += links
        current = page.locator(".govuk-pagination__item--current")
        assert (await current.inner_text()).strip() == str(n)
    # GOV.UK pagination: first, last, the current page and its neighbours, ellipses between.
    await page.goto(web_app.url("/search?sort=newest&page=12"))
    numbers = await page.locator(".govuk-pagination__item").all_inner_texts()
    assert [t.strip() for t in numbers] == ["1", "⋯", "11", "12", "13", "⋯", str(last)]
    await check_page(page, "search-page-12", screenshots)


def test_page_numbers_keep_the_ends_and_the_neighbours() -> None:
    from exchange.web.search_pages import page_numbers

    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(5, 9) == [1, None, 4, 5, 6, None, 9]
    assert page_numbers(2, 9) == [1, 2, 3, None, 9]
    assert page_numbers(9, 9) == [1, None, 8, 9]
