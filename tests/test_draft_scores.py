"""Right of reply: a cycle's draft scores sent to the members' offices, and their replies beside the cells."""

import re
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    UserFactory,
    body,
    count_queries,
    cycle_with,
    score,
    send_one,
)
from tracker import assessments, evidence
from tracker.evidence import DRAFT_SCORES_MESSAGE
from tracker.models import AssessmentCycle, Contact, EvidenceRequest, FollowUp

pytestmark = pytest.mark.django_db

XSS = '"><img src=x onerror=alert(1)><script>alert("x")</script>'
XSS_ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
PDF = b"%PDF-1.4\n%minimal\n"
JAPAN_RATIONALE = "Avocado tariff lowered to zero in the April schedule."
KENYA_RATIONALE = "Phytosanitary dossier filed, tea still waiting."
BOND_RATIONALE = "No bond prospectus lodged in Tokyo."


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def japan(db):
    return ActorFactory(name="Japan", country="JP", kind="government")


@pytest.fixture
def kenya(db):
    return ActorFactory(name="Kenya", country="KE", kind="government")


@pytest.fixture
def tariffs(japan, kenya):
    commitment = CommitmentFactory(title="Review of tariffs on Kenyan produce", made_by=japan)
    commitment.members.set([japan, kenya])
    return commitment


@pytest.fixture
def bond(kenya):
    """Binds its maker alone: Japan's column is blank on this row."""
    return CommitmentFactory(title="Samurai Bond statement of intent", made_by=kenya)


@pytest.fixture
def japan_office(japan):
    return Contact.objects.create(actor=japan, name="MOFA Africa Division", email="africa@mofa.example.jp")


@pytest.fixture
def kenya_office(kenya):
    return Contact.objects.create(actor=kenya, name="State Department for Trade", email="trade@example.go.ke")


@pytest.fixture
def cycle(analyst, tariffs, bond, japan, kenya):
    """In review, every cell scored with its own rationale."""
    cycle = cycle_with([tariffs, bond], name="TICAD 9 interim, February 2026")
    cells = [
        (tariffs, japan, 1, JAPAN_RATIONALE),
        (tariffs, kenya, 0, KENYA_RATIONALE),
        (bond, kenya, -1, BOND_RATIONALE),
    ]
    for commitment, member, value, rationale in cells:
        assessments.score_set(
            cycle=cycle,
            commitment=commitment,
            member=member,
            score=value,
            rationale=rationale,
            evidence_urls=["https://example.org/evidence"],
            user=analyst,
        )
    return assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW, user=analyst)


@pytest.fixture
def viewer_client(viewer):
    # Its own client: the shared `client` fixture is the analyst's in these tests.
    client = Client()
    client.force_login(viewer)
    return client


def url(name, *args):
    return reverse(f"tracker:{name}", args=args)


def send(client, cycle, message="Please tell us before 15 March if anything is wrong."):
    return client.post(url("cycle-draft-scores", cycle.pk), {"message": message})


def draft_requests(cycle):
    return EvidenceRequest.objects.filter(cycle=cycle, kind=EvidenceRequest.Kind.DRAFT_SCORES)


def email_to(contact):
    """Deliver the office's request through the outbox; return the email it sent."""
    followup = FollowUp.objects.get(contact=contact, kind=FollowUp.Kind.REQUEST)
    send_one(followup.pk)
    return next(message for message in mail.outbox if message.to == [contact.email])


def html_part(message):
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def reply_link(message):
    return re.search(r"https?://\S+/reply/\S+", message.body).group(0)


def reply_token(message):
    """The reply link's token, parsed out of the email's text."""
    path = urlparse(reply_link(message)).path
    assert path.startswith("/reply/")
    return path.removeprefix("/reply/").strip("/")


def cell(html, commitment, member):
    """The grid cell of `member` on `commitment`'s row."""
    row = re.search(rf'<tr id="pledge-{commitment.pk}".*?</tr>', html, re.S).group(0)
    return re.search(rf'<td class="cell[^"]*" data-member="{member.name}".*?</td>', row, re.S).group(0)


