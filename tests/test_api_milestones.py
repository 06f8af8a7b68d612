"""The API of milestones: listed and added under a pledge, changed, marked done and deleted on their own; a pledge's
milestones and the progress they suggest on its own address; the schema."""

import json
from datetime import date, timedelta

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import CommitmentFactory, UserFactory, api_client_for, today
from tracker import milestones
from tracker.models import Milestone

pytestmark = pytest.mark.django_db

HUGE_ID = "9" * 30
PAST_BIGINT = str(2**63)
EVIDENCE = "https://example.org/bill-passed"


@pytest.fixture
def pledge():
    return CommitmentFactory(made_on=date(2025, 8, 20))


def add(commitment, title="Bill drafted", due_on=date(2025, 12, 1), **fields):
    return milestones.milestone_add(commitment=commitment, data={"title": title, "due_on": due_on, **fields})


def payload(**overrides):
    return {"title": "Bill passed by parliament", "due_on": "2026-03-31", "weight": 3, **overrides}


def list_url(commitment):
    return f"/api/v1/commitments/{commitment.pk}/milestones/"


def detail_url(milestone):
    return f"/api/v1/milestones/{milestone.pk}/"


def saved(milestone):
    """The milestone as the database holds it, in the fields the API writes."""
    milestone.refresh_from_db()
    return (milestone.title, milestone.due_on, milestone.weight, milestone.done_on, milestone.evidence_url)


# Permissions


@pytest.fixture
def people(roles, analyst, viewer):
    return {"anonymous": None, "no group": UserFactory(username="nobody"), "viewer": viewer, "analyst": analyst}


def call(client, action, pledge, existing):
    if action == "list":
        return client.get(list_url(pledge))
    if action == "retrieve":
        return client.get(detail_url(existing))
    if action == "create":
        return client.post(list_url(pledge), payload(), format="json")
    if action == "update":
        return client.patch(detail_url(existing), {"title": "Renamed"}, format="json")
    return client.delete(detail_url(existing))


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", {"list": 401, "retrieve": 401, "create": 401, "update": 401, "delete": 401}),
        ("no group", {"list": 403, "retrieve": 403, "create": 403, "update": 403, "delete": 403}),
        ("viewer", {"list": 200, "retrieve": 200, "create": 403, "update": 403, "delete": 403}),
        # Deleting a step corrects an entry, as for money lines: the change permission, which Analysts have.
        ("analyst", {"list": 200, "retrieve": 200, "create": 201, "update": 200, "delete": 204}),
    ],
)
@pytest.mark.parametrize("action", ["list", "retrieve", "create", "update", "delete"])
def test_milestone_permissions_per_role(people, pledge, person, expected, action):
    existing = add(pledge)

    response = call(api_client_for(people[person]), action, pledge, existing)

    assert response.status_code == expected[action]
    if response.status_code >= 400:
        assert [(row.pk, row.title) for row in Milestone.objects.all()] == [(existing.pk, "Bill drafted")]


def test_a_viewer_reads_a_pledge_s_milestones(viewer, pledge):
    existing = add(pledge, weight=2)

    listed = api_client_for(viewer).get(list_url(pledge)).json()
    one = api_client_for(viewer).get(detail_url(existing)).json()

    assert [row["id"] for row in listed["results"]] == [existing.pk]
    assert (one["title"], one["weight"], one["commitment"]) == ("Bill drafted", 2, pledge.pk)


# Writes


def test_an_analyst_adds_a_milestone_under_the_pledge_with_who_added_it(analyst, pledge):
    response = api_client_for(analyst).post(list_url(pledge), payload(evidence_url=""), format="json")

    assert response.status_code == 201
    milestone = Milestone.objects.get()
    assert (milestone.commitment, milestone.created_by) == (pledge, analyst)
    assert saved(milestone) == ("Bill passed by parliament", date(2026, 3, 31), 3, None, "")
    assert milestone.history.get().history_user == analyst
    assert response.json() == {
        "id": milestone.pk,
        "commitment": pledge.pk,
        "title": "Bill passed by parliament",
        "due_on": "2026-03-31",
        "weight": 3,
        "done_on": None,
        "evidence_url": "",
        "is_overdue": milestone.is_overdue,
        "created_by": {"id": analyst.pk, "username": "analyst"},
        "created_at": response.json()["created_at"],
    }


