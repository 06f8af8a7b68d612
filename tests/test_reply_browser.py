"""The reply form in a real browser: an office, logged out, follows its email's link, replies with a link and a PDF.

The browser setup is the board's (tests/test_board_browser.py): Debian's
chromium driven by Playwright against a live server, skipped when chromium is
missing unless CI_REQUIRE_BROWSER is set.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.factories import ActorFactory, CommitmentFactory, UserFactory
from tests.test_board_browser import artifacts_dir, browser, server_url  # noqa: F401 (fixtures)
from tracker import evidence, services
from tracker.models import Contact, EvidenceRequest, Reply, ReplyFile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLEDGE = "Statement of intent on a Kenyan Samurai Bond"
REPLY = "The bond was priced on 3 March; the pricing note is attached."
EVIDENCE = "https://treasury.example.go.ke/samurai-bond"
# The smallest document a PDF reader opens; the form reads the first bytes only.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def request_to_office(db):
    roles = services.roles_ensure()
    analyst = UserFactory(username="analyst", groups=[roles[services.ANALYSTS_GROUP]])
    kenya = ActorFactory(name="Government of Kenya", country="KE")
    pledge = CommitmentFactory(title=PLEDGE, made_by=kenya, quote="We will issue a Samurai bond.", owner=analyst)
    office = Contact.objects.create(actor=kenya, name="National Treasury", email="treasury@example.go.ke")
    return evidence.evidence_request_send(
        commitment=pledge, contact=office, message="Has it been priced?", user=analyst
    )


def test_an_office_replies_with_a_link_and_a_pdf(server_url, request_to_office, media, browser, artifacts_dir):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    path = urlsplit(evidence.reply_url(request_to_office)).path

    page.goto(f"{server_url}{path}")
    expect(page.get_by_role("heading", name="Your reply on a pledge", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name=PLEDGE)).to_be_visible()
    expect(page.locator("#request-message")).to_contain_text("Has it been priced?")
    page.get_by_label("Your reply").fill(REPLY)
    page.get_by_label("Links").fill(EVIDENCE)
    page.get_by_label("Files").set_input_files(
        [{"name": "pricing-note.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.screenshot(path=artifacts_dir / "reply-form.png", full_page=True)
    page.get_by_role("button", name="Send reply").click()

    expect(page.get_by_role("heading", name="Reply received", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("and its 1 file")
    expect(page.get_by_role("status")).to_contain_text("the analysts will review it")
    page.screenshot(path=artifacts_dir / "reply-thanks.png", full_page=True)

    reply = Reply.objects.get()
    assert (reply.text, reply.links, reply.state) == (REPLY, [EVIDENCE], Reply.State.PENDING)
    stored = ReplyFile.objects.get()
    assert (stored.reply, stored.original_name, stored.content_type) == (reply, "pricing-note.pdf", "application/pdf")
    assert (media / stored.file.name).read_bytes() == PDF
    assert EvidenceRequest.objects.get().state == EvidenceRequest.State.ANSWERED
    assert violations == []
