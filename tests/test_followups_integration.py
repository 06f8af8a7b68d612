"""Follow-ups end to end: real Celery worker and beat processes, Redis, PostgreSQL and an SMTP sink.

Each test makes 200 pledges due, lets beat's sweep and the worker deliver
them to an SMTP server in this process, and breaks something on the way: a
worker killed with SIGKILL, the broker's queue flushed, the SMTP server down.
Every pledge must still get its email; duplicates only where DESIGN.md allows
them (at most one per killed worker). Sweeps run every second and leases
last five seconds (SMTP timeouts two), so that each test takes seconds.
"""

import asyncio
import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import ActorFactory, UserFactory
from tracker.models import Commitment, FollowUp

ROOT = Path(__file__).resolve().parent.parent
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


class SinkHandler:
    """Records each delivered message's follow-up key; optionally slow, like a real server."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.keys = []
        self.lock = threading.Lock()
        # Set while a message's DATA is in and its "250" not yet sent: a
        # worker killed then dies mid-send, with the message delivered.
        self.mid_send = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.keys.append(message["X-Tracker-Followup"])
        self.mid_send.set()
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.mid_send.clear()
        return "250 Message accepted for delivery"

    def checkups(self):
        with self.lock:
            return Counter(key for key in self.keys if key and key.startswith("checkup:"))


class SmtpSink:
    def __init__(self, port, delay=0.0):
        from aiosmtpd.controller import Controller

        self.handler = SinkHandler(delay)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, *, timeout, what, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs if log.exists())
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tails}")


class Cluster:
    """The worker and beat processes of one test, each in its own process group."""

    def __init__(self, tmp_path, smtp_port):
        database = connection.settings_dict
        credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # The test database, which the transactional test commits to.
            "DATABASE_URL": f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "REDIS_URL": os.environ["REDIS_URL"],
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "EMAIL_TIMEOUT": "2",
            "VAR_DIR": str(tmp_path / "var"),
            "FOLLOWUP_SWEEP_SECONDS": "1",
            "FOLLOWUP_LEASE_SECONDS": "5",
            "FOLLOWUP_RETRY_SECONDS": "1",
            "FOLLOWUP_RETRY_MAX_SECONDS": "2",
            "FOLLOWUP_MAX_ATTEMPTS": "100",
            "LOG_LEVEL": "INFO",
        }
        self.tmp_path = tmp_path
        self.processes = []
        self.logs = []
        self.workers_started = 0

    def _start(self, name, *arguments):
        log = self.tmp_path / f"{name}.log"
        self.logs.append(log)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *arguments],
            cwd=ROOT,
            env=self.environment,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed with its pool children
        )
        self.processes.append(process)
        return process

    def start_worker(self, concurrency=2):
        self.workers_started += 1
        return self._start(
            f"worker{self.workers_started}",
            "worker",
            f"--concurrency={concurrency}",
            f"--hostname=worker{self.workers_started}@%h",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        )

    def start_beat(self):
        return self._start("beat", "beat", "--loglevel=INFO", f"--schedule={self.tmp_path / 'beat-schedule'}")

    @staticmethod
    def kill(process, sig=signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop(self):
        try:
            for process in self.processes:
                if process.poll() is None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self.kill(process, signal.SIGTERM)
        finally:
            for process in self.processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # and any pool child left behind


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
    owners = [UserFactory() for _ in range(10)]
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