def panel(html):
    return re.search(r'<section class="panel"[^>]*id="right-of-reply".*?</section>', html, re.S).group(0)


def member_entry(html, member):
    """The panel's entry of `member`: up to the next member's."""
    start = html.index(f'<li id="reply-member-{member.pk}">')
    end = html.find('<li id="reply-member-', start + 1)
    return html[start : end if end != -1 else None]


# ---------------------------------------------------------------- the round trip


def test_draft_scores_go_to_each_members_office_and_a_reply_shows_beside_its_cell(
    analyst_client, analyst, cycle, tariffs, bond, japan, kenya, japan_office, kenya_office
):
    response = send(analyst_client, cycle)
    assert response.status_code == 302
    assert response["Location"] == f"{cycle.get_absolute_url()}#right-of-reply"

    requests = draft_requests(cycle)
    assert {(request.member_id, request.contact_id) for request in requests} == {
        (japan.pk, japan_office.pk),
        (kenya.pk, kenya_office.pk),
    }
    assert {request.state for request in requests} == {EvidenceRequest.State.SENT}
    assert {request.requested_by for request in requests} == {analyst}
    assert {request.message for request in requests} == {"Please tell us before 15 March if anything is wrong."}
    followups = FollowUp.objects.filter(request__in=requests)
    assert sorted(followup.kind for followup in followups) == [FollowUp.Kind.REQUEST] * 2
    assert {(followup.contact_id, followup.recipient_id) for followup in followups} == {
        (japan_office.pk, None),
        (kenya_office.pk, None),
    }
    page = body(analyst_client.get(response["Location"]))
    assert "Draft scores sent to 2 offices of 2 members" in page

    message = email_to(japan_office)
    assert message.to == ["africa@mofa.example.jp"]
    for part in (message.body, html_part(message)):
        assert "Review of tariffs on Kenyan produce" in part
        assert "Done in full." in part and "Under way." in part and "Nothing done." in part
        assert re.search(r"Draft score for Japan: (<strong>)?\+1", part)
        assert JAPAN_RATIONALE in part
        assert "Please tell us before 15 March" in part
        # Japan's email carries Japan's cells only.
        assert KENYA_RATIONALE not in part and BOND_RATIONALE not in part
        assert "Samurai Bond" not in part
    assert f'href="{reply_link(message)}"' in html_part(message)

    token = reply_token(message)
    request = evidence.reply_load(token)
    assert request.member == japan and request.contact == japan_office
    # The office answers through the link, with no login; its comment on one pledge answers that cell.
    office = Client()
    reply_page = office.get(url("reply", token))
    assert reply_page.status_code == 200
    assert JAPAN_RATIONALE in body(reply_page)
    response = office.post(url("reply", token), {f"pledge_{tariffs.pk}": "The zero rate applies from 1 April."})
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.state == EvidenceRequest.State.ANSWERED
    assert request.replies.get().commitment == tariffs

    html = body(analyst_client.get(url("cycle-detail", cycle.pk)))
    japan_cell = cell(html, tariffs, japan)
    assert "The zero rate applies from 1 April." in japan_cell
    assert "Reply from MOFA Africa Division" in japan_cell
    assert html.count("The zero rate applies from 1 April.") == 1
    assert "Reply from" not in cell(html, tariffs, kenya)
    assert "Reply from" not in cell(html, bond, kenya)
    assert "Reply from" not in cell(html, bond, japan)
    entries = panel(html)
    assert "Answered" in member_entry(entries, japan)
    assert "Sent" in member_entry(entries, kenya)


