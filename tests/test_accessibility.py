"""Accessibility in a real browser: axe-core on the board, a pledge page and the public pages in every language,
and the same pages used with the keyboard alone.

The browser setup is the board's (tests/test_board_browser.py): Debian's
chromium driven by Playwright against a live server, skipped without the
browser unless CI_REQUIRE_BROWSER is set. axe-core is the copy bundled with
axe-playwright-python; nothing is downloaded. Elements are found by id, class
and address rather than by their text, so that every language runs the same test.
"""

import re
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from tests.test_board_browser import PASSWORD, PHONE, SAMURAI_BOND, browser, demo, server_url  # noqa: F401 (fixtures)
from tracker import money, services
from tracker.models import Commitment, ProgressUpdate, Status

LANGUAGES = ("en", "fr", "sw")
LAPTOP = {"width": 1280, "height": 900}
# axe's impacts are minor, moderate, serious and critical; the last two fail a page.
FAILING_IMPACTS = {"serious", "critical"}
# Tab presses allowed to reach an element before a test gives up: the analysts'
# board has its header, tiles and bulk form before the first pledge, the pledge
# page its money and milestone forms before the record-update form.
MAX_TABS = 250
KEYBOARD_NOTE = "Recorded with the keyboard alone."

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published_bond(demo):  # noqa: F811
    """The demo's Samurai Bond (updates, milestones) with money pledged and committed, published with its notes.

    Four more demo pledges are published, so that the public board lists several statuses.
    """
    bond = Commitment.objects.get(title=SAMURAI_BOND)
    services.commitment_update(
        commitment=bond,
        user=demo,
        data={"pledged_amount": Decimal("30000000000"), "pledged_currency": "JPY", "is_public": True},
    )
    money.money_line_add(
        commitment=bond,
        user=demo,
        data={
            "kind": "committed",
            "amount": "10000000000",
            "currency": "JPY",
            "on": bond.made_on,
            "note": "First tranche agreed.",
        },
    )
    ProgressUpdate.objects.filter(commitment=bond).update(note_is_internal=False)
    for pledge in Commitment.objects.exclude(pk=bond.pk).order_by("pk")[:4]:
        services.commitment_update(commitment=pledge, user=demo, data={"is_public": True})
    bond.refresh_from_db()
    return bond


def sign_in(page, base_url, language):
    """Log in as the demo analyst with the login form; the board opens in the analyst's `language`."""
    page.goto(f"{base_url}{reverse('login')}")
    page.locator("#id_username").fill("analyst")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(f"{base_url}{reverse('tracker:board')}")
    expect(page.locator("html")).to_have_attribute("lang", language)


def public_paths(language, pledge):
    with translation.override(language):
        return [reverse("public:board"), reverse("public:commitment", args=[pledge.pk])]


def open_every_details(page):
    page.evaluate("document.querySelectorAll('details').forEach((details) => { details.open = true; })")


def serious_violations(page):
    """axe's serious and critical violations on the page as it stands, every <details> opened first.

    Closed, a <details> hides its form from axe: the filters, the money and
    milestone editors and the bulk change are checked open.
    """
    open_every_details(page)
    violations = Axe().run(page).response["violations"]
    return [violation for violation in violations if violation["impact"] in FAILING_IMPACTS]


def describe(path, violations):
    """One line per violation: rule, impact, help, how many elements, and the first element's selector and HTML."""
    lines = [f"{path}:"]
    for violation in violations:
        node = violation["nodes"][0]
        lines.append(
            f"  {violation['id']} ({violation['impact']}): {violation['help']}; {len(violation['nodes'])} element(s), "
            f"the first {', '.join(map(str, node['target']))}: {node['html'][:300]}"
        )
    return "\n".join(lines)


def audit(page, base_url, paths, language):
    """The report of every page in `paths` with a serious or critical violation; "" when there is none."""
    reports = []
    for path in paths:
        response = page.goto(f"{base_url}{path}")
        assert response.status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", language)
        violations = serious_violations(page)
        if violations:
            reports.append(describe(path, violations))
    return "\n".join(reports)


