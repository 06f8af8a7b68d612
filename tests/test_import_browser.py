"""The import page in a real browser: an analyst uploads a CSV, checks the preview, imports, sees the pledges.

The browser setup is the board's (tests/test_board_browser.py): Debian's
chromium driven by Playwright against a live server, skipped when chromium is
missing unless CI_REQUIRE_BROWSER is set.
"""

import pytest
from playwright.sync_api import expect

from tests.factories import ActorFactory, TopicFactory, UserFactory
from tests.test_board_browser import PASSWORD, artifacts_dir, browser, log_in, server_url  # noqa: F401 (fixtures)
from tracker import services
from tracker.models import Commitment, ImportJob, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMURAI_BOND = "Statement of intent on a Kenyan Samurai Bond"
AVOCADOS = "Review of the restrictions on Kenyan avocados"
CSV = (
    "title,made_by,made_on,quote,kind,topics,status,progress\n"
    f'"{SAMURAI_BOND}",Kenya,2025-08-21,"Kenya and Japan signed a statement of intent.",Statement of intent,'
    "Finance,In progress,20\n"
    f'"{AVOCADOS}",Kenya,2025-08-21,"We will review the restrictions.",Review,Trade,,\n'
).encode()


@pytest.fixture
def analyst_with_password(db):
    roles = services.roles_ensure()
    analyst = UserFactory(username="analyst", groups=[roles[services.ANALYSTS_GROUP]])
    analyst.set_password(PASSWORD)
    analyst.save()
    ActorFactory(name="Government of Kenya", aliases="Kenya", country="KE")
    TopicFactory(name="Finance", slug="finance")
    TopicFactory(name="Trade", slug="trade")
    return analyst


def test_analyst_uploads_a_csv_checks_the_preview_imports_and_sees_the_pledges_on_the_board(
    server_url,  # noqa: F811
    analyst_with_password,
    browser,  # noqa: F811
    artifacts_dir,  # noqa: F811
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    log_in(page, server_url)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import pledges", level=1)).to_be_visible()
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "ticad-pledges.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="Import of ticad-pledges.csv", level=1)).to_be_visible()
    counts = page.locator("#import-counts")
    expect(counts.locator("div", has_text="New")).to_contain_text("2")
    expect(counts.locator("div", has_text="Errors")).to_contain_text("0")
    expect(page.locator("#import-rows")).to_contain_text(SAMURAI_BOND)
    page.screenshot(path=artifacts_dir / "import-preview.png", full_page=True)
    assert not Commitment.objects.exists(), "nothing is saved before the analyst confirms"

    page.get_by_role("button", name="Import 2 pledges").click()

    expect(page.get_by_role("heading", name="Imported", level=2)).to_be_visible()
    expect(page.locator("#import-state")).to_have_text("Imported")
    page.screenshot(path=artifacts_dir / "import-done.png", full_page=True)
    assert ImportJob.objects.get().state == ImportJob.State.DONE
    bond = Commitment.objects.get(title=SAMURAI_BOND)
    assert (bond.status, bond.progress, bond.kind) == (Status.IN_PROGRESS, 20, Commitment.Kind.INTENT)
    assert Commitment.objects.get(title=AVOCADOS).status == Status.ANNOUNCED

    page.locator("#import-rows").get_by_role("link", name=SAMURAI_BOND).click()
    expect(page.get_by_role("heading", name=SAMURAI_BOND, level=1)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Board").click()
    board_list = page.locator("table.list-table")
    expect(board_list.get_by_role("link", name=SAMURAI_BOND)).to_be_visible()
    expect(board_list.get_by_role("link", name=AVOCADOS)).to_be_visible()
    assert violations == []
