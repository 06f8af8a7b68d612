"""Only people who may view pledges own or watch them, and only they get their reminders."""

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import ActorFactory, CommitmentFactory, FollowUpFactory, UserFactory, today
from tracker import followups as outbox
from tracker import selectors, services
from tracker.models import Commitment, FollowUp, NotificationPreference

pytestmark = pytest.mark.django_db

CHANGE_URL = "admin:tracker_commitment_change"
CHANGELIST_URL = "admin:tracker_commitment_changelist"


@pytest.fixture
def outsider(db):
    """A user in no group: the board and the API answer 403 to them."""
    return UserFactory(username="outsider")


def analyst_like(roles, **kwargs):
    return UserFactory(groups=[roles[services.ANALYSTS_GROUP]], **kwargs)


def deliver_due():
    return outbox.followups_deliver(followup_ids=outbox.followups_claim_due(limit=100))


# The rule


def test_the_people_who_may_view_pledges_are_read_in_one_query(
    roles, analyst, viewer, superuser, outsider, django_assert_num_queries
):
    direct = UserFactory(username="direct")
    direct.user_permissions.add(Permission.objects.get(content_type__app_label="tracker", codename="view_commitment"))
    UserFactory(username="gone", is_active=False, groups=[roles[services.ANALYSTS_GROUP]])
    UserFactory(username="gone_root", is_active=False, is_superuser=True)

    with django_assert_num_queries(1):
        names = set(selectors.users_who_may_view_pledges().values_list("username", flat=True))

    assert names == {"analyst", "viewer", "root", "direct"}
    # The same answer as Django's own check, user by user.
    for user in type(outsider).objects.all():
        assert user.has_perm("tracker.view_commitment") == (user.username in names), user.username


# Services


def test_creating_a_pledge_owned_by_someone_who_cannot_view_pledges_is_refused(outsider):
    with pytest.raises(ValidationError) as refused:
        services.commitment_create(
            data={"title": "Tea", "made_by": ActorFactory(), "made_on": date(2025, 8, 20), "owner": outsider}
        )

    assert "outsider cannot view pledges, so cannot own one" in refused.value.message_dict["owner"][0]
    assert not Commitment.objects.exists()


def test_a_watcher_who_cannot_view_pledges_is_refused_by_name(roles, outsider):
    commitment = CommitmentFactory(owner=analyst_like(roles))

    with pytest.raises(ValidationError) as refused:
        services.commitment_update(commitment=commitment, data={"watchers": [analyst_like(roles), outsider]})

    assert list(refused.value.message_dict) == ["watchers"]
    assert refused.value.message_dict["watchers"][0].startswith("outsider cannot view pledges, so cannot watch one")
    assert not commitment.watchers.exists()


def test_a_new_owner_who_cannot_view_pledges_is_refused(roles, outsider):
    owner = analyst_like(roles)
    commitment = CommitmentFactory(owner=owner)

    with pytest.raises(ValidationError) as refused:
        services.commitment_update(commitment=commitment, data={"owner": outsider})

    assert "outsider cannot view pledges" in refused.value.message_dict["owner"][0]
    commitment.refresh_from_db()
    assert commitment.owner == owner


def test_a_pledge_whose_owner_lost_access_stays_editable(outsider):
    commitment = CommitmentFactory(owner=outsider, watchers=[outsider])

    services.commitment_update(
        commitment=commitment, data={"title": "Corrected", "owner": outsider, "watchers": [outsider]}
    )

    commitment.refresh_from_db()
    assert commitment.title == "Corrected"
    assert commitment.owner == outsider


def test_assigning_pledges_to_someone_who_cannot_view_them_changes_none(roles, outsider):
    owner = analyst_like(roles)
    CommitmentFactory.create_batch(2, owner=owner)

    with pytest.raises(ValidationError, match="outsider cannot view pledges"):
        services.commitments_assign_owner(commitments=Commitment.objects.all(), owner=outsider)

    assert set(Commitment.objects.values_list("owner", flat=True)) == {owner.pk}


def test_drafts_confirmed_by_someone_who_cannot_view_pledges_are_skipped_with_the_reason(outsider):
    drafts = [{"text": "Japan will review its tariffs on Kenyan tea.", "actor": "Japan", "kind": "review"}]

    created, skipped = services.commitments_create_from_drafts(user=outsider, drafts=drafts)

    assert created == []
    assert "outsider cannot view pledges, so cannot own one" in skipped[0]["reason"]
    assert not Commitment.objects.exists()


# The admin


