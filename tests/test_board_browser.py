"""The status board in a real browser: Debian's chromium driven by Playwright against a live server.

No browser is downloaded: Playwright drives /usr/bin/chromium, which .ci/run
installs. Screenshots go to TEST_ARTIFACTS_DIR (default var/test-artifacts/).
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import expect, sync_playwright

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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def artifacts_dir():
    folder = Path(os.environ.get("TEST_ARTIFACTS_DIR") or settings.BASE_DIR / "var" / "test-artifacts")
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

    page.get_by_label("In progress", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"/\?.*status=in_progress"))
    expect(page.get_by_text("2 pledges match the filters")).to_be_visible()
    expect(list_table.get_by_role("link", name=TOYOTA_TALKS)).to_have_count(0)
    page.screenshot(path=artifacts_dir / "board-filtered-in-progress.png", full_page=True)

    list_table.get_by_role("link", name=SAMURAI_BOND).click()
    expect(page.get_by_role("heading", name=SAMURAI_BOND, level=1)).to_be_visible()
    page.get_by_label("Status").select_option("partially_fulfilled")
    page.get_by_label("Progress").fill("60")
    page.get_by_label("Note").fill("Arrangers appointed; recorded from the browser test.")
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

    page.get_by_label("Status").select_option("fulfilled")
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
