"""The assessment API under /api/v1/: cycles, their pledges and criteria, scores, review, publishing, the report."""

import json

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
from tests.factories import (
    ActorFactory,
    AssessmentCycleFactory,
    CommitmentFactory,
    EventFactory,
    UserFactory,
    api_client_for,
    cycle_with,
    score,
)
from tracker import assessments
from tracker.models import AssessmentCycle, Commitment, ComplianceScore, CycleCommitment, ScoreRevision

pytestmark = pytest.mark.django_db

EVIDENCE = "https://example.org/evidence"
CYCLES = "/api/v1/assessment-cycles/"
SCHEMA_CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def cycle_url(cycle, suffix=""):
    return f"{CYCLES}{cycle.pk}/{suffix}"


@pytest.fixture
def world():
    """A shared pledge binding Japan and Kenya, and a bilateral one Japan made alone, in a draft cycle."""
    japan = ActorFactory(name="Japan")
    kenya = ActorFactory(name="Kenya")
    shared = CommitmentFactory(title="Review tariffs", made_by=japan)
    shared.members.set([japan, kenya])
    bilateral = CommitmentFactory(title="Samurai bond", made_by=japan)
    cycle = cycle_with([shared, bilateral], name="TICAD 9 interim")
    return {"japan": japan, "kenya": kenya, "shared": shared, "bilateral": bilateral, "cycle": cycle}


@pytest.fixture
def analyst_api(analyst):
    return api_client_for(analyst)


def full_score(commitment, member, value=1):
    return {
        "commitment": commitment.pk,
        "member": member.pk,
        "score": value,
        "rationale": "The ministry published the review.",
        "evidence_urls": [EVIDENCE],
    }


def publish(cycle):
    assessments.cycle_move(cycle=cycle, state="review")
    assessments.cycle_move(cycle=cycle, state="published")
    cycle.refresh_from_db()
    return cycle


# Permissions


def do_action(client, action, world):
    cycle, shared, japan = world["cycle"], world["shared"], world["japan"]
    cell = ComplianceScore.objects.get(cycle=cycle, commitment=shared, member=japan)
    reads = {
        "list cycles": lambda: client.get(CYCLES),
        "read cycle": lambda: client.get(cycle_url(cycle)),
        "list pledges": lambda: client.get(cycle_url(cycle, "commitments/")),
        "list scores": lambda: client.get(cycle_url(cycle, "scores/")),
        "read score": lambda: client.get(cycle_url(cycle, f"scores/{cell.pk}/")),
        "report": lambda: client.get(cycle_url(cycle, "report/")),
    }
    writes = {
        "create cycle": lambda: client.post(
            CYCLES, {"name": "Final", "period_start": "2026-03-01", "period_end": "2026-08-01"}, format="json"
        ),
        "change cycle": lambda: client.patch(cycle_url(cycle), {"name": "Renamed"}, format="json"),
        "move": lambda: client.post(cycle_url(cycle, "state/"), {"state": "review"}, format="json"),
        "copy to final": lambda: client.post(
            cycle_url(cycle, "copy-to-final/"),
            {"name": "Final", "period_start": "2026-03-01", "period_end": "2026-08-01"},
            format="json",
        ),
        "add pledges": lambda: client.post(
            cycle_url(cycle, "commitments/"), {"commitments": [CommitmentFactory().pk]}, format="json"
        ),
        "set criteria": lambda: client.patch(
            cycle_url(cycle, f"commitments/{shared.pk}/"), {"criteria_full": "All of it."}, format="json"
        ),
        "remove pledge": lambda: client.delete(cycle_url(cycle, f"commitments/{world['bilateral'].pk}/")),
        "score": lambda: client.post(
            cycle_url(cycle, "scores/"), full_score(shared, world["kenya"], -1), format="json"
        ),
        "change score": lambda: client.patch(cycle_url(cycle, f"scores/{cell.pk}/"), {"score": 0}, format="json"),
    }
    return {**reads, **writes}[action]()


READS = ["list cycles", "read cycle", "list pledges", "list scores", "read score", "report"]
WRITES = {
    "create cycle": 201,
    "change cycle": 200,
    "move": 200,
    "copy to final": 201,
    "add pledges": 201,
    "set criteria": 200,
    "remove pledge": 204,
    "score": 201,
    "change score": 200,
}


def database_state():
    return (
        list(AssessmentCycle.objects.values_list("name", "state").order_by("id")),
        list(CycleCommitment.objects.values_list("cycle_id", "commitment_id", "criteria_full").order_by("id")),
        list(ComplianceScore.objects.values_list("commitment_id", "member_id", "score").order_by("id")),
    )


