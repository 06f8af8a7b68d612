"""The OpenAPI schema: valid, served to logged-in users, and true to what the API answers.

The schemathesis test sends generated requests (valid and invalid) to every
operation as an analyst and fails on any 5xx and on any response whose status,
content type or body the schema does not describe.
"""

import json
import os
from datetime import timedelta

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import ActorFactory, CommitmentFactory, EventFactory, ProgressUpdateFactory, TopicFactory
from tracker.models import Status

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_schema_is_valid_openapi_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", validate=True, fail_on_warn=True, file=str(target))

    text = target.read_text()
    for path in ["/api/v1/commitments/{id}/", "/api/v1/commitments/{commitment_id}/updates/", "/api/v1/board/"]:
        assert f"{path}:" in text
    # Filters and their errors are documented.
    for parameter in ["name: overdue", "name: due_before", "name: search", "name: page_size", "name: ordering"]:
        assert parameter in text
    assert "'400':" in text and "'401':" in text and "'429':" in text
    board = generated_schema()["paths"]["/api/v1/board/"]["get"]
    assert {"status", "country", "overdue", "search"} <= {parameter["name"] for parameter in board["parameters"]}
    assert "400" in board["responses"]


def test_schema_needs_a_logged_in_user(analyst):
    assert APIClient().get("/api/schema/").status_code == 401

    client = APIClient()
    client.force_login(analyst)
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    assert "/api/v1/commitments/" in response.json()["paths"]


def test_docs_page_needs_login_and_uses_local_assets(analyst):
    assert APIClient().get("/api/docs/").status_code == 302

    client = APIClient()
    client.force_login(analyst)
    response = client.get("/api/docs/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


# Fuzzing


@pytest.fixture
def fuzz_data(analyst):
    """A little of everything, so that lists have rows and some generated ids exist."""
    for _ in range(3):
        ActorFactory(), EventFactory(), TopicFactory()
    commitment = CommitmentFactory(owner=analyst, due_on=timezone.localdate() + timedelta(days=90))
    ProgressUpdateFactory(commitment=commitment, status_before=Status.ANNOUNCED, status_after=Status.IN_PROGRESS)
    CommitmentFactory(status=Status.STALLED, next_check_on=timezone.localdate() - timedelta(days=3))
    return commitment


@pytest.fixture
def analyst_headers(analyst):
    return {"Authorization": f"Token {Token.objects.create(user=analyst).key}"}


@pytest.fixture
def superuser_headers(superuser):
    return {"Authorization": f"Token {Token.objects.create(user=superuser).key}"}


@pytest.fixture
def wsgi_in_test_transaction():
    """Calls through the real WSGI handler, keeping the test's database connection.

    The handler closes connections at the end of each request; inside the
    test's transaction that would close it on PostgreSQL. Django's test
    client disconnects the same signal for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzzing(wsgi_in_test_transaction, fuzz_data, monkeypatch):
    # One operation's examples are many requests as one user: lift the
    # per-user rate (the token endpoint keeps its own; its 429 is documented).
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "1000000/min")


def generated_schema():
    """The schema exactly as /api/schema/ serves it (test_served_schema_is_the_generated_one checks)."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


# Loaded at import, not from a fixture: schemathesis's lazy fixture loader does
# not work with pytest 9.2. Calls go to the WSGI application in process.
schema = schemathesis.openapi.from_dict(generated_schema())
schema.app = application


# 30 examples per operation keeps the run near a minute, with a fixed seed so
# CI is repeatable; API_FUZZ_EXAMPLES=500 fuzzes harder, with a random seed.
FUZZ_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "30"))
fuzz_settings = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize="API_FUZZ_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@fuzz_settings
def test_api_answers_every_generated_request_as_its_schema_says(case, analyst_headers, fuzzing):
    case.call_and_validate(headers=analyst_headers, checks=CHECKS)


@schema.include(method="DELETE").parametrize()
@fuzz_settings
def test_deletes_by_a_superuser_answer_as_the_schema_says(case, superuser_headers, fuzzing):
    # Analysts may not delete (403 above); a superuser reaches the deletion itself.
    case.call_and_validate(headers=superuser_headers, checks=CHECKS)


def test_served_schema_is_the_generated_one(analyst_headers):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=analyst_headers["Authorization"])

    assert client.get("/api/schema/?format=json").json() == generated_schema()


def test_known_rows_read_and_write_as_the_schema_says(analyst_headers, fuzz_data, wsgi_in_test_transaction):
    """Generated ids rarely exist; these calls check the successful answers' bodies."""
    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=analyst_headers)
    assert loaded.raw_schema == generated_schema()
    pk = fuzz_data.pk
    calls = [
        ("/api/v1/commitments/", "GET", {}),
        ("/api/v1/commitments/{id}/", "GET", {"path_parameters": {"id": pk}}),
        ("/api/v1/commitments/{id}/", "PATCH", {"path_parameters": {"id": pk}, "body": {"title": "Renamed"}}),
        ("/api/v1/commitments/{commitment_id}/updates/", "GET", {"path_parameters": {"commitment_id": pk}}),
        (
            "/api/v1/commitments/{commitment_id}/updates/",
            "POST",
            {"path_parameters": {"commitment_id": pk}, "body": {"status": "stalled", "note": "No news."}},
        ),
        ("/api/v1/board/", "GET", {}),
        ("/api/v1/actors/", "GET", {}),
        ("/api/v1/events/", "GET", {}),
        ("/api/v1/topics/", "GET", {}),
    ]
    statuses = []
    for path, method, arguments in calls:
        case = loaded[path][method].Case(media_type="application/json", **arguments)
        response = case.call_and_validate(headers=analyst_headers, checks=CHECKS)
        statuses.append(response.status_code)

    assert statuses == [200, 200, 200, 200, 201, 200, 200, 200, 200]
    fuzz_data.refresh_from_db()
    assert (fuzz_data.title, fuzz_data.status) == ("Renamed", Status.STALLED)
