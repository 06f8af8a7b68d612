from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import ActorFactory, CommitmentFactory, FollowUpFactory, TopicFactory, UserFactory, today
from tracker import services
from tracker.models import Commitment, FollowUp, ProgressUpdate, Status

pytestmark = pytest.mark.django_db

TERMINAL = {Status.FULFILLED, Status.BROKEN, Status.WITHDRAWN}
EVIDENCE = "https://example.org/evidence"


def record(commitment, status, **kwargs):
    kwargs.setdefault("evidence_url", EVIDENCE if status in {Status.FULFILLED, Status.BROKEN} else "")
    return services.progress_record(commitment=commitment, status=status, **kwargs)


# commitment_create


def test_created_pledge_is_announced_with_first_check_one_interval_from_today(roles):
    owner = UserFactory(groups=[roles[services.ANALYSTS_GROUP]])
    maker, counterpart = ActorFactory(), ActorFactory()
    topic = TopicFactory()

    commitment = services.commitment_create(
        user=owner,
        data={
            "title": "Review tariffs on Kenyan tea",
            "made_by": maker,
            "made_on": date(2025, 8, 19),
            "kind": Commitment.Kind.REVIEW,
            "check_every_days": 14,
            "owner": owner,
            "counterparts": [counterpart],
            "topics": [topic],
            "watchers": [owner],
        },
    )

    commitment.refresh_from_db()
    assert commitment.status == Status.ANNOUNCED
    assert commitment.progress == 0
    assert commitment.next_check_on == today() + timedelta(days=14)
    assert list(commitment.counterparts.all()) == [counterpart]
    assert list(commitment.topics.all()) == [topic]
    assert list(commitment.watchers.all()) == [owner]
    assert commitment.history.get().history_user == owner


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"made_on": timezone.localdate() + timedelta(days=2)}, "made_on"),
        ({"due_on": date(2025, 1, 1)}, "due_on"),
        ({"check_every_days": 0}, "check_every_days"),
        ({"check_every_days": 3651}, "check_every_days"),
        ({"source_url": "javascript:alert(1)"}, "source_url"),
        ({"kind": "prophecy"}, "kind"),
    ],
)
def test_creating_an_invalid_pledge_is_refused_and_saves_nothing(fields, field):
    arguments = {"title": "A pledge", "made_by": ActorFactory(), "made_on": date(2025, 8, 19), **fields}

    with pytest.raises(ValidationError) as refused:
        services.commitment_create(data=arguments)

    assert field in refused.value.message_dict
    assert not Commitment.objects.exists()


@pytest.mark.parametrize("extra", [{"status": Status.FULFILLED}, {"progress": 100}, {"colour": "red"}])
def test_creating_a_pledge_takes_only_the_editable_fields(extra):
    data = {"title": "A pledge", "made_by": ActorFactory(), "made_on": date(2025, 8, 19), **extra}

    with pytest.raises(ValidationError) as refused:
        services.commitment_create(data=data)

    assert f"These fields cannot be changed: {next(iter(extra))}." in refused.value.messages
    assert not Commitment.objects.exists()


# commitment_update


def test_updating_fields_records_history_with_the_user():
    commitment = CommitmentFactory(title="Old title")
    editor = UserFactory()

    services.commitment_update(commitment=commitment, user=editor, data={"title": "New title"})

    commitment.refresh_from_db()
    assert commitment.title == "New title"
    latest = commitment.history.first()
    assert latest.title == "New title"
    assert latest.history_user == editor


@pytest.mark.parametrize("field", ["status", "progress"])
def test_status_and_progress_cannot_be_changed_by_editing(field):
    commitment = CommitmentFactory()
    value = {"status": Status.FULFILLED, "progress": 90}[field]

    with pytest.raises(ValidationError) as refused:
        services.commitment_update(commitment=commitment, data={field: value})

    assert "Record a progress update" in refused.value.message_dict[field][0]
    commitment.refresh_from_db()
    assert commitment.status == Status.ANNOUNCED
    assert commitment.progress == 0


def test_unknown_fields_are_refused_by_name():
    commitment = CommitmentFactory()

    with pytest.raises(ValidationError, match="created_at"):
        services.commitment_update(commitment=commitment, data={"created_at": timezone.now()})


