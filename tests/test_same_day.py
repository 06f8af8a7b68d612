"""A check-up and an escalation about the same pledge on the same day are one email: the escalation."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tests.factories import CommitmentFactory, UserFactory, today
from tracker import followups as outbox
from tracker import services
from tracker.models import FollowUp, NotificationPreference

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def escalate_after_a_week(settings):
    settings.FOLLOWUP_ESCALATE_DAYS = 7


@pytest.fixture
def owner(roles):
    user = UserFactory(username="wanjiru", groups=[roles[services.ANALYSTS_GROUP]])
    # The weekly digest is another matter; it would be a second email here.
    NotificationPreference.objects.create(user=user, digest_enabled=False)
    return user


def sweep_and_deliver():
    outbox.followups_sweep()
    return outbox.followups_deliver(followup_ids=outbox.followups_claim_due(limit=100))


def subjects():
    return [message.subject for message in mail.outbox]


def test_a_target_passed_on_the_check_date_is_one_email_the_escalation(owner):
    commitment = CommitmentFactory(
        title="Tea tariffs", owner=owner, next_check_on=today(), due_on=today() - timedelta(days=1)
    )

    sweep_and_deliver()

    assert [subject.split(" (")[0] for subject in subjects()] == ["Overdue: Tea tariffs"]
    assert list(commitment.followups.values_list("kind", "state")) == [(FollowUp.Kind.ESCALATION, FollowUp.State.SENT)]


def test_a_check_long_past_when_first_swept_is_one_email_the_escalation(owner):
    CommitmentFactory(title="Samurai bond", owner=owner, next_check_on=today() - timedelta(days=30))

    sweep_and_deliver()
    sweep_and_deliver()  # and stays one: the check-up is not made later either

    assert [subject.split(" (")[0] for subject in subjects()] == ["Overdue: Samurai bond"]
    assert not FollowUp.objects.filter(kind=FollowUp.Kind.CHECKUP).exists()


def test_a_checkup_queued_before_the_same_day_s_escalation_is_cancelled(owner):
    commitment = CommitmentFactory(title="Tea tariffs", owner=owner, next_check_on=today())
    outbox.followups_sweep()
    checkup = FollowUp.objects.get(kind=FollowUp.Kind.CHECKUP)
    # Later that day, before the check-up went out, the target date is corrected to last week.
    services.commitment_update(commitment=commitment, data={"due_on": today() - timedelta(days=7)})

    outcomes = sweep_and_deliver()

    assert [subject.split(" (")[0] for subject in subjects()] == ["Overdue: Tea tariffs"]
    checkup.refresh_from_db()
    assert outcomes[checkup.pk] == FollowUp.State.CANCELLED
    assert checkup.last_error == "an escalation about the pledge went to the recipient instead"
    sweep_and_deliver()  # the cancelled check-up is not revived by the next sweep
    checkup.refresh_from_db()
    assert checkup.state == FollowUp.State.CANCELLED
    assert len(mail.outbox) == 1


def test_a_checkup_due_after_the_same_day_s_escalation_went_out_is_not_sent(owner):
    commitment = CommitmentFactory(
        title="Tea tariffs", owner=owner, next_check_on=today() + timedelta(days=10), due_on=today() - timedelta(days=1)
    )
    sweep_and_deliver()
    # Later that day the next check is brought forward to today.
    services.commitment_update(commitment=commitment, data={"next_check_on": today()})

    sweep_and_deliver()

    assert [subject.split(" (")[0] for subject in subjects()] == ["Overdue: Tea tariffs"]
    assert not FollowUp.objects.filter(kind=FollowUp.Kind.CHECKUP, state=FollowUp.State.SENT).exists()


def test_a_checkup_on_a_day_without_an_escalation_still_goes(owner):
    commitment = CommitmentFactory(
        title="Tea tariffs", owner=owner, next_check_on=today() + timedelta(days=1), due_on=today() - timedelta(days=1)
    )
    sweep_and_deliver()  # today: the target date has passed

    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        sweep_and_deliver()  # tomorrow: the check date

    assert [subject.split(" (")[0] for subject in subjects()] == ["Overdue: Tea tariffs", "Time to check: Tea tariffs"]
    assert set(commitment.followups.values_list("kind", "state")) == {
        (FollowUp.Kind.ESCALATION, FollowUp.State.SENT),
        (FollowUp.Kind.CHECKUP, FollowUp.State.SENT),
    }


def test_a_checkup_alone_goes(owner):
    CommitmentFactory(title="Tea tariffs", owner=owner, next_check_on=today())

    sweep_and_deliver()

    assert [subject.split(" (")[0] for subject in subjects()] == ["Time to check: Tea tariffs"]
