"""Login throttling (django-axes): five failures lock a username from an address for fifteen minutes,
twenty failures lock the address whatever the usernames."""

from datetime import timedelta

import pytest
import time_machine
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.contrib.auth.signals import user_login_failed
from django.test import RequestFactory
from django.utils import timezone

from tests.factories import UserFactory, api_client_for
from tracker.middleware import client_ip

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def fail(client, url, username, times):
    """Post a wrong password `times` times; returns the status codes."""
    return [client.post(url, {"username": username, "password": "wrong"}).status_code for _ in range(times)]


def test_five_failures_lock_the_board_login(client, analyst):
    # The form again with its error four times; the fifth failure locks.
    assert fail(client, "/accounts/login/", "analyst", 5) == [200, 200, 200, 200, 429]
    response = client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    assert "after 5 failed logins" in response.text
    assert "whatever the usernames" not in response.text
    assert "0:15:00" in response.text
    assert client.get("/").status_code == 302  # still not logged in


def test_four_failures_do_not_lock(client, analyst):
    fail(client, "/accounts/login/", "analyst", 4)
    response = client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_the_lock_covers_the_admin_login_and_lifts_after_fifteen_minutes(client, superuser):
    fail(client, "/admin/login/", "root", 5)
    assert client.post("/admin/login/", {"username": "root", "password": PASSWORD}).status_code == 429
    assert client.post("/accounts/login/", {"username": "root", "password": PASSWORD}).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
        assert response.status_code == 302


def test_a_locked_username_does_not_lock_others(client, analyst):
    UserFactory(username="colleague")
    fail(client, "/accounts/login/", "analyst", 5)
    response = client.post("/accounts/login/", {"username": "colleague", "password": PASSWORD})
    assert response.status_code == 302


def test_the_same_username_from_another_address_is_not_locked(client, analyst):
    fail(client, "/accounts/login/", "analyst", 5)
    response = client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302


def test_superusers_see_and_clear_lockouts_in_the_admin(client, admin_client, analyst):
    fail(client, "/accounts/login/", "analyst", 5)
    response = admin_client.get("/admin/axes/accessattempt/")
    assert response.status_code == 200
    assert "analyst" in response.text


def test_the_lockout_page_carries_the_security_headers(client, analyst):
    fail(client, "/accounts/login/", "analyst", 5)
    response = client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD})
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_token_endpoint_locks_after_five_failures(analyst):
    client = api_client_for(None)
    statuses = [
        client.post("/api/v1/auth/token/", {"username": "analyst", "password": "wrong"}).status_code for _ in range(5)
    ]
    locked = client.post("/api/v1/auth/token/", {"username": "analyst", "password": "correct horse battery"})
    assert statuses == [400] * 5
    assert locked.status_code == 429
    assert locked.json() == {
        "detail": "Too many failed logins for this user from this address; try again in 15 minutes."
    }
    # Another user from the same address is not locked out.
    UserFactory(username="colleague")
    other = client.post("/api/v1/auth/token/", {"username": "colleague", "password": "correct horse battery"})
    assert other.status_code == 200
    assert "token" in other.json()


def test_successful_token_requests_never_lock_out(analyst):
    client = api_client_for(None)
    statuses = [
        client.post("/api/v1/auth/token/", {"username": "analyst", "password": PASSWORD}).status_code for _ in range(8)
    ]

    assert statuses == [200] * 8
    assert not AccessAttempt.objects.filter(username="analyst", failures_since_start__gt=0).exists()


