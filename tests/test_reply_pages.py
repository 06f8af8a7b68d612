"""The reply form an office reaches from its email, the files of replies, the pledge page's requests panel,
the timeline's request entries and the digest's unanswered requests."""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    UserFactory,
    body,
    count_queries,
    cycle_with,
    field_errors,
    score,
    send_one,
)
from tracker import assessments, emails, evidence, followups
from tracker.models import (
    AssessmentCycle,
    Contact,
    EvidenceRequest,
    FollowUp,
    ProgressUpdate,
    Reply,
    ReplyFile,
    Status,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MEGABYTE = 1024 * 1024
LINK = re.compile(r"https?://[^\s\"<>]+/reply/[^\s\"<>/]+/")
OFFICE = "State Department for Trade (Government of Kenya)"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def kenya():
    return ActorFactory(name="Government of Kenya")


@pytest.fixture
def japan():
    return ActorFactory(name="Government of Japan")


@pytest.fixture
def office(kenya):
    return Contact.objects.create(actor=kenya, name="State Department for Trade", email="trade@example.go.ke")


@pytest.fixture
def pledge(kenya, japan, analyst):
    commitment = CommitmentFactory(
        title="Issue a Samurai bond",
        made_by=kenya,
        quote="We will issue the bond within the year.",
        source_url="https://example.org/ticad-statement",
        source_title="TICAD 9 joint statement",
        owner=analyst,
        status=Status.IN_PROGRESS,
        progress=20,
    )
    commitment.members.set([kenya, japan])
    return commitment


def ask(pledge, office, user, message="Has the bond been priced?"):
    return evidence.evidence_request_send(commitment=pledge, contact=office, message=message, user=user)


def reply_path(request):
    """Send the request's email through the outbox; the path of the reply link parsed out of its text part."""
    followup = FollowUp.objects.get(request=request, kind=FollowUp.Kind.REQUEST)
    mail.outbox.clear()
    assert send_one(followup.pk) == FollowUp.State.SENT
    [message] = mail.outbox
    return urlsplit(LINK.search(message.body).group(0)).path


def pdf(name="evidence.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored_files(media):
    return [path for path in media.rglob("*") if path.is_file()]


def url(name, *args):
    return reverse(f"tracker:{name}", args=args)


def page_text(response):
    """The page's text with tags dropped and entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body(response))).split())


# The round trip


def test_the_evidence_request_round_trip_from_the_outbox(client, analyst, pledge, office, media):
    client.force_login(analyst)
    response = client.post(url("commitment-request", pledge.pk), {"contact": office.pk, "message": "Priced yet?"})
    assert response.status_code == 302
    assert response["Location"] == f"{pledge.get_absolute_url()}#requests"
    request = EvidenceRequest.objects.get()
    assert (request.commitment, request.contact, request.requested_by, request.message) == (
        pledge,
        office,
        analyst,
        "Priced yet?",
    )
    path = reply_path(request)

    client.logout()
    form = client.get(path)
    assert form.status_code == 200
    text = page_text(form)
    for expected in (pledge.title, pledge.quote, "Government of Kenya", "TICAD 9 joint statement", "Priced yet?"):
        assert expected in text

    response = client.post(
        path,
        {
            "text": "The bond was priced on 3 March.",
            "links": "https://treasury.example.go.ke/bond\n",
            "files": [pdf("Pricing note.pdf")],
        },
    )
    assert response.status_code == 200
    assert "Reply received" in body(response)
    assert "the analysts will review it" in page_text(response)
    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.ANSWERED
    reply = Reply.objects.get()
    assert (reply.request, reply.text, reply.links, reply.state) == (
        request,
        "The bond was priced on 3 March.",
        ["https://treasury.example.go.ke/bond"],
        Reply.State.PENDING,
    )
    stored = ReplyFile.objects.get()
    assert (stored.reply, stored.original_name, stored.content_type, stored.size) == (
        reply,
        "Pricing note.pdf",
        "application/pdf",
        len(PDF),
    )
    assert stored.file.name.startswith("replies/")
    assert "Pricing" not in stored.file.name and not stored.file.name.endswith(".pdf")
    assert [path.read_bytes() for path in stored_files(media)] == [PDF]

    client.force_login(analyst)
    detail = client.get(pledge.get_absolute_url())
    assert f"Reply from {OFFICE}" in page_text(detail)
    assert f'id="reply-{reply.pk}"' in body(detail)
    assert url("reply-file", stored.pk) in body(detail)

    response = client.post(
        url("reply-accept", reply.pk),
        {
            f"accept-{reply.pk}-status": Status.PARTIALLY_FULFILLED,
            f"accept-{reply.pk}-progress": "60",
            f"accept-{reply.pk}-note": "",
            f"accept-{reply.pk}-evidence_url": "",
        },
    )
    assert response.status_code == 302
    update = ProgressUpdate.objects.get(commitment=pledge)
    assert (update.status_after, update.progress, update.author, update.evidence_url) == (
        Status.PARTIALLY_FULFILLED,
        60,
        analyst,
        "https://treasury.example.go.ke/bond",
    )
    reply.refresh_from_db()
    assert (reply.state, reply.update, reply.reviewed_by) == (Reply.State.ACCEPTED, update, analyst)

    assert evidence.requests_queue_due(now=timezone.now() + timedelta(days=30)) == 0
    assert not FollowUp.objects.filter(kind=FollowUp.Kind.REQUEST_REMINDER).exists()
    request.refresh_from_db()
    assert (request.state, request.reminders_sent) == (EvidenceRequest.State.ANSWERED, 0)


def test_the_reply_form_states_its_limits_and_takes_several_files(client, analyst, pledge, office):
    page = body(client.get(reply_path(ask(pledge, office, analyst))))

    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<input type="file" name="files"[^>]* accept="application/pdf,image/\*"', page)
    assert re.search(r'<input type="file" name="files"[^>]* multiple', page)
    assert "At most 3 files, 10 MB each, PDF or image (PNG, JPEG, GIF or WebP)." in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_reply_form_is_never_cached_and_a_get_changes_nothing(client, analyst, pledge, office):
    request = ask(pledge, office, analyst)

    response = client.get(reply_path(request))

    assert "no-cache" in response["Cache-Control"]
    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.SENT
    assert not Reply.objects.exists()


def test_an_anonymous_office_posts_with_the_csrf_token_of_the_form(analyst, pledge, office):
    path = reply_path(ask(pledge, office, analyst))
    browser = Client(enforce_csrf_checks=True)

    refused = browser.post(path, {"text": "No token."})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body(browser.get(path))).group(1)
    accepted = browser.post(path, {"text": "With the token.", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert list(Reply.objects.values_list("text", flat=True)) == ["With the token."]


def test_a_second_reply_adds_to_the_first(client, analyst, pledge, office):
    path = reply_path(ask(pledge, office, analyst))
    client.post(path, {"text": "First."})

    page = page_text(client.get(path))
    client.post(path, {"text": "Second."})

    assert "anything you send now is added to that reply" in page
    assert sorted(Reply.objects.values_list("text", flat=True)) == ["First.", "Second."]


def test_a_ten_megabyte_file_is_accepted(client, analyst, pledge, office, media):
    path = reply_path(ask(pledge, office, analyst))
    content = PDF + b"0" * (10 * MEGABYTE - len(PDF))

    response = client.post(path, {"text": "The full report.", "files": [pdf("report.pdf", content)]})

    assert response.status_code == 200
    assert ReplyFile.objects.get().size == 10 * MEGABYTE
    assert [path.stat().st_size for path in stored_files(media)] == [10 * MEGABYTE]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([pdf("page.pdf", b"<html><script>alert(1)</script></html>")], "page.pdf is not a PDF or an image"),
        ([pdf(f"{n}.pdf") for n in range(4)], "Attach at most 3 files."),
        ([pdf("big.pdf", PDF + b"0" * (11 * MEGABYTE))], "big.pdf is larger than 10 MB."),
        ([pdf("empty.pdf", b"")], "The submitted file is empty."),
    ],
)
def test_bad_files_are_form_errors_and_nothing_is_kept(client, analyst, pledge, office, media, files, message):
    request = ask(pledge, office, analyst)
    path = reply_path(request)

    response = client.post(path, {"text": "See attached.", "files": files})

    assert response.status_code == 400
    assert message in unescape(field_errors(body(response), "id_files"))
    # The reply's text is kept in the form to send again.
    assert "See attached." in body(response)
    assert not Reply.objects.exists()
    assert not ReplyFile.objects.exists()
    assert stored_files(media) == []
    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.SENT


def test_an_oversize_file_is_dropped_while_it_is_read(client, analyst, pledge, office, monkeypatch):
    path = reply_path(ask(pledge, office, analyst))

    def unreachable(**kwargs):
        raise AssertionError("the oversize file reached the service")

    monkeypatch.setattr(evidence, "reply_submit", unreachable)
    response = client.post(path, {"text": "Big.", "files": [pdf("big.pdf", PDF + b"0" * (11 * MEGABYTE))]})

    assert response.status_code == 400
    assert "big.pdf is larger than 10 MB." in field_errors(body(response), "id_files")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": "  "}, "id_text", "Write your reply, or give a link or a file."),
        ({"text": "ok", "links": "javascript:alert(1)"}, "id_links", "is not a web address"),
        ({"text": "nul \x00"}, "id_text", "Null characters are not allowed."),
    ],
)
def test_bad_replies_are_form_errors(client, analyst, pledge, office, data, field, message):
    response = client.post(reply_path(ask(pledge, office, analyst)), data)

    assert response.status_code == 400
    assert message in unescape(field_errors(body(response), field))
    assert not Reply.objects.exists()


# Refused links


def test_a_tampered_link_is_refused(client, analyst, pledge, office):
    path = reply_path(ask(pledge, office, analyst))
    token = path.split("/")[2]
    tampered = path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))

    for response in (client.get(tampered), client.post(tampered, {"text": "Hello."})):
        assert response.status_code == 400
        assert "This link is not valid" in body(response)
    assert not Reply.objects.exists()


def test_a_withdrawn_request_s_link_is_gone(client, analyst, pledge, office):
    request = ask(pledge, office, analyst)
    path = reply_path(request)
    client.force_login(analyst)

    response = client.post(url("request-withdraw", request.pk))

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.WITHDRAWN
    client.logout()
    for response in (client.get(path), client.post(path, {"text": "Too late?"})):
        assert response.status_code == 410
        assert "This request has been withdrawn; no reply is needed." in body(response)
    assert not Reply.objects.exists()


def test_a_deleted_request_s_link_is_not_found(client, analyst, pledge, office):
    request = ask(pledge, office, analyst)
    path = reply_path(request)
    request.delete()

    response = client.get(path)

    assert response.status_code == 404
    assert "no longer exists" in body(response)


def test_replies_through_one_link_are_limited(client, analyst, pledge, office, settings):
    settings.REPLY_RATE_LIMIT_PER_LINK = 2
    path = reply_path(ask(pledge, office, analyst))

    statuses = [client.post(path, {"text": f"Reply {n}."}).status_code for n in range(2)]
    refused = client.post(path, {"text": "One too many."})

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert "Too many replies through this link this hour. Try again after" in body(refused)
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Reply.objects.count() == 2


def test_replies_from_one_address_are_limited_whatever_the_link(analyst, pledge, office, settings):
    settings.REPLY_RATE_LIMIT_PER_HOUR = 2
    paths = [reply_path(ask(pledge, office, analyst, message=f"Question {n}")) for n in range(3)]
    client = Client(REMOTE_ADDR="198.51.100.7")

    statuses = [client.post(path, {"text": "Answer."}).status_code for path in paths]
    elsewhere = Client(REMOTE_ADDR="198.51.100.8").post(paths[2], {"text": "From another office."})

    assert statuses == [200, 200, 429]
    assert elsewhere.status_code == 200
    assert Reply.objects.count() == 3


# Files


@pytest.fixture
def stored_reply(pledge, office, analyst):
    request = ask(pledge, office, analyst)
    return evidence.reply_submit(request=request, text="Attached.", files=[pdf("Bond terms.pdf")])


def test_a_reply_file_is_served_only_as_an_attachment(analyst_client, stored_reply):
    stored = stored_reply.files.get()

    response = analyst_client.get(url("reply-file", stored.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Bond terms.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_viewers_may_download_a_reply_file(viewer_client, stored_reply):
    assert viewer_client.get(url("reply-file", stored_reply.files.get().pk)).status_code == 200


def test_a_reply_file_is_not_served_to_anonymous_or_role_less_users(client, stored_reply):
    path = url("reply-file", stored_reply.files.get().pk)

    anonymous = client.get(path)
    client.force_login(UserFactory(username="nobody"))
    role_less = client.get(path)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert role_less.status_code == 403


def test_an_unknown_reply_file_is_not_found(analyst_client, stored_reply, media):
    stored = stored_reply.files.get()
    (media / stored.file.name).unlink()

    assert analyst_client.get(url("reply-file", stored.pk + 1)).status_code == 404
    assert analyst_client.get(url("reply-file", stored.pk)).status_code == 404


# The pledge page's panel


def test_an_analyst_sees_the_ask_form_with_the_pledge_s_offices(analyst_client, pledge, office, japan):
    tokyo = Contact.objects.create(actor=japan, name="MOFA", role="Africa desk", email="mofa@example.go.jp")
    Contact.objects.create(actor=japan, name="Old desk", email="old@example.go.jp", is_active=False)
    Contact.objects.create(actor=ActorFactory(name="Toyota"), name="Toyota press", email="press@example.com")

    page = body(analyst_client.get(pledge.get_absolute_url()))

    assert "Ask the office for evidence" in page
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page)
    assert {(int(pk), unescape(label)) for pk, label in options} >= {
        (office.pk, "State Department for Trade (Government of Kenya)"),
        (tokyo.pk, "MOFA, Africa desk (Government of Japan)"),
    }
    assert "Old desk" not in page
    assert "Toyota press" not in page


def test_asking_needs_a_message(analyst_client, pledge, office):
    response = analyst_client.post(url("commitment-request", pledge.pk), {"contact": office.pk, "message": " "})

    assert response.status_code == 400
    assert "This field is required." in field_errors(body(response), "id_message")
    assert not EvidenceRequest.objects.exists()


def test_only_the_pledge_s_offices_may_be_asked(analyst_client, pledge):
    stranger = Contact.objects.create(actor=ActorFactory(), name="Elsewhere", email="x@example.org")

    response = analyst_client.post(url("commitment-request", pledge.pk), {"contact": stranger.pk, "message": "Hi"})

    assert response.status_code == 400
    assert "Select a valid choice" in field_errors(body(response), "id_contact")
    assert not EvidenceRequest.objects.exists()


def test_the_panel_lists_requests_with_their_state_date_asker_and_reminders(analyst_client, analyst, pledge, office):
    request = ask(pledge, office, analyst)
    EvidenceRequest.objects.filter(pk=request.pk).update(reminders_sent=2, state=EvidenceRequest.State.UNANSWERED)

    page = page_text(analyst_client.get(pledge.get_absolute_url()))

    assert f"To {OFFICE}: Unanswered" in page
    assert "Asked by analyst on" in page
    assert "2 reminders sent" in page
    assert "Has the bond been priced?" in page


def test_an_open_request_may_be_withdrawn_an_answered_one_not(analyst_client, analyst, pledge, office):
    open_request = ask(pledge, office, analyst)
    answered = ask(pledge, office, analyst)
    evidence.reply_submit(request=answered, text="Done.")

    page = body(analyst_client.get(pledge.get_absolute_url()))
    response = analyst_client.post(url("request-withdraw", answered.pk), follow=True)

    assert url("request-withdraw", open_request.pk) in page
    assert url("request-withdraw", answered.pk) not in page
    assert "This request is answered; it stays so." in body(response)
    answered.refresh_from_db()
    assert answered.state == EvidenceRequest.State.ANSWERED


def test_a_reply_may_be_dismissed(analyst_client, analyst, stored_reply, pledge):
    response = analyst_client.post(url("reply-dismiss", stored_reply.pk))

    assert response.status_code == 302
    assert response["Location"] == f"{pledge.get_absolute_url()}#reply-{stored_reply.pk}"
    stored_reply.refresh_from_db()
    assert (stored_reply.state, stored_reply.reviewed_by) == (Reply.State.DISMISSED, analyst)
    assert not ProgressUpdate.objects.exists()
    page = body(analyst_client.get(pledge.get_absolute_url()))
    assert url("reply-accept", stored_reply.pk) not in page


def test_the_accept_form_is_prefilled_from_the_pledge_and_the_reply(analyst_client, pledge, office, analyst):
    request = ask(pledge, office, analyst)
    reply = evidence.reply_submit(request=request, text="Priced.", links="https://example.org/bond")

    page = body(analyst_client.get(pledge.get_absolute_url()))

    prefix = f"accept-{reply.pk}"
    assert re.search(r'<option value="in_progress" selected>', page)
    assert f'name="{prefix}-progress" value="20"' in page
    assert f'name="{prefix}-evidence_url" value="https://example.org/bond"' in page
    assert f"Reply from {OFFICE}: Priced." in unescape(page)


def test_a_bad_accept_is_a_form_error_and_the_reply_waits(analyst_client, stored_reply):
    prefix = f"accept-{stored_reply.pk}"

    response = analyst_client.post(
        url("reply-accept", stored_reply.pk), {f"{prefix}-status": Status.IN_PROGRESS, f"{prefix}-progress": "150"}
    )

    assert response.status_code == 400
    assert "less than or equal to 100" in field_errors(body(response), f"id_{prefix}-progress")
    stored_reply.refresh_from_db()
    assert stored_reply.state == Reply.State.PENDING
    assert not ProgressUpdate.objects.exists()


def test_viewers_see_requests_and_replies_but_no_forms(viewer_client, stored_reply, pledge):
    page = body(viewer_client.get(pledge.get_absolute_url()))

    assert f"Reply from {OFFICE}" in page_text(viewer_client.get(pledge.get_absolute_url()))
    assert "Ask the office for evidence" not in page
    for name in ("commitment-request", "reply-accept", "reply-dismiss"):
        assert url(name, pledge.pk if name == "commitment-request" else stored_reply.pk) not in page
    assert url("request-withdraw", stored_reply.request.pk) not in page


def test_viewers_cannot_ask_withdraw_accept_or_dismiss(viewer_client, pledge, office, analyst, stored_reply):
    open_request = ask(pledge, office, analyst)
    prefix = f"accept-{stored_reply.pk}"
    posts = [
        (url("commitment-request", pledge.pk), {"contact": office.pk, "message": "Me too"}),
        (url("request-withdraw", open_request.pk), {}),
        (url("reply-accept", stored_reply.pk), {f"{prefix}-status": Status.FULFILLED}),
        (url("reply-dismiss", stored_reply.pk), {}),
    ]

    statuses = [viewer_client.post(path, data).status_code for path, data in posts]

    assert statuses == [403, 403, 403, 403]
    assert EvidenceRequest.objects.count() == 2
    open_request.refresh_from_db()
    stored_reply.refresh_from_db()
    assert open_request.state == EvidenceRequest.State.SENT
    assert stored_reply.state == Reply.State.PENDING
    assert not ProgressUpdate.objects.exists()


def test_anonymous_users_are_sent_to_log_in(client, pledge, stored_reply):
    response = client.post(url("reply-dismiss", stored_reply.pk))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    stored_reply.refresh_from_db()
    assert stored_reply.state == Reply.State.PENDING


def test_without_an_active_office_the_panel_says_how_to_add_one(analyst_client, viewer, client, pledge, office):
    office.is_active = False
    office.save()

    analyst_page = body(analyst_client.get(pledge.get_absolute_url()))
    client.force_login(viewer)
    viewer_page = body(client.get(pledge.get_absolute_url()))

    assert "has an active contact, so none can be asked for evidence" in analyst_page
    assert f"{reverse('admin:tracker_contact_add')}?actor={pledge.made_by_id}" in analyst_page
    assert "Ask the office for evidence" not in analyst_page
    assert "Someone who manages contacts can add one in the admin." in viewer_page
    assert reverse("admin:tracker_contact_add") not in viewer_page


def test_reply_text_and_contact_names_are_escaped(client, analyst_client, analyst, pledge, kenya):
    hostile = Contact.objects.create(actor=kenya, name='<script>alert("office")</script>', email="x@example.org")
    pledge.title = "<b>Bond</b>"
    pledge.quote = "<img src=x onerror=alert(1)>"
    pledge.save()
    request = ask(pledge, hostile, analyst, message="<i>Question</i>")
    path = reply_path(request)
    evidence.reply_submit(request=request, text='<script>alert("reply")</script>\nSecond line')

    reply_page = body(client.get(path))
    pledge_page = body(analyst_client.get(pledge.get_absolute_url()))

    for page in (reply_page, pledge_page):
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&quot;office&quot;)&lt;/script&gt;" in page
        assert "<b>Bond</b>" not in page
        assert "<img src=x" not in page
        assert "<i>Question</i>" not in page
    assert "&lt;script&gt;alert(&quot;reply&quot;)&lt;/script&gt;<br>Second line" in pledge_page


def test_the_pledge_page_takes_the_same_queries_for_one_or_five_requests(analyst_client, analyst, office, kenya):
    def pledge_with(count):
        commitment = CommitmentFactory(made_by=kenya)
        for n in range(count):
            request = ask(commitment, office, analyst, message=f"Question {n}")
            evidence.reply_submit(request=request, text=f"Answer {n}", files=[pdf(f"{n}.pdf")])
        evidence.evidence_request_withdraw(request=ask(commitment, office, analyst), user=analyst)
        return commitment

    small, large = pledge_with(1), pledge_with(5)

    assert count_queries(analyst_client, small.get_absolute_url()) == count_queries(
        analyst_client, large.get_absolute_url()
    )
    assert body(analyst_client.get(large.get_absolute_url())).count('<article class="reply') == 5


# The timeline


def test_the_timeline_shows_requests_withdrawals_and_replies(analyst_client, analyst, pledge, office):
    withdrawn = ask(pledge, office, analyst, message="First question")
    evidence.evidence_request_withdraw(request=withdrawn, user=analyst)
    answered = ask(pledge, office, analyst, message="Second question")
    accepted = evidence.reply_submit(request=answered, text="Accepted answer.", links="https://example.org/a")
    evidence.reply_accept(reply=accepted, user=analyst, status=Status.IN_PROGRESS)
    dismissed = evidence.reply_submit(request=answered, text="Dismissed answer.")
    evidence.reply_dismiss(reply=dismissed, user=analyst)

    timeline = re.search(r'id="timeline">(.*?)</section>', body(analyst_client.get(pledge.get_absolute_url())), re.S)
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", timeline.group(1))).split())

    assert text.count(f"Evidence requested from {OFFICE}") == 2
    assert f"Request withdrawn The request to {OFFICE}, by analyst on" in text
    assert f"Reply from {OFFICE}: Accepted as evidence" in text
    assert f"Reply from {OFFICE}: Dismissed" in text


def test_request_emails_on_the_timeline_name_the_office(analyst_client, analyst, pledge, office):
    request = ask(pledge, office, analyst)

    waiting = page_text(analyst_client.get(pledge.get_absolute_url()))
    reply_path(request)
    sent = page_text(analyst_client.get(pledge.get_absolute_url()))

    assert f"Request to an office to {OFFICE} for" in waiting
    assert f"Request to an office email to {OFFICE}: Sent" in sent


# Draft scores


@pytest.fixture
def cycle_in_review(pledge, kenya, japan):
    cycle = cycle_with([pledge], name="TICAD 9 interim")
    score(cycle, pledge, kenya, 1)
    score(cycle, pledge, japan, -1)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
    return cycle


def test_an_office_replies_to_its_draft_scores_per_pledge_and_as_a_whole(client, cycle_in_review, office, pledge):
    [request] = evidence.draft_scores_send(cycle=cycle_in_review)
    path = reply_path(request)

    page = page_text(client.get(path))
    response = client.post(
        path, {f"pledge_{pledge.pk}": "The bond was issued in March.", "text": "Thank you.", "files": [pdf()]}
    )

    assert "TICAD 9 interim" in page
    assert "Criteria for +1 Done in full." in page
    assert "Draft score +1 Full compliance" in page
    assert "Scored 1." in page
    assert "Scored -1." not in page  # Japan's cell, not Kenya's
    assert f"Your comment on the score for “{pledge.title}”" in page
    assert response.status_code == 200
    replies = {reply.commitment: reply for reply in Reply.objects.all()}
    assert replies[pledge].text == "The bond was issued in March."
    assert replies[None].text == "Thank you."
    assert replies[None].files.count() == 1
    assert not replies[pledge].files.exists()


def test_a_comment_on_one_pledge_alone_is_a_reply(client, cycle_in_review, office, pledge):
    [request] = evidence.draft_scores_send(cycle=cycle_in_review)

    response = client.post(reply_path(request), {f"pledge_{pledge.pk}": "Only this cell."})

    assert response.status_code == 200
    assert list(Reply.objects.values_list("commitment", "text")) == [(pledge.pk, "Only this cell.")]


def test_a_bad_general_reply_saves_no_comment_either(client, cycle_in_review, office, pledge, media):
    [request] = evidence.draft_scores_send(cycle=cycle_in_review)

    response = client.post(
        reply_path(request), {f"pledge_{pledge.pk}": "Fine.", "links": "not a link", "files": [pdf()]}
    )

    assert response.status_code == 400
    assert not Reply.objects.exists()
    assert stored_files(media) == []


# The digest


def test_the_digest_lists_unanswered_requests_on_the_user_s_pledges(analyst, pledge, office, mailoutbox):
    request = ask(pledge, office, analyst)
    EvidenceRequest.objects.filter(pk=request.pk).update(state=EvidenceRequest.State.UNANSWERED)
    ask(CommitmentFactory(title="Someone else's pledge", made_by=office.actor), office, analyst)
    EvidenceRequest.objects.exclude(pk=request.pk).update(state=EvidenceRequest.State.UNANSWERED)
    FollowUp.objects.all().delete()
    followups.digests_queue()

    assert send_one(FollowUp.objects.get(recipient=analyst).pk) == FollowUp.State.SENT

    [message] = mailoutbox
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Unanswered requests to offices (1)" in part
        assert "Issue a Samurai bond" in part
        assert "State Department for Trade, asked" in part
        assert f"/commitments/{pledge.pk}/#requests" in part
        assert "Someone else's pledge" not in part.replace("&#x27;", "'")


def test_the_digest_reads_unanswered_requests_in_a_fixed_number_of_queries(analyst, office, kenya):
    def queries_for(count):
        for n in range(count):
            commitment = CommitmentFactory(made_by=kenya, owner=analyst, title=f"Pledge {n}")
            ask(commitment, office, analyst)
        EvidenceRequest.objects.update(state=EvidenceRequest.State.UNANSWERED)
        with CaptureQueriesContext(connection) as queries:
            context = emails.digest_context(analyst, today=timezone.localdate())
            emails.render("digest", {**context, "recipient": analyst, "followup": None, "site_url": ""})
        return len(queries), len(context["unanswered"])

    one, three = queries_for(1), queries_for(2)

    assert one[1] == 1 and three[1] == 3
    assert one[0] == three[0]


def test_a_body_larger_than_any_reply_is_refused_before_it_is_read(client, analyst, pledge, office):
    path = reply_path(ask(pledge, office, analyst))

    response = client.post(path, {"text": "Huge."}, CONTENT_LENGTH=str(32 * 1024 * 1024))

    assert response.status_code == 413
    assert "This reply is too large: at most 3 files of 10 MB each." in body(response)
    assert not Reply.objects.exists()


def test_more_files_than_the_site_takes_is_a_bad_request(client, analyst, pledge, office):
    path = reply_path(ask(pledge, office, analyst))
    files = [SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4 x", content_type="application/pdf") for n in range(6)]

    response = client.post(path, {"text": "Many.", "files": files})

    assert response.status_code == 400
    assert not Reply.objects.exists()


@pytest.mark.parametrize("language", ["fr", "sw"])
def test_the_reply_page_speaks_the_offices_language_unless_the_reader_chose_another(
    client, analyst, pledge, office, language
):
    office.language = language
    office.save()
    path = reply_path(ask(pledge, office, analyst))

    page = body(client.get(path, HTTP_ACCEPT_LANGUAGE="en"))
    assert f'<html lang="{language}">' in page

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en">' in body(client.get(path))