def test_the_other_members_email_has_its_own_scores_only(cycle, analyst, kenya_office, japan_office):
    evidence.draft_scores_send(cycle=cycle, user=analyst)
    message = email_to(kenya_office)
    for part in (message.body, html_part(message)):
        assert re.search(r"Draft score for Kenya: (<strong>)?0", part)
        assert re.search(r"Draft score for Kenya: (<strong>)?-1", part)
        assert KENYA_RATIONALE in part and BOND_RATIONALE in part
        assert "Samurai Bond statement of intent" in part
        assert JAPAN_RATIONALE not in part


def test_a_reply_with_links_and_a_file_shows_them_in_the_cell(analyst_client, cycle, tariffs, japan, japan_office):
    (request,) = evidence.draft_scores_send(cycle=cycle)
    reply = evidence.reply_submit(
        request=request,
        text="See the schedule.",
        links=["https://www.mof.go.jp/tariff/2026.pdf"],
        files=[SimpleUploadedFile("schedule 2026.pdf", PDF, content_type="application/pdf")],
        commitment=tariffs,
    )
    japan_cell = cell(body(analyst_client.get(url("cycle-detail", cycle.pk))), tariffs, japan)
    assert 'href="https://www.mof.go.jp/tariff/2026.pdf"' in japan_cell
    file = reply.files.get()
    assert f'href="{url("reply-file", file.pk)}"' in japan_cell
    assert "schedule 2026.pdf" in japan_cell


def test_a_reply_about_the_scores_as_a_whole_shows_under_the_member(
    analyst_client, cycle, tariffs, bond, kenya, kenya_office
):
    (request,) = evidence.draft_scores_send(cycle=cycle)
    evidence.reply_submit(request=request, text="We dispute the method, not one score.")
    html = body(analyst_client.get(url("cycle-detail", cycle.pk)))
    entry = member_entry(panel(html), kenya)
    assert "We dispute the method, not one score." in entry
    assert "about the scores as a whole" in entry
    assert html.count("We dispute the method") == 1
    assert "Reply from" not in cell(html, tariffs, kenya)


def test_sending_twice_writes_to_each_office_once(analyst_client, cycle, japan_office, kenya_office):
    send(analyst_client, cycle)
    response = send(analyst_client, cycle)
    assert response.status_code == 302
    assert draft_requests(cycle).count() == 2
    assert FollowUp.objects.filter(kind=FollowUp.Kind.REQUEST).count() == 2
    assert "No office was written to" in body(analyst_client.get(response["Location"]))


def test_an_office_added_later_is_written_to_alone(analyst_client, cycle, japan, japan_office, kenya_office):
    send(analyst_client, cycle)
    desk = Contact.objects.create(actor=japan, name="Economic Affairs Bureau", email="econ@mofa.example.jp")
    response = send(analyst_client, cycle)
    assert draft_requests(cycle).count() == 3
    assert draft_requests(cycle).filter(contact=desk).count() == 1
    assert "Draft scores sent to 1 office of 1 member" in body(analyst_client.get(response["Location"]))


def test_the_form_starts_from_the_services_default_message(analyst_client, cycle, japan_office):
    html = body(analyst_client.get(url("cycle-detail", cycle.pk)))
    assert "Send draft scores to the members' offices</button>" in html
    assert DRAFT_SCORES_MESSAGE.replace("'", "&#x27;") in panel(html)
    (request,) = evidence.draft_scores_send(cycle=cycle, message="")
    assert request.message == DRAFT_SCORES_MESSAGE


def test_an_empty_message_sends_the_default_one(analyst_client, cycle, japan_office):
    send(analyst_client, cycle, message="  ")
    assert draft_requests(cycle).get().message == DRAFT_SCORES_MESSAGE


# ---------------------------------------------------------------- refusals


def test_a_draft_cycle_is_refused_with_the_reason(analyst_client, analyst, cycle, japan_office):
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.DRAFT, user=analyst)
    response = send(analyst_client, cycle)
    assert response.status_code == 400
    html = body(response)
    assert "Draft scores are sent for reply while the cycle is in review." in html
    assert "Draft scores can be sent once the cycle is in review" in panel(html)
    assert "Send draft scores" not in html
    assert not EvidenceRequest.objects.exists()
    assert not FollowUp.objects.exists()


