"""The board's cached numbers (tracker/board_cache.py): fresh after every committed write, in every process.

These tests commit for real (`transaction=True`): the numbers are retired
when a write commits, which a test wrapped in one transaction never does.
"""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import ActorFactory, CommitmentFactory, EventFactory, bulk_pledges
from tracker import board_cache, milestones, money, selectors, services
from tracker.models import Actor, Commitment, Event, Status, SummaryVersion

pytestmark = pytest.mark.django_db(transaction=True)

# Session and user (2); the nav's permission check (1); the filter form's
# choices (1); the cache's token (1); the list's page of 50 (1); the three
# 20-row lists (3); the latest published assessment cycle, which the compliance
# panels offer (1). Only when the cache misses: the numbers over every pledge
# (1), the money totals per actor and per event (1) and the renewals per event
# (2).
BOARD_QUERIES_CACHED = 10
BOARD_QUERIES_MISSED = 14


def token():
    return SummaryVersion.objects.get(pk=1).token


def cached_summary(today=None):
    return selectors.board_summary(today=today, cached=True, charts=True, money=True)


def live_summary(today=None):
    return selectors.board_summary(today=today, charts=True, money=True)


def numbers(summary):
    keys = ("counts", "total", "overdue_count", "compliance_by_actor", "compliance_by_event", "status_by_actor")
    keys += ("money_totals", "renewals")
    return {key: summary[key] for key in keys} | {"dates_by_month": summary["dates_by_month"]}


def aggregate_queries(queries):
    """The statements that count pledges: the tiles, compliance tables and charts (one), the money totals per maker
    and event (one), the renewals per event (two)."""
    return [q["sql"] for q in queries if "COUNT(" in q["sql"]]


# The numbers, the money totals, and the renewals' two.
AGGREGATES = 4


