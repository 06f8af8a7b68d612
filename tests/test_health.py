"""/healthz: what a load balancer and the compose health check ask."""

import socket
import threading
import time

import pytest
from django.db import OperationalError, connection

from config.celery import app
from tracker.health import services_health

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": {"ok": True}, "broker": {"ok": True}}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_when_the_database_is_down_and_names_no_host(client, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "db" (10.0.0.5), port 5432 failed')

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": {"ok": False}, "broker": {"ok": True}}
    assert "10.0.0.5" not in response.text
    assert "port 5432 failed" in caplog.text  # the operator's log has the details


def test_healthz_says_degraded_when_the_broker_is_down(client, monkeypatch):
    # A real connection attempt to a port where no Redis listens.
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(app.conf, "broker_write_url", None)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": {"ok": True}, "broker": {"ok": False}}


def test_a_broker_that_never_answers_cannot_hang_the_health_check(monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts connections, never says a word
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
    monkeypatch.setitem(app.conf, "broker_write_url", None)
    try:
        started = time.monotonic()
        health = services_health(broker_timeout=1)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert health["broker"] == {"ok": False, "error": "no answer within 1 s"}
    assert elapsed < 5


def test_healthz_takes_only_get(client):
    assert client.post("/healthz").status_code == 405
