"""The API of contacts, requests to offices and their replies, under /api/v1/."""

import json

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
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
from tests.factories import ActorFactory, CommitmentFactory, UserFactory, api_client_for, cycle_with, score
from tracker import assessments, evidence, services
from tracker.models import Contact, EvidenceRequest, FollowUp, ProgressUpdate, Reply, Status

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"
REQUESTS = "/api/v1/evidence-requests/"
REPLIES = "/api/v1/replies/"
REVIEW_LINK = "https://example.org/tariff-review"
PDF = b"%PDF-1.4\n% a tiny test document\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # Reply files are written through the default storage: keep them out of var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(analyst):
    """Japan's pledge binding Kenya too, an office of each, a request to Japan's answered twice, one still open."""
    japan = ActorFactory(name="Japan")
    kenya = ActorFactory(name="Kenya")
    pledge = CommitmentFactory(title="Review tariffs", made_by=japan)
    pledge.members.set([japan, kenya])
    mofa = Contact.objects.create(actor=japan, name="MOFA press office", email="press@mofa.example.jp")
    treasury = Contact.objects.create(actor=kenya, name="National Treasury", email="info@treasury.example.ke")
    toyota = Contact.objects.create(actor=ActorFactory(name="Toyota"), name="Toyota", email="pr@toyota.example.jp")
    answered = evidence.evidence_request_send(
        commitment=pledge, contact=mofa, message="Has the tariff review started?", user=analyst
    )
    first = evidence.reply_submit(request=answered, text="The review began in October.", links=[REVIEW_LINK])
    second = evidence.reply_submit(request=answered, text="A second thought.")
    waiting = evidence.evidence_request_send(
        commitment=pledge, contact=treasury, message="Any news on tea exports?", user=analyst
    )
    return {
        "japan": japan,
        "kenya": kenya,
        "pledge": pledge,
        "mofa": mofa,
        "treasury": treasury,
        "toyota": toyota,
        "answered": answered,
        "waiting": waiting,
        "first": first,
        "second": second,
    }


@pytest.fixture
def analyst_api(analyst):
    return api_client_for(analyst)


# Permissions


def do_action(client, action, world):
    return {
        "list contacts": lambda: client.get(CONTACTS),
        "read contact": lambda: client.get(f"{CONTACTS}{world['mofa'].pk}/"),
        "list requests": lambda: client.get(REQUESTS),
        "read request": lambda: client.get(f"{REQUESTS}{world['answered'].pk}/"),
        "list replies": lambda: client.get(REPLIES),
        "read reply": lambda: client.get(f"{REPLIES}{world['first'].pk}/"),
        "add contact": lambda: client.post(
            CONTACTS,
            {"actor": world["kenya"].pk, "name": "State House", "email": "press@statehouse.example.ke"},
            format="json",
        ),
        "change contact": lambda: client.patch(f"{CONTACTS}{world['mofa'].pk}/", {"role": "Press"}, format="json"),
        "delete contact": lambda: client.delete(f"{CONTACTS}{world['toyota'].pk}/"),
        "ask": lambda: client.post(
            REQUESTS,
            {"commitment": world["pledge"].pk, "contact": world["mofa"].pk, "message": "Any news?"},
            format="json",
        ),
        "withdraw": lambda: client.post(f"{REQUESTS}{world['waiting'].pk}/withdraw/"),
        "accept": lambda: client.post(
            f"{REPLIES}{world['first'].pk}/accept/", {"status": "in_progress"}, format="json"
        ),
        "dismiss": lambda: client.post(f"{REPLIES}{world['second'].pk}/dismiss/"),
    }[action]()


READS = ["list contacts", "read contact", "list requests", "read request", "list replies", "read reply"]
WRITES = {"add contact": 201, "change contact": 200, "ask": 201, "withdraw": 200, "accept": 200, "dismiss": 200}