@pytest.mark.parametrize("person", ["anonymous", "no group", "viewer", "analyst"])
@pytest.mark.parametrize("action", [*READS, *WRITES])
def test_permissions_per_role(world, analyst, viewer, person, action):
    score(world["cycle"], world["shared"], world["japan"], 1)
    user = {"anonymous": None, "no group": UserFactory(username="nobody"), "viewer": viewer, "analyst": analyst}[person]
    allowed = person == "analyst" or (person == "viewer" and action in READS)
    before = database_state()

    response = do_action(api_client_for(user), action, world)

    if allowed:
        assert response.status_code == WRITES.get(action, 200), response.content
        assert (database_state() != before) == (action in WRITES)
    else:
        assert response.status_code == (401 if person == "anonymous" else 403)
        assert response.json()["detail"]
        assert database_state() == before


# Cycles


def test_analyst_creates_a_cycle_as_a_draft(analyst_api, analyst):
    event = EventFactory(name="TICAD 9")

    response = analyst_api.post(
        CYCLES,
        {
            "name": "TICAD 9 interim",
            "event": event.pk,
            "kind": "interim",
            "period_start": "2025-08-22",
            "period_end": "2026-02-28",
            "state": "draft",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    cycle = AssessmentCycle.objects.get()
    assert (cycle.name, cycle.event, cycle.state, cycle.created_by) == ("TICAD 9 interim", event, "draft", analyst)
    assert response.json()["event"] == {"id": event.pk, "name": "TICAD 9"}
    assert response.json()["created_by"] == {"id": analyst.pk, "username": "analyst"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"period_start": "2026-03-01", "period_end": "2026-01-01"}, "period_end"),
        ({"name": "Taken"}, "name"),
        ({"name": ""}, "name"),
        ({"kind": "annual"}, "kind"),
        ({"event": 999999}, "event"),
        ({"period_start": "soon"}, "period_start"),
        ({"previous": "interim"}, "previous"),
        ({"state": "published"}, "state"),
    ],
)
def test_bad_cycle_is_a_400_naming_the_field(analyst_api, payload, field):
    AssessmentCycleFactory(name="Taken")
    body = {"name": "New", "period_start": "2026-01-01", "period_end": "2026-06-01", **payload}

    response = analyst_api.post(CYCLES, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert AssessmentCycle.objects.count() == 1


def test_a_final_cycle_follows_only_an_interim_one(analyst_api):
    final = AssessmentCycleFactory(kind="final")
    interim = AssessmentCycleFactory(kind="interim")
    body = {"name": "Next", "kind": "final", "period_start": "2026-03-01", "period_end": "2026-08-01"}

    refused = analyst_api.post(CYCLES, {**body, "previous": final.pk}, format="json")
    accepted = analyst_api.post(CYCLES, {**body, "previous": interim.pk}, format="json")

    assert refused.status_code == 400 and "previous" in refused.json()
    assert accepted.status_code == 201
    assert AssessmentCycle.objects.get(name="Next").previous == interim


def test_cycle_list_filters_by_state_kind_and_event(analyst_api):
    event = EventFactory()
    draft = AssessmentCycleFactory(name="Draft", event=event)
    AssessmentCycleFactory(name="Published", state="published")
    final = AssessmentCycleFactory(name="Final", kind="final")

    def names(query):
        return sorted(row["name"] for row in analyst_api.get(f"{CYCLES}?{query}").json()["results"])

    assert names("state=draft") == ["Draft", "Final"]
    assert names("state=published") == ["Published"]
    assert names("kind=final") == [final.name]
    assert names(f"event={event.pk}") == [draft.name]
    bad = analyst_api.get(f"{CYCLES}?state=lost")
    assert bad.status_code == 400 and "state" in bad.json()


def test_patch_changes_a_draft_cycle(analyst_api, world):
    response = analyst_api.patch(cycle_url(world["cycle"]), {"name": "Renamed", "period_end": "2026-03-31"})

    assert response.status_code == 200, response.content
    world["cycle"].refresh_from_db()
    assert (world["cycle"].name, str(world["cycle"].period_end)) == ("Renamed", "2026-03-31")


def test_patch_of_a_published_cycle_is_a_400_naming_cycle(analyst_api, world):
    cycle = publish(world["cycle"])

    response = analyst_api.patch(cycle_url(cycle), {"name": "Renamed"}, format="json")

    assert response.status_code == 400
    assert "cycle" in response.json()
    cycle.refresh_from_db()
    assert cycle.name == "TICAD 9 interim"


def test_patch_cannot_move_the_state(analyst_api, world):
    response = analyst_api.patch(cycle_url(world["cycle"]), {"state": "published"}, format="json")

    assert response.status_code == 400
    assert "state/" in response.json()["state"][0]
    world["cycle"].refresh_from_db()
    assert world["cycle"].state == "draft"


def test_put_and_delete_of_a_cycle_are_not_allowed(analyst_api, superuser, world):
    assert analyst_api.put(cycle_url(world["cycle"]), {}, format="json").status_code == 405
    assert api_client_for(superuser).delete(cycle_url(world["cycle"])).status_code == 405
    assert AssessmentCycle.objects.filter(pk=world["cycle"].pk).exists()


@pytest.mark.parametrize("path", ["abc/", "99999999999999999999999/", "abc/scores/", "1.5/commitments/", "0/report/"])
def test_unknown_cycle_is_a_json_404(analyst_api, path):
    response = analyst_api.get(f"{CYCLES}{path}")

    assert response.status_code == 404
    assert response.json()["detail"]


# Review and publishing


def test_moving_to_review_lists_what_is_missing(analyst_api, world):
    cycle, shared, bilateral, japan, kenya = (world[k] for k in ("cycle", "shared", "bilateral", "japan", "kenya"))
    score(cycle, shared, japan, 1)
    assessments.score_set(cycle=cycle, commitment=shared, member=kenya, score=0, rationale="")
    CycleCommitment.objects.filter(commitment=bilateral).update(criteria_none="")

    response = analyst_api.post(cycle_url(cycle, "state/"), {"state": "review"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "review"
    assert body["missing"] == {
        "pledges": 2,
        "not_assessed": [{"commitment": bilateral.pk, "member": japan.pk}],
        "no_rationale": [{"commitment": shared.pk, "member": kenya.pk}],
        "no_criteria": [{"commitment": bilateral.pk}],
        "complete": False,
    }
    cycle.refresh_from_db()
    assert cycle.state == "review"


def test_state_machine_through_the_api(analyst_api, world):
    cycle = world["cycle"]
    url = cycle_url(cycle, "state/")

    too_soon = analyst_api.post(url, {"state": "published"}, format="json")
    assert too_soon.status_code == 400 and "state" in too_soon.json()
    assert analyst_api.post(url, {"state": "review"}, format="json").status_code == 200
    back = analyst_api.post(url, {"state": "draft"}, format="json")
    assert back.status_code == 200 and back.json()["missing"] is None
    assert analyst_api.post(url, {"state": "review"}, format="json").status_code == 200

    published = analyst_api.post(url, {"state": "published"}, format="json")

    assert published.status_code == 200
    cycle.refresh_from_db()
    assert cycle.state == "published" and cycle.published_at is not None
    assert published.json()["published_at"] is not None
    again = analyst_api.post(url, {"state": "draft"}, format="json")
    assert again.status_code == 400 and "state" in again.json()
    cycle.refresh_from_db()
    assert cycle.state == "published"


@pytest.mark.parametrize("body", [{"state": "lost"}, {}, {"state": ["review"]}])
def test_bad_state_is_a_400_naming_state(analyst_api, world, body):
    response = analyst_api.post(cycle_url(world["cycle"], "state/"), body, format="json")

    assert response.status_code == 400
    assert "state" in response.json()


def test_publishing_freezes_the_report_and_a_revision_changes_it(analyst_api, world):
    cycle, shared, japan, kenya = (world[k] for k in ("cycle", "shared", "japan", "kenya"))
    score(cycle, shared, japan, 1)
    score(cycle, shared, kenya, 0)
    publish(cycle)
    report_url = cycle_url(cycle, "report/")
    frozen = analyst_api.get(report_url).json()

    renamed = analyst_api.patch(f"/api/v1/commitments/{shared.pk}/", {"title": "Renamed later"}, format="json")
    assert renamed.status_code == 200
    assert analyst_api.get(report_url).json() == frozen
    assert {row["title"] for row in frozen["pledges"]} == {"Review tariffs", "Samurai bond"}

    cell = ComplianceScore.objects.get(cycle=cycle, commitment=shared, member=kenya)
    response = analyst_api.patch(
        cycle_url(cycle, f"scores/{cell.pk}/"),
        {"score": -1, "rationale": "The review was dropped.", "evidence_urls": [EVIDENCE], "reason": "New evidence."},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["score"] == -1
    [revision] = response.json()["revisions"]
    assert (revision["score_before"], revision["score_after"], revision["reason"]) == (0, -1, "New evidence.")
    assert revision["revised_by"]["username"] == "analyst"
    assert ScoreRevision.objects.get().reason == "New evidence."
    report = analyst_api.get(report_url).json()
    assert report != frozen
    [pledge] = [row for row in report["pledges"] if row["id"] == shared.pk]
    assert pledge["title"] == "Review tariffs"
    assert {cell["member"]: cell["score"] for cell in pledge["scores"]} == {japan.pk: 1, kenya.pk: -1}
    assert [(row["member"], row["score_before"], row["score_after"], row["reason"]) for row in report["revisions"]] == [
        (kenya.pk, 0, -1, "New evidence.")
    ]


def test_the_cycles_pledges_show_what_publishing_froze(analyst_api, world):
    cycle, shared = world["cycle"], world["shared"]
    draft = analyst_api.get(cycle_url(cycle, "commitments/")).json()["results"]
    assert [row["published"] for row in draft] == [None, None]
    publish(cycle)
    Commitment.objects.filter(pk=shared.pk).update(title="Renamed later")

    rows = analyst_api.get(cycle_url(cycle, "commitments/")).json()["results"]

    assert rows[0]["commitment"] == {"id": shared.pk, "title": "Renamed later"}
    assert rows[0]["published"]["title"] == "Review tariffs"
    assert rows[0]["published"]["status"] == "announced"
    assert rows[0]["criteria_full"] == "Done in full."


# Copy to final


def test_copy_to_final_makes_a_final_cycle_with_the_pledges_and_criteria(analyst_api, world):
    cycle = world["cycle"]
    CycleCommitment.objects.filter(commitment=world["shared"]).update(criteria_full="Tariffs cut.")
    score(cycle, world["shared"], world["japan"], 1)

    response = analyst_api.post(
        cycle_url(cycle, "copy-to-final/"),
        {"name": "TICAD 9 final", "period_start": "2026-03-01", "period_end": "2026-08-01"},
        format="json",
    )

    assert response.status_code == 201, response.content
    final = AssessmentCycle.objects.get(name="TICAD 9 final")
    assert (final.kind, final.previous, final.state) == ("final", cycle, "draft")
    assert response.json()["id"] == final.pk and response.json()["previous"]["id"] == cycle.pk
    assert list(final.cycle_commitments.values_list("commitment_id", "criteria_full")) == [
        (world["shared"].pk, "Tariffs cut."),
        (world["bilateral"].pk, "Done in full."),
    ]
    assert not final.scores.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "TICAD 9 interim"}, "name"),
        ({"period_end": "2026-01-01"}, "period_end"),
        ({"period_start": None}, "period_start"),
        ({"event": 999999}, "event"),
    ],
)
def test_bad_copy_to_final_is_a_400_naming_the_field(analyst_api, world, body, field):
    payload = {"name": "Final", "period_start": "2026-03-01", "period_end": "2026-08-01", **body}

    response = analyst_api.post(cycle_url(world["cycle"], "copy-to-final/"), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert AssessmentCycle.objects.count() == 1


def test_a_final_cycle_is_not_copied_again(analyst_api):
    final = AssessmentCycleFactory(kind="final")
    payload = {"name": "Another", "period_start": "2026-03-01", "period_end": "2026-08-01"}

    response = analyst_api.post(cycle_url(final, "copy-to-final/"), payload, format="json")

    assert response.status_code == 400
    assert "cycle" in response.json()


# The cycle's pledges and criteria


def test_adding_pledges_appends_them_and_ignores_those_present(analyst_api, world):
    cycle, shared = world["cycle"], world["shared"]
    new = CommitmentFactory()

    response = analyst_api.post(cycle_url(cycle, "commitments/"), {"commitments": [shared.pk, new.pk]}, format="json")
    again = analyst_api.post(cycle_url(cycle, "commitments/"), {"commitments": [new.pk]}, format="json")

    assert (response.status_code, response.json()) == (201, {"added": 1})
    assert (again.status_code, again.json()) == (200, {"added": 0})
    assert list(cycle.cycle_commitments.values_list("commitment_id", flat=True)) == [
        shared.pk,
        world["bilateral"].pk,
        new.pk,
    ]


@pytest.mark.parametrize("commitments", [[], [999999], ["x"], "1", None])
def test_bad_pledges_to_add_are_a_400_naming_commitments(analyst_api, world, commitments):
    response = analyst_api.post(cycle_url(world["cycle"], "commitments/"), {"commitments": commitments}, format="json")

    assert response.status_code == 400
    assert "commitments" in response.json()
    assert world["cycle"].cycle_commitments.count() == 2


def test_criteria_are_set_per_pledge(analyst_api, world):
    url = cycle_url(world["cycle"], f"commitments/{world['shared'].pk}/")

    response = analyst_api.patch(url, {"criteria_full": "  Tariffs cut.  ", "criteria_none": "Nothing."}, format="json")

    assert response.status_code == 200, response.content
    entry = CycleCommitment.objects.get(cycle=world["cycle"], commitment=world["shared"])
    assert (entry.criteria_full, entry.criteria_partial, entry.criteria_none) == (
        "Tariffs cut.",
        "Under way.",
        "Nothing.",
    )
    assert response.json()["criteria_full"] == "Tariffs cut."
    assert response.json()["members"] == [
        {"id": world["japan"].pk, "name": "Japan"},
        {"id": world["kenya"].pk, "name": "Kenya"},
    ]


def test_removing_a_pledge_takes_its_scores_with_it(analyst_api, world):
    cycle, shared = world["cycle"], world["shared"]
    score(cycle, shared, world["japan"], 1)

    response = analyst_api.delete(cycle_url(cycle, f"commitments/{shared.pk}/"))

    assert response.status_code == 204
    assert list(cycle.cycle_commitments.values_list("commitment_id", flat=True)) == [world["bilateral"].pk]
    assert not cycle.scores.exists()
    assert Commitment.objects.filter(pk=shared.pk).exists()


def test_a_pledge_not_in_the_cycle_is_a_404(analyst_api, world):
    other = CommitmentFactory()

    assert analyst_api.get(cycle_url(world["cycle"], f"commitments/{other.pk}/")).status_code == 404
    assert analyst_api.delete(cycle_url(world["cycle"], f"commitments/{other.pk}/")).status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix", "body", "field"),
    [
        ("post", "commitments/", {"commitments": "NEW"}, "commitments"),
        ("patch", "commitments/SHARED/", {"criteria_full": "Changed."}, "criteria_full"),
        ("delete", "commitments/SHARED/", None, "commitment"),
        ("post", "scores/", "SCORE", "cycle"),
        ("patch", "scores/CELL/", {"score": -1}, "cycle"),
    ],
)
def test_writes_to_a_published_cycle_are_a_400_naming_the_field(analyst_api, world, method, suffix, body, field):
    cycle, shared, japan = world["cycle"], world["shared"], world["japan"]
    cell = score(cycle, shared, japan, 1)
    publish(cycle)
    before = database_state()
    suffix = suffix.replace("SHARED", str(shared.pk)).replace("CELL", str(cell.pk))
    if body == "SCORE":
        body = full_score(shared, japan, 0)
    elif body == {"commitments": "NEW"}:
        body = {"commitments": [CommitmentFactory().pk]}
        before = database_state()

    response = getattr(analyst_api, method)(cycle_url(cycle, suffix), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert database_state() == before


# Scores


def test_analyst_scores_a_member(analyst_api, world, analyst):
    cycle, shared, kenya = world["cycle"], world["shared"], world["kenya"]

    response = analyst_api.post(cycle_url(cycle, "scores/"), full_score(shared, kenya), format="json")

    assert response.status_code == 201, response.content
    cell = ComplianceScore.objects.get()
    assert (cell.commitment, cell.member, cell.score, cell.scored_by) == (shared, kenya, 1, analyst)
    assert cell.evidence_urls == [EVIDENCE]
    body = response.json()
    assert body["id"] == cell.pk
    assert body["commitment"] == {"id": shared.pk, "title": "Review tariffs"}
    assert body["member"] == {"id": kenya.pk, "name": "Kenya"}
    assert (body["score"], body["scored_by"]["username"], body["revisions"]) == (1, "analyst", [])


def test_posting_an_existing_cell_replaces_it(analyst_api, world):
    cycle, shared, kenya = world["cycle"], world["shared"], world["kenya"]
    first = score(cycle, shared, kenya, 1)

    response = analyst_api.post(
        cycle_url(cycle, "scores/"), {"commitment": shared.pk, "member": kenya.pk, "score": 0}, format="json"
    )

    assert response.status_code == 200, response.content
    cell = ComplianceScore.objects.get()
    assert (cell.pk, cell.score, cell.rationale, cell.evidence_urls) == (first.pk, 0, "", [])


def test_patch_changes_only_what_it_names(analyst_api, world):
    cycle, shared, kenya = world["cycle"], world["shared"], world["kenya"]
    cell = score(cycle, shared, kenya, 1)

    response = analyst_api.patch(cycle_url(cycle, f"scores/{cell.pk}/"), {"score": -1}, format="json")

    assert response.status_code == 200, response.content
    cell.refresh_from_db()
    assert (cell.score, cell.rationale, cell.evidence_urls) == (-1, "Scored 1.", [EVIDENCE])
    assert not ScoreRevision.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"score": 2}, "score"),
        ({"score": "x"}, "score"),
        ({"score": True}, "score"),
        ({"score": 0.5}, "score"),
        ({"score": [1]}, "score"),
        ({"member": "OUTSIDER"}, "member"),
        ({"member": 999999}, "member"),
        ({"member": None}, "member"),
        ({"commitment": "ELSEWHERE"}, "commitment"),
        ({"commitment": 999999}, "commitment"),
        ({"commitment": "x"}, "commitment"),
        ({"rationale": ""}, "rationale"),
        ({"evidence_urls": []}, "evidence_urls"),
        ({"evidence_urls": ["javascript:alert(1)"]}, "evidence_urls"),
        ({"evidence_urls": "https://example.org"}, "evidence_urls"),
        ({"evidence_urls": [EVIDENCE] * 21}, "evidence_urls"),
        ({"rationale": "nul\x00"}, "rationale"),
    ],
)
def test_bad_score_is_a_400_naming_the_field(analyst_api, world, change, field):
    cycle, shared = world["cycle"], world["shared"]
    body = full_score(shared, world["kenya"])
    body.update(change)
    if body["member"] == "OUTSIDER":
        body["member"] = ActorFactory(name="Ethiopia").pk
    if body["commitment"] == "ELSEWHERE":
        body["commitment"] = CommitmentFactory(made_by=world["kenya"]).pk

    response = analyst_api.post(cycle_url(cycle, "scores/"), body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not ComplianceScore.objects.exists()


def test_the_maker_alone_is_scored_on_a_pledge_without_members(analyst_api, world):
    url = cycle_url(world["cycle"], "scores/")

    kenya = analyst_api.post(url, full_score(world["bilateral"], world["kenya"]), format="json")
    japan = analyst_api.post(url, full_score(world["bilateral"], world["japan"]), format="json")

    assert kenya.status_code == 400 and "member" in kenya.json()
    assert japan.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"), [({"score": 2}, "score"), ({"evidence_urls": ["ftp://x"]}, "evidence_urls")]
)
def test_bad_patch_is_a_400_naming_the_field(analyst_api, world, change, field):
    cell = score(world["cycle"], world["shared"], world["kenya"], 1)

    response = analyst_api.patch(cycle_url(world["cycle"], f"scores/{cell.pk}/"), change, format="json")

    assert response.status_code == 400
    assert field in response.json()
    cell.refresh_from_db()
    assert (cell.score, cell.evidence_urls) == (1, [EVIDENCE])