@pytest.mark.parametrize("language", LANGUAGES)
def test_analysts_board_and_pledge_page_have_no_serious_violation(
    server_url,  # noqa: F811
    demo,  # noqa: F811
    published_bond,
    browser,  # noqa: F811
    language,
):
    services.notification_preference_update(user=demo, data={"language": language})
    page = browser.new_page(viewport=LAPTOP)
    sign_in(page, server_url, language)

    report = audit(page, server_url, [reverse("tracker:board"), published_bond.get_absolute_url()], language)

    assert report == "", report


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_board_and_pledge_page_have_no_serious_violation(
    server_url,  # noqa: F811
    published_bond,
    browser,  # noqa: F811
    language,
):
    page = browser.new_page(viewport=LAPTOP)
    paths = public_paths(language, published_bond)
    assert paths == [f"/{language}/public/", f"/{language}/public/commitments/{published_bond.pk}/"]

    report = audit(page, server_url, paths, language)

    assert report == "", report


def test_pages_at_phone_width_have_no_serious_violation(server_url, published_bond, browser):  # noqa: F811
    # Below 60rem the lists turn into labelled cards: other layouts, other colours to check.
    page = browser.new_page(viewport=PHONE)
    public = audit(page, server_url, public_paths("en", published_bond), "en")
    sign_in(page, server_url, "en")
    analysts = audit(page, server_url, [reverse("tracker:board"), published_bond.get_absolute_url()], "en")

    assert public + analysts == "", public + analysts


def test_the_audit_reports_a_violation_with_its_rule_help_and_element(server_url, published_bond, browser):  # noqa: F811
    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{server_url}/en/public/")
    page.evaluate(
        """document.querySelector("main").insertAdjacentHTML(
            "beforeend", '<button id="unnamed"></button><p id="faint" class="faint">Hard to read</p>'
        ); document.getElementById("faint").style.color = "#c8c8c8";"""
    )

    violations = serious_violations(page)
    report = describe("/en/public/", violations)

    assert {(violation["id"], violation["impact"]) for violation in violations} == {
        ("button-name", "critical"),
        ("color-contrast", "serious"),
    }
    assert (
        "  button-name (critical): Buttons must have discernible text; 1 element(s), the first #unnamed: "
        '<button id="unnamed"></button>'
    ) in report.splitlines()
    assert "color-contrast (serious): Elements must meet minimum color contrast ratio thresholds" in report
    assert "the first #faint:" in report