def test_changing_the_interval_moves_the_next_check_from_the_last_update():
    commitment = CommitmentFactory(check_every_days=30)
    record(commitment, Status.IN_PROGRESS, recorded_on=today() - timedelta(days=10))

    services.commitment_update(commitment=commitment, data={"check_every_days": 7})

    commitment.refresh_from_db()
    assert commitment.next_check_on == today() - timedelta(days=3)


def test_a_new_owner_cancels_the_old_owners_pending_checkup(roles):
    commitment = CommitmentFactory()
    old = FollowUpFactory(commitment=commitment)
    new_owner = UserFactory(groups=[roles[services.ANALYSTS_GROUP]])

    services.commitment_update(commitment=commitment, data={"owner": new_owner})

    old.refresh_from_db()
    assert old.state == FollowUp.State.CANCELLED


def test_a_stale_edit_cannot_overwrite_a_recorded_update():
    commitment = CommitmentFactory()
    stale = Commitment.objects.get(pk=commitment.pk)
    record(commitment, Status.IN_PROGRESS, progress=40)

    services.commitment_update(commitment=stale, data={"title": "Edited meanwhile"})

    commitment.refresh_from_db()
    assert commitment.title == "Edited meanwhile"
    assert (commitment.status, commitment.progress) == (Status.IN_PROGRESS, 40)
    assert commitment.next_check_on == today() + timedelta(days=commitment.check_every_days)
    assert (stale.status, stale.next_check_on) == (commitment.status, commitment.next_check_on)


# progress_record: transitions


def transition_is_allowed(before, after):
    if before in TERMINAL:
        return False
    return not (after == Status.ANNOUNCED and before != Status.ANNOUNCED)


TRANSITIONS = [(before, after) for before in Status for after in Status]


@pytest.mark.parametrize(("before", "after"), TRANSITIONS, ids=[f"{b}->{a}" for b, a in TRANSITIONS])
def test_each_transition_is_allowed_or_refused_by_the_rules(before, after):
    commitment = CommitmentFactory(status=before, progress=100 if before == Status.FULFILLED else 10)

    if transition_is_allowed(before, after):
        update = record(commitment, after)
        commitment.refresh_from_db()
        assert commitment.status == after
        assert (update.status_before, update.status_after) == (before, after)
    else:
        with pytest.raises(ValidationError) as refused:
            record(commitment, after)
        assert "status" in refused.value.message_dict
        commitment.refresh_from_db()
        assert commitment.status == before
        assert not ProgressUpdate.objects.exists()


def test_a_closed_pledge_says_why_it_takes_no_update():
    commitment = CommitmentFactory(status=Status.WITHDRAWN)

    with pytest.raises(ValidationError) as refused:
        record(commitment, Status.IN_PROGRESS)

    assert "closed as Withdrawn" in refused.value.message_dict["status"][0]


def test_an_unknown_status_is_refused_with_the_choices():
    with pytest.raises(ValidationError) as refused:
        record(CommitmentFactory(), "done-ish")

    assert "Partially fulfilled" in refused.value.message_dict["status"][0]


def test_an_update_against_a_status_the_analyst_did_not_see_is_refused():
    commitment = CommitmentFactory(status=Status.IN_PROGRESS)
    record(commitment, Status.STALLED)

    with pytest.raises(ValidationError) as refused:
        record(commitment, Status.PARTIALLY_FULFILLED, expected_status=Status.IN_PROGRESS)

    assert "Another update was recorded meanwhile" in refused.value.message_dict["status"][0]
    assert commitment.updates.count() == 1


# progress_record: evidence and progress


@pytest.mark.parametrize("status", [Status.FULFILLED, Status.BROKEN])
def test_fulfilled_or_broken_without_evidence_is_refused(status):
    commitment = CommitmentFactory(status=Status.IN_PROGRESS)

    with pytest.raises(ValidationError) as refused:
        record(commitment, status, evidence_url="   ")

    assert "needs an evidence link" in refused.value.message_dict["evidence_url"][0]
    commitment.refresh_from_db()
    assert commitment.status == Status.IN_PROGRESS
    assert not ProgressUpdate.objects.exists()


def test_evidence_must_be_a_web_address():
    with pytest.raises(ValidationError) as refused:
        record(CommitmentFactory(), Status.FULFILLED, evidence_url="javascript:alert(1)")

    assert "evidence_url" in refused.value.message_dict


