import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import (
    ActorFactory,
    AssessmentCycleFactory,
    CommitmentFactory,
    EventFactory,
    body,
    count_queries,
    cycle_with,
    field_errors,
    published_cycles,
    score,
)
from tracker import assessments
from tracker.models import AssessmentCycle, Commitment, ComplianceScore, CycleCommitment, Score, ScoreRevision

pytestmark = pytest.mark.django_db

State = AssessmentCycle.State


def url(model, view, *args):
    return reverse(f"admin:tracker_{model._meta.model_name}_{view}", args=args)


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def cycle_form_data(cycle=None, *, add=(), keep=(), **changes):
    """The cycle's page as the admin posts it: `keep` its existing pledge rows (with changes), `add` new ones.

    `keep` holds (entry, {field: value}) pairs; `add` holds (commitment, {field: value}) pairs.
    """
    data = {
        "name": cycle.name if cycle else "TICAD 9 interim, February 2026",
        "kind": cycle.kind if cycle else AssessmentCycle.Kind.INTERIM,
        "event": (cycle.event_id or "") if cycle else "",
        "period_start": cycle.period_start.isoformat() if cycle else "2025-08-22",
        "period_end": cycle.period_end.isoformat() if cycle else "2026-02-28",
        "previous": (cycle.previous_id or "") if cycle else "",
    }
    new_prefix = "cycle_commitments"
    if cycle is not None:
        data.update(management("cycle_commitments", len(keep), len(keep)))
        for index, (entry, row_changes) in enumerate(keep):
            row = {
                "id": entry.pk,
                "cycle": cycle.pk,
                **{name: getattr(entry, name) for name in assessments.CRITERIA_FIELDS},
                **row_changes,
            }
            data.update({f"cycle_commitments-{index}-{name}": value for name, value in row.items()})
        new_prefix = "cycle_commitments-2"
    data.update(management(new_prefix, len(add)))
    for index, (commitment, row) in enumerate(add):
        row = {"commitment": commitment.pk, **dict.fromkeys(assessments.CRITERIA_FIELDS, ""), **row}
        data.update({f"{new_prefix}-{index}-{name}": value for name, value in row.items()})
    data.update(changes)
    return data


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def act(client, action, *cycles):
    return client.post(
        url(AssessmentCycle, "changelist"),
        {"action": action, "_selected_action": [cycle.pk for cycle in cycles]},
        follow=True,
    )


# Cycles and their pledges