def test_a_reason_on_a_cycle_not_published_is_a_400_naming_cycle(analyst_api, world):
    cell = score(world["cycle"], world["shared"], world["kenya"], 1)

    response = analyst_api.patch(
        cycle_url(world["cycle"], f"scores/{cell.pk}/"), {"score": 0, "reason": "Why not."}, format="json"
    )

    assert response.status_code == 400
    assert "cycle" in response.json()
    assert not ScoreRevision.objects.exists()


@pytest.mark.parametrize(("change", "field"), [({"reason": ""}, "reason"), ({"reason": "Typo.", "score": 5}, "score")])
def test_a_bad_revision_is_a_400_naming_the_field(analyst_api, world, change, field):
    cell = score(world["cycle"], world["shared"], world["kenya"], 1)
    publish(world["cycle"])

    response = analyst_api.patch(cycle_url(world["cycle"], f"scores/{cell.pk}/"), change, format="json")

    assert response.status_code == 400
    assert field in response.json()
    cell.refresh_from_db()
    assert cell.score == 1
    assert not ScoreRevision.objects.exists()


def test_a_score_of_another_cycle_is_a_404(analyst_api, world):
    other = cycle_with([world["shared"]])
    cell = score(other, world["shared"], world["japan"], 1)

    response = analyst_api.patch(cycle_url(world["cycle"], f"scores/{cell.pk}/"), {"score": 0}, format="json")

    assert response.status_code == 404
    cell.refresh_from_db()
    assert cell.score == 1


