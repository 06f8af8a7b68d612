"""The scoring grid in a real browser: an analyst scores a cell, moves the cycle to review and publishes it.

The browser setup is the board's (tests/test_board_browser.py): Debian's
chromium driven by Playwright against a live server, skipped when chromium is
missing unless CI_REQUIRE_BROWSER is set.
"""

import pytest
from playwright.sync_api import expect

from tests.factories import ActorFactory, CommitmentFactory, UserFactory, cycle_with
from tests.test_board_browser import PASSWORD, artifacts_dir, browser, log_in, server_url  # noqa: F401 (fixtures)
from tracker import services
from tracker.models import AssessmentCycle, ComplianceScore

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CYCLE = "TICAD 9 interim, February 2026"
PLEDGE = "Review of tariff and non-tariff restrictions on Kenyan produce"
RATIONALE = "The ministry published the review of tariff lines for avocados and tea."
EVIDENCE = "https://example.org/news/tariff-review"


@pytest.fixture
def scoring_setup(db):
    roles = services.roles_ensure()
    analyst = UserFactory(username="analyst", is_staff=True, groups=[roles[services.ANALYSTS_GROUP]])
    analyst.set_password(PASSWORD)
    analyst.save()
    japan, kenya = ActorFactory(name="Japan", country="JP"), ActorFactory(name="Kenya", country="KE")
    pledge = CommitmentFactory(title=PLEDGE, made_by=japan)
    pledge.members.set([japan, kenya])
    cycle = cycle_with([pledge], name=CYCLE)
    return {"analyst": analyst, "japan": japan, "pledge": pledge, "cycle": cycle}


def test_analyst_scores_a_cell_then_reviews_and_publishes_the_cycle(server_url, scoring_setup, browser, artifacts_dir):  # noqa: F811
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    log_in(page, server_url)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assessments").click()
    expect(page.get_by_role("heading", name="Assessments", level=1)).to_be_visible()
    page.get_by_role("link", name=CYCLE).click()
    expect(page.get_by_role("heading", name=CYCLE, level=1)).to_be_visible()

    row = page.locator(f"#pledge-{scoring_setup['pledge'].pk}")
    row.get_by_label("Score for Japan").select_option(label="+1 Full compliance")
    row.get_by_label("Rationale for Japan").fill(RATIONALE)
    row.get_by_label("Evidence links for Japan").fill(EVIDENCE)
    row.get_by_role("button", name="Save row").click()

    expect(page.locator(".messages")).to_contain_text("Saved 1 cell")
    japan_cell = page.locator(f"#pledge-{scoring_setup['pledge'].pk} td[data-member='Japan']")
    expect(japan_cell.get_by_label("Rationale for Japan")).to_have_value(RATIONALE)
    expect(japan_cell.get_by_role("link", name=EVIDENCE)).to_be_visible()
    expect(japan_cell.locator(".cell-meta")).to_contain_text("By analyst")
    page.screenshot(path=artifacts_dir / "assessment-scored.png", full_page=True)

    page.get_by_role("button", name="Move to review").click()
    expect(page.locator("#cycle-facts .cycle-state")).to_have_text("In review")
    expect(page.locator("#missing")).to_contain_text("1 cell not assessed")

    page.get_by_role("button", name="Publish…").click()
    expect(page.get_by_role("heading", name="Publishing freezes the cycle")).to_be_visible()
    page.get_by_role("button", name="Publish and freeze").click()

    expect(page.locator("#cycle-facts .cycle-state")).to_have_text("Published")
    japan_cell = page.locator(f"#pledge-{scoring_setup['pledge'].pk} td[data-member='Japan']")
    expect(japan_cell).to_contain_text("+1 Full compliance")
    expect(japan_cell).to_contain_text(RATIONALE)
    expect(japan_cell.get_by_role("link", name="Correct")).to_be_visible()
    expect(page.locator("main select, main textarea")).to_have_count(0)
    expect(page.get_by_role("button", name="Save row")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "assessment-published.png", full_page=True)

    cycle = AssessmentCycle.objects.get(pk=scoring_setup["cycle"].pk)
    cell = ComplianceScore.objects.get(cycle=cycle, member=scoring_setup["japan"])
    assert cycle.state == AssessmentCycle.State.PUBLISHED
    assert (cell.score, cell.rationale, cell.evidence_urls, cell.scored_by) == (
        1,
        RATIONALE,
        [EVIDENCE],
        scoring_setup["analyst"],
    )
    assert violations == []