def test_analyst_creates_a_cycle_with_pledges_and_criteria_in_the_admin(analyst_client, analyst):
    event = EventFactory(name="TICAD 9")
    tea, bond = CommitmentFactory(title="Tea and avocados"), CommitmentFactory(title="Samurai Bond")

    response = analyst_client.post(
        url(AssessmentCycle, "add"),
        cycle_form_data(
            event=event.pk,
            add=[
                (tea, {"criteria_full": "Japan eases a restriction on Kenyan tea.", "criteria_none": "No review."}),
                (bond, {}),
            ],
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    cycle = AssessmentCycle.objects.get()
    assert (cycle.name, cycle.event, cycle.state, cycle.created_by) == (
        "TICAD 9 interim, February 2026",
        event,
        State.DRAFT,
        analyst,
    )
    entries = list(cycle.cycle_commitments.all())
    assert [(entry.commitment, entry.position) for entry in entries] == [(tea, 1), (bond, 2)]
    assert entries[0].criteria_full == "Japan eases a restriction on Kenyan tea."
    assert entries[0].criteria_none == "No review."
    assert entries[1].criteria_full == ""
    assert cycle.history.get().history_user == analyst
    assert entries[0].history.last().history_user == analyst


def test_analyst_adds_edits_and_removes_pledges_on_a_draft_cycle(analyst_client, analyst):
    tea, bond, toyota = CommitmentFactory(), CommitmentFactory(), CommitmentFactory()
    cycle = cycle_with([tea, bond])
    score(cycle, bond, bond.made_by, Score.PARTIAL)
    tea_entry, bond_entry = cycle.cycle_commitments.all()

    response = analyst_client.post(
        url(AssessmentCycle, "change", cycle.pk),
        cycle_form_data(
            cycle,
            keep=[(tea_entry, {"criteria_partial": "A pest-risk analysis is open."}), (bond_entry, {"DELETE": "on"})],
            add=[(toyota, {"criteria_full": "An EV plant is announced."})],
        ),
    )

    assert response.status_code == 302, response.context["errors"]
    assert [(entry.commitment, entry.position) for entry in cycle.cycle_commitments.all()] == [(tea, 1), (toyota, 2)]
    tea_entry.refresh_from_db()
    assert tea_entry.criteria_partial == "A pest-risk analysis is open."
    assert tea_entry.criteria_full == "Done in full."
    assert cycle.cycle_commitments.get(commitment=toyota).criteria_full == "An EV plant is announced."
    assert not ComplianceScore.objects.filter(commitment=bond).exists()  # removed with its pledge


def test_the_cycle_pages_offer_pledge_rows_and_criteria(analyst_client):
    cycle = cycle_with([CommitmentFactory(title="Samurai Bond")])

    add = body(analyst_client.get(url(AssessmentCycle, "add")))
    change = body(analyst_client.get(url(AssessmentCycle, "change", cycle.pk)))

    assert 'name="cycle_commitments-0-commitment"' in add
    assert "Samurai Bond" in change
    assert 'name="cycle_commitments-0-criteria_full"' in change
    assert 'name="cycle_commitments-0-DELETE"' in change
    assert 'name="cycle_commitments-2-0-commitment"' in change


def test_a_pledge_already_in_the_cycle_is_a_row_error(analyst_client):
    tea = CommitmentFactory()
    cycle = cycle_with([tea])

    response = analyst_client.post(
        url(AssessmentCycle, "change", cycle.pk),
        cycle_form_data(cycle, keep=[(cycle.cycle_commitments.get(), {})], add=[(tea, {})]),
    )

    assert response.status_code == 200
    assert "is one of this cycle&#x27;s pledges already" in field_errors(
        body(response), "id_cycle_commitments-2-0-commitment"
    )
    assert cycle.cycle_commitments.count() == 1


def test_a_final_cycle_may_follow_only_an_interim_one_and_says_so_next_to_the_field(analyst_client):
    interim = AssessmentCycleFactory(name="Interim")

    response = analyst_client.post(
        url(AssessmentCycle, "add"), cycle_form_data(name="Still interim", previous=interim.pk)
    )

    assert response.status_code == 200
    assert "Only a final cycle follows" in field_errors(body(response), "id_previous")
    assert not AssessmentCycle.objects.filter(name="Still interim").exists()


def test_analysts_pick_pledges_through_the_autocomplete(analyst_client):
    CommitmentFactory(title="Samurai Bond issuance")

    response = analyst_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "tracker", "model_name": "cyclecommitment", "field_name": "commitment", "term": "samurai"},
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["Samurai Bond issuance"]


# State actions


def test_state_actions_move_a_cycle_through_review_to_published(analyst_client, analyst):
    commitment = CommitmentFactory()
    cycle = cycle_with([commitment])

    review = act(analyst_client, "move_to_review", cycle)
    cycle.refresh_from_db()
    assert cycle.state == State.REVIEW
    assert f"“{cycle.name}” is in review. Missing: 1 cell not assessed." in messages_of(review)

    act(analyst_client, "back_to_draft", cycle)
    cycle.refresh_from_db()
    assert cycle.state == State.DRAFT

    act(analyst_client, "move_to_review", cycle)
    published = act(analyst_client, "publish", cycle)
    cycle.refresh_from_db()
    assert cycle.state == State.PUBLISHED
    assert cycle.published_at is not None
    assert f"Published and frozen: “{cycle.name}”." in messages_of(published)
    assert cycle.history.first().history_user == analyst


def test_a_refused_transition_is_a_message_and_changes_nothing(analyst_client):
    draft = AssessmentCycleFactory(name="Draft one")
    published = AssessmentCycleFactory(name="Done", state=State.PUBLISHED)

    response = act(analyst_client, "publish", draft)
    back = act(analyst_client, "back_to_draft", published)

    assert response.status_code == 200
    assert "“Draft one” was not moved: A cycle in Draft cannot move to Published." in messages_of(response)
    assert any(text.startswith("“Done” was not moved: This cycle is published") for text in messages_of(back))
    assert AssessmentCycle.objects.get(pk=draft.pk).state == State.DRAFT
    assert AssessmentCycle.objects.get(pk=published.pk).state == State.PUBLISHED


def test_viewers_get_no_state_actions(viewer_client):
    cycle = AssessmentCycleFactory()

    page = body(viewer_client.get(url(AssessmentCycle, "changelist")))
    act(viewer_client, "move_to_review", cycle)

    assert "move_to_review" not in page
    cycle.refresh_from_db()
    assert cycle.state == State.DRAFT


# Publishing freezes


@pytest.fixture
def published_cycle():
    commitment = CommitmentFactory(title="Tea and avocados")
    cycle = cycle_with([commitment], name="Published cycle")
    score(cycle, commitment, commitment.made_by, Score.FULL)
    assessments.cycle_move(cycle=cycle, state=State.REVIEW)
    assessments.cycle_move(cycle=cycle, state=State.PUBLISHED)
    return cycle


@pytest.mark.parametrize("role", ["analyst", "superuser"])
def test_a_published_cycle_cannot_be_changed_through_the_admin(client, request, role, published_cycle):
    client.force_login(request.getfixturevalue(role))
    entry = published_cycle.cycle_commitments.get()
    other = CommitmentFactory()

    page = client.get(url(AssessmentCycle, "change", published_cycle.pk))
    response = client.post(
        url(AssessmentCycle, "change", published_cycle.pk),
        cycle_form_data(
            published_cycle,
            name="Renamed",
            keep=[(entry, {"criteria_full": "Rewritten"})],
            add=[(other, {})],
        ),
    )
    deleted = client.post(url(AssessmentCycle, "delete", published_cycle.pk), {"post": "yes"})

    assert page.status_code == 200  # viewable
    assert 'name="name"' not in body(page)
    assert 'name="_save"' not in body(page)
    assert "cycle_commitments-2" not in body(page)  # no rows to add pledges
    assert response.status_code == 403
    assert deleted.status_code == 403
    published_cycle.refresh_from_db()
    entry.refresh_from_db()
    assert published_cycle.name == "Published cycle"
    assert entry.criteria_full == "Done in full."
    assert list(published_cycle.commitments.all()) == [entry.commitment]


def test_reverting_a_published_cycle_to_an_old_version_is_refused(analyst_client, published_cycle):
    draft_version = published_cycle.history.filter(state=State.DRAFT).first()

    response = analyst_client.post(
        reverse("admin:tracker_assessmentcycle_simple_history", args=[published_cycle.pk, draft_version.history_id]),
        cycle_form_data(published_cycle, name="Reverted"),
    )

    assert response.status_code == 403
    published_cycle.refresh_from_db()
    assert (published_cycle.name, published_cycle.state) == ("Published cycle", State.PUBLISHED)


def test_viewers_cannot_revert_a_draft_cycle(viewer_client):
    cycle = AssessmentCycleFactory(name="Original")
    version = cycle.history.get()

    response = viewer_client.post(
        reverse("admin:tracker_assessmentcycle_simple_history", args=[cycle.pk, version.history_id]),
        cycle_form_data(cycle, name="Viewer's name"),
    )

    assert response.status_code == 403
    cycle.refresh_from_db()
    assert cycle.name == "Original"


def test_a_published_cycles_scores_are_read_only(analyst_client, published_cycle):
    cell = published_cycle.scores.get()

    page = analyst_client.get(url(ComplianceScore, "change", cell.pk))
    response = analyst_client.post(
        url(ComplianceScore, "change", cell.pk), {"score": "-1", "rationale": "Changed", "evidence_urls": ""}
    )

    assert page.status_code == 200
    assert 'name="rationale"' not in body(page)
    assert response.status_code == 403
    cell.refresh_from_db()
    assert (cell.score, cell.rationale) == (Score.FULL, "Scored 1.")


def test_a_published_cycles_scores_cannot_be_deleted_even_by_a_superuser(client, superuser, published_cycle):
    client.force_login(superuser)
    cell = published_cycle.scores.get()

    response = client.post(url(ComplianceScore, "delete", cell.pk), {"post": "yes"})

    assert response.status_code == 403
    assert ComplianceScore.objects.filter(pk=cell.pk).exists()


# Scores


def score_form_data(cell=None, **fields):
    data = {"score": "", "rationale": "", "evidence_urls": ""}
    if cell is None:
        data.update(cycle="", commitment="", member="")
    data.update(fields)
    return data


def test_a_full_score_without_evidence_is_an_error_next_to_the_field_and_saves_nothing(analyst_client):
    commitment = CommitmentFactory()
    cycle = cycle_with([commitment])

    response = analyst_client.post(
        url(ComplianceScore, "add"),
        score_form_data(
            cycle=cycle.pk, commitment=commitment.pk, member=commitment.made_by_id, score="1", rationale="Done."
        ),
    )

    assert response.status_code == 200
    assert "needs at least one evidence link" in field_errors(body(response), "id_evidence_urls")
    assert not ComplianceScore.objects.exists()


def test_a_member_the_pledge_does_not_bind_is_an_error_next_to_the_field(analyst_client):
    commitment = CommitmentFactory()
    cycle = cycle_with([commitment])
    stranger = ActorFactory(name="Government of Ruritania")

    response = analyst_client.post(
        url(ComplianceScore, "add"),
        score_form_data(cycle=cycle.pk, commitment=commitment.pk, member=stranger.pk, score="0"),
    )

    assert response.status_code == 200
    assert "is not a member of this pledge" in field_errors(body(response), "id_member")
    assert not ComplianceScore.objects.exists()


def test_scoring_a_cell_in_the_admin_goes_through_the_service(analyst_client, analyst):
    commitment = CommitmentFactory()
    japan, kenya = ActorFactory(name="Government of Japan"), ActorFactory(name="Government of Kenya")
    commitment.members.add(japan, kenya)
    cycle = cycle_with([commitment])

    response = analyst_client.post(
        url(ComplianceScore, "add"),
        score_form_data(
            cycle=cycle.pk,
            commitment=commitment.pk,
            member=japan.pk,
            score="1",
            rationale="MAFF lifted the ban.",
            evidence_urls="https://example.org/maff\n\n  https://example.org/notice  \n",
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    cell = ComplianceScore.objects.get()
    assert (cell.member, cell.score, cell.scored_by) == (japan, Score.FULL, analyst)
    assert cell.evidence_urls == ["https://example.org/maff", "https://example.org/notice"]
    assert cell.scored_at is not None
    assert cell.history.get().history_user == analyst


def test_changing_a_draft_cell_in_the_admin_keeps_its_links_and_records_who(analyst_client, analyst):
    commitment = CommitmentFactory()
    cycle = cycle_with([commitment])
    cell = score(cycle, commitment, commitment.made_by, Score.FULL)

    page = analyst_client.get(url(ComplianceScore, "change", cell.pk))
    response = analyst_client.post(
        url(ComplianceScore, "change", cell.pk),
        score_form_data(cell, score="0", rationale="Only under way.", evidence_urls="https://example.org/evidence"),
    )

    assert "https://example.org/evidence</textarea>" in body(page)
    assert response.status_code == 302
    cell.refresh_from_db()
    assert (cell.score, cell.rationale, cell.scored_by) == (Score.PARTIAL, "Only under way.", analyst)
    assert cell.evidence_urls == ["https://example.org/evidence"]


def test_a_published_cycle_is_not_offered_for_new_scores(analyst_client, published_cycle):
    page = body(analyst_client.get(url(ComplianceScore, "add")))

    assert "Published cycle" not in page


# Revisions


def test_score_revisions_are_a_read_only_record(analyst_client, analyst, published_cycle):
    cell = published_cycle.scores.get()
    revision = assessments.score_revise(
        score=cell, user=analyst, data={"score": Score.PARTIAL, "rationale": "Only in part."}, reason="New source."
    )

    listing = body(analyst_client.get(url(ScoreRevision, "changelist")))
    page = analyst_client.get(url(ScoreRevision, "change", revision.pk))
    change = analyst_client.post(url(ScoreRevision, "change", revision.pk), {"reason": "Rewritten"})
    delete = analyst_client.post(url(ScoreRevision, "delete", revision.pk), {"post": "yes"})

    assert "New source." in listing
    assert "+1 Full compliance" in listing and "0 Partial or in progress" in listing
    assert page.status_code == 200
    assert analyst_client.get(url(ScoreRevision, "add")).status_code == 403
    assert (change.status_code, delete.status_code) == (403, 403)
    revision.refresh_from_db()
    assert revision.reason == "New source."


# Roles


@pytest.mark.parametrize("model", [AssessmentCycle, ComplianceScore, ScoreRevision])
def test_viewers_read_but_cannot_add(viewer_client, model):
    assert viewer_client.get(url(model, "changelist")).status_code == 200
    assert viewer_client.get(url(model, "add")).status_code == 403


def test_viewers_cannot_create_or_change_a_cycle(viewer_client):
    cycle = AssessmentCycleFactory(name="Kept")

    created = viewer_client.post(url(AssessmentCycle, "add"), cycle_form_data(name="Viewer's cycle"))
    changed = viewer_client.post(url(AssessmentCycle, "change", cycle.pk), cycle_form_data(cycle, name="Changed"))

    assert (created.status_code, changed.status_code) == (403, 403)
    assert list(AssessmentCycle.objects.values_list("name", flat=True)) == ["Kept"]


def test_analysts_cannot_delete_cycles_or_scores(analyst_client):
    commitment = CommitmentFactory()
    cycle = cycle_with([commitment])
    cell = score(cycle, commitment, commitment.made_by, Score.PARTIAL)

    assert analyst_client.post(url(AssessmentCycle, "delete", cycle.pk), {"post": "yes"}).status_code == 403
    assert analyst_client.post(url(ComplianceScore, "delete", cell.pk), {"post": "yes"}).status_code == 403
    assert AssessmentCycle.objects.filter(pk=cycle.pk).exists()
    assert ComplianceScore.objects.filter(pk=cell.pk).exists()


def test_user_written_criteria_and_rationales_are_escaped(client, superuser):
    commitment = CommitmentFactory()
    cycle = cycle_with([commitment], name="<script>alert(1)</script>")
    CycleCommitment.objects.filter(cycle=cycle).update(criteria_full="<img src=x onerror=alert(2)>")
    assessments.score_set(
        cycle=cycle, commitment=commitment, member=commitment.made_by, score=0, rationale="<b onmouseover=x>"
    )
    client.force_login(superuser)

    pages = [
        body(client.get(url(AssessmentCycle, "changelist"))),
        body(client.get(url(AssessmentCycle, "change", cycle.pk))),
        body(client.get(url(ComplianceScore, "change", cycle.scores.get().pk))),
    ]

    for page in pages:
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
        assert "<b onmouseover" not in page


# Query counts


@pytest.mark.parametrize("model", [AssessmentCycle, ComplianceScore, ScoreRevision])
def test_changelist_query_count_does_not_grow_with_rows(client, superuser, model):
    client.force_login(superuser)

    published_cycles(3, superuser)
    with_three = count_queries(client, url(model, "changelist"))
    published_cycles(12, superuser)

    assert count_queries(client, url(model, "changelist")) == with_three


def test_cycle_change_page_query_count_does_not_grow_with_pledges(analyst_client):
    small = cycle_with(CommitmentFactory.create_batch(2))
    large = cycle_with(CommitmentFactory.create_batch(12))

    assert count_queries(analyst_client, url(AssessmentCycle, "change", large.pk)) == count_queries(
        analyst_client, url(AssessmentCycle, "change", small.pk)
    )


# Pledges' members


def test_members_of_a_pledge_are_edited_in_the_admin_through_the_service(analyst_client, analyst):
    from tests.test_admin import commitment_form_data

    commitment = CommitmentFactory()
    japan, kenya = ActorFactory(name="Government of Japan"), ActorFactory(name="Government of Kenya")

    page = body(analyst_client.get(url(Commitment, "change", commitment.pk)))
    response = analyst_client.post(
        url(Commitment, "change", commitment.pk), commitment_form_data(commitment, members=[japan.pk, kenya.pk])
    )

    assert 'name="members"' in page
    assert response.status_code == 302
    assert set(commitment.members.all()) == {japan, kenya}
    record = commitment.history.first()
    assert record.history_user == analyst
    assert {member.actor_id for member in record.members.all()} == {japan.pk, kenya.pk}


def test_analysts_can_use_the_members_autocomplete(analyst_client):
    ActorFactory(name="Government of Kenya")

    response = analyst_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "tracker", "model_name": "commitment", "field_name": "members", "term": "kenya"},
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["Government of Kenya"]


def test_delete_selected_keeps_published_cycles(client, superuser):
    draft = AssessmentCycleFactory(name="Draft one")
    published_cycles(1)
    published = AssessmentCycle.objects.get(state=State.PUBLISHED)
    client.force_login(superuser)

    response = client.post(
        url(AssessmentCycle, "changelist"),
        {"action": "delete_selected", "_selected_action": [draft.pk, published.pk], "post": "yes"},
    )

    # Django's action asks about each selected object: one it may not delete stops them all.
    assert response.status_code == 403
    assert AssessmentCycle.objects.filter(pk__in=[draft.pk, published.pk]).count() == 2
    assert published.scores.exists()