def test_an_evidence_link_longer_than_its_column_is_refused_not_a_database_error():
    with pytest.raises(ValidationError) as refused:
        record(CommitmentFactory(), Status.FULFILLED, evidence_url="https://example.org/" + "a" * 500)

    assert refused.value.message_dict["evidence_url"] == ["Keep the evidence link under 500 characters."]


def test_fulfilled_sets_progress_to_100_when_not_given():
    commitment = CommitmentFactory(status=Status.IN_PROGRESS, progress=60)

    update = record(commitment, Status.FULFILLED)

    commitment.refresh_from_db()
    assert update.progress == commitment.progress == 100


@pytest.mark.parametrize(
    ("status", "progress", "message"),
    [
        (Status.IN_PROGRESS, 150, "between 0 and 100"),
        (Status.IN_PROGRESS, -1, "between 0 and 100"),
        (Status.IN_PROGRESS, "50", "whole number"),
        (Status.FULFILLED, 80, "100% complete"),
    ],
)
def test_bad_progress_is_refused(status, progress, message):
    commitment = CommitmentFactory()

    with pytest.raises(ValidationError) as refused:
        record(commitment, status, progress=progress)

    assert message in refused.value.message_dict["progress"][0]
    assert not ProgressUpdate.objects.exists()


def test_progress_is_kept_when_not_given():
    commitment = CommitmentFactory(status=Status.IN_PROGRESS, progress=35)

    record(commitment, Status.STALLED)

    commitment.refresh_from_db()
    assert commitment.progress == 35


@pytest.mark.parametrize(
    ("recorded_on", "message"),
    # Two days ahead: parameters are computed at collection, and a run past midnight makes tomorrow today.
    [(timezone.localdate() + timedelta(days=2), "future"), (date(2025, 8, 1), "predate")],
)
def test_update_dates_outside_the_pledges_life_are_refused(recorded_on, message):
    commitment = CommitmentFactory(made_on=date(2025, 8, 20))

    with pytest.raises(ValidationError) as refused:
        record(commitment, Status.IN_PROGRESS, recorded_on=recorded_on)

    assert message in refused.value.message_dict["recorded_on"][0]


# progress_record: scheduling and the timeline


def test_update_sets_status_progress_and_next_check_from_its_date():
    author = UserFactory()
    commitment = CommitmentFactory(check_every_days=21)
    recorded_on = today() - timedelta(days=5)

    update = record(
        commitment,
        Status.IN_PROGRESS,
        progress=40,
        note="  Talks began.  ",
        recorded_on=recorded_on,
        author=author,
    )

    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress) == (Status.IN_PROGRESS, 40)
    assert commitment.next_check_on == recorded_on + timedelta(days=21)
    update.refresh_from_db()
    assert update.author == author
    assert update.note == "Talks began."
    assert update.recorded_on == recorded_on
    assert commitment.history.first().history_user == author


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_a_terminal_status_clears_the_next_check(status):
    commitment = CommitmentFactory(status=Status.IN_PROGRESS)

    record(commitment, status)

    commitment.refresh_from_db()
    assert commitment.next_check_on is None


def test_the_callers_instance_follows_the_recorded_update():
    commitment = CommitmentFactory()

    record(commitment, Status.IN_PROGRESS, progress=25)

    assert (commitment.status, commitment.progress) == (Status.IN_PROGRESS, 25)


# progress_record: cancelling stale follow-ups


def test_a_new_update_cancels_the_pending_checkup_and_escalation():
    commitment = CommitmentFactory(next_check_on=today() - timedelta(days=10))
    checkup = FollowUpFactory(commitment=commitment)
    escalation = FollowUpFactory(commitment=commitment, kind=FollowUp.Kind.ESCALATION)

    record(commitment, Status.IN_PROGRESS)

    for followup in (checkup, escalation):
        followup.refresh_from_db()
        assert followup.state == FollowUp.State.CANCELLED


def test_a_terminal_status_cancels_every_pending_reminder_but_keeps_history():
    commitment = CommitmentFactory(next_check_on=today())
    FollowUpFactory(commitment=commitment, due_on=today() + timedelta(days=30), dedupe_key="a")
    FollowUpFactory(commitment=commitment, state=FollowUp.State.SENT, dedupe_key="b")
    FollowUpFactory(commitment=commitment, state=FollowUp.State.FAILED, dedupe_key="c")

    record(commitment, Status.WITHDRAWN)

    states = {f.dedupe_key: f.state for f in FollowUp.objects.all()}
    assert states == {"a": FollowUp.State.CANCELLED, "b": FollowUp.State.SENT, "c": FollowUp.State.FAILED}


