"""Milestones: their rules, the progress their weights suggest, overdue ones on the board and in the outbox."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save

from tests.factories import CommitmentFactory, MilestoneFactory, UserFactory, send_one, today
from tracker import followups as outbox
from tracker import milestones, selectors, services
from tracker.models import Commitment, FollowUp, Milestone, NotificationPreference, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def users_may_view_pledges(roles):
    """Every user made here is a Viewer: reminders go only to people who may view pledges."""
    viewers = roles[services.VIEWERS_GROUP]

    def make_viewer(sender, instance, created, raw=False, **kwargs):
        if created and not raw:
            instance.groups.add(viewers)

    post_save.connect(make_viewer, sender=get_user_model(), dispatch_uid="test_milestones_viewers")
    yield
    post_save.disconnect(sender=get_user_model(), dispatch_uid="test_milestones_viewers")


@pytest.fixture
def pledge():
    return CommitmentFactory(made_on=date(2025, 8, 20), next_check_on=today() + timedelta(days=30))


def step(pledge, **data):
    return milestones.milestone_add(
        commitment=pledge, data={"title": "Bill passed", "due_on": today() + timedelta(days=10), **data}
    )


# The rules


def test_a_milestone_is_added_with_its_author_in_its_history(pledge):
    author = UserFactory()

    added = milestones.milestone_add(
        commitment=pledge,
        user=author,
        data={"title": "  Bill   passed  ", "due_on": date(2026, 3, 31), "weight": 3, "evidence_url": ""},
    )

    saved = Milestone.objects.get()
    assert (saved.title, saved.due_on, saved.weight, saved.done_on, saved.created_by) == (
        "Bill passed",
        date(2026, 3, 31),
        3,
        None,
        author,
    )
    assert added.history.get().history_user == author


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"title": ""}, "title", "Say what the step is"),
        ({"title": "x" * 301}, "title", "at most 300 characters"),
        ({"title": "Bill\x00"}, "title", "Null characters"),
        ({"due_on": None}, "due_on", "Give the day the step is due"),
        ({"due_on": "2026-01-01"}, "due_on", "Give the day the step is due"),
        ({"due_on": date(2025, 8, 19)}, "due_on", "before the pledge was made"),
        ({"weight": 0}, "weight", "1 to 100"),
        ({"weight": 101}, "weight", "1 to 100"),
        ({"weight": True}, "weight", "1 to 100"),
        ({"weight": "3"}, "weight", "1 to 100"),
        ({"done_on": date(2025, 8, 1)}, "done_on", "before the pledge was made"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url", ""),
    ],
)
def test_bad_milestones_are_refused_per_field_and_nothing_is_saved(pledge, data, field, message):
    with pytest.raises(ValidationError) as refused:
        step(pledge, **data)

    assert message in " ".join(refused.value.message_dict[field])
    assert not Milestone.objects.exists()


def test_a_step_cannot_be_done_on_a_day_to_come(pledge):
    with pytest.raises(ValidationError) as refused:
        step(pledge, done_on=today() + timedelta(days=1))
    assert refused.value.message_dict["done_on"] == ["A step cannot be done on a day still to come."]


def test_an_unknown_field_is_refused(pledge):
    with pytest.raises(ValidationError, match="cannot be set: commitment"):
        step(pledge, commitment=CommitmentFactory())


def test_marking_done_keeps_the_other_fields(pledge):
    milestone = step(pledge, weight=2)

    milestones.milestone_update(
        milestone=milestone, data={"done_on": today(), "evidence_url": "https://example.org/gazette"}
    )

    milestone.refresh_from_db()
    assert (milestone.title, milestone.weight, milestone.done_on) == ("Bill passed", 2, today())
    assert milestone.evidence_url == "https://example.org/gazette"


def test_a_pledge_cannot_move_its_day_past_its_milestones(pledge):
    step(pledge, due_on=date(2025, 9, 1))

    with pytest.raises(ValidationError) as refused:
        services.commitment_update(commitment=pledge, data={"made_on": date(2025, 10, 1)})

    assert "1 milestone due or done before it" in refused.value.message_dict["made_on"][0]
    pledge.refresh_from_db()
    assert pledge.made_on == date(2025, 8, 20)


# The progress they suggest


@pytest.mark.parametrize(
    "steps, expected",
    [
        ([], None),
        ([(1, False)], 0),
        ([(1, True)], 100),
        ([(1, True), (1, False), (1, False)], 33),
        ([(1, True), (1, True), (1, False)], 67),
        ([(1, True), (3, False)], 25),
        ([(99, True), (1, False)], 99),
        ([(1, True), (199, False)], 1),  # 0.5 rounds half up
    ],
)
def test_the_weights_suggest_a_progress(steps, expected):
    found = [Milestone(weight=weight, done_on=date(2026, 1, 1) if done else None) for weight, done in steps]
    assert milestones.suggested_progress(found) == expected


def test_the_suggestion_never_changes_the_progress(pledge):
    milestone = step(pledge)
    milestones.milestone_update(milestone=milestone, data={"done_on": today()})

    pledge.refresh_from_db()
    assert pledge.progress == 0
    assert milestones.suggested_progress(pledge.milestones.all()) == 100


# Overdue on the board


def test_an_overdue_milestone_makes_its_pledge_overdue(pledge):
    other = CommitmentFactory(next_check_on=today() + timedelta(days=30))
    MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=1))
    MilestoneFactory(commitment=other, due_on=today() - timedelta(days=1), done_on=today() - timedelta(days=2))
    MilestoneFactory(commitment=other, due_on=today())  # due today: not overdue yet

    assert list(Commitment.objects.overdue()) == [pledge]
    assert pledge.is_overdue
    assert not Commitment.objects.get(pk=other.pk).is_overdue
    summary = selectors.board_summary(today=today())
    assert summary["overdue_count"] == 1
    assert [row.pk for row in summary["overdue"]] == [pledge.pk]


def test_a_closed_pledge_is_not_overdue_for_its_milestones(pledge):
    MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=1))
    Commitment.objects.filter(pk=pledge.pk).update(status=Status.FULFILLED)

    assert not Commitment.objects.overdue().exists()
    assert not Commitment.objects.get(pk=pledge.pk).is_overdue


def test_lists_read_is_overdue_without_a_query_per_pledge(django_assert_num_queries):
    for _ in range(5):
        MilestoneFactory(due_on=today() - timedelta(days=1))

    with django_assert_num_queries(1):
        pledges = list(selectors.commitments_for_list())
        assert all(pledge.is_overdue for pledge in pledges)


def test_the_cached_board_counts_a_milestone_that_becomes_overdue_or_done(pledge):
    def overdue_count():
        return selectors.board_summary(today=today(), cached=True)["overdue_count"]

    assert overdue_count() == 0
    milestone = MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=1))
    assert overdue_count() == 1
    milestones.milestone_update(milestone=milestone, data={"done_on": today()})
    assert overdue_count() == 0


# Reminders through the outbox


def milestone_keys():
    return set(FollowUp.objects.filter(kind=FollowUp.Kind.MILESTONE).values_list("dedupe_key", flat=True))


def test_the_sweep_queues_one_reminder_per_overdue_milestone_and_person(pledge):
    watcher = UserFactory()
    pledge.watchers.add(watcher)
    late = MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=2))
    MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=2), done_on=today() - timedelta(days=3))
    MilestoneFactory(commitment=pledge, due_on=today())
    closed = CommitmentFactory(status=Status.BROKEN)
    MilestoneFactory(commitment=closed, due_on=today() - timedelta(days=2))
    unowned = CommitmentFactory(owner=None)
    MilestoneFactory(commitment=unowned, due_on=today() - timedelta(days=2))

    outbox.followups_queue_due()

    due = late.due_on.isoformat()
    assert milestone_keys() == {
        f"milestone:{late.pk}:{due}:{pledge.owner_id}",
        f"milestone:{late.pk}:{due}:{watcher.pk}",
    }
    assert FollowUp.objects.filter(kind=FollowUp.Kind.MILESTONE, milestone=late, commitment=pledge).count() == 2
    assert outbox.followups_queue_due() == 0


def test_moving_the_due_date_makes_a_new_reminder_and_cancels_the_old(pledge):
    late = MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=5))
    outbox.followups_queue_due()
    first = FollowUp.objects.get(kind=FollowUp.Kind.MILESTONE)

    milestones.milestone_update(milestone=late, data={"due_on": today() - timedelta(days=1)})
    outbox.followups_queue_due()

    first.refresh_from_db()
    assert first.state == FollowUp.State.CANCELLED
    assert FollowUp.objects.filter(kind=FollowUp.Kind.MILESTONE, state=FollowUp.State.PENDING).count() == 1


def test_a_reminder_is_emailed_with_the_step_and_a_link_to_the_milestones(pledge, mailoutbox):
    MilestoneFactory(commitment=pledge, title="Shelf <registration> filed", due_on=date(2026, 1, 5), weight=2)
    outbox.followups_queue_due(today=date(2026, 1, 6))
    followup = FollowUp.objects.get(kind=FollowUp.Kind.MILESTONE)

    assert send_one(followup.pk) == FollowUp.State.SENT

    message = mailoutbox[0]
    assert message.to == [pledge.owner.email]
    assert message.subject == f"Milestone overdue: Shelf <registration> filed ({pledge.title})"
    assert "was due on 5 Jan 2026 and is not marked done" in message.body
    assert f"/commitments/{pledge.pk}/#milestones" in message.body
    html = message.alternatives[0][0]
    assert "Shelf &lt;registration&gt; filed" in html
    assert "<registration>" not in html
    # No check-in links: a step is marked done on the pledge page.
    assert "/checkin/" not in message.body


@pytest.mark.parametrize(
    "change, reason",
    [
        # Changed behind the services' back, so that the check at sending time is what stops it.
        (lambda m: Milestone.objects.filter(pk=m.pk).update(done_on=today()), "the milestone is done"),
        (
            lambda m: Milestone.objects.filter(pk=m.pk).update(due_on=today() + timedelta(days=3)),
            "the milestone's due date has moved",
        ),
        (lambda m: Milestone.objects.filter(pk=m.pk).delete(), "the milestone was deleted"),
        (lambda m: Commitment.objects.filter(pk=m.commitment_id).update(status=Status.FULFILLED), "closed"),
        (lambda m: Commitment.objects.filter(pk=m.commitment_id).update(owner=None), "no longer owns or watches"),
    ],
)
def test_a_reminder_that_no_longer_applies_is_cancelled_not_sent(pledge, mailoutbox, change, reason):
    late = MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=2))
    outbox.followups_queue_due()
    followup = FollowUp.objects.get(kind=FollowUp.Kind.MILESTONE)

    change(late)

    assert send_one(followup.pk) == FollowUp.State.CANCELLED
    followup.refresh_from_db()
    assert reason in followup.last_error
    assert mailoutbox == []


def test_marking_a_milestone_done_cancels_its_pending_reminders(pledge):
    late = MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=2))
    outbox.followups_queue_due()

    milestones.milestone_update(milestone=late, data={"done_on": today()})

    followup = FollowUp.objects.get(kind=FollowUp.Kind.MILESTONE)
    assert followup.state == FollowUp.State.CANCELLED
    assert outbox.followups_queue_due() == 0


def test_deleting_a_milestone_cancels_its_pending_reminders(pledge):
    late = MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=2))
    outbox.followups_queue_due()

    milestones.milestone_delete(milestone=late)

    followup = FollowUp.objects.get(kind=FollowUp.Kind.MILESTONE)
    assert (followup.state, followup.milestone_id) == (FollowUp.State.CANCELLED, None)


def test_the_owner_and_a_watcher_both_get_the_reminder_in_one_batch(pledge, mailoutbox):
    watcher = UserFactory(email="watcher@example.org")
    pledge.watchers.add(watcher)
    MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=2))
    outbox.followups_queue_due()
    ids = list(FollowUp.objects.filter(kind=FollowUp.Kind.MILESTONE).values_list("pk", flat=True))

    outcomes = outbox.followups_send(followup_ids=ids)

    assert set(outcomes.values()) == {FollowUp.State.SENT}
    assert sorted(message.to[0] for message in mailoutbox) == sorted([pledge.owner.email, "watcher@example.org"])
    # Sent, so the next sweep brings nothing back.
    assert outbox.followups_queue_due() == 0


@pytest.mark.parametrize(
    "change",
    [
        lambda pledge: services.progress_record(
            commitment=pledge, status=Status.FULFILLED, progress=100, evidence_url="https://example.org/done"
        ),
        lambda pledge: pledge.watchers.clear() or services.commitment_update(commitment=pledge, data={"owner": None}),
    ],
    ids=["closed", "no longer followed"],
)
def test_a_change_to_the_pledge_cancels_the_reminders_it_makes_pointless(pledge, change):
    watcher = UserFactory()
    pledge.watchers.add(watcher)
    MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=2))
    outbox.followups_queue_due()

    change(pledge)

    states = set(FollowUp.objects.filter(kind=FollowUp.Kind.MILESTONE).values_list("state", flat=True))
    assert states == {FollowUp.State.CANCELLED}


def test_people_who_turned_reminders_off_get_none(pledge):
    NotificationPreference.objects.update_or_create(user=pledge.owner, defaults={"reminders_enabled": False})
    MilestoneFactory(commitment=pledge, due_on=today() - timedelta(days=2))

    outbox.followups_queue_due()

    assert milestone_keys() == set()