def without_csrf_tokens(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def get_board(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("tracker:board"))
    assert response.status_code == 200
    return response, queries


@pytest.fixture
def pledges():
    maker, event = ActorFactory(name="Japan"), EventFactory(name="TICAD 9")
    today = timezone.localdate()
    return [
        CommitmentFactory(made_by=maker, event=event, status=Status.IN_PROGRESS),
        CommitmentFactory(made_by=maker, event=event, status=Status.STALLED, next_check_on=today - timedelta(days=3)),
        CommitmentFactory(status=Status.FULFILLED, next_check_on=None),
    ]


@pytest.mark.parametrize("size", [3, 60])
def test_the_unfiltered_board_reads_every_pledge_once_until_something_changes(analyst_client, size):
    bulk_pledges(size)

    first, missed = get_board(analyst_client)
    second, cached = get_board(analyst_client)

    assert len(missed) == BOARD_QUERIES_MISSED
    assert len(aggregate_queries(missed.captured_queries)) == AGGREGATES
    assert len(cached) == BOARD_QUERIES_CACHED
    assert aggregate_queries(cached.captured_queries) == []
    assert second.context["summary"]["total"] == first.context["summary"]["total"] == size
    assert without_csrf_tokens(second) == without_csrf_tokens(first)


def test_a_filtered_board_is_counted_afresh(analyst_client, pledges):
    analyst_client.get(reverse("tracker:board"))
    with CaptureQueriesContext(connection) as queries:
        response = analyst_client.get(reverse("tracker:board") + "?status=stalled")

    assert response.context["summary"]["total"] == 1
    assert len(aggregate_queries(queries.captured_queries)) == AGGREGATES


def test_creating_a_pledge_through_the_board_form_shows_on_the_next_view(analyst_client, pledges, analyst):
    analyst_client.get(reverse("tracker:board"))
    services.progress_record(
        commitment=pledges[0], author=analyst, status=Status.FULFILLED, evidence_url="https://example.org/evidence"
    )

    response, _ = get_board(analyst_client)

    assert response.context["summary"]["counts"][Status.FULFILLED] == 2
    assert response.context["summary"]["counts"][Status.IN_PROGRESS] == 0


def change_the_maker_with_a_service(pledges, user):
    services.commitment_update(commitment=pledges[0], user=user, data={"made_by": pledges[2].made_by})


def record_progress(pledges, user):
    services.progress_record(commitment=pledges[1], author=user, status=Status.IN_PROGRESS, progress=40)


def create_with_a_service(pledges, user):
    data = {"title": "Review the tariffs on Kenyan tea", "made_by": pledges[0].made_by, "made_on": timezone.localdate()}
    services.commitment_create(user=user, data=data)


def postpone_checks(pledges, user):
    services.commitments_postpone(commitments=pledges[:2], days=60, user=user)


def delete_a_pledge(pledges, user):
    Commitment.objects.filter(pk=pledges[2].pk).delete()  # as the admin's delete action does


def rename_the_maker(pledges, user):
    maker = Actor.objects.get(pk=pledges[0].made_by_id)
    maker.name = "Government of Japan"
    maker.save()


def delete_the_event(pledges, user):
    Event.objects.filter(pk=pledges[0].event_id).delete()  # the pledges keep no event (SET_NULL)


def add_a_money_line(pledges, user):
    money.money_line_add(
        commitment=pledges[0],
        user=user,
        data={"kind": "disbursed", "amount": "100", "currency": "USD", "on": timezone.localdate()},
    )


def a_milestone_falls_overdue(pledges, user):
    milestones.milestone_add(
        commitment=pledges[0], user=user, data={"title": "Law passed", "due_on": pledges[0].made_on}
    )


def update_without_signals_then_say_so(pledges, user):
    Commitment.objects.filter(pk=pledges[0].pk).update(status=Status.BROKEN)
    board_cache.summary_changed()


@pytest.mark.parametrize(
    "write",
    [
        change_the_maker_with_a_service,
        record_progress,
        create_with_a_service,
        postpone_checks,
        delete_a_pledge,
        rename_the_maker,
        delete_the_event,
        add_a_money_line,
        a_milestone_falls_overdue,
        update_without_signals_then_say_so,
    ],
)
def test_every_committed_write_retires_the_cached_numbers(pledges, analyst, write):
    before = cached_summary()
    old_token = token()

    write(pledges, analyst)

    assert token() != old_token
    after = cached_summary()
    assert numbers(after) == numbers(live_summary())
    assert numbers(after) != numbers(before)


def test_deleting_a_money_line_retires_the_cached_totals(pledges, analyst):
    line = money.money_line_add(
        commitment=pledges[0], data={"kind": "committed", "amount": "5", "currency": "EUR", "on": timezone.localdate()}
    )
    with_line = cached_summary()
    old_token = token()

    money.money_line_delete(line=line, user=analyst)

    assert token() != old_token
    assert numbers(cached_summary()) == numbers(live_summary()) != numbers(with_line)


def test_a_rolled_back_write_keeps_the_cached_numbers(pledges):
    cached_summary()
    old_token = token()

    with pytest.raises(RuntimeError), transaction.atomic():
        Commitment.objects.filter(pk=pledges[0].pk).get().delete()
        raise RuntimeError("changed my mind")

    assert token() == old_token
    with CaptureQueriesContext(connection) as queries:
        summary = cached_summary()
    assert aggregate_queries(queries.captured_queries) == []
    assert summary["total"] == 3


def test_a_writer_counts_its_own_uncommitted_changes_and_no_one_keeps_them(pledges):
    cached_summary()

    with pytest.raises(RuntimeError), transaction.atomic():
        CommitmentFactory(status=Status.BROKEN)
        inside = cached_summary()
        raise RuntimeError("rolled back")

    assert inside["total"] == 4
    assert inside["counts"][Status.BROKEN] == 1
    outside = cached_summary()
    assert outside["total"] == 3
    assert outside["counts"][Status.BROKEN] == 0


def test_the_overdue_count_moves_with_the_date(pledges):
    today = timezone.localdate()

    assert cached_summary(today)["overdue_count"] == 1
    # A month later the in-progress pledge's check (30 days out) is overdue too.
    assert cached_summary(today + timedelta(days=45))["overdue_count"] == 2
    assert cached_summary(today)["overdue_count"] == 1


def test_a_lost_version_row_means_no_cache_until_the_next_change(pledges):
    SummaryVersion.objects.all().delete()

    first = cached_summary()
    with CaptureQueriesContext(connection) as queries:
        cached_summary()
    assert first["total"] == 3
    assert len(aggregate_queries(queries.captured_queries)) == AGGREGATES

    CommitmentFactory()

    assert SummaryVersion.objects.count() == 1
    assert cached_summary()["total"] == 4
    with CaptureQueriesContext(connection) as queries:
        assert cached_summary()["total"] == 4
    assert aggregate_queries(queries.captured_queries) == []


def test_seed_bench_retires_the_cached_numbers_itself(pledges):
    Commitment.objects.all().delete()
    cached_summary()
    old_token = token()
    # Its bulk inserts send no signal; the actors and events it may create
    # one by one would, so the signals are off to see that it says so itself.
    receivers = [(signal, model) for signal in (post_save, post_delete) for model in (Commitment, Actor, Event)]
    for signal, model in receivers:
        signal.disconnect(sender=model, dispatch_uid=f"board_cache:{model._meta.label}:{signal_name(signal)}")
    try:
        call_command("seed_bench", "--commitments", "20", "--updates", "0", "--no-progress", stdout=io.StringIO())
    finally:
        board_cache.connect_signals()

    assert token() != old_token
    assert cached_summary()["total"] == 20


def signal_name(signal):
    return "save" if signal is post_save else "delete"


def test_the_api_board_caches_unfiltered_numbers_only(pledges, superuser):
    client = APIClient()
    client.force_authenticate(superuser)

    client.get("/api/v1/board/")
    with CaptureQueriesContext(connection) as cached:
        unfiltered = client.get("/api/v1/board/").json()
    with CaptureQueriesContext(connection) as filtered_queries:
        filtered = client.get("/api/v1/board/?status=stalled").json()

    assert unfiltered["total"] == 3
    assert aggregate_queries(cached.captured_queries) == []
    assert filtered["total"] == 1
    assert len(aggregate_queries(filtered_queries.captured_queries)) == AGGREGATES

    services.progress_record(commitment=pledges[0], author=superuser, status=Status.STALLED, progress=10)

    assert client.get("/api/v1/board/").json()["counts"]["stalled"] == 2


def test_a_cache_that_is_down_means_counting_afresh_not_an_error(pledges, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("cache server unreachable")

    monkeypatch.setattr(board_cache.cache, "get", down)
    monkeypatch.setattr(board_cache.cache, "set", down)

    assert numbers(cached_summary()) == numbers(live_summary())
    assert "Board cache unreadable" in caplog.text