def test_scores_list_filters_by_pledge_and_member(analyst_api, world):
    cycle, shared, japan, kenya = (world[k] for k in ("cycle", "shared", "japan", "kenya"))
    score(cycle, shared, japan, 1)
    score(cycle, shared, kenya, 0)
    score(cycle, world["bilateral"], japan, -1)
    url = cycle_url(cycle, "scores/")

    def cells(query):
        return sorted(
            (row["commitment"]["id"], row["member"]["id"])
            for row in analyst_api.get(f"{url}?{query}").json()["results"]
        )

    assert cells("") == sorted([(shared.pk, japan.pk), (shared.pk, kenya.pk), (world["bilateral"].pk, japan.pk)])
    assert cells(f"member={kenya.pk}") == [(shared.pk, kenya.pk)]
    assert cells(f"commitment={world['bilateral'].pk}") == [(world["bilateral"].pk, japan.pk)]
    assert analyst_api.get(f"{url}?member=x").status_code == 400


# The report


def test_report_gives_the_averages(analyst_api, world):
    cycle, shared, bilateral, japan, kenya = (world[k] for k in ("cycle", "shared", "bilateral", "japan", "kenya"))
    score(cycle, shared, japan, 1)
    score(cycle, shared, kenya, -1)
    score(cycle, bilateral, japan, 0)

    report = analyst_api.get(cycle_url(cycle, "report/")).json()

    assert report["summary"] == {
        "pledges": 2,
        "members": 2,
        "cells": 3,
        "scored": 3,
        "not_assessed": 0,
        "average": 0.0,
        "percentage": 50.0,
    }
    assert [(row["name"], row["rank"], row["average"]) for row in report["members"]] == [
        ("Japan", 1, 0.5),
        ("Kenya", 2, -1.0),
    ]
    assert report["cycle"]["id"] == cycle.pk and report["revisions"] == []


