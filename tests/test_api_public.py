"""The public API: published pledges for anyone, public fields only, its own throttle, documented."""

import json
from datetime import date

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    EventFactory,
    FollowUpFactory,
    ProgressUpdateFactory,
    TopicFactory,
    UserFactory,
    api_client_for,
)
from tracker.models import Status

pytestmark = pytest.mark.django_db

LIST = "/api/v1/public/commitments/"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

PUBLIC_FIELDS = {
    "id",
    "title",
    "description",
    "quote",
    "source_url",
    "source_title",
    "made_by",
    "members",
    "counterparts",
    "event",
    "made_on",
    "kind",
    "kind_display",
    "status",
    "status_display",
    "progress",
    "due_on",
    "pledged_amount",
    "pledged_currency",
    "topics",
    "url",
}
PRIVATE_MARKERS = (
    "owner-5e7a",
    "owner-5e7a@example.org",
    "watcher-8c1f",
    "author-2b9d",
    "INTERNAL-NOTE-6a4e",
    "Unpublished pledge 93fd",
    "next_check_on",
    "check_every_days",
    "watchers",
    "owner",
    "author",
    "note_is_internal",
    "is_overdue",
)


def detail(pk):
    return f"{LIST}{pk}/"


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def pledges(db):
    """A public pledge full of private data, a second public pledge, and an unpublished one."""
    owner = UserFactory(username="owner-5e7a")
    watcher = UserFactory(username="watcher-8c1f")
    author = UserFactory(username="author-2b9d")
    maker = ActorFactory(name="Shigeru Ishiba", country="JP")
    member = ActorFactory(name="Government of Kenya", country="KE")
    counterpart = ActorFactory(name="William Ruto", country="KE")
    event = EventFactory(name="TICAD 9")
    topic = TopicFactory(name="Trade", slug="trade")
    public = CommitmentFactory(
        title="Review tariffs on Kenyan avocados",
        quote="We will study Kenya's concerns.",
        source_url="https://example.org/ticad",
        source_title="TICAD 9 statement",
        made_by=maker,
        event=event,
        owner=owner,
        watchers=[watcher],
        topics=[topic],
        status=Status.IN_PROGRESS,
        progress=30,
        due_on=date(2026, 8, 1),
        pledged_amount="5500000000",
        pledged_currency="USD",
        is_public=True,
    )
    public.members.add(member)
    public.counterparts.add(counterpart)
    moved = ProgressUpdateFactory(
        commitment=public,
        author=author,
        status_before=Status.ANNOUNCED,
        status_after=Status.IN_PROGRESS,
        progress=30,
        recorded_on=date(2025, 10, 1),
        note="Officials met in Nairobi.",
        note_is_internal=False,
        evidence_url="https://example.org/nairobi",
    )
    internal_move = ProgressUpdateFactory(
        commitment=public,
        author=author,
        status_before=Status.IN_PROGRESS,
        status_after=Status.IN_PROGRESS,
        progress=30,
        recorded_on=date(2025, 11, 1),
        note="INTERNAL-NOTE-6a4e call the ministry",
        note_is_internal=True,
        evidence_url="https://example.org/ministry",
    )
    # An internal note alone shows nothing public: left out of the timeline.
    ProgressUpdateFactory(
        commitment=public,
        author=author,
        status_before=Status.IN_PROGRESS,
        status_after=Status.IN_PROGRESS,
        recorded_on=date(2025, 11, 2),
        note="INTERNAL-NOTE-6a4e again",
        note_is_internal=True,
    )
    FollowUpFactory(commitment=public, recipient=owner)
    other = CommitmentFactory(
        title="Samurai Bond",
        made_by=member,
        event=None,
        status=Status.FULFILLED,
        progress=100,
        kind="intent",
        is_public=True,
    )
    hidden = CommitmentFactory(title="Unpublished pledge 93fd", made_by=maker, owner=owner, is_public=False)
    return {
        "public": public,
        "other": other,
        "hidden": hidden,
        "maker": maker,
        "member": member,
        "counterpart": counterpart,
        "event": event,
        "topic": topic,
        "moved": moved,
        "internal_move": internal_move,
    }


