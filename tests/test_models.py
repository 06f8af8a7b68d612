from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import CommitmentFactory, EventFactory, FollowUpFactory, UserFactory, today
from tracker.models import Commitment, FollowUp, NotificationPreference, Status

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("field", "value"), [("progress", 101), ("check_every_days", 0), ("check_every_days", 3651)])
def test_database_refuses_values_outside_their_range(field, value):
    commitment = CommitmentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(**{field: value})


def test_followup_dedupe_key_is_unique_in_the_database():
    first = FollowUpFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(
            kind=first.kind,
            commitment=first.commitment,
            recipient=first.recipient,
            due_on=first.due_on,
            dedupe_key=first.dedupe_key,
        )


def test_an_event_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        EventFactory(starts_on=date(2025, 8, 22), ends_on=date(2025, 8, 20))


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"progress": 150}, "Progress must be between 0 and 100."), ({"check_every_days": 4000}, "1 to 3650 days apart")],
)
def test_constraints_explain_themselves_in_plain_words(fields, message):
    commitment = CommitmentFactory.build(**fields)
    violated = []
    for constraint in Commitment._meta.constraints:
        try:
            constraint.validate(Commitment, commitment)
        except ValidationError as exc:
            violated.extend(exc.messages)

    assert len(violated) == 1
    assert message in violated[0]


def test_terminal_statuses_are_fulfilled_broken_and_withdrawn():
    assert Status.terminal() == {Status.FULFILLED, Status.BROKEN, Status.WITHDRAWN}
    assert Status.open() == {Status.ANNOUNCED, Status.IN_PROGRESS, Status.STALLED, Status.PARTIALLY_FULFILLED}


@pytest.mark.parametrize(
    ("status", "score"),
    [
        (Status.FULFILLED, 1),
        (Status.PARTIALLY_FULFILLED, 0),
        (Status.IN_PROGRESS, 0),
        (Status.STALLED, -1),
        (Status.BROKEN, -1),
        (Status.ANNOUNCED, None),
        (Status.WITHDRAWN, None),
    ],
)
def test_compliance_score_follows_the_g7_research_group_mapping(status, score):
    assert CommitmentFactory.build(status=status).compliance_score == score


@pytest.mark.parametrize(
    ("next_check", "due", "status", "overdue"),
    [
        (-1, None, Status.IN_PROGRESS, True),
        (0, None, Status.IN_PROGRESS, False),
        (5, -1, Status.ANNOUNCED, True),
        (5, 3, Status.STALLED, False),
        (-10, -10, Status.FULFILLED, False),
        (None, None, Status.IN_PROGRESS, False),
    ],
)
def test_overdue_property_and_queryset_agree(next_check, due, status, overdue):
    def day(offset):
        return None if offset is None else today() + timedelta(days=offset)

    commitment = CommitmentFactory(
        next_check_on=day(next_check), due_on=day(due), status=status, made_on=date(2025, 1, 1)
    )

    assert commitment.is_overdue is overdue
    assert Commitment.objects.overdue().filter(pk=commitment.pk).exists() is overdue


def test_dedupe_keys_name_kind_subject_date_and_recipient():
    assert (
        FollowUp.make_dedupe_key(FollowUp.Kind.CHECKUP, due_on=date(2026, 1, 5), recipient_id=7, commitment_id=3)
        == "checkup:3:2026-01-05:7"
    )
    assert (
        FollowUp.make_dedupe_key(FollowUp.Kind.DIGEST, due_on=date(2026, 1, 5), recipient_id=7) == "digest:7:2026-W02"
    )


def test_notification_preferences_check_the_time_zone_and_give_each_user_a_token():
    first = NotificationPreference(user=UserFactory(), time_zone="Africa/Nairobi")
    first.full_clean()
    second = NotificationPreference(user=UserFactory(), time_zone="Mars/Olympus_Mons")

    with pytest.raises(ValidationError) as refused:
        second.full_clean()

    assert "not a known time zone" in refused.value.message_dict["time_zone"][0]
    assert first.calendar_token != second.calendar_token
    assert len(first.calendar_token) >= 32


def test_preferences_say_which_emails_a_user_wants():
    preference = NotificationPreference(reminders_enabled=False, digest_enabled=True)

    assert preference.wants(FollowUp.Kind.DIGEST)
    assert not preference.wants(FollowUp.Kind.CHECKUP)
    assert not preference.wants(FollowUp.Kind.ESCALATION)