def admin_change_data(commitment, **changes):
    data = {
        "title": commitment.title,
        "kind": commitment.kind,
        "made_by": commitment.made_by_id,
        "made_on": commitment.made_on.isoformat(),
        "quote": commitment.quote,
        "description": commitment.description,
        "check_every_days": commitment.check_every_days,
        "next_check_on": commitment.next_check_on.isoformat(),
        "owner": commitment.owner_id or "",
        "watchers": [user.pk for user in commitment.watchers.all()],
        "updates-TOTAL_FORMS": "0",
        "updates-INITIAL_FORMS": "0",
        "followups-TOTAL_FORMS": "0",
        "followups-INITIAL_FORMS": "0",
        "money_lines-TOTAL_FORMS": "0",
        "money_lines-INITIAL_FORMS": "0",
        "milestones-TOTAL_FORMS": "0",
        "milestones-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_the_admin_form_refuses_an_owner_who_cannot_view_pledges(analyst_client, analyst, outsider):
    commitment = CommitmentFactory(owner=analyst)

    response = analyst_client.post(
        reverse(CHANGE_URL, args=[commitment.pk]), admin_change_data(commitment, owner=outsider.pk)
    )

    assert response.status_code == 200
    assert "owner" in response.context["adminform"].form.errors
    commitment.refresh_from_db()
    assert commitment.owner == analyst


def test_the_admin_form_refuses_a_watcher_who_cannot_view_pledges(analyst_client, analyst, outsider):
    commitment = CommitmentFactory(owner=analyst)

    response = analyst_client.post(
        reverse(CHANGE_URL, args=[commitment.pk]), admin_change_data(commitment, watchers=[outsider.pk])
    )

    assert response.status_code == 200
    assert "watchers" in response.context["adminform"].form.errors
    assert not commitment.watchers.exists()


def test_the_admin_keeps_an_owner_who_lost_access_and_says_so(analyst_client, outsider):
    commitment = CommitmentFactory(owner=outsider)
    change = reverse(CHANGE_URL, args=[commitment.pk])

    page = analyst_client.get(change).content.decode()
    assert "outsider can no longer view pledges and gets no reminders" in page

    response = analyst_client.post(change, admin_change_data(commitment, title="Corrected"))

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.title, commitment.owner) == ("Corrected", outsider)


def test_the_owner_and_watcher_autocomplete_offers_only_people_who_may_view_pledges(
    analyst_client, analyst, viewer, outsider
):
    page = analyst_client.get(reverse("admin:tracker_commitment_add")).content.decode()
    urls = set(re.findall(r'data-ajax--url="([^"]*people-autocomplete[^"]*)"', page))
    assert len(urls) == 1  # owner and watchers
    assert page.count('data-ajax--url="' + next(iter(urls))) == 2

    for field in ("owner", "watchers"):
        response = analyst_client.get(
            next(iter(urls)), {"app_label": "tracker", "model_name": "commitment", "field_name": field}
        )
        assert response.status_code == 200
        offered = {result["text"] for result in response.json()["results"]}
        assert {"analyst", "viewer"} <= offered
        assert "outsider" not in offered


def test_the_people_autocomplete_answers_only_for_owner_and_watchers(analyst_client):
    url = reverse("admin:tracker_commitment_people_autocomplete")
    response = analyst_client.get(url, {"app_label": "tracker", "model_name": "commitment", "field_name": "made_by"})
    assert response.status_code == 403


def test_bulk_assigning_an_owner_who_cannot_view_pledges_says_who_and_changes_nothing(
    analyst_client, analyst, outsider
):
    commitments = CommitmentFactory.create_batch(2, owner=analyst)
    changelist = reverse(CHANGELIST_URL)

    offered = analyst_client.get(changelist).content.decode()
    assert f'<option value="{analyst.pk}">' in offered
    assert f'<option value="{outsider.pk}">' not in offered

    response = analyst_client.post(
        changelist,
        {"action": "assign_owner", "_selected_action": [c.pk for c in commitments], "owner": outsider.pk},
        follow=True,
    )

    assert "Owner not assigned: outsider cannot view pledges, so cannot own one" in response.content.decode()
    assert set(Commitment.objects.values_list("owner", flat=True)) == {analyst.pk}


# The API


