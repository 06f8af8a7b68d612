"""Follow-ups end to end: real Celery worker and beat processes, Redis, PostgreSQL and an SMTP sink.

Each test makes 200 pledges due, lets beat's sweep and the worker deliver
them to an SMTP server in this process, and breaks something on the way: a
worker killed with SIGKILL, the broker's queue flushed, the SMTP server down.
Every pledge must still get its email; duplicates only where DESIGN.md allows
them (at most one per killed worker). Sweeps run every second and leases
last five seconds (SMTP timeouts two), so that each test takes seconds.
"""

import os
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import ActorFactory, ViewerFactory
from tests.processes import Cluster, SmtpSink, free_port, wait_until
from tracker.models import Commitment, FollowUp

PLEDGES = 200

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or connection.vendor != "postgresql",
        reason="needs REDIS_URL and DATABASE_URL pointing to PostgreSQL (the worker shares the test database)",
    ),
]


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()  # no wake-up left over from another run
    yield client
    client.flushdb()


@pytest.fixture
def cluster(tmp_path, redis_client):
    smtp_port = free_port()
    running = Cluster(tmp_path, smtp_port)
    running.smtp_port = smtp_port
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def due_pledges(db):
    """200 open pledges whose check is due today, owned by 10 analysts."""
    owners = [ViewerFactory() for _ in range(10)]
    actor = ActorFactory(name="Government of Kenya")
    today = timezone.localdate()
    Commitment.objects.bulk_create(
        Commitment(
            title=f"Pledge {number}",
            made_by=actor,
            made_on=today - timedelta(days=100),
            next_check_on=today,
            owner=owners[number % len(owners)],
        )
        for number in range(PLEDGES)
    )
    return set(Commitment.objects.values_list("pk", flat=True))


def delivered_pledges(sink):
    return {int(key.split(":")[1]) for key in sink.handler.checkups()}


def delivered_everything(sink, cluster, pledges, timeout=120):
    """Wait for every pledge's check-up, then a lease's time more for any duplicate; returns the counts."""
    wait_until(lambda: delivered_pledges(sink) == pledges, timeout=timeout, what="all 200 emails", logs=cluster.logs)
    time.sleep(6)
    return sink.handler.checkups()


def assert_all_sent(pledges):
    checkups = FollowUp.objects.filter(kind=FollowUp.Kind.CHECKUP)
    assert set(checkups.values_list("commitment_id", flat=True)) == pledges
    assert set(checkups.values_list("state", flat=True)) == {FollowUp.State.SENT}


def test_every_due_pledge_gets_one_email(cluster, due_pledges):
    sink = SmtpSink(cluster.smtp_port)
    sink.start()
    try:
        cluster.start_worker(concurrency=2)
        cluster.start_beat()
        counts = delivered_everything(sink, cluster, due_pledges)
    finally:
        sink.stop()
    assert len(counts) == PLEDGES
    assert set(counts.values()) == {1}
    assert_all_sent(due_pledges)


def test_a_worker_killed_mid_batch_loses_nothing(cluster, due_pledges):
    # Each message waits 0.3 s for its "250": the kills land mid-send, after delivery, before "sent".
    sink = SmtpSink(cluster.smtp_port, delay=0.3)
    sink.start()
    kills = 0
    try:
        # One process at a time: at most one message is in flight when it dies.
        worker = cluster.start_worker(concurrency=1)
        cluster.start_beat()
        for threshold in (10, 30):
            wait_until(
                lambda threshold=threshold: (
                    len(delivered_pledges(sink)) >= threshold and sink.handler.mid_send.is_set()
                ),
                timeout=120,
                what=f"{threshold} emails and one in flight before the kill",
                logs=cluster.logs,
            )
            cluster.kill(worker)
            kills += 1
            worker = cluster.start_worker(concurrency=1)
        sink.handler.delay = 0.0  # the rest quickly
        counts = delivered_everything(sink, cluster, due_pledges, timeout=180)
    finally:
        sink.stop()
    duplicates = sum(counts.values()) - len(counts)
    assert duplicates <= kills
    assert_all_sent(due_pledges)
    # The rows that were in flight were claimed again after their lease expired.
    assert FollowUp.objects.filter(kind=FollowUp.Kind.CHECKUP, attempts__gte=2).count() >= 1


def test_a_flushed_broker_queue_loses_nothing(cluster, due_pledges, redis_client):
    sink = SmtpSink(cluster.smtp_port, delay=0.02)
    sink.start()
    try:
        cluster.start_worker(concurrency=2)
        cluster.start_beat()
        wait_until(lambda: len(delivered_pledges(sink)) >= 40, timeout=120, what="40 emails", logs=cluster.logs)
        queued = redis_client.llen("celery")
        redis_client.flushdb()  # every queued wake-up is gone
        counts = delivered_everything(sink, cluster, due_pledges)
    finally:
        sink.stop()
    assert queued > 0, "the flush came too late to lose anything; the test proves nothing"
    assert set(counts.values()) == {1}
    assert_all_sent(due_pledges)


def test_a_mail_server_down_for_a_while_gets_everything_after_retries(cluster, due_pledges):
    cluster.start_worker(concurrency=2)
    cluster.start_beat()
    failed_once = FollowUp.objects.filter(kind=FollowUp.Kind.CHECKUP, state=FollowUp.State.PENDING, attempts__gte=1)
    wait_until(
        lambda: failed_once.exclude(last_error="").count() >= 50,
        timeout=120,
        what="50 failed attempts while the mail server is down",
        logs=cluster.logs,
    )
    assert "Connection refused" in failed_once.exclude(last_error="").first().last_error
    sink = SmtpSink(cluster.smtp_port)
    sink.start()
    try:
        counts = delivered_everything(sink, cluster, due_pledges)
    finally:
        sink.stop()
    assert set(counts.values()) == {1}
    assert_all_sent(due_pledges)
    retried = FollowUp.objects.filter(kind=FollowUp.Kind.CHECKUP, attempts__gte=2)
    assert retried.count() >= 50
    assert not retried.filter(last_error="").exists()  # the error that caused the retry is kept
