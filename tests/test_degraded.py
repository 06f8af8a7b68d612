"""Degraded modes: with the broker down the product keeps working, and the outbox catches up.

A private Redis on a free port plays the broker, so that the test can stop
and restart it; worker and beat are real processes, the mail server a local
SMTP sink, the database the test's PostgreSQL database.
"""

import shutil
import subprocess
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from tests.factories import CommitmentFactory
from tests.processes import Cluster, SmtpSink, free_port, wait_until
from tracker import services
from tracker.models import FollowUp, ProgressUpdate, Status

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server program"),
]


class PrivateRedis:
    def __init__(self, port, folder):
        self.port = port
        self.folder = folder
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port)
        wait_until(lambda: _pings(client), timeout=20, what="the private Redis")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _pings(client):
    try:
        return client.ping()
    except Exception:
        return False


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(free_port(), tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def cluster_on(tmp_path, private_redis, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing to PostgreSQL (the worker shares the test database)")
    smtp_port = free_port()
    monkeypatch.setenv("REDIS_URL", private_redis.url)
    running = Cluster(tmp_path, smtp_port)
    running.smtp_port = smtp_port
    # This process publishes and checks health against the private broker too.
    monkeypatch.setitem(app.conf, "broker_url", private_redis.url)
    monkeypatch.setitem(app.conf, "broker_write_url", None)
    try:
        yield running
    finally:
        running.stop()


def test_with_the_broker_down_work_goes_on_and_reminders_follow_when_it_is_back(
    cluster_on, private_redis, admin_client
):
    sink = SmtpSink(cluster_on.smtp_port)
    sink.start()
    try:
        cluster_on.start_worker(concurrency=1)
        cluster_on.start_beat()
        commitment = CommitmentFactory(title="Samurai Bond", check_every_days=1)

        private_redis.stop()

        # The admin, the board and the API answer as usual.
        for path in (
            "/admin/tracker/commitment/",
            f"/admin/tracker/commitment/{commitment.pk}/change/",
            "/",
            commitment.get_absolute_url(),
            "/api/v1/commitments/",
            "/api/v1/board/",
        ):
            response = admin_client.get(path)
            assert response.status_code == 200, path
            assert "Samurai Bond" in response.text, path
        health = admin_client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        # An update recorded on the board is saved.
        response = admin_client.post(
            f"/commitments/{commitment.pk}/updates/",
            {
                "status": "in_progress",
                "progress": "10",
                "note": "Recorded on the board.",
                "expected_status": "announced",
            },
        )
        assert response.status_code == 302
        assert ProgressUpdate.objects.filter(commitment=commitment, note="Recorded on the board.").exists()
        # One recorded as of yesterday, checked every day: the next check is today, so a check-up is due.
        services.progress_record(
            commitment=commitment,
            status=Status.IN_PROGRESS,
            progress=15,
            note="Recorded while Redis was down.",
            recorded_on=timezone.localdate() - timedelta(days=1),
        )
        assert ProgressUpdate.objects.filter(commitment=commitment, note="Recorded while Redis was down.").exists()
        time.sleep(3)
        assert sink.handler.checkups() == {}

        private_redis.start()

        key = f"checkup:{commitment.pk}:{timezone.localdate().isoformat()}:{commitment.owner_id}"
        wait_until(lambda: sink.handler.checkups()[key] >= 1, timeout=90, what="the check-up", logs=cluster_on.logs)
        assert admin_client.get("/healthz").json()["status"] == "ok"
        time.sleep(2)
        assert sink.handler.checkups() == {key: 1}
        assert FollowUp.objects.get(dedupe_key=key).state == FollowUp.State.SENT
    finally:
        sink.stop()