def test_a_milestone_without_a_weight_weighs_one_and_its_title_is_tidied(analyst, pledge):
    body = {"title": "  Bill   drafted ", "due_on": "2026-01-15"}

    response = api_client_for(analyst).post(list_url(pledge), body, format="json")

    assert response.status_code == 201
    assert saved(Milestone.objects.get()) == ("Bill drafted", date(2026, 1, 15), 1, None, "")
    assert (response.json()["title"], response.json()["weight"]) == ("Bill drafted", 1)


def test_a_milestone_is_marked_done_with_its_evidence_then_deleted_with_its_history(analyst, pledge):
    existing = add(pledge, due_on=today() - timedelta(days=3))
    client = api_client_for(analyst)
    assert client.get(detail_url(existing)).json()["is_overdue"] is True

    done = client.patch(detail_url(existing), {"done_on": today().isoformat(), "evidence_url": EVIDENCE}, format="json")

    assert done.status_code == 200
    assert saved(existing) == ("Bill drafted", today() - timedelta(days=3), 1, today(), EVIDENCE)
    assert (done.json()["done_on"], done.json()["is_overdue"]) == (today().isoformat(), False)
    assert existing.history.first().history_user == analyst

    undone = client.patch(detail_url(existing), {"done_on": None}, format="json")

    assert undone.status_code == 200
    assert saved(existing)[3] is None

    assert client.delete(detail_url(existing)).status_code == 204
    assert not Milestone.objects.exists()
    assert Milestone.history.get(id=existing.pk, history_type="-").history_user == analyst


def test_a_pledge_s_milestones_are_listed_by_due_date_and_no_other_pledge_s(viewer, pledge):
    later = add(pledge, title="Later", due_on=date(2026, 6, 1))
    sooner = add(pledge, title="Sooner", due_on=date(2025, 10, 1))
    add(CommitmentFactory(), title="Another pledge's")

    body = api_client_for(viewer).get(list_url(pledge)).json()

    assert [row["id"] for row in body["results"]] == [sooner.pk, later.pk]
    assert body["count"] == 2


BAD_INPUTS = [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 301}, "title"),
    ({"title": "Bill\x00passed"}, "title"),
    ({"due_on": "2025-08-19"}, "due_on"),
    ({"due_on": "soon"}, "due_on"),
    ({"due_on": None}, "due_on"),
    # Two days ahead: parameters are computed at collection, and a run past midnight makes tomorrow today.
    ({"done_on": (today() + timedelta(days=2)).isoformat()}, "done_on"),
    ({"done_on": "2025-08-19"}, "done_on"),
    ({"done_on": "yesterday"}, "done_on"),
    ({"weight": 0}, "weight"),
    ({"weight": 101}, "weight"),
    ({"weight": -1}, "weight"),
    ({"weight": "x"}, "weight"),
    ({"weight": 1.5}, "weight"),
    ({"weight": 10**30}, "weight"),
    ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
    ({"evidence_url": "not a web address"}, "evidence_url"),
    ({"evidence_url": "https://example.org/\x00"}, "evidence_url"),
    ({"evidence_url": "https://example.org/" + "x" * 500}, "evidence_url"),
    ({"colour": "red"}, "colour"),
    ({"done": "2025-09-01"}, "done"),
]


@pytest.mark.parametrize(("change", "field"), BAD_INPUTS)
def test_a_bad_milestone_is_a_400_naming_its_field_and_nothing_is_saved(analyst, pledge, change, field):
    response = api_client_for(analyst).post(list_url(pledge), payload(**change), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0]
    assert not Milestone.objects.exists()