def database_state():
    return (
        list(Contact.objects.values_list("name", "role").order_by("id")),
        list(EvidenceRequest.objects.values_list("state").order_by("id")),
        list(Reply.objects.values_list("state").order_by("id")),
        ProgressUpdate.objects.count(),
        FollowUp.objects.count(),
    )


@pytest.mark.parametrize("person", ["anonymous", "no group", "viewer", "analyst"])
@pytest.mark.parametrize("action", [*READS, *WRITES, "delete contact"])
def test_permissions_per_role(world, analyst, viewer, person, action):
    user = {"anonymous": None, "no group": UserFactory(username="nobody"), "viewer": viewer, "analyst": analyst}[person]
    # Deleting is for superusers alone.
    allowed = (person == "analyst" and action != "delete contact") or (person == "viewer" and action in READS)
    before = database_state()

    response = do_action(api_client_for(user), action, world)

    if allowed:
        assert response.status_code == WRITES.get(action, 200), response.content
        assert (database_state() != before) == (action in WRITES)
    else:
        assert response.status_code == (401 if person == "anonymous" else 403)
        assert response.json()["detail"]
        assert database_state() == before


def test_a_superuser_deletes_a_contact_never_asked_and_gets_a_409_for_one_asked(world, superuser):
    client = api_client_for(superuser)

    deleted = client.delete(f"{CONTACTS}{world['toyota'].pk}/")
    refused = client.delete(f"{CONTACTS}{world['mofa'].pk}/")

    assert deleted.status_code == 204
    assert refused.status_code == 409
    assert "inactive" in refused.json()["detail"]
    assert list(Contact.objects.values_list("name", flat=True).order_by("name")) == [
        "MOFA press office",
        "National Treasury",
    ]


def test_accepting_needs_the_right_to_record_updates(world):
    reviewer = UserFactory(username="reviewer")
    reviewer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="tracker", codename__in=["view_reply", "change_reply"])
    )
    client = api_client_for(reviewer)

    refused = client.post(f"{REPLIES}{world['first'].pk}/accept/", {"status": "in_progress"}, format="json")
    dismissed = client.post(f"{REPLIES}{world['second'].pk}/dismiss/")

    assert refused.status_code == 403
    assert dismissed.status_code == 200
    assert list(Reply.objects.values_list("state", flat=True).order_by("id")) == ["pending", "dismissed"]
    assert not ProgressUpdate.objects.exists()


# Contacts


