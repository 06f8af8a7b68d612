"""API tokens end with the password that obtained them; calendar tokens are shown to their owner only."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory, body
from tracker import services

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a quite different passphrase"
API_URL = "/api/v1/commitments/"


@pytest.fixture
def scripter(roles):
    """An analyst with an API token obtained with their password, as a script would."""
    user = UserFactory(username="scripter", is_staff=True, groups=[roles[services.ANALYSTS_GROUP]])
    response = APIClient().post("/api/v1/auth/token/", {"username": "scripter", "password": PASSWORD})
    assert response.status_code == 200
    user.token_key = response.json()["token"]
    assert token_status(user.token_key) == 200
    return user


def token_status(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(API_URL).status_code


def assert_token_ended(user):
    assert not Token.objects.filter(user=user).exists()
    assert token_status(user.token_key) == 401


def assert_token_kept(user):
    assert Token.objects.filter(user=user, key=user.token_key).exists()
    assert token_status(user.token_key) == 200


def admin_user_form(user, **changes):
    """The admin's user change form as a browser would post it, with `changes` applied."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_staff": "on",
        "groups": [group.pk for group in user.groups.all()],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    if user.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# API tokens


def test_password_change_in_the_admin_ends_the_token(client, superuser, scripter):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[scripter.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    scripter.refresh_from_db()
    assert scripter.check_password(NEW_PASSWORD)
    assert_token_ended(scripter)


def test_disabling_password_login_in_the_admin_ends_the_token(client, superuser, scripter):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[scripter.pk]),
        {"usable_password": "false", "unset-password": "1"},
    )

    assert response.status_code == 302
    scripter.refresh_from_db()
    assert not scripter.has_usable_password()
    assert_token_ended(scripter)


def test_password_reset_from_the_email_link_ends_the_token(client, scripter):
    response = client.post("/accounts/password_reset/", {"email": scripter.email})
    assert response.status_code == 302
    (email,) = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", email.body).group(1)

    set_password_url = client.get(link)["Location"]  # the token moves from the URL into the session
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/reset/done/"
    scripter.refresh_from_db()
    assert scripter.check_password(NEW_PASSWORD)
    assert_token_ended(scripter)


def test_set_password_and_save_ends_the_token(scripter):
    scripter.set_password(NEW_PASSWORD)
    scripter.save()

    assert_token_ended(scripter)


def test_set_password_saved_with_update_fields_ends_the_token(scripter):
    scripter.set_password(NEW_PASSWORD)
    scripter.save(update_fields=["password"])

    assert_token_ended(scripter)


def test_changepassword_command_ends_the_token(scripter, monkeypatch):
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="Password: ": NEW_PASSWORD)

    call_command("changepassword", "scripter", stdout=None)

    scripter.refresh_from_db()
    assert scripter.check_password(NEW_PASSWORD)
    assert_token_ended(scripter)


def test_deactivation_in_the_admin_ends_the_token(client, superuser, scripter):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:auth_user_change", args=[scripter.pk]), admin_user_form(scripter, is_active=None)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    scripter.refresh_from_db()
    assert not scripter.is_active
    assert_token_ended(scripter)


def test_deactivation_by_save_ends_the_token(scripter):
    scripter.is_active = False
    scripter.save()

    assert_token_ended(scripter)


def test_a_save_changing_neither_password_nor_activity_keeps_the_token(scripter):
    scripter.first_name = "Wanjiru"
    scripter.save()
    scripter.is_active = True
    scripter.save(update_fields=["is_active"])

    assert_token_kept(scripter)


def test_saving_the_user_in_the_admin_unchanged_keeps_the_token(client, superuser, scripter):
    client.force_login(superuser)
    response = client.post(reverse("admin:auth_user_change", args=[scripter.pk]), admin_user_form(scripter))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert_token_kept(scripter)


def test_logging_in_keeps_the_token_and_costs_no_extra_query(client, scripter):
    assert client.post("/accounts/login/", {"username": "scripter", "password": PASSWORD}).status_code == 302
    scripter.refresh_from_db()
    assert scripter.last_login is not None
    assert_token_kept(scripter)

    # Login's last_login update: the UPDATE alone, no look-up of the stored password.
    with CaptureQueriesContext(connection) as queries:
        scripter.save(update_fields=["last_login"])
    assert len(queries) == 1


def test_obtaining_a_token_again_after_a_password_change_gives_a_new_one(scripter):
    scripter.set_password(NEW_PASSWORD)
    scripter.save()

    response = APIClient().post("/api/v1/auth/token/", {"username": "scripter", "password": NEW_PASSWORD})

    assert response.status_code == 200
    assert response.json()["token"] != scripter.token_key
    assert token_status(response.json()["token"]) == 200


def test_an_inactive_users_surviving_token_is_refused(scripter):
    # QuerySet.update() sends no signal: the token row survives, and DRF still refuses it.
    get_user_model().objects.filter(pk=scripter.pk).update(is_active=False)

    assert Token.objects.filter(user=scripter).exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {scripter.token_key}")
    response = client.get(API_URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


# Calendar tokens in the admin


def preference_url(preference):
    return reverse("admin:tracker_notificationpreference_change", args=[preference.pk])


CHANGELIST_URL = "/admin/tracker/notificationpreference/"


@pytest.fixture
def preferences(analyst, superuser):
    other = UserFactory(username="colleague")
    return {user.username: services.notification_preference_get(user=user) for user in (analyst, superuser, other)}


@pytest.mark.parametrize("owner", ["root", "colleague"])
def test_staff_do_not_see_anothers_calendar_token(analyst_client, preferences, owner):
    preference = preferences[owner]

    response = analyst_client.get(preference_url(preference))

    assert response.status_code == 200
    assert preference.calendar_token not in body(response)
    assert "calendar_token" not in response.context["adminform"].form.fields
    assert "calendar_token" not in [
        field for _, opts in response.context["adminform"].fieldsets for field in opts["fields"]
    ]


def test_staff_viewers_do_not_see_anothers_calendar_token(viewer_client, preferences):
    response = viewer_client.get(preference_url(preferences["root"]))

    assert response.status_code == 200
    assert preferences["root"].calendar_token not in body(response)


def test_the_changelist_and_its_search_show_no_calendar_token(analyst_client, preferences):
    for url in (CHANGELIST_URL, f"{CHANGELIST_URL}?q=root", f"{CHANGELIST_URL}?q=colleague"):
        response = analyst_client.get(url)
        assert response.status_code == 200
        for preference in preferences.values():
            assert preference.calendar_token not in body(response)


def test_the_changelist_cannot_be_filtered_on_a_calendar_token(analyst_client, preferences):
    token = preferences["root"].calendar_token

    response = analyst_client.get(f"{CHANGELIST_URL}?q=root&calendar_token__startswith={token[:3]}")

    assert response.status_code == 400


def test_staff_see_their_own_calendar_token_read_only(analyst_client, preferences):
    preference = preferences["analyst"]

    response = analyst_client.get(preference_url(preference))

    assert response.status_code == 200
    assert preference.calendar_token in body(response)
    assert "calendar_token" not in response.context["adminform"].form.fields


def test_a_superuser_sees_every_calendar_token(client, superuser, preferences):
    client.force_login(superuser)
    for preference in preferences.values():
        response = client.get(preference_url(preference))
        assert response.status_code == 200
        assert preference.calendar_token in body(response)