def test_a_message_too_long_is_a_form_error(analyst_client, cycle, japan_office):
    response = send(analyst_client, cycle, message="x" * (evidence.MAX_MESSAGE_LENGTH + 1))
    assert response.status_code == 400
    assert 'id="id_message_error"' in panel(body(response))
    assert not EvidenceRequest.objects.exists()


def test_a_viewer_gets_403_and_nothing_is_sent(viewer_client, cycle, japan_office, kenya_office):
    response = send(viewer_client, cycle)
    assert response.status_code == 403
    assert not EvidenceRequest.objects.exists()
    assert not FollowUp.objects.exists()


def test_a_viewer_reads_the_panel_and_replies_without_a_form(viewer_client, cycle, tariffs, kenya, kenya_office):
    (request,) = evidence.draft_scores_send(cycle=cycle)
    evidence.reply_submit(request=request, text="Tea access is still pending.", commitment=tariffs)
    html = body(viewer_client.get(url("cycle-detail", cycle.pk)))
    assert "Right of reply" in html
    assert "State Department for Trade" in panel(html)
    assert "Tea access is still pending." in cell(html, tariffs, kenya)
    assert "cycle-draft-scores" not in html and url("cycle-draft-scores", cycle.pk) not in html
    assert 'name="message"' not in html


def test_without_the_requests_permission_neither_offices_nor_replies_show(client, cycle, tariffs, japan, japan_office):
    (request,) = evidence.draft_scores_send(cycle=cycle)
    evidence.reply_submit(request=request, text="Internal to the tracker.", commitment=tariffs)
    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_assessmentcycle"))
    client.force_login(reader)
    html = body(client.get(url("cycle-detail", cycle.pk)))
    assert JAPAN_RATIONALE in html
    assert "Right of reply" not in html
    assert "africa@mofa.example.jp" not in html and "Internal to the tracker." not in html


def test_sending_needs_a_post_and_a_login(client, analyst_client, cycle):
    assert analyst_client.get(url("cycle-draft-scores", cycle.pk)).status_code == 405
    anonymous = Client()
    response = anonymous.post(url("cycle-draft-scores", cycle.pk))
    assert response.status_code == 302 and "/login" in response["Location"]
    assert analyst_client.post(url("cycle-draft-scores", 999_999)).status_code == 404


# ---------------------------------------------------------------- the panel


def test_a_member_without_an_active_contact_is_listed(analyst_client, viewer_client, cycle, japan, kenya, japan_office):
    Contact.objects.create(actor=kenya, name="Old desk", email="old@example.go.ke", is_active=False)
    html = panel(body(analyst_client.get(url("cycle-detail", cycle.pk))))
    kenya_entry = member_entry(html, kenya)
    assert "No contact:" in kenya_entry
    assert f'href="{reverse("admin:tracker_contact_add")}?actor={kenya.pk}"' in kenya_entry
    assert "No contact:" not in member_entry(html, japan)
    viewer_entry = member_entry(panel(body(viewer_client.get(url("cycle-detail", cycle.pk)))), kenya)
    assert "No contact:" in viewer_entry and "admin" in viewer_entry
    assert reverse("admin:tracker_contact_add") not in viewer_entry

    response = send(analyst_client, cycle)
    assert [request.member for request in draft_requests(cycle)] == [japan]
    assert "Draft scores sent to 1 office of 1 member" in body(analyst_client.get(response["Location"]))


