"""Login required everywhere but the login page: every URL the project serves, walked from the URLconf."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import CommitmentFactory

pytestmark = pytest.mark.django_db

# Open to anyone, on purpose: logging in and out (the API token too), recovering a password, the load
# balancer's probe, the calendar feed (its secret token is the key; an
# unknown token is a 404), a reminder's check-in links and an office's reply
# form (signed; an altered link is a 400: test_checkin and test_reply_pages).
PUBLIC = re.compile(
    r"^/(accounts/(login|logout|password_reset|reset)|admin/(login|logout)/|api/v1/auth/token/|healthz$|calendar/"
    r"|checkin/|reply/|static/"
    # The language switcher (the login page has it too) and what anyone may
    # read: test_public checks that these show published pledges only.
    r"|language/$|(en|fr|sw)/public/|embed/|sitemap\.xml$|robots\.txt$|api/v1/public/)"
)


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def concrete(route, pk):
    """A real address for a route: converters get the id of an existing pledge, or a word."""
    path = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    path = re.sub(r"<int:\w+>|\(\?P<\w+>\[0-9\]\+\)", str(pk), path)
    path = re.sub(r"<(path:)?\w+>|<str:\w+>|<slug:\w+>|\(\?P<\w+>[^)]*\)", "x", path)
    path = re.sub(r"<[^>]+>", "x", path)
    return "/" + path.replace("^", "")


def all_paths(pk):
    paths = sorted({concrete(route, pk) for route in walk(get_resolver().url_patterns)})
    return [path for path in paths if "(" not in path and "?" not in path]


def test_every_page_but_the_public_ones_needs_a_login(client):
    pk = CommitmentFactory().pk
    paths = all_paths(pk)
    assert len(paths) > 40  # the walk found the admin, the board and the rest
    checked = []
    for path in paths:
        if PUBLIC.match(path):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            location = response.get("Location", "")
            refused = (response.status_code == 302 and "login" in location) or response.status_code in (
                401,
                403,
                404,
                405,
            )
            assert refused, f"{method.upper()} {path} answered {response.status_code} to an anonymous visitor"
        checked.append(path)
    assert "/" in checked
    assert f"/commitments/{pk}/" in checked
    assert "/admin/" in checked


def test_an_account_without_a_role_reads_no_pledge(client):
    from tests.factories import UserFactory

    commitment = CommitmentFactory(title="Unpublished assessment")
    client.force_login(UserFactory())
    for path in ("/", commitment.get_absolute_url(), "/commitments.csv", "/extract/", "/admin/"):
        response = client.get(path)
        assert response.status_code in (302, 403), path
        assert commitment.title not in response.text


def test_public_pages_hold_no_pledge_data(client):
    commitment = CommitmentFactory(title="Unpublished assessment of the Samurai Bond")
    for path in ("/accounts/login/", "/admin/login/", "/accounts/password_reset/", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert commitment.title not in response.text