def test_analyst_adds_a_contact(analyst_api, analyst, world):
    response = analyst_api.post(
        CONTACTS,
        {
            "actor": world["kenya"].pk,
            "name": "State House",
            "email": "press@statehouse.example.ke",
            "role": "Press office",
            "language": "sw",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    contact = Contact.objects.get(name="State House")
    assert (contact.actor, contact.email, contact.language, contact.is_active) == (
        world["kenya"],
        "press@statehouse.example.ke",
        "sw",
        True,
    )
    assert response.json()["actor"] == {"id": world["kenya"].pk, "name": "Kenya"}
    assert contact.history.get().history_user == analyst


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not an address"}, "email"),
        ({"email": ""}, "email"),
        ({"language": "de"}, "language"),
        ({"name": ""}, "name"),
        ({"name": "State\x00House"}, "name"),
        ({"role": "Press\x00"}, "role"),
        ({"actor": 999999}, "actor"),
        ({"actor": "Kenya"}, "actor"),
        ({"is_active": "perhaps"}, "is_active"),
    ],
)
def test_bad_contact_is_a_400_naming_the_field(analyst_api, world, change, field):
    body = {"actor": world["kenya"].pk, "name": "State House", "email": "press@statehouse.example.ke", **change}

    response = analyst_api.post(CONTACTS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Contact.objects.filter(name__startswith="State").exists()


def test_an_actor_has_an_email_address_once(analyst_api, world):
    response = analyst_api.post(
        CONTACTS, {"actor": world["japan"].pk, "name": "Again", "email": "press@mofa.example.jp"}, format="json"
    )

    assert response.status_code == 400
    assert not Contact.objects.filter(name="Again").exists()


def test_patch_changes_a_contact(analyst_api, world):
    response = analyst_api.patch(
        f"{CONTACTS}{world['treasury'].pk}/", {"is_active": False, "language": "fr"}, format="json"
    )

    assert response.status_code == 200, response.content
    world["treasury"].refresh_from_db()
    assert (world["treasury"].is_active, world["treasury"].language) == (False, "fr")


def test_an_office_already_asked_keeps_its_actor(analyst_api, world):
    asked = analyst_api.patch(f"{CONTACTS}{world['mofa'].pk}/", {"actor": world["kenya"].pk}, format="json")
    never_asked = analyst_api.patch(f"{CONTACTS}{world['toyota'].pk}/", {"actor": world["kenya"].pk}, format="json")

    assert asked.status_code == 400 and "actor" in asked.json()
    assert never_asked.status_code == 200
    assert Contact.objects.get(pk=world["mofa"].pk).actor == world["japan"]
    assert Contact.objects.get(pk=world["toyota"].pk).actor == world["kenya"]


def test_put_is_not_allowed_on_contacts(analyst_api, world):
    assert analyst_api.put(f"{CONTACTS}{world['mofa'].pk}/", {}, format="json").status_code == 405


def test_contacts_filter_by_actor_and_activity_and_search_name_and_email(analyst_api, world):
    Contact.objects.filter(pk=world["toyota"].pk).update(is_active=False)

    def names(query):
        return sorted(row["name"] for row in analyst_api.get(f"{CONTACTS}?{query}").json()["results"])

    assert names(f"actor={world['japan'].pk}") == ["MOFA press office"]
    assert names("is_active=false") == ["Toyota"]
    assert names("is_active=true") == ["MOFA press office", "National Treasury"]
    assert names("search=treasury") == ["National Treasury"]
    assert names("search=mofa.example") == ["MOFA press office"]
    bad = analyst_api.get(f"{CONTACTS}?actor=japan")
    assert bad.status_code == 400 and "actor" in bad.json()


# Requests


def test_analyst_asks_an_office_and_the_email_is_queued(analyst_api, analyst, world):
    response = analyst_api.post(
        REQUESTS,
        {"commitment": world["pledge"].pk, "contact": world["treasury"].pk, "message": "  Has tea moved?  "},
        format="json",
    )

    assert response.status_code == 201, response.content
    made = EvidenceRequest.objects.get(pk=response.json()["id"])
    assert (made.kind, made.state, made.message, made.requested_by) == ("evidence", "sent", "Has tea moved?", analyst)
    followup = FollowUp.objects.get(request=made)
    assert (followup.kind, followup.contact, followup.recipient) == (FollowUp.Kind.REQUEST, world["treasury"], None)
    body = response.json()
    assert body["contact"] == {"id": world["treasury"].pk, "name": "National Treasury"}
    assert body["commitment"] == {"id": world["pledge"].pk, "title": "Review tariffs"}
    assert (body["state"], body["replies"], body["requested_by"]["username"]) == ("sent", [], "analyst")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contact": 999999}, "contact"),
        ({"contact": "abc"}, "contact"),
        ({"contact": "<another actor's>"}, "contact"),
        ({"contact": "<inactive>"}, "contact"),
        ({"commitment": 999999}, "commitment"),
        ({"message": ""}, "message"),
        ({"message": "   "}, "message"),
        ({"message": "x" * (evidence.MAX_MESSAGE_LENGTH + 1)}, "message"),
        ({"message": "Any\x00news?"}, "message"),
        ({"message": ["Any news?"]}, "message"),
    ],
)
def test_bad_request_is_a_400_naming_the_field(analyst_api, world, change, field):
    Contact.objects.filter(pk=world["treasury"].pk).update(is_active=False)
    named = {"<another actor's>": world["toyota"].pk, "<inactive>": world["treasury"].pk}
    change = {name: named.get(value, value) if isinstance(value, str) else value for name, value in change.items()}
    body = {"commitment": world["pledge"].pk, "contact": world["mofa"].pk, "message": "Any news?", **change}
    before = database_state()

    response = analyst_api.post(REQUESTS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert database_state() == before


def test_a_request_for_a_contact_of_another_actor_says_why(analyst_api, world):
    response = analyst_api.post(
        REQUESTS,
        {"commitment": world["pledge"].pk, "contact": world["toyota"].pk, "message": "Any news?"},
        format="json",
    )

    assert response.status_code == 400
    assert "not an active office of this pledge's maker or members" in response.json()["contact"][0]


def test_withdrawing_cancels_the_email_and_twice_is_a_400(analyst_api, world):
    url = f"{REQUESTS}{world['waiting'].pk}/withdraw/"

    first = analyst_api.post(url)
    again = analyst_api.post(url)

    assert first.status_code == 200, first.content
    assert first.json()["state"] == "withdrawn" and first.json()["closed_at"]
    assert again.status_code == 400 and "state" in again.json()
    world["waiting"].refresh_from_db()
    assert world["waiting"].state == EvidenceRequest.State.WITHDRAWN
    assert FollowUp.objects.get(request=world["waiting"]).state == FollowUp.State.CANCELLED


def test_an_answered_request_cannot_be_withdrawn(analyst_api, world):
    response = analyst_api.post(f"{REQUESTS}{world['answered'].pk}/withdraw/")

    assert response.status_code == 400 and "answered" in response.json()["state"][0]
    world["answered"].refresh_from_db()
    assert world["answered"].state == EvidenceRequest.State.ANSWERED


def test_a_request_reads_with_its_replies_and_their_files(analyst_api, world):
    upload = SimpleUploadedFile("review.pdf", PDF, content_type="application/pdf")
    with_file = evidence.reply_submit(request=world["answered"], text="The decree.", files=[upload])

    body = analyst_api.get(f"{REQUESTS}{world['answered'].pk}/").json()

    assert [reply["id"] for reply in body["replies"]] == [with_file.pk, world["second"].pk, world["first"].pk]
    first = body["replies"][2]
    assert (first["text"], first["links"], first["state"], first["files"]) == (
        "The review began in October.",
        [REVIEW_LINK],
        "pending",
        [],
    )
    assert first["contact"] == {"id": world["mofa"].pk, "name": "MOFA press office"}
    [attached] = body["replies"][0]["files"]
    assert (attached["name"], attached["content_type"], attached["size"]) == ("review.pdf", "application/pdf", len(PDF))
    try:
        path = reverse("tracker:reply-file", args=[attached["id"]])
    except NoReverseMatch:
        pytest.skip("the reply-file route is not there yet")
    assert attached["url"] == f"http://testserver{path}"


def test_requests_filter_by_pledge_state_kind_and_contact(analyst_api, world):
    other = CommitmentFactory(made_by=world["japan"])
    evidence.evidence_request_send(commitment=other, contact=world["mofa"], message="And this one?")

    def ids(query):
        return sorted(row["id"] for row in analyst_api.get(f"{REQUESTS}?{query}").json()["results"])

    answered, waiting = world["answered"].pk, world["waiting"].pk
    assert len(ids(f"commitment={world['pledge'].pk}")) == 2
    assert ids(f"commitment={world['pledge'].pk}&state=sent") == [waiting]
    assert ids("state=answered") == [answered]
    assert ids(f"contact={world['treasury'].pk}") == [waiting]
    assert len(ids("kind=evidence")) == 3
    assert ids("kind=draft_scores") == []
    for bad in ("state=lost", "kind=gossip", "contact=abc"):
        response = analyst_api.get(f"{REQUESTS}?{bad}")
        assert response.status_code == 400 and bad.split("=")[0] in response.json()


def test_requests_cannot_be_changed_or_deleted(analyst_api, superuser, world):
    url = f"{REQUESTS}{world['waiting'].pk}/"

    assert analyst_api.patch(url, {"message": "Changed"}, format="json").status_code == 405
    assert api_client_for(superuser).delete(url).status_code == 405
    assert EvidenceRequest.objects.get(pk=world["waiting"].pk).message == "Any news on tea exports?"


# Replies


def test_accepting_a_reply_records_an_update_with_its_evidence(analyst_api, analyst, world):
    response = analyst_api.post(
        f"{REPLIES}{world['first'].pk}/accept/", {"status": "in_progress", "progress": 30}, format="json"
    )

    assert response.status_code == 200, response.content
    update = ProgressUpdate.objects.get()
    assert (update.commitment, update.author, update.status_after, update.progress, update.evidence_url) == (
        world["pledge"],
        analyst,
        Status.IN_PROGRESS,
        30,
        REVIEW_LINK,
    )
    assert "The review began in October." in update.note
    reply = Reply.objects.get(pk=world["first"].pk)
    assert (reply.state, reply.update, reply.reviewed_by) == (Reply.State.ACCEPTED, update, analyst)
    assert (response.json()["state"], response.json()["update"]) == ("accepted", update.pk)
    assert response.json()["reviewed_by"] == {"id": analyst.pk, "username": "analyst"}
    world["pledge"].refresh_from_db()
    assert (world["pledge"].status, world["pledge"].progress) == (Status.IN_PROGRESS, 30)


def test_accepting_takes_the_analysts_note_and_evidence(analyst_api, world):
    response = analyst_api.post(
        f"{REPLIES}{world['second'].pk}/accept/",
        {"status": "fulfilled", "note": "Confirmed by the ministry.", "evidence_url": "https://example.org/decree"},
        format="json",
    )

    assert response.status_code == 200, response.content
    update = ProgressUpdate.objects.get()
    assert (update.status_after, update.note, update.evidence_url) == (
        Status.FULFILLED,
        "Confirmed by the ministry.",
        "https://example.org/decree",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "status"),
        ({"status": "done"}, "status"),
        ({"status": "announced"}, "status"),
        ({"status": "in_progress", "progress": 101}, "progress"),
        ({"status": "in_progress", "progress": "lots"}, "progress"),
        ({"status": "in_progress", "evidence_url": "ftp://example.org/x"}, "evidence_url"),
        ({"status": "in_progress", "note": "A\x00B"}, "note"),
    ],
)
def test_bad_acceptance_is_a_400_naming_the_field(analyst_api, analyst, world, body, field):
    # Assessed once already, so that going back to Announced is against the rules.
    services.progress_record(commitment=world["pledge"], author=analyst, status=Status.STALLED)
    before = database_state()

    response = analyst_api.post(f"{REPLIES}{world['first'].pk}/accept/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert database_state() == before


def test_a_dismissed_reply_cannot_be_accepted_nor_dismissed_again(analyst_api, analyst, world):
    dismissed = analyst_api.post(f"{REPLIES}{world['first'].pk}/dismiss/")
    accept = analyst_api.post(f"{REPLIES}{world['first'].pk}/accept/", {"status": "in_progress"}, format="json")
    again = analyst_api.post(f"{REPLIES}{world['first'].pk}/dismiss/")

    assert dismissed.status_code == 200 and dismissed.json()["state"] == "dismissed"
    assert accept.status_code == 400 and "dismissed" in accept.json()["state"][0]
    assert again.status_code == 400 and "state" in again.json()
    reply = Reply.objects.get(pk=world["first"].pk)
    assert (reply.state, reply.reviewed_by, reply.update) == (Reply.State.DISMISSED, analyst, None)
    assert not ProgressUpdate.objects.exists()


def test_a_reply_on_draft_scores_is_not_accepted(analyst_api, world):
    cycle = cycle_with([world["pledge"]])
    score(cycle, world["pledge"], world["japan"], 1)
    assessments.cycle_move(cycle=cycle, state="review")
    [made, *_] = [r for r in evidence.draft_scores_send(cycle=cycle) if r.contact == world["mofa"]]
    reply = evidence.reply_submit(request=made, text="We disagree.", commitment=world["pledge"])

    response = analyst_api.post(f"{REPLIES}{reply.pk}/accept/", {"status": "in_progress"}, format="json")

    assert response.status_code == 400 and "draft scores" in response.json()["state"][0]
    assert Reply.objects.get(pk=reply.pk).state == Reply.State.PENDING
    listed = analyst_api.get(f"{REPLIES}{reply.pk}/").json()
    assert listed["commitment"] == {"id": world["pledge"].pk, "title": "Review tariffs"}
    assert analyst_api.get(f"{REQUESTS}?kind=draft_scores").json()["results"][0]["cycle"]["id"] == cycle.pk


def test_replies_filter_by_request_and_state(analyst_api, world):
    evidence.reply_dismiss(reply=world["second"], user=None)

    def ids(query):
        return sorted(row["id"] for row in analyst_api.get(f"{REPLIES}?{query}").json()["results"])

    assert ids(f"request={world['answered'].pk}") == sorted([world["first"].pk, world["second"].pk])
    assert ids(f"request={world['waiting'].pk}") == []
    assert ids("state=dismissed") == [world["second"].pk]
    bad = analyst_api.get(f"{REPLIES}?state=lost")
    assert bad.status_code == 400 and "state" in bad.json()


def test_replies_are_not_created_changed_or_deleted_through_the_api(analyst_api, superuser, world):
    assert analyst_api.post(REPLIES, {"request": world["waiting"].pk, "text": "Hi"}, format="json").status_code == 405
    assert analyst_api.patch(f"{REPLIES}{world['first'].pk}/", {"text": "Hi"}, format="json").status_code == 405
    assert api_client_for(superuser).delete(f"{REPLIES}{world['first'].pk}/").status_code == 405
    assert Reply.objects.count() == 2


@pytest.mark.parametrize("path", [f"{CONTACTS}abc/", f"{REQUESTS}0/", f"{REPLIES}99999999999999999999999/"])
def test_unknown_rows_are_a_json_404(analyst_api, path):
    response = analyst_api.get(path)

    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.parametrize("action", ["withdraw", "accept", "dismiss"])
def test_actions_on_an_unknown_row_are_a_404(analyst_api, action):
    base = REQUESTS if action == "withdraw" else REPLIES

    assert analyst_api.post(f"{base}999999/{action}/", {"status": "in_progress"}, format="json").status_code == 404


# Query counts


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def offices_with_replies(count):
    """`count` actors, each with a pledge, an office, a request, and a reply with a link and a file."""
    for number in range(count):
        actor = ActorFactory()
        pledge = CommitmentFactory(made_by=actor)
        contact = Contact.objects.create(actor=actor, name=f"Office {number}", email=f"office{number}@example.org")
        made = evidence.evidence_request_send(commitment=pledge, contact=contact, message="Any news?")
        upload = SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32, content_type="image/png")
        evidence.reply_submit(request=made, text="Here.", links=[REVIEW_LINK], files=[upload])


