import re
from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tracker import assessments, followups, services
from tracker.models import (
    Actor,
    AssessmentCycle,
    Commitment,
    Event,
    FollowUp,
    Milestone,
    ProgressUpdate,
    Status,
    Topic,
)


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


class ViewerFactory(UserFactory):
    """A user in the Viewers group: reminders go only to people who may view pledges."""

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create:
            viewers = Group.objects.filter(name=services.VIEWERS_GROUP).first()
            self.groups.add(viewers or services.roles_ensure()[services.VIEWERS_GROUP], *(extracted or ()))
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
    owner = factory.SubFactory(ViewerFactory)

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


class MilestoneFactory(factory.django.DjangoModelFactory):
    """A step of a pledge, due in a month and not done."""

    class Meta:
        model = Milestone

    commitment = factory.SubFactory(CommitmentFactory)
    title = factory.Sequence(lambda n: f"Step {n}")
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    weight = 1


class AssessmentCycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentCycle

    name = factory.Sequence(lambda n: f"Cycle {n}")
    kind = AssessmentCycle.Kind.INTERIM
    period_start = date(2025, 8, 22)
    period_end = date(2026, 2, 28)


def cycle_with(commitments, *, criteria=True, **kwargs):
    """A draft cycle over `commitments`, each with criteria for +1, 0 and -1 unless `criteria` is false."""
    cycle = AssessmentCycleFactory(**kwargs)
    assessments.cycle_add_commitments(cycle=cycle, commitments=commitments)
    if criteria:
        cycle.cycle_commitments.update(
            criteria_full="Done in full.", criteria_partial="Under way.", criteria_none="Nothing done."
        )
    return cycle


def score(cycle, commitment, member, value, *, user=None):
    """Set a cell as an analyst would, with the rationale and evidence that +1 and -1 need."""
    return assessments.score_set(
        cycle=cycle,
        commitment=commitment,
        member=member,
        score=value,
        rationale="" if value is None else f"Scored {value}.",
        evidence_urls=[] if value is None else ["https://example.org/evidence"],
        user=user,
    )


def published_cycles(count, user=None):
    """`count` published cycles, each with a pledge, a +1 cell and a revision of it to 0."""
    for _ in range(count):
        commitment = CommitmentFactory()
        cycle = cycle_with([commitment], event=EventFactory())
        cell = score(cycle, commitment, commitment.made_by, 1, user=user)
        assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
        assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED)
        assessments.score_revise(score=cell, user=user, data={"score": 0}, reason="Corrected.")


def send_one(followup_id):
    """Claim and send one outbox row now; returns its outcome."""
    return followups.followups_send(followup_ids=[followup_id])[followup_id]


def today():
    return timezone.localdate()


def bulk_pledges(count, *, owner=None):
    """`count` pledges in a few queries, each with a counterpart, a topic and its owner watching.

    Every status, three makers (KE, JP, US), two events; among the open pledges
    some are overdue and some due soon, so that every list of the board has rows.
    """
    owner = owner or ViewerFactory()
    actors = [ActorFactory(country=country) for country in ("KE", "JP", "US")]
    events = [EventFactory(), EventFactory()]
    topic = TopicFactory()
    start = today()
    statuses = Status.values
    commitments = Commitment.objects.bulk_create(
        Commitment(
            title=f"Pledge {n}",
            made_by=actors[n % 3],
            event=events[n % 2],
            made_on=date(2025, 8, 20),
            status=statuses[n % len(statuses)],
            progress=n % 101,
            owner=owner,
            next_check_on=start + timedelta(days=(n % 5) * 7 - 14),
            due_on=start + timedelta(days=n % 400) if n % 2 else None,
        )
        for n in range(count)
    )
    Commitment.counterparts.through.objects.bulk_create(
        Commitment.counterparts.through(commitment=commitment, actor=actors[(n + 1) % 3])
        for n, commitment in enumerate(commitments)
    )
    Commitment.topics.through.objects.bulk_create(
        Commitment.topics.through(commitment=commitment, topic=topic) for commitment in commitments
    )
    Commitment.watchers.through.objects.bulk_create(
        Commitment.watchers.through(commitment=commitment, user=owner) for commitment in commitments
    )
    return {"actor": actors[0], "event": events[0], "topic": topic}


def api_client_for(user):
    """An API client that authenticates as `user` with a token, as scripts do; anonymous for None."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def body(response):
    return response.content.decode()


def field_errors(html, field_id):
    """The error list rendered next to a form field (the `<ul id="<field id>_error">` after it)."""
    match = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def count_queries(client, url):
    """The number of queries a GET of `url` takes, a streamed body read to its end."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries)