def test_a_token_success_clears_the_failures_before_it(analyst):
    client = api_client_for(None)
    for _ in range(4):
        client.post("/api/v1/auth/token/", {"username": "analyst", "password": "wrong"})
    assert client.post("/api/v1/auth/token/", {"username": "analyst", "password": PASSWORD}).status_code == 200

    statuses = [
        client.post("/api/v1/auth/token/", {"username": "analyst", "password": "wrong"}).status_code for _ in range(4)
    ]

    assert statuses == [400] * 4, "the four failures before the success no longer count"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "192.0.2.1"),  # no proxy: the header is the client's word, ignored
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "10.9.9.9, 198.51.100.7", "198.51.100.7"),  # the client wrote the first hop itself
        (2, "198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, "10.0.0.2", "192.0.2.1"),  # fewer hops than proxies: not trusted
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_attempts_arriving_together_pass_the_lockout_check_at_most_five_times(analyst):
    # Eight attempts read the count before any of them has failed, as parallel
    # requests in several web processes do: each is counted before its password is.
    requests = [RequestFactory().post("/accounts/login/") for _ in range(8)]
    credentials = {"username": "analyst", "password": "wrong"}

    allowed = [AxesProxyHandler.is_allowed(request, credentials) for request in requests]

    assert allowed == [True] * 5 + [False] * 3
    for request in requests[:5]:
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    # Counted once each, whether refused or failed.
    assert AccessAttempt.objects.get(username="analyst").failures_since_start == 8


def test_the_lockout_counts_every_user_agent_of_a_username(client, analyst):
    for number in range(4):
        client.post("/accounts/login/", {"username": "analyst", "password": "wrong"}, HTTP_USER_AGENT=f"agent {number}")
    response = client.post("/accounts/login/", {"username": "analyst", "password": "wrong"}, HTTP_USER_AGENT="agent 5")
    assert response.status_code == 429
    assert AccessAttempt.objects.filter(username="analyst").count() == 5


def test_spraying_usernames_from_one_address_is_refused_after_twenty_failures(client, analyst):
    statuses = [
        client.post("/accounts/login/", {"username": f"guess{number}", "password": "wrong"}).status_code
        for number in range(25)
    ]

    # The twentieth failure locks the address, as the fifth locks a username.
    assert statuses == [200] * 19 + [429] * 6
    # Even the right password is refused from there, and the page says why.
    response = client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD})
    assert response.status_code == 429
    assert "after 20 failed logins" in response.text
    assert "whatever the usernames" in response.text
    assert client.get("/").status_code == 302
    # Not from another address, and not after fifteen minutes.
    response = client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        response = client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD})
        assert response.status_code == 302


def test_logging_in_to_ones_own_account_does_not_reset_the_address_count(client, settings, analyst):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    for number in range(3):
        assert client.post("/accounts/login/", {"username": f"guess{number}", "password": "wrong"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD}).status_code == 302
    client.logout()

    response = client.post("/accounts/login/", {"username": "guess9", "password": "wrong"})

    assert response.status_code == 429
    assert "after 4 failed logins" in response.text


def test_the_token_endpoint_refuses_an_address_spraying_usernames(settings, analyst):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    client = api_client_for(None)

    statuses = [
        client.post("/api/v1/auth/token/", {"username": f"guess{number}", "password": "wrong"}).status_code
        for number in range(3)
    ]
    refused = client.post("/api/v1/auth/token/", {"username": "analyst", "password": PASSWORD})

    assert statuses == [400] * 3
    assert refused.status_code == 429
    assert refused.json() == {"detail": "Too many failed logins from this address; try again in 15 minutes."}
    other = api_client_for(None).post(
        "/api/v1/auth/token/", {"username": "analyst", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert other.status_code == 200


def test_a_refused_token_attempt_is_not_checked_against_the_password(analyst, monkeypatch):
    client = api_client_for(None)
    for _ in range(5):
        client.post("/api/v1/auth/token/", {"username": "analyst", "password": "wrong"})
    checked = []
    monkeypatch.setattr(type(analyst), "check_password", lambda user, raw: checked.append(raw) or True)

    response = client.post("/api/v1/auth/token/", {"username": "analyst", "password": PASSWORD})

    assert response.status_code == 429
    assert checked == []