def test_the_panel_shows_each_requests_state(analyst_client, analyst, cycle, japan, kenya, japan_office, kenya_office):
    html = panel(body(analyst_client.get(url("cycle-detail", cycle.pk))))
    assert html.count("draft scores not sent") == 2
    evidence.draft_scores_send(cycle=cycle, user=analyst)
    japan_request, kenya_request = (draft_requests(cycle).get(member=member) for member in (japan, kenya))
    evidence.evidence_request_withdraw(request=kenya_request, user=analyst)
    html = panel(body(analyst_client.get(url("cycle-detail", cycle.pk))))
    assert "Sent" in member_entry(html, japan)
    assert "Withdrawn" in member_entry(html, kenya)
    EvidenceRequest.objects.filter(pk=japan_request.pk).update(state=EvidenceRequest.State.UNANSWERED, reminders_sent=2)
    html = panel(body(analyst_client.get(url("cycle-detail", cycle.pk))))
    assert "Unanswered" in member_entry(html, japan)
    assert "2 reminders" in member_entry(html, japan)


def test_a_published_cycle_shows_the_past_requests_read_only(
    analyst_client, analyst, cycle, tariffs, japan, japan_office
):
    (request,) = evidence.draft_scores_send(cycle=cycle, user=analyst)
    evidence.reply_submit(request=request, text="Agreed.", commitment=tariffs)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED, user=analyst)
    html = body(analyst_client.get(url("cycle-detail", cycle.pk)))
    assert "Answered" in member_entry(panel(html), japan)
    assert "Agreed." in cell(html, tariffs, japan)
    assert 'name="message"' not in html and "Send draft scores" not in html
    assert send(analyst_client, cycle).status_code == 400
    assert draft_requests(cycle).count() == 1


def test_reply_text_and_office_names_are_escaped(analyst_client, cycle, tariffs, japan):
    office = Contact.objects.create(actor=japan, name=XSS, email="x@example.jp", role=XSS)
    (request,) = evidence.draft_scores_send(cycle=cycle)
    assert request.contact == office
    evidence.reply_submit(request=request, text=XSS, commitment=tariffs)
    evidence.reply_submit(request=request, text=XSS)
    html = body(analyst_client.get(url("cycle-detail", cycle.pk)))
    assert XSS not in html
    assert XSS_ESCAPED in cell(html, tariffs, japan)
    assert XSS_ESCAPED in member_entry(panel(html), japan)


def test_the_report_shows_no_replies(analyst_client, cycle, tariffs, japan_office):
    (request,) = evidence.draft_scores_send(cycle=cycle)
    evidence.reply_submit(request=request, text="Not for the report.", commitment=tariffs)
    assert "Not for the report." not in body(analyst_client.get(url("cycle-report", cycle.pk)))


# ---------------------------------------------------------------- queries


def cycle_with_replies(pledges, members):
    """A cycle in review whose every member has an office that replied on every cell, with a file."""
    actors = [ActorFactory() for _ in range(members)]
    commitments = []
    for _ in range(pledges):
        commitment = CommitmentFactory(made_by=actors[0])
        commitment.members.set(actors)
        commitments.append(commitment)
    for actor in actors:
        Contact.objects.create(actor=actor, name=f"Office of {actor.name}", email=f"office{actor.pk}@example.org")
    cycle = cycle_with(commitments)
    for commitment in commitments:
        for actor in actors:
            score(cycle, commitment, actor, 0)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
    for request in evidence.draft_scores_send(cycle=cycle):
        evidence.reply_submit(request=request, text="On the whole.")
        for commitment in commitments:
            evidence.reply_submit(
                request=request,
                text=f"On {commitment.pk}.",
                files=[SimpleUploadedFile("a.pdf", PDF)],
                commitment=commitment,
            )
    return cycle


def test_the_scoring_page_takes_the_same_queries_however_many_replies(analyst_client, viewer_client):
    small = cycle_with_replies(1, 2)
    large = cycle_with_replies(4, 4)
    for client in (analyst_client, viewer_client):
        assert count_queries(client, url("cycle-detail", small.pk)) == count_queries(
            client, url("cycle-detail", large.pk)
        )
    assert body(analyst_client.get(url("cycle-detail", large.pk))).count("Reply from") == 4 * 4 + 4
