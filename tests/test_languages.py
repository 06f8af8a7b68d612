"""Each analyst's language: the switcher, the preference, the session, and what reads it."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory, body
from tracker import services
from tracker.models import NotificationPreference

pytestmark = pytest.mark.django_db

SWITCH = "/language/"


def test_the_switcher_saves_a_signed_in_analysts_language_and_returns_to_the_page(analyst_client, analyst):
    response = analyst_client.post(SWITCH, {"language": "fr", "next": "/preferences/"})

    assert response.status_code == 302
    assert response["Location"] == "/preferences/"
    assert NotificationPreference.objects.get(user=analyst).language == "fr"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = analyst_client.get("/")
    assert '<html lang="fr">' in body(page)
    assert page["Content-Language"] == "fr"


def test_a_signed_in_analyst_reads_their_preference_whatever_the_browser_says(client, roles):
    user = UserFactory(groups=[roles[services.ANALYSTS_GROUP]])
    services.notification_preference_update(user=user, data={"language": "sw"})

    client.force_login(user)  # the login remembers the preference in the session
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")

    assert '<html lang="sw">' in body(page)


def test_the_login_page_follows_the_browser_then_the_switchers_cookie():
    client = Client()

    assert '<html lang="fr">' in body(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9"))
    client.post(SWITCH, {"language": "sw", "next": "/accounts/login/"})
    assert '<html lang="sw">' in body(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr"))


def test_every_page_offers_the_three_languages_by_their_own_names(analyst_client):
    page = body(analyst_client.get("/"))

    for code, name in (("en", "English"), ("fr", "Français"), ("sw", "Kiswahili")):
        assert f'<option value="{code}" lang="{code}"' in page
        assert name in page


@pytest.mark.parametrize("language", ["de", "", "fr<script>"])
def test_a_language_not_offered_is_a_400_and_changes_nothing(analyst_client, analyst, language):
    response = analyst_client.post(SWITCH, {"language": language, "next": "/"})

    assert response.status_code == 400
    assert "Choose one of the languages offered." in body(response)
    assert NotificationPreference.objects.filter(user=analyst, language="en").count() <= 1
    assert not NotificationPreference.objects.exclude(language="en").exists()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_the_switcher_never_redirects_off_the_site(client, next_url):
    response = client.post(SWITCH, {"language": "fr", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_switcher_is_a_post_only(client):
    assert client.get(SWITCH, {"language": "fr"}).status_code == 405


def test_the_preferences_page_offers_the_language(analyst_client, analyst):
    page = body(analyst_client.get(reverse("tracker:preferences")))
    assert 'name="language"' in page

    analyst_client.post(reverse("tracker:preferences"), {"time_zone": "UTC", "language": "fr"})

    assert NotificationPreference.objects.get(user=analyst).language == "fr"
    assert '<html lang="fr">' in body(analyst_client.get("/"))


def test_the_public_pages_switcher_is_a_plain_link_to_the_same_page_in_swahili(client):
    french = body(client.get("/fr/public/"))
    link = re.search(r'<a href="([^"]+)" hreflang="sw" lang="sw"', french)

    assert link, "no Swahili link on the French public board"
    assert link.group(1) == "/sw/public/"
    # Each language by its own name, capitalised as the analysts' switcher writes it.
    for code, name in (("en", "English"), ("fr", "Français"), ("sw", "Kiswahili")):
        assert f'hreflang="{code}" lang="{code}">{name}</a>' in french or f'aria-current="true">{name}</a>' in french
    swahili = client.get(link.group(1))
    assert swahili.status_code == 200
    assert '<html lang="sw"' in body(swahili)
    assert not swahili.cookies  # a link, not the switcher's form: no language cookie, no CSRF cookie