# WCAG 2.2's non-text contrast (1.4.11): a focus indicator stands out 3:1 from what lies behind it.
FOCUS_CONTRAST = 3
# What a Tab stop is: where the focus is, and whether a sighted keyboard user can see it there. The
# indicator's contrast is that of its best colour (the outline's or a ring's, not an inset shadow's)
# against the first opaque background behind the element, where an outline or a ring is drawn.
FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    const rect = element.getBoundingClientRect();
    const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const rgba = (text) => {
        const [r, g, b, a = 1] = text.match(/rgba?\\(([^)]*)\\)/)[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
        return {r, g, b, a};
    };
    const luminance = ({r, g, b}) => {
        const linear = (c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    };
    const contrast = (one, other) => {
        const [light, dark] = [luminance(one), luminance(other)].sort((x, y) => y - x);
        return (light + 0.05) / (dark + 0.05);
    };
    let behind = {r: 255, g: 255, b: 255, a: 1};
    for (let node = element.parentElement; node; node = node.parentElement) {
        const colour = rgba(getComputedStyle(node).backgroundColor);
        if (colour.a > 0) { behind = colour; break; }
    }
    const colours = outlined ? [rgba(style.outlineColor)] : [];
    for (const [, colour, rest] of style.boxShadow.matchAll(/(rgba?\\([^)]*\\))([^,]*)/g)) {
        if (!rest.includes("inset")) colours.push(rgba(colour));
    }
    const visible = colours.filter((colour) => colour.a > 0);
    return {
        html: element.outerHTML.slice(0, 160),
        body: element === document.body,
        href: element.getAttribute("href"),
        skipLink: element.matches(".skip-link"),
        nav: element.closest("header nav") !== null,
        filters: element.matches(".board-filters > summary"),
        pledge: element.matches("table.list-table td.pledge > a"),
        indicated: visible.length > 0,
        contrast: Math.max(0, ...visible.map((colour) => contrast(colour, behind))),
        // A pixel's grace: the browser scrolls a focused element into view to the nearest whole pixel.
        onScreen: rect.width > 0 && rect.height > 0 && rect.top >= -1 && rect.left >= -1
            && rect.bottom <= window.innerHeight + 1 && rect.right <= window.innerWidth + 1,
    };
}"""


def tab_until(page, test, what):
    """Press Tab until `test` (a stop's key) is true; every stop on the way, that one last."""
    stops = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
        if stops[-1][test]:
            return stops
    pytest.fail(f"{MAX_TABS} Tab presses did not reach {what}; the last stops: {[s['html'] for s in stops[-5:]]}")


def assert_tab_order_and_visible_focus(stops):
    """The skip link first, then the header's navigation, the filters and the first pledge, each seen focused."""
    order = [stop["html"] for stop in stops]
    assert stops[0]["skipLink"], f"The first Tab stop is not the skip link: {order[0]}"
    nav = next((index for index, stop in enumerate(stops) if stop["nav"]), None)
    filters = next((index for index, stop in enumerate(stops) if stop["filters"]), None)
    assert nav is not None and filters is not None, order
    assert 0 < nav < filters < len(stops) - 1, order
    assert_focus_is_seen(stops)


def assert_focus_is_seen(stops):
    unseen = [stop["html"] for stop in stops if not (stop["indicated"] and stop["onScreen"])]
    assert unseen == [], f"Focused without an outline or ring, or off the screen: {unseen}"
    faint = [f"{stop['contrast']:.2f}: {stop['html']}" for stop in stops if stop["contrast"] < FOCUS_CONTRAST]
    assert faint == [], f"Focus indicators below {FOCUS_CONTRAST}:1 against their background: {faint}"


def assert_skip_link_leads_to_the_content(page, url):
    page.goto(url)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main#main') !== null"), page.evaluate(FOCUSED)["html"]


def pledge_of(stop):
    return Commitment.objects.get(pk=int(stop["href"].rstrip("/").rsplit("/", 1)[-1]))


def test_analysts_board_is_usable_with_the_keyboard(server_url, demo, browser):  # noqa: F811
    page = browser.new_page(viewport=LAPTOP)
    sign_in(page, server_url, "en")

    stops = tab_until(page, "pledge", "a pledge link")

    assert_tab_order_and_visible_focus(stops)
    pledge = pledge_of(stops[-1])
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server_url}{pledge.get_absolute_url()}")
    expect(page.locator("h1")).to_have_text(pledge.title)
    assert_skip_link_leads_to_the_content(page, f"{server_url}/")


def test_public_board_is_usable_with_the_keyboard(server_url, published_bond, browser):  # noqa: F811
    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{server_url}/en/public/")

    stops = tab_until(page, "pledge", "a pledge link")

    assert_tab_order_and_visible_focus(stops)
    pledge = pledge_of(stops[-1])
    assert pledge.is_public
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server_url}/en/public/commitments/{pledge.pk}/")
    expect(page.locator("h1")).to_have_text(pledge.title)
    assert_skip_link_leads_to_the_content(page, f"{server_url}/en/public/")