def assert_nothing_private(response):
    text = response.content.decode()
    for marker in PRIVATE_MARKERS:
        assert marker not in text, marker


# Reading


def test_the_list_holds_published_pledges_with_public_fields_only(client, pledges):
    response = client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [row["title"] for row in body["results"]] == ["Samurai Bond", "Review tariffs on Kenyan avocados"]
    for row in body["results"]:
        assert set(row) == PUBLIC_FIELDS
    assert body["results"][0]["event"] is None
    assert_nothing_private(response)


def test_a_pledge_reads_with_its_public_fields_and_timeline(client, pledges):
    public = pledges["public"]

    response = client.get(detail(public.pk))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PUBLIC_FIELDS | {"timeline"}
    assert body["made_by"] == {"id": pledges["maker"].pk, "name": "Shigeru Ishiba"}
    assert body["members"] == [{"id": pledges["member"].pk, "name": "Government of Kenya"}]
    assert body["counterparts"] == [{"id": pledges["counterpart"].pk, "name": "William Ruto"}]
    assert body["event"] == {"id": pledges["event"].pk, "name": "TICAD 9"}
    assert body["topics"] == [{"id": pledges["topic"].pk, "name": "Trade"}]
    assert (body["status"], body["status_display"], body["progress"]) == ("in_progress", "In progress", 30)
    assert (body["kind"], body["kind_display"]) == ("promise", "Promise")
    assert (body["made_on"], body["due_on"]) == ("2025-08-20", "2026-08-01")
    assert (body["pledged_amount"], body["pledged_currency"]) == ("5500000000.00", "USD")
    assert (body["quote"], body["source_url"]) == ("We will study Kenya's concerns.", "https://example.org/ticad")
    assert body["url"] == f"http://testserver/en/public/commitments/{public.pk}/"
    assert body["timeline"] == [
        {
            "id": pledges["internal_move"].pk,
            "recorded_on": "2025-11-01",
            "status_before": "in_progress",
            "status": "in_progress",
            "status_display": "In progress",
            "status_changed": False,
            "progress": 30,
            "note": "",
            "evidence_url": "https://example.org/ministry",
        },
        {
            "id": pledges["moved"].pk,
            "recorded_on": "2025-10-01",
            "status_before": "announced",
            "status": "in_progress",
            "status_display": "In progress",
            "status_changed": True,
            "progress": 30,
            "note": "Officials met in Nairobi.",
            "evidence_url": "https://example.org/nairobi",
        },
    ]
    assert_nothing_private(response)


def test_an_unpublished_or_missing_pledge_is_not_found(client, pledges):
    for pk in (pledges["hidden"].pk, 987654321, "abc", "1.5", 2**70):
        response = client.get(detail(pk))
        assert response.status_code == 404, pk
        assert set(response.json()) == {"detail"}
        assert "Unpublished pledge 93fd" not in response.content.decode()


def test_a_pledge_published_then_withdrawn_from_publication_disappears(client, pledges):
    public = pledges["public"]
    assert client.get(detail(public.pk)).status_code == 200

    public.is_public = False
    public.save(update_fields=["is_public"])

    assert client.get(detail(public.pk)).status_code == 404
    assert [row["id"] for row in client.get(LIST).json()["results"]] == [pledges["other"].pk]


def test_names_follow_the_readers_language_and_codes_stay_english(client, pledges):
    body = client.get(detail(pledges["public"].pk), HTTP_ACCEPT_LANGUAGE="fr").json()

    with translation.override("fr"):
        expected = str(Status.IN_PROGRESS.label)
    assert (body["status"], body["status_display"]) == ("in_progress", expected)
    assert body["url"] == f"http://testserver/fr/public/commitments/{pledges['public'].pk}/"


# Filters


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("status=fulfilled", ["Samurai Bond"]),
        ("status=fulfilled&status=in_progress", ["Samurai Bond", "Review tariffs on Kenyan avocados"]),
        ("kind=intent", ["Samurai Bond"]),
        ("country=jp", ["Review tariffs on Kenyan avocados"]),
        ("search=avocados", ["Review tariffs on Kenyan avocados"]),
        ("due_after=2026-01-01", ["Review tariffs on Kenyan avocados"]),
        ("made_by=987654321", []),
        ("event=987654321", []),
    ],
)
def test_the_list_filters(client, pledges, query, titles):
    response = client.get(f"{LIST}?{query}")

    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == titles