# Members of a pledge


def test_members_are_written_as_ids_and_read_nested(analyst_api):
    japan, kenya = ActorFactory(name="Japan"), ActorFactory(name="Kenya")
    payload = {"title": "Joint pledge", "made_by": japan.pk, "made_on": "2025-08-20", "kind": "promise"}

    created = analyst_api.post("/api/v1/commitments/", {**payload, "members": [japan.pk, kenya.pk]}, format="json")

    assert created.status_code == 201, created.content
    commitment = Commitment.objects.get()
    assert set(commitment.members.all()) == {japan, kenya}
    assert sorted(member["name"] for member in created.json()["members"]) == ["Japan", "Kenya"]

    changed = analyst_api.patch(f"/api/v1/commitments/{commitment.pk}/", {"members": [kenya.pk]}, format="json")

    assert changed.status_code == 200
    assert list(commitment.members.all()) == [kenya]
    assert analyst_api.get(f"/api/v1/commitments/{commitment.pk}/").json()["members"] == [
        {"id": kenya.pk, "name": "Kenya"}
    ]
    # On each pledge's own address, not in the list.
    assert "members" not in analyst_api.get("/api/v1/commitments/").json()["results"][0]


@pytest.mark.parametrize("members", [[999999], ["x"], 1, [True]])
def test_bad_members_are_a_400_naming_members(analyst_api, members):
    commitment = CommitmentFactory()
    commitment.members.set([commitment.made_by])

    response = analyst_api.patch(f"/api/v1/commitments/{commitment.pk}/", {"members": members}, format="json")

    assert response.status_code == 400
    assert "members" in response.json()
    assert list(commitment.members.all()) == [commitment.made_by]


