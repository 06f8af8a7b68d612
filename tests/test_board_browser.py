"""The status board in a real browser: Debian's chromium driven by Playwright against a live server.

No browser is downloaded: Playwright drives /usr/bin/chromium, which .ci/run
installs. Screenshots go to TEST_ARTIFACTS_DIR (default var/test-artifacts/);
the layout tests' screenshots at 1,366 and 390 px go to SCREENSHOT_DIR
(default var/screenshots/), from which docs/screenshots/ is refreshed by hand.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import expect, sync_playwright

from tests.factories import ActorFactory, EventFactory, ProgressUpdateFactory, today
from tracker.models import Commitment, ProgressUpdate, Status

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser-test passphrase"
SAMURAI_BOND = "Statement of intent on a Kenyan Samurai Bond"
TOYOTA_TALKS = "Talks with Toyota on expanding electric vehicles in Kenya"
PHONE_WIDTH = 390
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": PHONE_WIDTH, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def artifacts_dir():
    folder = Path(os.environ.get("TEST_ARTIFACTS_DIR") or settings.BASE_DIR / "var" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot_dir():
    folder = Path(os.environ.get("SCREENSHOT_DIR") or settings.BASE_DIR / "var" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def server_url(live_server):
    return live_server.url


def require_chromium(path=CHROMIUM):
    """Skip without the browser, unless CI_REQUIRE_BROWSER says that a missing browser is a failure."""
    if path.exists():
        return
    if os.environ.get("CI_REQUIRE_BROWSER"):
        pytest.fail(f"{path} is missing and CI_REQUIRE_BROWSER is set: install Debian's chromium package.")
    pytest.skip(f"{path} is missing (apt-get install chromium); set CI_REQUIRE_BROWSER to fail instead.")


@pytest.fixture
def browser(monkeypatch):
    require_chromium()
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # the test makes between browser steps are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # The ORM calls made while Playwright's loop runs get connections of
        # their own (Django keys connections by async context); closed here,
        # or PostgreSQL refuses to drop the test database at the end.
        connections.close_all()


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    analyst = get_user_model().objects.get(username="analyst")
    analyst.set_password(PASSWORD)
    analyst.save()
    return analyst


def log_in(page, base_url):
    page.goto(f"{base_url}/")
    expect(page).to_have_title("Log in · Policy Commitment Tracker")
    page.get_by_label("Username").fill("analyst")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Status board", level=1)).to_be_visible()


def test_analyst_filters_opens_the_samurai_bond_and_records_an_update(server_url, demo, browser, artifacts_dir):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server_url)
    list_table = page.locator("table.list-table")
    expect(list_table.get_by_role("link", name=TOYOTA_TALKS)).to_be_visible()

    page.get_by_text("Filter and search").click()
    page.get_by_label("In progress", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"/\?.*status=in_progress"))
    in_progress = Commitment.objects.filter(status=Status.IN_PROGRESS).count()
    expect(page.get_by_text(f"{in_progress} pledges match the filters")).to_be_visible()
    elsewhere = Commitment.objects.exclude(status=Status.IN_PROGRESS).order_by("title").first()
    expect(list_table.get_by_role("link", name=elsewhere.title)).to_have_count(0)
    page.screenshot(path=artifacts_dir / "board-filtered-in-progress.png", full_page=True)

    list_table.get_by_role("link", name=SAMURAI_BOND).click()
    expect(page.get_by_role("heading", name=SAMURAI_BOND, level=1)).to_be_visible()
    page.get_by_label("Status", exact=True).select_option("partially_fulfilled")
    page.get_by_label("Progress").fill("60")
    page.get_by_label("Note", exact=True).fill("Arrangers appointed; recorded from the browser test.")
    page.get_by_label("Evidence URL").fill("https://example.org/samurai-bond")
    page.get_by_role("button", name="Record update").click()

    expect(page.get_by_text("Update recorded.")).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.get_by_text("Arrangers appointed; recorded from the browser test.")).to_be_visible()
    expect(timeline.locator(".entry-update").first).to_contain_text("In progress → Partially fulfilled 60%")
    page.screenshot(path=artifacts_dir / "pledge-after-update.png", full_page=True)

    bond = Commitment.objects.get(title=SAMURAI_BOND)
    assert (bond.status, bond.progress) == (Status.PARTIALLY_FULFILLED, 60)
    assert ProgressUpdate.objects.filter(commitment=bond, author=demo, note__startswith="Arrangers appointed").exists()


def test_refused_update_shows_the_message_next_to_the_field(server_url, demo, browser, artifacts_dir):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server_url)
    page.locator("table.list-table").get_by_role("link", name=SAMURAI_BOND).click()

    page.get_by_label("Status", exact=True).select_option("fulfilled")
    page.get_by_label("Progress").fill("100")
    page.get_by_role("button", name="Record update").click()

    error = page.locator("#id_evidence_url_error")
    expect(error).to_have_text("Moving a pledge to Fulfilled needs an evidence link showing it.")
    expect(page.get_by_label("Evidence URL")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=artifacts_dir / "pledge-refused-update.png", full_page=True)
    assert Commitment.objects.get(title=SAMURAI_BOND).status == Status.IN_PROGRESS


def test_board_and_pledge_page_fit_a_phone_without_sideways_scrolling(server_url, demo, browser, artifacts_dir):
    page = browser.new_page(viewport={"width": PHONE_WIDTH, "height": 844}, device_scale_factor=2)
    log_in(page, server_url)

    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE_WIDTH
    page.screenshot(path=artifacts_dir / "board-390px.png", full_page=True)

    page.locator("table.list-table").get_by_role("link", name=SAMURAI_BOND).click()
    expect(page.get_by_role("heading", name=SAMURAI_BOND, level=1)).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE_WIDTH
    page.screenshot(path=artifacts_dir / "pledge-390px.png", full_page=True)

    page.goto(f"{server_url}/preferences/")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE_WIDTH


def test_keyboard_focus_is_visible(server_url, demo, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server_url)

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")

    assert outline == "solid"


TICAD_ARTICLE = Path(__file__).parent / "data" / "extraction" / "ticad9_kenya_japan.txt"
TICAD_BOND = (
    "Kenya and Japan also signed a statement of intent on a yen-denominated Samurai Bond, which Nairobi seeks "
    "to issue in Japan's capital markets to widen its sources of financing."
)
TICAD_URGED = "He urged partners to keep the mission's financing predictable."


def test_analyst_pastes_an_article_creates_the_chosen_drafts_and_sees_them_on_the_board(
    server_url, demo, browser, artifacts_dir
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server_url)
    page.get_by_role("link", name="Extract pledges").click()
    expect(page.get_by_role("heading", name="Draft pledges from an article", level=1)).to_be_visible()

    page.get_by_label("Article text").fill(TICAD_ARTICLE.read_text())
    page.get_by_label("Source URL").fill("https://example.org/news/ticad9")
    page.get_by_label("Event").select_option(label="TICAD 9")
    page.get_by_label("Article date").fill("2025-08-20")
    page.get_by_role("button", name="Find pledges").click()

    drafts = page.locator("li.draft")
    expect(drafts.first).to_be_visible()
    bond = drafts.filter(has_text="yen-denominated Samurai Bond")
    expect(bond.get_by_label("Made by")).to_have_value("Government of Kenya")
    expect(bond.get_by_label("Create this pledge")).to_be_checked()
    urged = drafts.filter(has_text=TICAD_URGED)
    expect(urged.get_by_label("Made by")).to_have_value("William Ruto")
    urged.get_by_label("Create this pledge").uncheck()
    bond.get_by_label("Title").fill("Samurai Bond statement of intent, from the article")
    page.screenshot(path=artifacts_dir / "extract-drafts.png", full_page=True)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE_WIDTH
    page.screenshot(path=artifacts_dir / "extract-drafts-390px.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    ticked = page.locator("li.draft input[type=checkbox]:checked").count()
    page.get_by_role("button", name="Create selected").click()

    expect(page.get_by_role("heading", name="Status board", level=1)).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(f"Created {ticked} pledges")
    list_table = page.locator("table.list-table")
    expect(list_table.get_by_role("link", name="Samurai Bond statement of intent, from the article")).to_be_visible()
    page.screenshot(path=artifacts_dir / "extract-created-on-board.png", full_page=True)

    created = Commitment.objects.get(quote=TICAD_BOND)
    assert (created.status, created.owner, created.event.name) == (Status.ANNOUNCED, demo, "TICAD 9")
    assert created.made_by.name == "Government of Kenya"
    assert created.source_url == "https://example.org/news/ticad9"
    assert not Commitment.objects.filter(quote=TICAD_URGED).exists()
    assert Commitment.objects.filter(source_url="https://example.org/news/ticad9").count() == ticked


@pytest.mark.django_db(transaction=False)
def test_a_missing_browser_skips_locally_and_fails_in_ci(monkeypatch, tmp_path):
    missing = tmp_path / "chromium"
    monkeypatch.delenv("CI_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="is missing"):
        require_chromium(missing)

    monkeypatch.setenv("CI_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="CI_REQUIRE_BROWSER is set"):
        require_chromium(missing)


def test_pages_run_under_the_content_security_policy_without_violations(server_url, demo, browser, artifacts_dir):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append((page.url, message.text)),
    )
    log_in(page, server_url)
    bond = Commitment.objects.get(title=SAMURAI_BOND)
    for path in ("/", f"/commitments/{bond.pk}/", "/extract/", "/preferences/"):
        page.goto(f"{server_url}{path}")
        page.wait_for_load_state("networkidle")
    # The API's interactive docs (Swagger UI from the sidecar) start from a script file, not inline.
    page.goto(f"{server_url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Policy Commitment Tracker")
    page.screenshot(path=artifacts_dir / "api-docs.png")
    assert violations == []


LONG_TITLES = (
    "Review of tariff and non-tariff restrictions on Kenyan avocados, tea and cut flowers entering Japan",
    "Feasibility study for a yen-denominated Samurai Bond to widen Kenya's sources of long-term financing",
    "Joint working group on electric-vehicle assembly, battery supply chains and charging networks in Kenya",
    "Expansion of the Mombasa port special economic zone with concessional loans for the second berth",
)
LONG_MAKERS = (
    ("Ministry of Investments, Trade and Industry of the Republic of Kenya", "KE"),
    ("Japan International Cooperation Agency (JICA)", "JP"),
    ("Toyota Tsusho Corporation, Africa Division", "JP"),
)
LONG_EVENTS = (
    "Ninth Tokyo International Conference on African Development (TICAD 9)",
    "Kenya-Japan Business Forum, Nairobi",
)


@pytest.fixture
def crowded_board(demo):
    """The demo pledges and 60 more with long titles, makers and events, every date column filled."""
    makers = [ActorFactory(name=name, country=country, kind="organisation") for name, country in LONG_MAKERS]
    events = [EventFactory(name=name) for name in LONG_EVENTS]
    start = today()
    statuses = Status.values
    pledges = Commitment.objects.bulk_create(
        Commitment(
            title=f"{LONG_TITLES[n % len(LONG_TITLES)]} (item {n + 1})",
            made_by=makers[n % len(makers)],
            event=events[n % len(events)],
            made_on=start - timedelta(days=90 + n),
            status=statuses[n % len(statuses)],
            progress=(n * 7) % 101,
            owner=demo,
            next_check_on=start + timedelta(days=(n % 9) * 11 - 30),
            due_on=start + timedelta(days=200 + n * 13),
        )
        for n in range(60)
    )
    for pledge in pledges[:3]:
        ProgressUpdateFactory(
            commitment=pledge,
            author=demo,
            status_before=Status.ANNOUNCED,
            status_after=Status.IN_PROGRESS,
            progress=40,
            recorded_on=start - timedelta(days=2),
            note="Officials met in Nairobi and agreed a timetable; the ministry published the terms of reference.",
            evidence_url="https://example.org/news/kenya-japan-joint-committee-terms-of-reference-2026",
        )
    return pledges


def scroll_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def inner_width(page):
    return page.evaluate("window.innerWidth")


def line_boxes(locator):
    """How many lines each matched inline element is laid out on."""
    return locator.evaluate_all("(elements) => elements.map((element) => element.getClientRects().length)")


def shoot(page, folder, name):
    page.screenshot(path=folder / f"{name}-full.png", full_page=True)
    page.screenshot(path=folder / f"{name}.png")


def test_board_at_1366_shows_the_pledge_list_above_the_fold(server_url, crowded_board, browser, screenshot_dir):
    page = browser.new_page(viewport=LAPTOP)
    log_in(page, server_url)

    rows = page.locator("table.list-table tbody tr")
    expect(rows).to_have_count(50)
    first_row = rows.first.bounding_box()
    assert first_row["y"] + first_row["height"] <= LAPTOP["height"]
    assert scroll_width(page) <= inner_width(page) == LAPTOP["width"]
    tile_tops = page.locator(".tiles .tile").evaluate_all(
        "(tiles) => tiles.map((tile) => Math.round(tile.getBoundingClientRect().top))"
    )
    assert len(tile_tops) == 9
    assert len(set(tile_tops)) == 1
    dates = page.locator("table.list-table td.date time")
    assert dates.count() >= 80
    assert set(line_boxes(dates)) == {1}
    table_right = page.locator("table.list-table").bounding_box()
    assert table_right["x"] + table_right["width"] <= LAPTOP["width"]
    shoot(page, screenshot_dir, "board-1366")

    # Unreadable filters: no list, and the open form takes the page, not the side column.
    page.goto(f"{server_url}/?due_after=notadate")
    expect(page.get_by_role("alert")).to_contain_text("Due on or after")
    assert page.locator("#filters").bounding_box()["width"] > LAPTOP["width"] / 3


def test_board_at_390_lists_pledges_as_labelled_cards(server_url, crowded_board, browser, screenshot_dir):
    page = browser.new_page(viewport=PHONE, device_scale_factor=2)
    log_in(page, server_url)

    first_row = page.locator("table.list-table tbody tr").first
    assert first_row.evaluate("(row) => getComputedStyle(row).display") == "block"
    # Each labelled cell shows its label, and all of its content sits to the right of it.
    labels = first_row.locator("td[data-label]").evaluate_all(
        """(cells) => cells.map((cell) => {
            const label = getComputedStyle(cell, "::before");
            const content = document.createRange();
            content.selectNodeContents(cell);
            const indent = Math.min(...[...content.getClientRects()].map((rect) => rect.left));
            return [
                cell.dataset.label,
                label.content,
                label.display,
                getComputedStyle(cell).display,
                indent - cell.getBoundingClientRect().left >= parseFloat(label.width),
            ];
        })"""
    )
    assert [label for label, *_ in labels] == ["Status", "Made by", "Next check", "Due", "Owner"]
    assert [tuple(rest) for _, *rest in labels] == [(f'"{label}"', "block", "block", True) for label, *_ in labels]
    title = first_row.locator("td.pledge").bounding_box()
    assert title["width"] > PHONE_WIDTH * 0.75
    expect(page.locator("table.list-table thead")).to_have_css("position", "absolute")
    assert scroll_width(page) <= PHONE_WIDTH
    card = first_row.bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE_WIDTH
    assert card["y"] < PHONE["height"]
    shoot(page, screenshot_dir, "board-390")


def test_admin_pledge_list_fits_1366_without_sideways_scrolling(server_url, crowded_board, browser, screenshot_dir):
    page = browser.new_page(viewport=LAPTOP)
    log_in(page, server_url)
    page.goto(f"{server_url}/admin/tracker/commitment/")
    expect(page.locator("#result_list")).to_be_visible()
    shoot(page, screenshot_dir, "admin-list-1366")

    assert scroll_width(page) <= LAPTOP["width"]
    # The admin scrolls a wide table inside its own box: no column may hide there either.
    results = page.locator("#changelist .results")
    assert results.evaluate("(box) => box.scrollWidth - box.clientWidth") <= 0
    dates = page.locator("#result_list td.field-due_on, #result_list td.field-next_check_on")
    assert dates.count() == 2 * Commitment.objects.count()
    assert set(
        dates.evaluate_all(
            "(cells) => cells.map((cell) => /^\\d{1,2} [A-Z][a-z]{2} \\d{4}$|^-$/.test(cell.textContent.trim()))"
        )
    ) == {True}


def test_admin_pledge_page_with_a_timeline_fits_1366(server_url, crowded_board, browser, screenshot_dir):
    page = browser.new_page(viewport=LAPTOP)
    log_in(page, server_url)
    page.goto(f"{server_url}/admin/tracker/commitment/{crowded_board[0].pk}/change/")
    timeline = page.locator(".inline-group").filter(has_text="Timeline")
    expect(timeline.get_by_text("Officials met in Nairobi")).to_be_visible()
    shoot(page, screenshot_dir, "admin-timeline-1366")

    assert scroll_width(page) <= LAPTOP["width"]
    table = timeline.locator("table")
    assert table.evaluate("(table) => table.getBoundingClientRect().right <= document.documentElement.clientWidth")
    wrapper = timeline.locator("fieldset")
    assert wrapper.evaluate("(box) => box.scrollWidth - box.clientWidth") <= 0