def test_the_list_filters_by_maker_member_event_and_topic_ids(client, pledges):
    def titles(query):
        return [row["title"] for row in client.get(f"{LIST}?{query}").json()["results"]]

    assert titles(f"made_by={pledges['maker'].pk}") == ["Review tariffs on Kenyan avocados"]
    assert titles(f"made_by={pledges['member'].pk}") == ["Samurai Bond"]
    assert titles(f"member={pledges['member'].pk}") == ["Review tariffs on Kenyan avocados"]
    assert titles(f"event={pledges['event'].pk}") == ["Review tariffs on Kenyan avocados"]
    assert titles(f"topic={pledges['topic'].pk}") == ["Review tariffs on Kenyan avocados"]
    # The unpublished pledge's maker is the same actor: it never shows.
    assert "Unpublished pledge 93fd" not in client.get(f"{LIST}?made_by={pledges['maker'].pk}").content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("made_by=abc", "made_by"),
        ("made_by=0", "made_by"),
        (f"made_by={2**70}", "made_by"),
        ("topic=1.5", "topic"),
        ("country=KEN", "country"),
        ("due_after=tomorrow", "due_after"),
        ("page_size=lots", "page_size"),
        ("search=" + "x" * 300, "search"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(client, pledges, query, field):
    response = client.get(f"{LIST}?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_the_list_pages_like_the_rest_of_the_api(client, pledges):
    body = client.get(f"{LIST}?page_size=1").json()

    assert body["count"] == 2
    assert len(body["results"]) == 1
    assert body["next"].endswith("?page=2&page_size=1")
    assert client.get(f"{LIST}?page=3&page_size=1").status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_the_list_takes_the_same_queries_however_many_pledges(client, django_assert_num_queries, size):
    for _ in range(size):
        pledge = CommitmentFactory(is_public=True, topics=[TopicFactory()])
        pledge.members.add(ActorFactory())
        pledge.counterparts.add(ActorFactory())

    # The count, the page, then counterparts, members and topics.
    with django_assert_num_queries(5):
        response = client.get(LIST)

    assert len(response.json()["results"]) == size


@pytest.mark.parametrize("updates", [1, 12])
def test_a_pledge_takes_the_same_queries_however_long_its_timeline(client, django_assert_num_queries, updates):
    pledge = CommitmentFactory(is_public=True)
    for _ in range(updates):
        ProgressUpdateFactory(commitment=pledge, note_is_internal=False)

    # The pledge, counterparts, members, topics and the timeline.
    with django_assert_num_queries(5):
        response = client.get(detail(pledge.pk))

    assert len(response.json()["timeline"]) == updates


# No credentials


def test_credentials_are_neither_needed_nor_read(client, pledges, analyst):
    # A token that is not valid would be a 401 anywhere else in the API.
    client.credentials(HTTP_AUTHORIZATION="Token not-a-valid-token")
    assert client.get(LIST).status_code == 200

    signed_in = APIClient(enforce_csrf_checks=True)
    signed_in.force_login(analyst)
    response = signed_in.get(detail(pledges["public"].pk))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert_nothing_private(response)

    # The analysts' API still wants credentials.
    assert APIClient().get("/api/v1/commitments/").status_code == 401


@pytest.mark.parametrize("accept", ["text/html,application/xhtml+xml,*/*;q=0.8", "application/json"])
def test_a_browser_gets_json_and_no_cookie(pledges, analyst, accept):
    anonymous, signed_in = APIClient(), APIClient()
    signed_in.force_login(analyst)

    for reader in (anonymous, signed_in):
        for path in (LIST, detail(pledges["public"].pk), LIST + "?made_by=0"):
            response = reader.get(path, HTTP_ACCEPT=accept)

            assert response["Content-Type"] == "application/json"
            assert "Set-Cookie" not in response.headers
    # The browsable API's own switch is not offered either.
    assert anonymous.get(LIST + "?format=api").status_code == 404


def test_the_public_api_only_reads(client, pledges):
    assert client.post(LIST, {"title": "New"}, format="json").status_code == 405
    assert client.delete(detail(pledges["public"].pk)).status_code == 405
    assert client.patch(detail(pledges["public"].pk), {"title": "x"}, format="json").status_code == 405
    assert client.put(detail(pledges["public"].pk), {"title": "x"}, format="json").status_code == 405
    pledges["public"].refresh_from_db()
    assert pledges["public"].title == "Review tariffs on Kenyan avocados"


# Throttling


def test_the_public_scope_refuses_too_many_requests_from_one_address(client, pledges, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "public", "3/min")
    for _ in range(3):
        assert client.get(LIST).status_code == 200

    refused = client.get(detail(pledges["public"].pk))

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "detail" in refused.json()
    # Counted per address: another client is still served.
    assert client.get(LIST, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_the_public_scope_has_its_own_rate_from_the_settings():
    from django.conf import settings as django_settings

    assert django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public"] == "60/min"


def test_signed_in_analysts_share_the_public_rate_of_their_address(pledges, analyst, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "public", "2/min")
    client = api_client_for(analyst)

    assert [client.get(LIST).status_code for _ in range(3)] == [200, 200, 429]
    # The analysts' own API is counted apart.
    assert client.get("/api/v1/commitments/").status_code == 200


# The OpenAPI schema


def generated_schema():
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def test_the_public_api_is_documented_without_credentials(tmp_path):
    call_command("spectacular", validate=True, fail_on_warn=True, file=str(tmp_path / "schema.yaml"))
    schema = generated_schema()

    listing = schema["paths"]["/api/v1/public/commitments/"]["get"]
    one = schema["paths"]["/api/v1/public/commitments/{id}/"]["get"]
    assert listing["operationId"] and one["operationId"]
    for operation in (listing, one):
        assert operation["tags"] == ["public"]
        assert operation["security"] == [{}]
        assert "401" not in operation["responses"] and "403" not in operation["responses"]
        assert "429" in operation["responses"]
    assert {"400", "404", "429"} <= set(listing["responses"])
    assert "404" in one["responses"]
    parameters = {parameter["name"] for parameter in listing["parameters"]}
    assert {"status", "made_by", "member", "event", "topic", "country", "search", "page", "page_size"} <= parameters
    components = schema["components"]["schemas"]
    assert set(components["PublicCommitment"]["properties"]) == PUBLIC_FIELDS
    assert set(components["PublicCommitmentDetail"]["properties"]) == PUBLIC_FIELDS | {"timeline"}
    assert "author" not in components["PublicTimelineEntry"]["properties"]


def test_the_served_schema_lists_the_public_paths_as_read_only(analyst_client):
    response = analyst_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert set(paths[LIST]) == {"get"}
    assert set(paths["/api/v1/public/commitments/{id}/"]) == {"get"}


@pytest.fixture
def wsgi_in_test_transaction():
    """Calls through the real WSGI handler on the test's connection (as tests/test_api_schema.py does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_answers_read_as_the_schema_says(pledges, wsgi_in_test_transaction, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "public", "4/min")
    loaded = schemathesis.openapi.from_dict(generated_schema())
    loaded.app = application
    one = "/api/v1/public/commitments/{id}/"
    calls = [
        (LIST, {}),
        (LIST, {"query": {"status": ["fulfilled"], "made_by": pledges["member"].pk}}),
        (one, {"path_parameters": {"id": pledges["public"].pk}}),
        (one, {"path_parameters": {"id": pledges["hidden"].pk}}),
        (LIST, {}),
    ]
    statuses = []
    for path, arguments in calls:
        case = loaded[path]["GET"].Case(**arguments)
        statuses.append(case.call_and_validate(checks=CHECKS).status_code)

    assert statuses == [200, 200, 200, 404, 429]


public_schema = schemathesis.openapi.from_dict(generated_schema())
public_schema.app = application


@public_schema.include(path_regex="^/api/v1/public/").parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_every_generated_request_is_answered_as_the_schema_says(case, pledges, wsgi_in_test_transaction, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "public", "1000000/min")
    case.call_and_validate(checks=CHECKS)