# Query counts


def grid(pledges, members, *, published=False):
    """A cycle of `pledges` pledges, each binding the same `members` actors, every cell scored."""
    actors = [ActorFactory() for _ in range(members)]
    commitments = []
    for _ in range(pledges):
        commitment = CommitmentFactory(made_by=actors[0])
        commitment.members.set(actors)
        commitments.append(commitment)
    cycle = cycle_with(commitments)
    for commitment in commitments:
        for actor in actors:
            score(cycle, commitment, actor, 1)
    if published:
        publish(cycle)
        cell = cycle.scores.first()
        assessments.score_revise(score=cell, data={"score": 0}, reason="Corrected.")
    return cycle


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.mark.parametrize("published", [False, True])
@pytest.mark.parametrize("suffix", ["report/", "scores/?page_size=200", "commitments/?page_size=200"])
def test_query_count_does_not_grow_with_the_cells(analyst, published, suffix):
    client = api_client_for(analyst)
    small = grid(2, 2, published=published)
    large = grid(6, 5, published=published)

    small_count, small_body = count_queries(client, cycle_url(small, suffix))
    large_count, large_body = count_queries(client, cycle_url(large, suffix))

    assert small_count == large_count
    if suffix == "report/":
        assert (small_body["summary"]["cells"], large_body["summary"]["cells"]) == (4, 30)
        assert len(large_body["revisions"]) == int(published)
    elif suffix.startswith("scores/"):
        assert (small_body["count"], large_body["count"]) == (4, 30)
    else:
        assert (small_body["count"], large_body["count"]) == (2, 6)