@pytest.mark.parametrize("url", [CONTACTS, REQUESTS, REPLIES])
def test_list_query_count_does_not_grow_with_the_rows(analyst, url):
    client = api_client_for(analyst)
    offices_with_replies(2)
    small_count, small = count_queries(client, url)
    offices_with_replies(8)

    large_count, large = count_queries(client, url)

    assert (small["count"], large["count"]) == (2, 10)
    assert small_count == large_count


def test_request_detail_query_count_does_not_grow_with_replies(analyst, world):
    client = api_client_for(analyst)
    url = f"{REQUESTS}{world['answered'].pk}/"
    small_count, _ = count_queries(client, url)
    for number in range(5):
        upload = SimpleUploadedFile(f"scan{number}.pdf", PDF, content_type="application/pdf")
        evidence.reply_submit(request=world["answered"], text=f"More {number}.", files=[upload])

    large_count, body = count_queries(client, url)

    assert len(body["replies"]) == 7
    assert small_count == large_count


# The schema


NEW_PATHS = {
    "/api/v1/contacts/": {"get", "post"},
    "/api/v1/contacts/{id}/": {"get", "patch", "delete"},
    "/api/v1/evidence-requests/": {"get", "post"},
    "/api/v1/evidence-requests/{id}/": {"get"},
    "/api/v1/evidence-requests/{id}/withdraw/": {"post"},
    "/api/v1/replies/": {"get"},
    "/api/v1/replies/{id}/": {"get"},
    "/api/v1/replies/{id}/accept/": {"post"},
    "/api/v1/replies/{id}/dismiss/": {"post"},
}


