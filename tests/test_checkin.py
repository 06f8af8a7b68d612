"""Check-in from the reminder: links parsed out of real emails in the outbox, GET shows, POST acts once."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tests.factories import (
    CommitmentFactory,
    FollowUpFactory,
    UserFactory,
    body,
    send_one,
    today,
)
from tracker import services
from tracker.models import FollowUp, ProgressUpdate, Status

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]+/checkin/[^\s\"<>/]+/")


@pytest.fixture
def owner(roles):
    return UserFactory(username="owner", first_name="Wanjiku", groups=[roles[services.ANALYSTS_GROUP]])


@pytest.fixture
def pledge(owner):
    return CommitmentFactory(
        title="Review tariffs on Kenyan avocados",
        owner=owner,
        status=Status.IN_PROGRESS,
        progress=30,
        check_every_days=21,
        next_check_on=today() - timedelta(days=1),
    )


def reminder(pledge, kind=FollowUp.Kind.CHECKUP):
    """Send the pledge's reminder through the outbox; return the row and the links of its text part by label."""
    followup = FollowUpFactory(commitment=pledge, kind=kind, due_on=pledge.next_check_on)
    mail.outbox.clear()
    assert send_one(followup.pk) == FollowUp.State.SENT
    [message] = mail.outbox
    links = {}
    for line in message.body.splitlines():
        found = LINK.search(line)
        if found:
            label = "no-change" if "No change" in line else "stalled" if "Stalled" in line else "progress"
            links[label] = urlsplit(found.group(0)).path
    return followup, links, message


@pytest.mark.parametrize("kind", [FollowUp.Kind.CHECKUP, FollowUp.Kind.ESCALATION])
def test_check_up_and_escalation_emails_carry_the_three_links_in_text_and_html(pledge, kind):
    if kind == FollowUp.Kind.ESCALATION:
        pledge.next_check_on = today() - timedelta(days=30)
        pledge.save()
    _, links, message = reminder(pledge, kind)

    assert set(links) == {"no-change", "stalled", "progress"}
    assert len(set(links.values())) == 3
    html = message.alternatives[0][0]
    for path in links.values():
        assert path in html
    assert "No change: check again in 21 days" in message.body
    assert "No change: check again in 21 days" in html
    assert "works once and for 14 days" in message.body
    # The subject line is the reminder's, untouched by the links.
    assert "\n" not in message.subject
    assert pledge.title in message.subject


def test_the_link_carries_no_personal_data_in_clear(pledge, owner):
    _, links, _ = reminder(pledge)

    for path in links.values():
        assert owner.username not in path
        assert owner.email not in path
        assert "avocado" not in path.lower()


@pytest.mark.parametrize("method", ["get", "head"])
def test_following_a_link_changes_nothing(client, pledge, method):
    followup, links, _ = reminder(pledge)

    for path in links.values():
        response = getattr(client, method)(path)
        assert response.status_code == 200

    assert not ProgressUpdate.objects.exists()
    followup.refresh_from_db()
    assert followup.checked_in_at is None
    pledge.refresh_from_db()
    assert (pledge.status, pledge.progress) == (Status.IN_PROGRESS, 30)


def test_the_page_says_what_will_happen_with_one_button(client, pledge):
    _, links, _ = reminder(pledge)

    page = body(client.get(links["no-change"]))

    assert "Record no change: the pledge stays In progress; the next check falls in 21 days." in page
    # The language switcher in the header has a button of its own; the page's content has one.
    assert page.split('<main id="main">', 1)[1].count("<button") == 1
    assert "Review tariffs on Kenyan avocados" in page


def test_no_change_records_an_update_as_the_recipient_logged_out_and_schedules_the_next_check(client, pledge, owner):
    followup, links, _ = reminder(pledge)

    response = client.post(links["no-change"])

    assert response.status_code == 200
    assert "Update recorded" in body(response)
    update = ProgressUpdate.objects.get()
    assert (update.author, update.status_before, update.status_after, update.progress) == (
        owner,
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
        30,
    )
    assert update.via_followup == followup
    assert update.note == "No change since the last check."
    pledge.refresh_from_db()
    assert pledge.next_check_on == today() + timedelta(days=21)
    followup.refresh_from_db()
    assert followup.checked_in_at is not None
    # The audit history names the recipient as the author of the change.
    assert pledge.history.first().history_user == owner


def test_a_link_works_once(client, pledge):
    _, links, _ = reminder(pledge)
    assert client.post(links["no-change"]).status_code == 200

    again = client.post(links["no-change"])
    other = client.post(links["stalled"])

    assert again.status_code == other.status_code == 409
    assert "already answered" in body(again)
    assert ProgressUpdate.objects.count() == 1
    pledge.refresh_from_db()
    assert pledge.status == Status.IN_PROGRESS


def test_stalled_records_the_pledge_as_stalled(client, pledge):
    _, links, _ = reminder(pledge)

    assert client.post(links["stalled"]).status_code == 200

    pledge.refresh_from_db()
    assert pledge.status == Status.STALLED
    assert ProgressUpdate.objects.get().status_after == Status.STALLED


def test_record_progress_opens_the_update_form_filled_in(client, pledge):
    _, links, _ = reminder(pledge)

    page = body(client.get(links["progress"]))

    assert 'name="status"' in page
    assert '<option value="in_progress" selected>' in page
    assert 'name="progress" value="30"' in page


