"""Two analysts recording at once, two sweeps, two workers: on real PostgreSQL locks."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from tests.factories import CommitmentFactory, FollowUpFactory, ViewerFactory
from tracker import followups as outbox
from tracker import services
from tracker.models import FollowUp, Status

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL pointing to PostgreSQL"),
]


def test_concurrent_updates_each_see_the_other_as_before():
    commitment = CommitmentFactory()
    first_holds_lock = threading.Event()
    second_started = threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = services.progress_record(commitment=commitment, status=Status.IN_PROGRESS)
                first_holds_lock.set()
                second_started.wait(timeout=10)
                time.sleep(0.3)  # let the second block on the row lock before this commits
        finally:
            connections.close_all()

    def second():
        try:
            first_holds_lock.wait(timeout=10)
            second_started.set()
            results["second"] = services.progress_record(commitment=commitment, status=Status.STALLED)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results["first"].status_before == Status.ANNOUNCED
    assert results["second"].status_before == Status.IN_PROGRESS
    commitment.refresh_from_db()
    assert commitment.status == Status.STALLED
    assert commitment.updates.count() == 2


def run_at_once(function, count=2):
    """Call `function` from `count` threads released together; returns their results."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(function())
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_two_sweeps_at_once_create_no_duplicate():
    watcher = ViewerFactory()
    for _ in range(50):
        CommitmentFactory(next_check_on=timezone.localdate() - timedelta(days=30), watchers=[watcher])

    for _ in range(3):
        run_at_once(outbox.followups_queue_due, count=4)

    # 50 escalations to owners and 50 to the watcher, each once; the owners'
    # check-ups are left out, their escalation the same day standing for them.
    assert FollowUp.objects.count() == 100
    assert FollowUp.objects.values("dedupe_key").distinct().count() == 100


def test_two_workers_claiming_the_same_row_one_wins():
    followups = [FollowUpFactory(commitment=CommitmentFactory(next_check_on=timezone.localdate())) for _ in range(20)]
    for followup in followups:
        outcomes = run_at_once(
            lambda followup=followup: FollowUp.objects.filter(pk=followup.pk).claim(timezone.now()) == 1, count=3
        )
        assert sorted(outcomes) == [False, False, True]
    assert set(FollowUp.objects.values_list("attempts", flat=True)) == {1}


def test_concurrent_batch_claims_and_wakes_are_disjoint():
    for _ in range(60):
        FollowUpFactory(commitment=CommitmentFactory(next_check_on=timezone.localdate()))
    claimed = run_at_once(lambda: outbox.followups_claim_due(limit=40), count=3)
    flat = [followup_id for batch in claimed for followup_id in batch]
    assert len(flat) == len(set(flat)) == 60

    FollowUp.objects.update(state=FollowUp.State.PENDING, woken_at=None)
    woken = run_at_once(lambda: outbox.followups_wake(limit=25), count=3)
    flat = [followup_id for batch in woken for followup_id in batch]
    assert len(flat) == len(set(flat)) == 60


def test_concurrent_claims_of_overlapping_lists_get_disjoint_rows():
    ids = [FollowUpFactory(commitment=CommitmentFactory(next_check_on=timezone.localdate())).pk for _ in range(60)]
    for _ in range(3):
        lists = iter([ids[:40], ids[20:]])  # 20 rows in both
        claimed = run_at_once(lambda lists=lists: outbox.followups_claim(ids=next(lists)), count=2)
        flat = [followup_id for batch in claimed for followup_id in batch]
        assert len(flat) == len(set(flat))
        assert set(flat) == set(ids)  # a row one claim skipped (locked) was the other's
        assert set(FollowUp.objects.values_list("attempts", flat=True)) == {1}
        FollowUp.objects.update(state=FollowUp.State.PENDING, attempts=0, lease_until=None)