def test_an_escalation_for_a_passed_target_date_still_applies_after_an_update():
    watcher = UserFactory()
    commitment = CommitmentFactory(
        next_check_on=today() - timedelta(days=10), due_on=today() - timedelta(days=1), watchers=[watcher]
    )
    escalation = FollowUpFactory(commitment=commitment, kind=FollowUp.Kind.ESCALATION, recipient=watcher)

    record(commitment, Status.IN_PROGRESS)

    escalation.refresh_from_db()
    assert escalation.state == FollowUp.State.PENDING


def test_a_digest_is_not_cancelled_by_an_update():
    commitment = CommitmentFactory()
    digest = FollowUpFactory(commitment=None, kind=FollowUp.Kind.DIGEST, recipient=commitment.owner, due_on=today())

    record(commitment, Status.WITHDRAWN)

    digest.refresh_from_db()
    assert digest.state == FollowUp.State.PENDING


# bulk actions


def test_assign_owner_changes_only_the_pledges_of_other_owners(roles):
    new_owner = UserFactory(groups=[roles[services.ANALYSTS_GROUP]])
    mine = CommitmentFactory(owner=new_owner)
    theirs = CommitmentFactory()
    mine_history = mine.history.count()

    changed = services.commitments_assign_owner(commitments=Commitment.objects.all(), owner=new_owner, user=new_owner)

    assert changed == 1
    theirs.refresh_from_db()
    assert theirs.owner == new_owner
    assert mine.history.count() == mine_history


def test_postpone_moves_open_pledges_and_leaves_closed_ones():
    open_one = CommitmentFactory(next_check_on=today() - timedelta(days=3))
    closed = CommitmentFactory(status=Status.FULFILLED, progress=100, next_check_on=None)
    overdue_checkup = FollowUpFactory(commitment=open_one)

    moved = services.commitments_postpone(commitments=Commitment.objects.all(), days=10)

    assert moved == 1
    open_one.refresh_from_db()
    closed.refresh_from_db()
    assert open_one.next_check_on == today() + timedelta(days=7)
    assert closed.next_check_on is None
    overdue_checkup.refresh_from_db()
    assert overdue_checkup.state == FollowUp.State.CANCELLED


@pytest.mark.parametrize("days", [0, -5, 366, "7", True])
def test_postpone_refuses_days_out_of_range(days):
    commitment = CommitmentFactory()
    before = commitment.next_check_on

    with pytest.raises(ValidationError) as refused:
        services.commitments_postpone(commitments=[commitment], days=days)

    assert "days" in refused.value.message_dict
    commitment.refresh_from_db()
    assert commitment.next_check_on == before


def test_postpone_is_all_or_none():
    fine = CommitmentFactory(title="A", next_check_on=date(2026, 1, 10))
    CommitmentFactory(title="B", next_check_on=date(9999, 12, 30))

    with pytest.raises(ValidationError, match="would be checked after"):
        services.commitments_postpone(commitments=Commitment.objects.order_by("title"), days=7)

    fine.refresh_from_db()
    assert fine.next_check_on == date(2026, 1, 10)


# roles


def test_analysts_edit_and_viewers_only_read(roles):
    analysts = set(roles[services.ANALYSTS_GROUP].permissions.values_list("codename", flat=True))
    viewers = set(roles[services.VIEWERS_GROUP].permissions.values_list("codename", flat=True))

    assert {"add_commitment", "change_commitment", "add_progressupdate", "view_followup"} <= analysts
    assert not {codename for codename in analysts if codename.startswith("delete_")}
    assert "change_followup" not in analysts
    assert viewers and all(codename.startswith("view_") for codename in viewers)
    assert "view_commitment" in viewers


def test_roles_ensure_is_idempotent(roles):
    again = services.roles_ensure()

    assert again[services.ANALYSTS_GROUP].pk == roles[services.ANALYSTS_GROUP].pk
    assert set(again[services.VIEWERS_GROUP].permissions.all()) == set(roles[services.VIEWERS_GROUP].permissions.all())


def test_analysts_may_look_up_users_to_assign_them(roles):
    assert roles[services.ANALYSTS_GROUP].permissions.filter(codename="view_user").exists()
    assert not roles[services.VIEWERS_GROUP].permissions.filter(codename="view_user").exists()
