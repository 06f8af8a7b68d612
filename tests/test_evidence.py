"""Requests to an actor's office: the rules, the outbox, reminders, replies and their review."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    UserFactory,
    cycle_with,
    score,
    send_one,
)
from tracker import assessments, evidence, followups
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
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


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
def pledge(kenya, japan):
    commitment = CommitmentFactory(title="Issue a Samurai bond", made_by=kenya, quote="We will issue the bond.")
    commitment.members.set([kenya, japan])
    return commitment


def ask(pledge, office, analyst, message="Has the bond been priced?"):
    return evidence.evidence_request_send(commitment=pledge, contact=office, message=message, user=analyst)


def sent_email(request, kind=FollowUp.Kind.REQUEST):
    followup = FollowUp.objects.get(request=request, kind=kind, state=FollowUp.State.PENDING)
    mail.outbox.clear()
    assert send_one(followup.pk) == FollowUp.State.SENT
    [message] = mail.outbox
    return message


def upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# Asking


def test_a_request_goes_in_the_outbox_to_the_office(pledge, office, analyst):
    request = ask(pledge, office, analyst)

    assert (request.state, request.kind, request.requested_by, request.contact) == ("sent", "evidence", analyst, office)
    [row] = FollowUp.objects.filter(request=request)
    assert (row.kind, row.contact, row.recipient, row.commitment, row.state) == (
        FollowUp.Kind.REQUEST,
        office,
        None,
        pledge,
        FollowUp.State.PENDING,
    )
    assert request.history.get().history_user == analyst


def test_a_member_s_office_may_be_asked_too(pledge, japan, analyst):
    tokyo = Contact.objects.create(actor=japan, name="MOFA", email="mofa@example.go.jp")

    assert ask(pledge, tokyo, analyst).contact == tokyo


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"message": "   "}, "message"),
        ({"message": "x" * 2001}, "message"),
        ({"message": "nul\x00"}, "message"),
    ],
)
def test_a_request_needs_a_message(pledge, office, analyst, change, field):
    with pytest.raises(ValidationError) as error:
        evidence.evidence_request_send(commitment=pledge, contact=office, user=analyst, **change)

    assert field in error.value.message_dict
    assert not EvidenceRequest.objects.exists()
    assert not FollowUp.objects.exists()


def test_only_an_active_office_of_the_maker_or_a_member_may_be_asked(pledge, office, analyst):
    stranger = Contact.objects.create(actor=ActorFactory(), name="Elsewhere", email="x@example.org")
    office.is_active = False
    office.save()

    for contact in (stranger, office):
        with pytest.raises(ValidationError) as error:
            ask(pledge, contact, analyst)
        assert "not an active office" in error.value.message_dict["contact"][0]
    assert not EvidenceRequest.objects.exists()


def test_the_email_reaches_the_office_with_the_message_the_pledge_and_a_reply_link(pledge, office, analyst):
    request = ask(pledge, office, analyst)

    message = sent_email(request)

    assert message.to == ["trade@example.go.ke"]
    assert message.subject == "Evidence requested: Issue a Samurai bond (Government of Kenya)"
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Dear State Department for Trade" in part
        assert "Has the bond been priced?" in part
        assert "We will issue the bond." in part
    link = re.search(r"https?://\S+/reply/[^\s/\"]+/", message.body).group(0)
    assert urlsplit(link).path in html
    assert evidence.reply_load(urlsplit(link).path.split("/")[2]) == request
    # Nothing of the tracker's inside: not who owns or watches the pledge.
    assert pledge.owner.username not in message.body
    assert pledge.owner.email not in message.body + html
    assert "preferences" not in message.body


def test_a_withdrawn_request_sends_nothing_and_its_link_stops_working(pledge, office, analyst):
    request = ask(pledge, office, analyst)
    token = evidence.reply_token(request)

    evidence.evidence_request_withdraw(request=request, user=analyst)

    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.WITHDRAWN
    assert request.closed_at is not None
    row = FollowUp.objects.get(request=request)
    assert (row.state, row.last_error) == (FollowUp.State.CANCELLED, "the request was withdrawn")
    with pytest.raises(evidence.ReplyRefused) as refused:
        evidence.reply_load(token)
    assert refused.value.status == 410
    with pytest.raises(ValidationError):
        evidence.evidence_request_withdraw(request=request, user=analyst)


def test_a_request_withdrawn_while_its_email_waits_is_cancelled_at_send(pledge, office, analyst):
    request = ask(pledge, office, analyst)
    EvidenceRequest.objects.filter(pk=request.pk).update(state=EvidenceRequest.State.WITHDRAWN)

    row = FollowUp.objects.get(request=request)
    assert send_one(row.pk) == FollowUp.State.CANCELLED
    assert not mail.outbox


def test_an_office_made_inactive_gets_no_email(pledge, office, analyst):
    request = ask(pledge, office, analyst)
    Contact.objects.filter(pk=office.pk).update(is_active=False)

    assert send_one(FollowUp.objects.get(request=request).pk) == FollowUp.State.CANCELLED


def test_the_sweep_wakes_request_rows_like_any_other(pledge, office, analyst):
    request = ask(pledge, office, analyst)

    assert followups.followups_wake() == [FollowUp.objects.get(request=request).pk]


# Reminders


def test_two_reminders_a_period_apart_then_unanswered(pledge, office, analyst, settings):
    settings.EVIDENCE_REMINDER_DAYS = 7
    request = ask(pledge, office, analyst)
    start = request.created_at

    assert evidence.requests_queue_due(now=start + timedelta(days=6)) == 0
    assert evidence.requests_queue_due(now=start + timedelta(days=7, minutes=1)) == 1
    assert evidence.requests_queue_due(now=start + timedelta(days=8)) == 0
    assert evidence.requests_queue_due(now=start + timedelta(days=14, minutes=1)) == 1
    assert evidence.requests_queue_due(now=start + timedelta(days=20)) == 0
    request.refresh_from_db()
    assert (request.reminders_sent, request.state) == (2, EvidenceRequest.State.SENT)

    assert evidence.requests_queue_due(now=start + timedelta(days=21, minutes=1)) == 0
    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.UNANSWERED
    keys = sorted(FollowUp.objects.filter(request=request).values_list("dedupe_key", flat=True))
    assert keys == [f"request:{request.pk}:0", f"request_reminder:{request.pk}:1", f"request_reminder:{request.pk}:2"]


def test_a_sweep_that_missed_a_period_sends_one_reminder_at_a_time(pledge, office, analyst):
    request = ask(pledge, office, analyst)

    assert evidence.requests_queue_due(now=request.created_at + timedelta(days=30)) == 1
    assert evidence.requests_queue_due(now=request.created_at + timedelta(days=30)) == 1
    assert evidence.requests_queue_due(now=request.created_at + timedelta(days=30)) == 0
    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.UNANSWERED


def test_the_reminder_email_says_it_is_one(pledge, office, analyst):
    request = ask(pledge, office, analyst)
    sent_email(request)
    evidence.requests_queue_due(now=request.created_at + timedelta(days=8))

    message = sent_email(request, FollowUp.Kind.REQUEST_REMINDER)

    assert message.subject.startswith("Reminder: Evidence requested")
    assert "have had no reply yet" in message.body


def test_reminders_stop_once_answered(pledge, office, analyst):
    request = ask(pledge, office, analyst)
    evidence.requests_queue_due(now=request.created_at + timedelta(days=8))
    pending = FollowUp.objects.get(kind=FollowUp.Kind.REQUEST_REMINDER)

    evidence.reply_submit(request=request, text="Priced on 3 March.")

    pending.refresh_from_db()
    assert (pending.state, pending.last_error) == (FollowUp.State.CANCELLED, "the request was answered")
    assert evidence.requests_queue_due(now=request.created_at + timedelta(days=40)) == 0
    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.ANSWERED


def test_the_sweep_queues_reminders(pledge, office, analyst):
    request = ask(pledge, office, analyst)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        result = followups.followups_sweep()

    assert result["queued"] >= 1
    assert FollowUp.objects.filter(request=request, kind=FollowUp.Kind.REQUEST_REMINDER).exists()


# Replies


def test_a_reply_with_text_links_and_files_answers_the_request(pledge, office, analyst, media):
    request = ask(pledge, office, analyst)

    reply = evidence.reply_submit(
        request=request,
        text="The bond was priced on 3 March.",
        links="https://treasury.example.go.ke/bond\n\n",
        files=[upload("../../etc/passwd <script>.pdf", PDF), upload("photo.png", PNG, "image/png")],
    )

    assert (reply.text, reply.links, reply.state) == (
        "The bond was priced on 3 March.",
        ["https://treasury.example.go.ke/bond"],
        Reply.State.PENDING,
    )
    files = list(reply.files.order_by("id"))
    assert [(f.original_name, f.content_type) for f in files] == [
        ("passwd script.pdf", "application/pdf"),
        ("photo.png", "image/png"),
    ]
    for stored in files:
        assert stored.file.name.startswith("replies/")
        assert "passwd" not in stored.file.name and "photo" not in stored.file.name
        assert (media / stored.file.name).read_bytes() in (PDF, PNG)
    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.ANSWERED
    assert request.answered_at is not None


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([upload("evil.pdf", b"<html><script>alert(1)</script></html>")], "is not a PDF or an image"),
        ([upload(f"{n}.pdf", PDF) for n in range(4)], "Attach at most 3 files."),
        ([upload("big.pdf", PDF + b"0" * (10 * 1024 * 1024))], "larger than 10 MB"),
        ([upload("page.svg", b"<svg onload=alert(1)>", "image/svg+xml")], "is not a PDF or an image"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_kept(pledge, office, analyst, media, files, message):
    request = ask(pledge, office, analyst)

    with pytest.raises(ValidationError) as error:
        evidence.reply_submit(request=request, text="See attached.", files=files)

    assert message in " ".join(error.value.message_dict["files"])
    assert not Reply.objects.exists()
    assert not ReplyFile.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))
    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.SENT


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"text": "ok", "links": ["javascript:alert(1)"]}, "links"),
        ({"text": "ok", "links": [f"https://example.org/{n}" for n in range(11)]}, "links"),
        ({"text": "nul\x00"}, "text"),
    ],
)
def test_bad_replies_are_refused(pledge, office, analyst, fields, field):
    request = ask(pledge, office, analyst)

    with pytest.raises(ValidationError) as error:
        evidence.reply_submit(request=request, **fields)

    assert field in error.value.message_dict
    assert not Reply.objects.exists()


def test_a_file_whose_row_cannot_be_saved_leaves_no_file(pledge, office, analyst, media, monkeypatch):
    request = ask(pledge, office, analyst)

    def fail(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(ReplyFile.objects, "create", fail)
    with pytest.raises(RuntimeError):
        evidence.reply_submit(request=request, text="See attached.", files=[upload("a.pdf", PDF)])

    assert not any(path.is_file() for path in media.rglob("*"))
    assert not Reply.objects.exists()


def test_a_late_reply_answers_an_unanswered_request(pledge, office, analyst):
    request = ask(pledge, office, analyst)
    EvidenceRequest.objects.filter(pk=request.pk).update(state=EvidenceRequest.State.UNANSWERED)

    evidence.reply_submit(request=request, text="Sorry for the delay.")

    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.ANSWERED


def test_an_altered_or_foreign_link_is_refused(pledge, office, analyst):
    request = ask(pledge, office, analyst)
    token = evidence.reply_token(request)
    from tracker import checkin

    for bad in (
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "garbage",
        checkin.checkin_token(FollowUp(pk=request.pk), checkin.Action.STALLED, status=Status.ANNOUNCED),
    ):
        with pytest.raises(evidence.ReplyRefused) as refused:
            evidence.reply_load(bad)
        assert refused.value.status == 400


def test_an_expired_link_is_refused(pledge, office, analyst, settings):
    settings.REPLY_LINK_DAYS = 5
    request = ask(pledge, office, analyst)
    token = evidence.reply_token(request)

    with (
        time_machine.travel(timezone.now() + timedelta(days=5, minutes=1)),
        pytest.raises(evidence.ReplyRefused) as refused,
    ):
        evidence.reply_load(token)

    assert refused.value.status == 410


# Reviewing


def test_accepting_a_reply_makes_it_the_evidence_of_an_update(pledge, office, analyst):
    request = ask(pledge, office, analyst)
    reply = evidence.reply_submit(request=request, text="Priced.", links=["https://example.org/priced"])

    update = evidence.reply_accept(reply=reply, user=analyst, status=Status.FULFILLED, progress=100)

    assert (update.author, update.status_after, update.evidence_url) == (
        analyst,
        Status.FULFILLED,
        "https://example.org/priced",
    )
    assert update.note == "Reply from State Department for Trade (Government of Kenya): Priced."
    reply.refresh_from_db()
    assert (reply.state, reply.update, reply.reviewed_by) == (Reply.State.ACCEPTED, update, analyst)
    with pytest.raises(ValidationError):
        evidence.reply_accept(reply=reply, user=analyst, status=Status.FULFILLED)
    with pytest.raises(ValidationError):
        evidence.reply_dismiss(reply=reply, user=analyst)


def test_a_reply_without_links_points_the_evidence_at_its_place_on_the_pledge(pledge, office, analyst):
    reply = evidence.reply_submit(request=ask(pledge, office, analyst), text="Priced.")

    update = evidence.reply_accept(reply=reply, user=analyst, status=Status.IN_PROGRESS)

    assert update.evidence_url.endswith(f"/commitments/{pledge.pk}/#reply-{reply.pk}")


def test_accepting_follows_the_update_rules(pledge, office, analyst):
    reply = evidence.reply_submit(request=ask(pledge, office, analyst), text="Priced.")

    with pytest.raises(ValidationError) as error:
        evidence.reply_accept(reply=reply, user=analyst, status=Status.FULFILLED, progress=50)

    assert "progress" in error.value.message_dict
    reply.refresh_from_db()
    assert reply.state == Reply.State.PENDING
    assert not ProgressUpdate.objects.exists()


def test_dismissing_a_reply(pledge, office, analyst):
    reply = evidence.reply_submit(request=ask(pledge, office, analyst), text="Not relevant.")

    evidence.reply_dismiss(reply=reply, user=analyst)

    reply.refresh_from_db()
    assert (reply.state, reply.reviewed_by) == (Reply.State.DISMISSED, analyst)
    assert reply.history.first().history_user == analyst


# Draft scores


@pytest.fixture
def cycle_in_review(pledge, kenya, japan):
    cycle = cycle_with([pledge])
    score(cycle, pledge, kenya, 1)
    score(cycle, pledge, japan, -1)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
    return cycle


def test_draft_scores_go_to_each_member_s_offices_once(cycle_in_review, office, japan, analyst):
    tokyo = Contact.objects.create(actor=japan, name="MOFA", email="mofa@example.go.jp")

    created = evidence.draft_scores_send(cycle=cycle_in_review, user=analyst)
    again = evidence.draft_scores_send(cycle=cycle_in_review, user=analyst)

    assert {(r.contact, r.member, r.kind) for r in created} == {
        (office, office.actor, "draft_scores"),
        (tokyo, japan, "draft_scores"),
    }
    assert again == []
    assert FollowUp.objects.filter(kind=FollowUp.Kind.REQUEST).count() == 2


def test_draft_scores_email_shows_the_member_s_own_cells(cycle_in_review, office, japan, analyst):
    Contact.objects.create(actor=japan, name="MOFA", email="mofa@example.go.jp")
    [request] = [r for r in evidence.draft_scores_send(cycle=cycle_in_review, user=analyst) if r.contact == office]

    message = sent_email(request)

    assert message.to == ["trade@example.go.ke"]
    assert message.subject == f"Draft scores for Government of Kenya: {cycle_in_review.name}"
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Issue a Samurai bond" in part
        assert "Done in full." in part
        assert "Scored 1." in part
        assert "Scored -1." not in part  # Japan's rationale, not Kenya's
    assert "/reply/" in message.body


def test_draft_scores_are_sent_only_in_review(pledge, office, analyst):
    cycle = cycle_with([pledge])

    with pytest.raises(ValidationError) as error:
        evidence.draft_scores_send(cycle=cycle, user=analyst)

    assert "in review" in error.value.message_dict["cycle"][0]
    assert not EvidenceRequest.objects.exists()


def test_a_draft_scores_reply_may_answer_one_cell(cycle_in_review, office, pledge, analyst):
    [request] = evidence.draft_scores_send(cycle=cycle_in_review, user=analyst)

    reply = evidence.reply_submit(request=request, text="The bond was issued.", commitment=pledge)

    assert reply.commitment == pledge
    with pytest.raises(ValidationError) as error:
        evidence.reply_submit(request=request, text="?", commitment=CommitmentFactory())
    assert "commitment" in error.value.message_dict


def test_the_analyst_who_asked_is_named_in_the_footer(pledge, office):
    asker = UserFactory(username="wanjiru", first_name="Wanjiru", last_name="Kamau")
    request = evidence.evidence_request_send(commitment=pledge, contact=office, message="Any news?", user=asker)

    assert "for Wanjiru Kamau" in sent_email(request).body


def test_the_audit_history_names_the_link_a_reply_came_through(pledge, office, analyst):
    request = ask(pledge, office, analyst)

    reply = evidence.reply_submit(request=request, text="Priced.")

    record = reply.history.get()
    assert (record.history_user, record.history_change_reason) == (None, f"reply link of request {request.pk}")


def test_members_with_nothing_scored_are_not_written_to(pledge, office, japan, analyst):
    Contact.objects.create(actor=japan, name="MOFA", email="mofa@example.go.jp")
    cycle = cycle_with([pledge])
    score(cycle, pledge, japan, 0)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)

    [request] = evidence.draft_scores_send(cycle=cycle, user=analyst)

    assert request.member == japan


def test_an_office_that_answered_is_not_asked_again(cycle_in_review, office, analyst):
    [request] = evidence.draft_scores_send(cycle=cycle_in_review, user=analyst)
    evidence.reply_submit(request=request, text="Noted.")

    assert evidence.draft_scores_send(cycle=cycle_in_review, user=analyst) == []


def test_a_draft_scores_reply_names_only_a_pledge_that_binds_the_member(cycle_in_review, office, kenya, analyst):
    other = CommitmentFactory(made_by=ActorFactory())
    assessments.cycle_add_commitments(cycle=cycle_in_review, commitments=[other])
    [request] = evidence.draft_scores_send(cycle=cycle_in_review, user=analyst)

    with pytest.raises(ValidationError) as error:
        evidence.reply_submit(request=request, text="Not ours.", commitment=other)

    assert "commitment" in error.value.message_dict


def test_a_link_longer_than_an_evidence_link_may_be_is_refused(pledge, office, analyst):
    request = ask(pledge, office, analyst)

    with pytest.raises(ValidationError) as error:
        evidence.reply_submit(request=request, text="See.", links=["https://example.org/" + "a" * 500])

    assert "under 500 characters" in error.value.message_dict["links"][0]


def test_draft_scores_replies_close_when_the_cycle_is_published(cycle_in_review, office, analyst):
    [request] = evidence.draft_scores_send(cycle=cycle_in_review, user=analyst)
    token = evidence.reply_token(request)
    assessments.cycle_move(cycle=cycle_in_review, state=AssessmentCycle.State.PUBLISHED)

    with pytest.raises(evidence.ReplyRefused) as refused:
        evidence.reply_load(token)

    assert refused.value.status == 410
    assert "published" in refused.value.message


def test_the_footer_names_no_login_name(pledge, office, analyst):
    request = evidence.evidence_request_send(commitment=pledge, contact=office, message="Any news?", user=analyst)

    message = sent_email(request)

    assert analyst.username not in message.body
    assert "Sent by the Policy Commitment Tracker, which" in message.body