@pytest.mark.parametrize(("change", "field"), BAD_INPUTS)
def test_a_bad_change_is_a_400_naming_its_field_and_nothing_changes(analyst, pledge, change, field):
    existing = add(pledge, weight=5)

    response = api_client_for(analyst).patch(detail_url(existing), change, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert saved(existing) == ("Bill drafted", date(2025, 12, 1), 5, None, "")


def test_the_service_s_messages_are_the_ones_returned(analyst, pledge):
    client = api_client_for(analyst)

    before = client.post(list_url(pledge), payload(due_on="2025-08-01"), format="json").json()
    weight = client.post(list_url(pledge), payload(weight=101), format="json").json()
    empty = client.post(list_url(pledge), payload(title=""), format="json").json()

    assert before == {"due_on": ["A step cannot be due before the pledge was made (20 Aug 2025)."]}
    assert weight == {"weight": ["A weight is a whole number from 1 to 100."]}
    assert "Say what the step is" in empty["title"][0]


def test_an_unknown_field_is_named_beside_the_other_errors(analyst, pledge):
    response = api_client_for(analyst).post(
        list_url(pledge), {"title": "Step", "due_on": "later", "colour": "red"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"due_on", "colour"}


def test_read_only_fields_sent_back_are_ignored(analyst, pledge):
    """A client may send back what it read: the id, the pledge and the rest it cannot set change nothing."""
    existing = add(pledge)
    other = CommitmentFactory()
    read = api_client_for(analyst).get(detail_url(existing)).json()

    response = api_client_for(analyst).patch(
        detail_url(existing), {**read, "commitment": other.pk, "title": "Renamed"}, format="json"
    )

    assert response.status_code == 200
    existing.refresh_from_db()
    assert (existing.title, existing.commitment) == ("Renamed", pledge)


def test_a_body_that_is_not_an_object_is_a_400(analyst, pledge):
    response = api_client_for(analyst).post(list_url(pledge), ["title"], format="json")

    assert response.status_code == 400
    assert not Milestone.objects.exists()


def test_form_data_is_read_as_json_is(analyst, pledge):
    response = api_client_for(analyst).post(list_url(pledge), {"title": "Bill drafted", "due_on": "2026-01-01"})

    assert response.status_code == 201
    assert saved(Milestone.objects.get()) == ("Bill drafted", date(2026, 1, 1), 1, None, "")


@pytest.mark.parametrize("pk", [HUGE_ID, PAST_BIGINT, "12abc", "-1", "1.0", "١٢", "404404"])
def test_an_unknown_or_impossible_id_is_a_404(analyst, pk):
    client = api_client_for(analyst)

    assert client.get(f"/api/v1/commitments/{pk}/milestones/").status_code == 404
    assert client.post(f"/api/v1/commitments/{pk}/milestones/", payload(), format="json").status_code == 404
    assert client.get(f"/api/v1/milestones/{pk}/").status_code == 404
    assert client.patch(f"/api/v1/milestones/{pk}/", {"title": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/milestones/{pk}/").status_code == 404
    assert not Milestone.objects.exists()


def test_an_unknown_pledge_is_a_404_before_the_body_is_read(analyst):
    response = api_client_for(analyst).post("/api/v1/commitments/404404/milestones/", {"weight": 0}, format="json")

    assert response.status_code == 404


def test_milestones_are_not_replaced_whole(analyst, pledge):
    existing = add(pledge)

    response = api_client_for(analyst).put(detail_url(existing), payload(), format="json")

    assert response.status_code == 405
    assert saved(existing)[0] == "Bill drafted"


# A pledge's milestones on its own address


def test_the_pledge_shows_its_milestones_and_the_progress_they_suggest_the_list_does_not(viewer, pledge):
    done = add(pledge, title="Drafted", due_on=date(2025, 9, 1), done_on=date(2025, 9, 2), evidence_url=EVIDENCE)
    late = add(pledge, title="<b>Passed</b>", due_on=today() - timedelta(days=1), weight=2)
    client = api_client_for(viewer)

    detail = client.get(f"/api/v1/commitments/{pledge.pk}/").json()
    listed = client.get("/api/v1/commitments/").json()["results"][0]

    assert detail["milestones"] == [
        {
            "id": done.pk,
            "title": "Drafted",
            "due_on": "2025-09-01",
            "weight": 1,
            "done_on": "2025-09-02",
            "evidence_url": EVIDENCE,
            "is_overdue": False,
        },
        {
            "id": late.pk,
            "title": "<b>Passed</b>",
            "due_on": (today() - timedelta(days=1)).isoformat(),
            "weight": 2,
            "done_on": None,
            "evidence_url": "",
            "is_overdue": True,
        },
    ]
    # 1 of 3 by weight: 33%. The pledge's own progress is the analyst's to record.
    assert (detail["suggested_progress"], detail["progress"]) == (33, 0)
    assert detail["is_overdue"] is True
    assert listed["id"] == pledge.pk
    assert "milestones" not in listed and "suggested_progress" not in listed
    assert listed["is_overdue"] is True


def test_a_pledge_without_milestones_suggests_nothing(viewer, pledge):
    body = api_client_for(viewer).get(f"/api/v1/commitments/{pledge.pk}/").json()

    assert (body["milestones"], body["suggested_progress"]) == ([], None)


def test_a_change_to_a_pledge_still_answers_with_its_milestones(analyst, pledge):
    add(pledge, done_on=date(2025, 9, 1))

    response = api_client_for(analyst).patch(f"/api/v1/commitments/{pledge.pk}/", {"title": "Renamed"}, format="json")

    assert response.status_code == 200
    assert ([row["title"] for row in response.json()["milestones"]], response.json()["suggested_progress"]) == (
        ["Bill drafted"],
        100,
    )


def detail_queries(client, pledge):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/commitments/{pledge.pk}/")
    assert response.status_code == 200
    # `milestones` and `suggested_progress` read the same prefetched rows: one query, not one each.
    assert sum(1 for query in queries if query["sql"].startswith('SELECT "tracker_milestone".')) == 1
    return len(queries), response.json()


def test_the_pledge_s_queries_do_not_grow_with_its_milestones(superuser):
    one, ten = CommitmentFactory(made_on=date(2025, 8, 20)), CommitmentFactory(made_on=date(2025, 8, 20))
    add(one, done_on=date(2025, 9, 1))
    for n in range(10):
        add(
            ten, title=f"Step {n}", due_on=date(2025, 9, 1) + timedelta(days=n), done_on=date(2025, 9, 1) if n else None
        )
    client = api_client_for(superuser)

    with_one, body_one = detail_queries(client, one)
    with_ten, body_ten = detail_queries(client, ten)

    assert (len(body_one["milestones"]), len(body_ten["milestones"])) == (1, 10)
    assert (body_one["suggested_progress"], body_ten["suggested_progress"]) == (100, 90)
    assert with_ten == with_one


def test_the_list_reads_no_milestones(superuser, pledge):
    for n in range(5):
        add(pledge, title=f"Step {n}")
    client = api_client_for(superuser)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/commitments/")

    assert response.status_code == 200
    assert not [query for query in queries if query["sql"].startswith('SELECT "tracker_milestone".')]


def test_the_milestone_list_s_queries_do_not_grow_with_its_rows(superuser, pledge):
    add(pledge)
    client = api_client_for(superuser)
    with CaptureQueriesContext(connection) as few:
        client.get(list_url(pledge))
    for n in range(9):
        add(pledge, title=f"Step {n}")

    with CaptureQueriesContext(connection) as many:
        response = client.get(list_url(pledge))

    assert response.json()["count"] == 10
    assert len(many) == len(few)


# The schema


def test_the_schema_documents_the_milestone_api_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", validate=True, fail_on_warn=True, file=str(target))

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert set(paths["/api/v1/commitments/{commitment_id}/milestones/"]) == {"get", "post"}
    assert set(paths["/api/v1/milestones/{id}/"]) == {"get", "patch", "delete"}
    for path, method in [
        ("/api/v1/commitments/{commitment_id}/milestones/", "post"),
        ("/api/v1/milestones/{id}/", "patch"),
    ]:
        operation = paths[path][method]
        assert {"400", "401", "403", "404"} <= set(operation["responses"])
        assert "weight is a whole number from 1 to 100" in operation["description"]
    components = schema["components"]["schemas"]
    assert {"milestones", "suggested_progress"} <= set(components["Commitment"]["properties"])
    assert not {"milestones", "suggested_progress"} & set(components["CommitmentList"]["properties"])


@pytest.fixture
def wsgi_in_test_transaction():
    """Calls through the real WSGI handler, keeping the test's database connection (see test_api_schema.py)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_answers_are_what_the_schema_says(analyst, pledge, wsgi_in_test_transaction):
    schema = schemathesis.openapi.from_dict(
        json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    )
    schema.app = application
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=analyst)[0].key}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

    def call(path, method, expected, **arguments):
        case = schema[path][method].Case(media_type="application/json", **arguments)
        response = case.call_and_validate(headers=headers, checks=checks)
        assert response.status_code == expected, response.text
        return response.json() if response.content else None

    under = {"commitment_id": pledge.pk}
    created = call(
        "/api/v1/commitments/{commitment_id}/milestones/", "POST", 201, path_parameters=under, body=payload()
    )
    call("/api/v1/commitments/{commitment_id}/milestones/", "POST", 400, path_parameters=under, body=payload(weight=0))
    call("/api/v1/commitments/{commitment_id}/milestones/", "GET", 200, path_parameters=under)
    one = {"id": created["id"]}
    call("/api/v1/milestones/{id}/", "GET", 200, path_parameters=one)
    call("/api/v1/milestones/{id}/", "PATCH", 200, path_parameters=one, body={"done_on": today().isoformat()})
    call("/api/v1/milestones/{id}/", "PATCH", 400, path_parameters=one, body={"colour": "red"})
    call("/api/v1/commitments/{id}/", "GET", 200, path_parameters={"id": pledge.pk})
    call("/api/v1/milestones/{id}/", "DELETE", 204, path_parameters=one)
    assert not Milestone.objects.exists()