def test_public_board_is_filtered_and_searched_with_the_keyboard(server_url, published_bond, browser):  # noqa: F811
    assert published_bond.status == Status.IN_PROGRESS
    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{server_url}/en/public/")
    tab_until(page, "filters", "the filters")

    page.keyboard.press("Enter")
    expect(page.locator(".board-filters")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_q"
    page.keyboard.type("Samurai")
    in_progress = f"document.activeElement.matches('input[name=status][value={Status.IN_PROGRESS}]')"
    stops = []
    for _ in range(len(Status.choices) + 1):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
        if page.evaluate(in_progress):
            break
    else:
        pytest.fail(f"Tab never reached the In progress box: {[stop['html'] for stop in stops]}")
    page.keyboard.press("Space")
    expect(page.locator(f"#filters input[name=status][value={Status.IN_PROGRESS}]")).to_be_checked()
    while not page.evaluate("document.activeElement.matches('#filters button[type=submit]')"):
        assert len(stops) < MAX_TABS, "Tab never reached the Apply button of the filters."
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
    assert_focus_is_seen(stops)
    page.keyboard.press("Enter")

    # The form sends its empty fields too; the search and the status are what matter.
    expect(page).to_have_url(re.compile(rf"/en/public/\?q=Samurai&status={Status.IN_PROGRESS}&"))
    expect(page.locator("table.list-table td.pledge > a")).to_have_count(1)
    stops = tab_until(page, "pledge", "the pledge found")
    assert pledge_of(stops[-1]) == published_bond
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server_url}/en/public/commitments/{published_bond.pk}/")


def tab_through(page):
    """Every Tab stop of the page, from the first to the last, before the focus leaves the document."""
    stops = []
    for _ in range(MAX_TABS * 2):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop["body"] or (stops and stop["skipLink"]):
            return stops
        stops.append(stop)
    pytest.fail(f"The focus never left the page; the last stops: {[s['html'] for s in stops[-5:]]}")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_tab_stop_shows_its_focus(server_url, published_bond, browser, viewport):  # noqa: F811
    page = browser.new_page(viewport=viewport)
    paths = public_paths("en", published_bond)
    seen = {}
    for path in paths:
        page.goto(f"{server_url}{path}")
        open_every_details(page)
        seen[path] = tab_through(page)
    sign_in(page, server_url, "en")
    for path in [reverse("tracker:board"), published_bond.get_absolute_url()]:
        page.goto(f"{server_url}{path}")
        open_every_details(page)
        seen[path] = tab_through(page)

    for path, stops in seen.items():
        assert len(stops) > 5, (path, stops)
        assert stops[0]["skipLink"], (path, stops[0]["html"])
        assert_focus_is_seen(stops)


RECORD_STOP = """() => ({
    status: document.activeElement.id === "id_status",
    submit: document.activeElement.matches("#record-update button[type=submit]"),
    html: document.activeElement.outerHTML.slice(0, 160),
})"""


def test_an_update_is_recorded_with_the_keyboard_alone(server_url, demo, published_bond, browser):  # noqa: F811
    assert published_bond.status == Status.IN_PROGRESS
    updates_before = ProgressUpdate.objects.filter(commitment=published_bond).count()
    page = browser.new_page(viewport=LAPTOP)
    sign_in(page, server_url, "en")
    page.goto(f"{server_url}{published_bond.get_absolute_url()}")

    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(RECORD_STOP)["status"]:
            break
    else:
        pytest.fail("Tab never reached the status select of the record-update form.")
    # Closed, a select moves to the next option with the arrow key; Stalled follows In progress.
    page.keyboard.press("ArrowDown")
    expect(page.locator("#id_status")).to_have_value(Status.STALLED)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_progress"
    page.keyboard.press("Control+A")
    page.keyboard.type("35")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_note"
    page.keyboard.type(KEYBOARD_NOTE)
    stops = []
    for _ in range(6):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(RECORD_STOP))
        if stops[-1]["submit"]:
            break
    else:
        pytest.fail(f"Tab never reached the form's button: {[stop['html'] for stop in stops]}")
    page.keyboard.press("Enter")

    expect(page.locator(".messages .success")).to_be_visible()
    published_bond.refresh_from_db()
    assert (published_bond.status, published_bond.progress) == (Status.STALLED, 35)
    assert ProgressUpdate.objects.filter(commitment=published_bond).count() == updates_before + 1
    update = ProgressUpdate.objects.filter(commitment=published_bond).latest("created_at")
    assert (update.author, update.status_before, update.status_after, update.progress, update.note) == (
        demo,
        Status.IN_PROGRESS,
        Status.STALLED,
        35,
        KEYBOARD_NOTE,
    )
