"""Publishing pledges and keeping notes internal: from the pledge page, in bulk, in the admin and the API."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import CommitmentFactory, ProgressUpdateFactory, api_client_for, body
from tests.test_admin import commitment_form_data
from tests.test_bulk import confirm, edits, messages_of, post
from tracker.models import Commitment, ProgressUpdate, Status

pytestmark = pytest.mark.django_db


def publish_url(pledge):
    return reverse("tracker:commitment-publish", args=[pledge.pk])


def test_an_analyst_publishes_a_pledge_from_its_page_and_withdraws_it(analyst_client):
    pledge = CommitmentFactory()

    response = analyst_client.post(publish_url(pledge), {"is_public": "1"}, follow=True)

    pledge.refresh_from_db()
    assert pledge.is_public
    assert "Published: anyone can now read this pledge on the public site." in body(response)
    assert pledge.history.first().is_public  # the audit records who published it
    assert 'name="is_public" value="0"' in body(response)

    analyst_client.post(publish_url(pledge), {"is_public": "0"})

    pledge.refresh_from_db()
    assert not pledge.is_public
    assert edits(pledge) == 2


def test_publishing_needs_the_permission_to_change_pledges(viewer_client):
    pledge = CommitmentFactory()

    assert viewer_client.post(publish_url(pledge), {"is_public": "1"}).status_code == 403
    assert Client().post(publish_url(pledge), {"is_public": "1"}).status_code == 302  # to the login page
    assert not Commitment.objects.get(pk=pledge.pk).is_public
    page = viewer_client.get(pledge.get_absolute_url())
    assert "Not published" in body(page)
    assert publish_url(pledge) not in body(page)


@pytest.mark.parametrize("value", ["", "yes", "2"])
def test_a_publish_post_without_a_clear_choice_is_a_400(analyst_client, value):
    pledge = CommitmentFactory()

    response = analyst_client.post(publish_url(pledge), {"is_public": value})

    assert response.status_code == 400
    assert "is_public=1" in body(response)
    assert not Commitment.objects.get(pk=pledge.pk).is_public


def test_publishing_a_missing_pledge_is_a_404(analyst_client):
    assert analyst_client.post("/commitments/987654/publish/", {"is_public": "1"}).status_code == 404


def test_a_note_stays_internal_unless_the_analyst_ticks_show_on_the_public_page(analyst_client):
    pledge = CommitmentFactory(status=Status.ANNOUNCED)
    url = reverse("tracker:commitment-record-update", args=[pledge.pk])
    base = {"status": Status.IN_PROGRESS, "progress": 10, "evidence_url": "", "expected_status": Status.ANNOUNCED}

    analyst_client.post(url, {**base, "note": "Said in confidence by the desk officer"})
    public = {"note": "Tender published", "publish_note": "on", "expected_status": "in_progress"}
    analyst_client.post(url, {**base, **public})

    notes = dict(ProgressUpdate.objects.filter(commitment=pledge).values_list("note", "note_is_internal"))
    assert notes == {"Said in confidence by the desk officer": True, "Tender published": False}
    page = body(analyst_client.get(pledge.get_absolute_url()))
    assert page.count('<span class="badge badge-muted">Internal</span>') == 1


def test_bulk_publish_and_withdraw_from_the_board(analyst_client):
    pledges = CommitmentFactory.create_batch(3)
    Commitment.objects.filter(pk=pledges[0].pk).update(is_public=True)

    preview = post(analyst_client, pledges, action="publish")

    assert preview.status_code == 200
    assert "Publish on the public site" in body(preview)
    done = confirm(analyst_client, preview)
    assert done.status_code == 302
    assert set(Commitment.objects.values_list("is_public", flat=True)) == {True}
    assert messages_of(done) == ["2 pledges published on the public site."]
    assert [edits(pledge) for pledge in pledges] == [0, 1, 1]

    done = confirm(analyst_client, post(analyst_client, pledges[:2], action="unpublish"))

    assert list(Commitment.objects.filter(is_public=True)) == [pledges[2]]
    assert messages_of(done) == ["2 pledges withdrawn from the public site."]


def test_bulk_publishing_needs_the_permission_to_change_pledges(viewer_client):
    pledge = CommitmentFactory()

    response = post(viewer_client, [pledge], action="publish")

    assert response.status_code == 403
    assert not Commitment.objects.get(pk=pledge.pk).is_public


def test_the_admin_publishes_and_withdraws_selected_pledges(client, analyst):
    pledges = CommitmentFactory.create_batch(2)
    client.force_login(analyst)
    changelist = reverse("admin:tracker_commitment_changelist")

    response = client.post(changelist, {"action": "publish", "_selected_action": [p.pk for p in pledges]}, follow=True)

    assert "2 pledges published on the public site." in body(response)
    assert Commitment.objects.filter(is_public=True).count() == 2
    client.post(changelist, {"action": "unpublish", "_selected_action": [pledges[0].pk]})
    assert list(Commitment.objects.filter(is_public=True)) == [pledges[1]]
    assert "is_public" in body(client.get(reverse("admin:tracker_commitment_change", args=[pledges[0].pk])))


def test_the_api_reads_and_sets_is_public_and_internal_notes(analyst):
    pledge = CommitmentFactory()
    api = api_client_for(analyst)

    response = api.patch(f"/api/v1/commitments/{pledge.pk}/", {"is_public": True}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["is_public"] is True
    assert Commitment.objects.get(pk=pledge.pk).is_public
    listed = api.get("/api/v1/commitments/").json()["results"]
    assert [row["is_public"] for row in listed] == [True]

    update = api.post(
        f"/api/v1/commitments/{pledge.pk}/updates/",
        {"status": "in_progress", "progress": 5, "note": "Public news", "note_is_internal": False},
        format="json",
    )
    assert update.status_code == 201, update.content
    assert update.json()["note_is_internal"] is False
    default = api.post(
        f"/api/v1/commitments/{pledge.pk}/updates/", {"status": "in_progress", "note": "Gossip"}, format="json"
    )
    assert default.json()["note_is_internal"] is True
    assert ProgressUpdate.objects.get(note="Gossip").note_is_internal


def test_existing_notes_stay_internal():
    update = ProgressUpdateFactory(note="From before publishing existed")

    assert ProgressUpdate.objects.get(pk=update.pk).note_is_internal


def test_the_admins_timeline_row_records_whether_the_note_is_internal(client, analyst):
    pledge = CommitmentFactory(status=Status.ANNOUNCED)
    client.force_login(analyst)
    row = {"updates-0-status_after": Status.IN_PROGRESS, "updates-0-progress": "20", "updates-0-note": "Site visit"}

    response = client.post(
        reverse("admin:tracker_commitment_change", args=[pledge.pk]), commitment_form_data(pledge, **row)
    )

    assert response.status_code == 302
    assert ProgressUpdate.objects.get(commitment=pledge).note_is_internal is False  # the box was left unticked
