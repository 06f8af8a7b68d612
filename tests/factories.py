from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from tracker import followups
from tracker.models import Actor, Commitment, Event, FollowUp, ProgressUpdate, Status, Topic


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*extracted)
        if create:
            self.save()


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    name = factory.Sequence(lambda n: f"Actor {n}")
    kind = Actor.Kind.PERSON
    country = "KE"
    role = "Minister"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    name = factory.Sequence(lambda n: f"Summit {n}")
    location = "Yokohama"
    country = "JP"
    starts_on = date(2025, 8, 20)
    ends_on = date(2025, 8, 22)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class CommitmentFactory(factory.django.DjangoModelFactory):
    """A pledge written straight to the table; services are tested through their own calls."""

    class Meta:
        model = Commitment
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Pledge {n}")
    description = "Described in the project's own words."
    quote = "We will do it."
    made_by = factory.SubFactory(ActorFactory)
    event = factory.SubFactory(EventFactory)
    made_on = date(2025, 8, 20)
    kind = Commitment.Kind.PROMISE
    status = Status.ANNOUNCED
    progress = 0
    check_every_days = 30
    next_check_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def watchers(self, create, extracted, **kwargs):
        if create and extracted:
            self.watchers.add(*extracted)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.add(*extracted)


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    commitment = factory.SubFactory(CommitmentFactory)
    author = factory.SubFactory(UserFactory)
    status_before = Status.ANNOUNCED
    status_after = Status.IN_PROGRESS
    progress = 10
    note = "Officials met."


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    kind = FollowUp.Kind.CHECKUP
    commitment = factory.SubFactory(CommitmentFactory)
    recipient = factory.LazyAttribute(lambda followup: followup.commitment.owner)
    due_on = factory.LazyAttribute(lambda followup: followup.commitment.next_check_on)
    dedupe_key = factory.LazyAttribute(
        lambda followup: FollowUp.make_dedupe_key(
            followup.kind,
            due_on=followup.due_on,
            recipient_id=followup.recipient.pk,
            commitment_id=getattr(followup.commitment, "pk", None),
        )
    )


def send_one(followup_id):
    """Claim and send one outbox row now; returns its outcome."""
    return followups.followups_send(followup_ids=[followup_id])[followup_id]