def test_cycle_list_query_count_does_not_grow_with_the_cycles(analyst):
    client = api_client_for(analyst)
    interim = AssessmentCycleFactory(event=EventFactory())
    AssessmentCycleFactory(kind="final", previous=interim, event=EventFactory())
    small_count, _ = count_queries(client, CYCLES)
    for _ in range(8):
        AssessmentCycleFactory(kind="final", previous=interim, event=EventFactory())

    large_count, body = count_queries(client, CYCLES)

    assert body["count"] == 10
    assert small_count == large_count


def test_pledge_list_query_count_does_not_grow_with_the_members(analyst):
    client = api_client_for(analyst)
    CommitmentFactory().members.set([ActorFactory(), ActorFactory()])
    small_count, _ = count_queries(client, "/api/v1/commitments/")
    for _ in range(5):
        CommitmentFactory().members.set([ActorFactory(), ActorFactory()])

    large_count, body = count_queries(client, "/api/v1/commitments/")

    assert body["count"] == 6
    assert small_count == large_count


# The schema


def test_the_schema_documents_the_assessment_api(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", validate=True, fail_on_warn=True, file=str(target))

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path in [
        "/api/v1/assessment-cycles/",
        "/api/v1/assessment-cycles/{id}/",
        "/api/v1/assessment-cycles/{id}/state/",
        "/api/v1/assessment-cycles/{id}/copy-to-final/",
        "/api/v1/assessment-cycles/{id}/report/",
        "/api/v1/assessment-cycles/{cycle_id}/commitments/",
        "/api/v1/assessment-cycles/{cycle_id}/commitments/{commitment_id}/",
        "/api/v1/assessment-cycles/{cycle_id}/scores/",
        "/api/v1/assessment-cycles/{cycle_id}/scores/{id}/",
    ]:
        assert path in paths
    patch = paths["/api/v1/assessment-cycles/{cycle_id}/scores/{id}/"]["patch"]
    assert "with a `reason` it is a revision" in patch["description"]
    assert "400" in patch["responses"] and "403" in patch["responses"]


@pytest.fixture
def wsgi_in_test_transaction():
    """Calls through the real WSGI handler, keeping the test's database connection (see test_api_schema.py)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_answers_are_what_the_schema_says(analyst, world, wsgi_in_test_transaction):
    """Generated requests rarely hit a real cycle (test_api_schema.py fuzzes them); these check real answers."""
    schema = schemathesis.openapi.from_dict(
        json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    )
    schema.app = application
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=analyst)[0].key}"}
    cycle, shared, bilateral, japan, kenya = (world[k] for k in ("cycle", "shared", "bilateral", "japan", "kenya"))
    interim = {"id": cycle.pk}
    base = "/api/v1/assessment-cycles"

    def call(path, method, expected, **arguments):
        case = schema[f"{base}{path}"][method].Case(media_type="application/json", **arguments)
        response = case.call_and_validate(headers=headers, checks=[not_a_server_error, *SCHEMA_CHECKS])
        assert response.status_code == expected, response.text
        return response.json() if response.content else None

    call("/", "POST", 201, body={"name": "Spare", "period_start": "2025-01-01", "period_end": "2025-02-01"})
    call("/", "GET", 200)
    call("/{id}/", "PATCH", 200, path_parameters=interim, body={"name": "TICAD 9 interim, February 2026"})
    call(
        "/{cycle_id}/commitments/",
        "POST",
        201,
        path_parameters={"cycle_id": cycle.pk},
        body={"commitments": [CommitmentFactory().pk]},
    )
    call(
        "/{cycle_id}/commitments/{commitment_id}/",
        "PATCH",
        200,
        path_parameters={"cycle_id": cycle.pk, "commitment_id": shared.pk},
        body={"criteria_full": "Tariffs cut."},
    )
    cell = call(
        "/{cycle_id}/scores/", "POST", 201, path_parameters={"cycle_id": cycle.pk}, body=full_score(shared, japan)
    )
    call("/{cycle_id}/scores/", "POST", 201, path_parameters={"cycle_id": cycle.pk}, body=full_score(shared, kenya, 0))
    call(
        "/{cycle_id}/scores/",
        "POST",
        201,
        path_parameters={"cycle_id": cycle.pk},
        body=full_score(bilateral, japan, -1),
    )
    call(
        "/{cycle_id}/scores/{id}/",
        "PATCH",
        200,
        path_parameters={"cycle_id": cycle.pk, "id": cell["id"]},
        body={"score": 0},
    )
    missing = call("/{id}/state/", "POST", 200, path_parameters=interim, body={"state": "review"})["missing"]
    assert missing["not_assessed"] and missing["no_criteria"]
    call("/{id}/report/", "GET", 200, path_parameters=interim)
    final = call(
        "/{id}/copy-to-final/",
        "POST",
        201,
        path_parameters=interim,
        body={"name": "TICAD 9 final", "period_start": "2026-03-01", "period_end": "2026-08-01"},
    )
    call(
        "/{cycle_id}/commitments/{commitment_id}/",
        "DELETE",
        204,
        path_parameters={"cycle_id": final["id"], "commitment_id": bilateral.pk},
    )
    call("/{id}/state/", "POST", 200, path_parameters=interim, body={"state": "published"})
    call(
        "/{cycle_id}/scores/{id}/",
        "PATCH",
        200,
        path_parameters={"cycle_id": cycle.pk, "id": cell["id"]},
        body={"score": -1, "reason": "New evidence."},
    )
    assert call("/{cycle_id}/scores/", "GET", 200, path_parameters={"cycle_id": cycle.pk})["results"][0]["revisions"]
    assert call("/{cycle_id}/commitments/", "GET", 200, path_parameters={"cycle_id": cycle.pk})["results"][0][
        "published"
    ]
    assert call("/{id}/report/", "GET", 200, path_parameters=interim)["revisions"]
    score(AssessmentCycle.objects.get(pk=final["id"]), shared, japan, 1)
    changes = call("/{id}/report/", "GET", 200, path_parameters={"id": final["id"]})["members"]
    assert [row["change"] for row in changes if row["id"] == japan.pk] == [2.0]


@pytest.mark.parametrize("suffix", ["commitments/229871884124707029516288/", "scores/229871884124707029516288/"])
def test_an_id_past_a_bigint_under_a_cycle_is_a_404(analyst_api, suffix):
    cycle = cycle_with([CommitmentFactory()])

    response = analyst_api.patch(f"/api/v1/assessment-cycles/{cycle.pk}/{suffix}", {}, format="json")

    assert response.status_code == 404
