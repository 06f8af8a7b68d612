"""Counters that hold across web processes: API throttles in the shared cache, login lockouts in the database.

Production runs several gunicorn workers; a count kept in one process's
memory lets a client through as many times as there are processes. The tests
that need Redis (REDIS_URL) or several processes on one database (DATABASE_URL
pointing to PostgreSQL) skip without them.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from axes.models import AccessAttempt
from django.core.cache import cache, caches
from django.db import connection
from django.db.models import Sum

from tests.factories import CommitmentFactory, api_client_for
from tests.processes import free_port, wait_until
from tracker.cache import DegradingRedisCache

ROOT = Path(__file__).resolve().parent.parent

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL pointing to Redis")


def wrong_password(client, username, **extra):
    return client.post("/api/v1/auth/token/", {"username": username, "password": "wrong"}, **extra)


@pytest.mark.django_db
def test_the_token_throttle_cannot_be_dodged_with_a_forwarded_for_header():
    client = api_client_for(None)
    # Another username each time: the login lockout stays out of it.
    statuses = [
        wrong_password(client, f"guess{number}", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}").status_code
        for number in range(10)
    ]
    throttled = wrong_password(client, "guess10", HTTP_X_FORWARDED_FOR="198.51.100.10")

    assert statuses == [400] * 10
    assert throttled.status_code == 429
    assert "throttled" in throttled.json()["detail"]


@pytest.mark.django_db
def test_with_the_cache_unreachable_the_api_and_board_answer(settings, analyst, analyst_client, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "tracker.cache.DegradingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "KEY_PREFIX": "tracker",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    CommitmentFactory(title="Samurai Bond")

    assert api_client_for(analyst).get("/api/v1/commitments/").json()["results"][0]["title"] == "Samurai Bond"
    assert "Samurai Bond" in analyst_client.get("/").text
    assert wrong_password(api_client_for(None), "analyst").status_code == 400
    assert "Cache unavailable" in caplog.text


@pytest.mark.redis
@needs_redis
@pytest.mark.django_db
def test_a_throttle_counted_in_one_process_is_seen_by_another(tmp_path):
    client = api_client_for(None)
    assert [wrong_password(client, f"guess{number}").status_code for number in range(10)] == [400] * 10

    # A fresh interpreter, as another gunicorn worker: the throttle refuses it
    # before the view runs (its database is empty and never reached).
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='localhost')\n"
        "response = client.post('/api/v1/auth/token/', {'username': 'guess10', 'password': 'wrong'})\n"
        "print(response.status_code, response.content.decode())\n"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("429 "), result.stdout + result.stderr
    assert "throttled" in result.stdout


@pytest.mark.redis
@needs_redis
def test_clearing_the_cache_leaves_the_brokers_keys_in_the_shared_database():
    if not isinstance(caches["default"], DegradingRedisCache):
        pytest.skip("the default cache is not Redis")
    client = caches["default"]._cache.get_client(write=True)
    client.set("celery-like-key", "a broker's message")
    cache.set("board", 42)
    try:
        cache.clear()

        assert cache.get("board") is None
        assert client.get("celery-like-key") == b"a broker's message"
    finally:
        client.delete("celery-like-key")


class WebServer:
    """gunicorn as in production (3 workers), with threads, on the test's database."""

    def __init__(self, tmp_path, **variables):
        database = connection.settings_dict
        credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "gunicorn.log"
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
            "DATABASE_URL": f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "CONN_MAX_AGE": "0",
            "VAR_DIR": str(tmp_path / "var"),
            # The token endpoint's own rate limit out of the way: the lockout is under test.
            "API_THROTTLE_TOKEN": "1000/min",
            **variables,
        }
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                "--workers=3",
                "--threads=6",
                "--timeout=120",
            ],
            cwd=ROOT,
            env=self.environment,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._answers, timeout=60, what="gunicorn", logs=[self.log])

    def _answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                pass
            return requests.get(f"{self.url}/accounts/login/", timeout=5).status_code == 200
        except (OSError, requests.RequestException):
            return False

    def stop(self):
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def web_server(tmp_path, transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing to PostgreSQL (web processes share the test database)")
    servers = []

    def start(**variables):
        server = WebServer(tmp_path, **variables)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


def all_at_once(count, attempt):
    """Run attempt(number) in `count` threads released together; their results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(number):
        prepared = attempt(number)
        barrier.wait(timeout=60)
        results[number] = prepared()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


@pytest.mark.postgres
def test_parallel_failed_logins_reach_the_password_check_at_most_the_limit(web_server):
    server = web_server()

    def attempt(number):
        # A username with no account: Django still hashes the password (the
        # slow part), as for a real one, so the attempts overlap.
        data = {"username": "ghost", "password": f"guess {number}"}
        return lambda: requests.post(f"{server.url}/api/v1/auth/token/", data=data, timeout=120)

    responses = all_at_once(12, attempt)

    statuses = sorted(response.status_code for response in responses)
    checked = statuses.count(400)  # a wrong password; a refused attempt is a 429 unchecked
    assert 1 <= checked <= 5, statuses
    assert statuses == [400] * checked + [429] * (12 - checked)
    assert {response.json()["detail"] for response in responses if response.status_code == 429} == {
        "Too many failed logins for this user from this address; try again in 15 minutes."
    }
    assert AccessAttempt.objects.get(username="ghost").failures_since_start == 12


@pytest.mark.postgres
def test_parallel_spraying_is_refused_after_the_address_limit(web_server):
    limit = 6
    server = web_server(LOGIN_ADDRESS_FAILURE_LIMIT=str(limit))

    def attempt(number):
        session = requests.Session()
        form = session.get(f"{server.url}/accounts/login/", timeout=60).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = {"username": f"guess{number}", "password": "wrong", "csrfmiddlewaretoken": token}
        return lambda: session.post(f"{server.url}/accounts/login/", data=data, timeout=120, allow_redirects=False)

    responses = all_at_once(14, attempt)

    statuses = sorted(response.status_code for response in responses)
    # 200: the form again, the password checked and wrong; 429: the address
    # is locked (refused unchecked, or locked by that very failure).
    assert statuses.count(200) < limit, statuses
    assert statuses == [200] * statuses.count(200) + [429] * (14 - statuses.count(200))
    assert any("after 6 failed logins" in response.text for response in responses if response.status_code == 429)
    assert AccessAttempt.objects.aggregate(total=Sum("failures_since_start"))["total"] == 14


def test_every_cache_call_answers_its_fallback_when_redis_is_unreachable(caplog):
    cache = DegradingRedisCache(
        f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        {"KEY_PREFIX": "tracker", "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}},
    )

    assert cache.get("board", "missed") == "missed"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("a") is False
    assert cache.set("a", 1) is None
    assert sorted(cache.set_many({"a": 1, "b": 2})) == ["a", "b"]
    assert cache.add("a", 1) is False
    assert cache.delete("a") is False
    assert caplog.text.count("Cache unavailable") == 7