def test_record_progress_records_what_the_form_says(client, pledge):
    _, links, _ = reminder(pledge)

    response = client.post(
        links["progress"],
        {
            "status": Status.PARTIALLY_FULFILLED,
            "progress": "60",
            "note": "First shipment cleared.",
            "evidence_url": "https://example.org/shipment",
            "expected_status": Status.IN_PROGRESS,
        },
    )

    assert response.status_code == 200
    update = ProgressUpdate.objects.get()
    assert (update.status_after, update.progress, update.note, update.evidence_url) == (
        Status.PARTIALLY_FULFILLED,
        60,
        "First shipment cleared.",
        "https://example.org/shipment",
    )


def test_the_evidence_rule_holds_and_a_refused_update_leaves_the_link_usable(client, pledge):
    followup, links, _ = reminder(pledge)

    response = client.post(
        links["progress"], {"status": Status.FULFILLED, "progress": "100", "expected_status": Status.IN_PROGRESS}
    )

    assert response.status_code == 400
    assert "needs an evidence link" in body(response)
    assert not ProgressUpdate.objects.exists()
    followup.refresh_from_db()
    assert followup.checked_in_at is None
    assert client.post(links["stalled"]).status_code == 200


def test_an_update_recorded_meanwhile_is_not_overwritten(client, pledge, analyst):
    followup, links, _ = reminder(pledge)
    services.progress_record(commitment=pledge, author=analyst, status=Status.PARTIALLY_FULFILLED, progress=70)

    response = client.post(links["stalled"])

    assert response.status_code == 409
    assert "Another update was recorded since this email: the pledge is now Partially fulfilled" in body(response)
    pledge.refresh_from_db()
    assert (pledge.status, pledge.progress) == (Status.PARTIALLY_FULFILLED, 70)
    assert ProgressUpdate.objects.count() == 1
    followup.refresh_from_db()
    assert followup.checked_in_at is None


def test_an_altered_link_is_refused(client, pledge):
    _, links, _ = reminder(pledge)
    path = links["no-change"]
    token = path.rstrip("/").rsplit("/", 1)[1]
    altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")

    for bad in (altered, "not-a-token", token + "x", "e30:1:2"):
        response = client.post(f"/checkin/{bad}/")
        assert response.status_code == 400, bad
        assert "not valid" in body(response)
    assert not ProgressUpdate.objects.exists()


def test_an_expired_link_is_refused(client, pledge, settings):
    settings.CHECKIN_LINK_DAYS = 3
    _, links, _ = reminder(pledge)

    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        response = client.post(links["no-change"])
        shown = client.get(links["no-change"])

    assert response.status_code == shown.status_code == 410
    assert "expired" in body(response)
    assert not ProgressUpdate.objects.exists()


def test_another_logged_in_user_cannot_use_the_link(client, pledge, analyst):
    _, links, _ = reminder(pledge)
    client.force_login(analyst)

    response = client.post(links["no-change"])

    assert response.status_code == 403
    assert "sent to someone else" in body(response)
    assert not ProgressUpdate.objects.exists()


def test_the_recipient_logged_in_may_use_it(client, pledge, owner):
    _, links, _ = reminder(pledge)
    client.force_login(owner)

    assert client.post(links["stalled"]).status_code == 200


def test_a_recipient_who_lost_the_permission_cannot_act(client, pledge, owner, roles):
    _, links, _ = reminder(pledge)
    owner.groups.set([roles[services.VIEWERS_GROUP]])

    response = client.post(links["no-change"])

    assert response.status_code == 403
    assert "may no longer record" in body(response)
    assert not ProgressUpdate.objects.exists()


def test_a_deactivated_recipient_cannot_act(client, pledge, owner):
    _, links, _ = reminder(pledge)
    owner.is_active = False
    owner.save()

    assert client.post(links["no-change"]).status_code == 403


def test_a_closed_pledge_refuses_the_link(client, pledge, analyst):
    _, links, _ = reminder(pledge)
    services.progress_record(
        commitment=pledge, author=analyst, status=Status.FULFILLED, progress=100, evidence_url="https://example.org/"
    )

    response = client.get(links["no-change"])

    assert response.status_code == 409
    assert "closed as Fulfilled" in body(response)


def test_a_link_to_a_deleted_pledge_is_a_clear_404(client, pledge):
    _, links, _ = reminder(pledge)
    pledge.delete()

    response = client.get(links["no-change"])

    assert response.status_code == 404
    assert "no longer exists" in body(response)


def test_the_timeline_shows_the_update_came_from_the_email(client, pledge, owner):
    followup, links, _ = reminder(pledge)
    client.post(links["no-change"])
    followup.refresh_from_db()

    client.force_login(owner)
    page = body(client.get(pledge.get_absolute_url()))

    assert f"from the email of {followup.sent_at:%-d %b %Y}" in page


def test_an_update_that_kept_the_status_is_not_overwritten_either(client, pledge, analyst):
    followup, links, _ = reminder(pledge)
    services.progress_record(commitment=pledge, author=analyst, status=Status.IN_PROGRESS, progress=60)

    response = client.post(links["stalled"])

    assert response.status_code == 409
    assert "the pledge is now In progress, 60% done" in body(response)
    pledge.refresh_from_db()
    assert (pledge.status, pledge.progress) == (Status.IN_PROGRESS, 60)
    followup.refresh_from_db()
    assert followup.checked_in_at is None