def generated_schema():
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def test_the_schema_documents_every_operation_with_a_summary():
    paths = generated_schema()["paths"]

    for path, methods in NEW_PATHS.items():
        operations = {method for method in paths[path] if method in {"get", "post", "patch", "put", "delete"}}
        assert operations == methods, path
        for method in methods:
            assert paths[path][method].get("summary"), (path, method)
            assert {"401", "403"} <= set(paths[path][method]["responses"]), (path, method)
    assert "409" in paths["/api/v1/contacts/{id}/"]["delete"]["responses"]
    accept = paths["/api/v1/replies/{id}/accept/"]["post"]
    assert "400" in accept["responses"] and "progress update" in accept["summary"]
    filters = {parameter["name"] for parameter in paths["/api/v1/evidence-requests/"]["get"]["parameters"]}
    assert {"commitment", "state", "kind", "contact"} <= filters


@pytest.fixture
def wsgi_in_test_transaction():
    """Calls through the real WSGI handler, keeping the test's database connection (see test_api_schema.py)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_answers_are_what_the_schema_says(analyst, world, wsgi_in_test_transaction):
    """Generated requests rarely hit a real row (test_api_schema.py fuzzes them); these check real answers."""
    schema = schemathesis.openapi.from_dict(generated_schema())
    schema.app = application
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=analyst)[0].key}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    evidence.reply_submit(
        request=world["answered"],
        text="The decree.",
        files=[SimpleUploadedFile("decree.pdf", PDF, content_type="application/pdf")],
    )

    def call(path, method, expected, **arguments):
        case = schema[path][method].Case(media_type="application/json", **arguments)
        response = case.call_and_validate(headers=headers, checks=checks)
        assert response.status_code == expected, response.text
        return response.json() if response.content else None

    contact = call(
        "/api/v1/contacts/",
        "POST",
        201,
        body={"actor": world["kenya"].pk, "name": "State House", "email": "press@statehouse.example.ke"},
    )
    call("/api/v1/contacts/", "GET", 200)
    call("/api/v1/contacts/{id}/", "PATCH", 200, path_parameters={"id": contact["id"]}, body={"language": "sw"})
    made = call(
        "/api/v1/evidence-requests/",
        "POST",
        201,
        body={"commitment": world["pledge"].pk, "contact": contact["id"], "message": "Any news?"},
    )
    call("/api/v1/evidence-requests/", "GET", 200)
    assert call("/api/v1/evidence-requests/{id}/", "GET", 200, path_parameters={"id": world["answered"].pk})["replies"][
        0
    ]["files"]
    call("/api/v1/evidence-requests/{id}/withdraw/", "POST", 200, path_parameters={"id": made["id"]})
    call("/api/v1/evidence-requests/{id}/withdraw/", "POST", 400, path_parameters={"id": made["id"]})
    call("/api/v1/replies/", "GET", 200)
    call("/api/v1/replies/{id}/", "GET", 200, path_parameters={"id": world["first"].pk})
    call(
        "/api/v1/replies/{id}/accept/",
        "POST",
        200,
        path_parameters={"id": world["first"].pk},
        body={"status": "in_progress"},
    )
    call("/api/v1/replies/{id}/dismiss/", "POST", 200, path_parameters={"id": world["second"].pk})
    call(
        "/api/v1/replies/{id}/accept/",
        "POST",
        400,
        path_parameters={"id": world["second"].pk},
        body={"status": "stalled"},
    )