def test_the_api_answers_400_on_the_owner_field(analyst_api_client, outsider):
    response = analyst_api_client.post(
        "/api/v1/commitments/",
        {"title": "Tea", "made_by": ActorFactory().pk, "made_on": "2025-08-20", "kind": "review", "owner": outsider.pk},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["owner"]
    assert "outsider cannot view pledges, so cannot own one" in response.json()["owner"][0]
    assert not Commitment.objects.exists()


def test_the_api_answers_400_on_the_watchers_field(analyst_api_client, analyst, outsider):
    commitment = CommitmentFactory(owner=analyst)

    response = analyst_api_client.patch(
        f"/api/v1/commitments/{commitment.pk}/", {"watchers": [analyst.pk, outsider.pk]}, format="json"
    )

    assert response.status_code == 400
    assert "outsider cannot view pledges, so cannot watch one" in response.json()["watchers"][0]
    assert not commitment.watchers.exists()


def test_the_api_still_edits_a_pledge_whose_owner_lost_access(analyst_api_client, outsider):
    commitment = CommitmentFactory(owner=outsider)

    response = analyst_api_client.patch(
        f"/api/v1/commitments/{commitment.pk}/", {"title": "Corrected", "owner": outsider.pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    commitment.refresh_from_db()
    assert commitment.title == "Corrected"


# The outbox


def test_the_sweep_queues_nothing_for_people_who_cannot_view_pledges(settings, roles, outsider):
    settings.FOLLOWUP_ESCALATE_DAYS = 7
    watcher = analyst_like(roles)
    late = CommitmentFactory(owner=outsider, watchers=[watcher, outsider], next_check_on=today() - timedelta(days=10))
    CommitmentFactory(owner=outsider, next_check_on=today())

    outbox.followups_queue_due()

    assert set(FollowUp.objects.values_list("kind", "commitment", "recipient")) == {
        (FollowUp.Kind.ESCALATION, late.pk, watcher.pk)
    }


def test_no_digest_is_queued_for_someone_who_cannot_view_pledges(roles, outsider):
    owner = analyst_like(roles)
    CommitmentFactory(owner=owner, watchers=[outsider])
    CommitmentFactory(owner=outsider)

    assert outbox.digests_queue() == 1

    assert list(FollowUp.objects.values_list("kind", "recipient")) == [(FollowUp.Kind.DIGEST, owner.pk)]


@pytest.mark.parametrize("kind", [FollowUp.Kind.CHECKUP, FollowUp.Kind.ESCALATION, FollowUp.Kind.DIGEST])
def test_a_reminder_to_someone_removed_from_their_group_after_queueing_is_cancelled(settings, roles, kind):
    settings.FOLLOWUP_ESCALATE_DAYS = 7
    owner = analyst_like(roles)
    CommitmentFactory(owner=owner, next_check_on=today())
    CommitmentFactory(owner=owner, next_check_on=today() + timedelta(days=5), due_on=today() - timedelta(days=1))
    outbox.followups_queue_due()
    outbox.digests_queue()
    followup = FollowUp.objects.get(kind=kind)
    owner.groups.clear()

    outcomes = outbox.followups_send(followup_ids=[followup.pk])

    assert outcomes == {followup.pk: FollowUp.State.CANCELLED}
    followup.refresh_from_db()
    assert followup.last_error == "the recipient can no longer view pledges"
    assert mail.outbox == []


def test_a_reminder_to_someone_still_allowed_goes_out(roles):
    owner = analyst_like(roles)
    commitment = CommitmentFactory(owner=owner, next_check_on=today())
    followup = FollowUpFactory(commitment=commitment)

    assert outbox.followups_send(followup_ids=[followup.pk]) == {followup.pk: FollowUp.State.SENT}
    assert [message.to for message in mail.outbox] == [[owner.email]]


@pytest.mark.parametrize("count", [2, 20])
def test_a_batch_checks_its_recipients_without_a_query_per_row(settings, roles, django_assert_num_queries, count):
    settings.FOLLOWUP_ESCALATE_DAYS = 7
    kept, removed = [], []
    for number in range(count):
        owner = analyst_like(roles)
        NotificationPreference.objects.create(user=owner)
        commitment = CommitmentFactory(owner=owner, next_check_on=today())
        (removed if number % 2 else kept).append(FollowUpFactory(commitment=commitment))
    for followup in removed:
        followup.recipient.groups.clear()
    ids = [followup.pk for followup in kept + removed]
    assert outbox.followups_claim(ids=ids) == ids

    # As before: the rows (recipients' permission and superseding escalations
    # included), the last updates; then per row sent: the claim checked and the
    # outcome written; per row cancelled: the outcome written.
    with django_assert_num_queries(2 + 2 * len(kept) + len(removed)):
        outcomes = outbox.followups_deliver(followup_ids=ids)

    assert {pk for pk, state in outcomes.items() if state == FollowUp.State.SENT} == {row.pk for row in kept}
    assert {pk for pk, state in outcomes.items() if state == FollowUp.State.CANCELLED} == {row.pk for row in removed}
    assert len(mail.outbox) == len(kept)
