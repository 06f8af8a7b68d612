"""The assessment pages: cycles, picking pledges, the scoring grid, review, publishing, corrections, members."""

from datetime import date

import pytest
from django.test import Client
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
    score,
)
from tracker import assessments
from tracker.models import AssessmentCycle, ComplianceScore, CycleCommitment, ScoreRevision

pytestmark = pytest.mark.django_db

XSS = '"><img src=x onerror=alert(1)><script>alert("x")</script>'
XSS_ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
EVIDENCE = "https://example.org/evidence/tariffs"


@pytest.fixture
def japan(db):
    return ActorFactory(name="Japan", country="JP", kind="government")


@pytest.fixture
def kenya(db):
    return ActorFactory(name="Kenya", country="KE", kind="government")


@pytest.fixture
def pledge(japan, kenya):
    """A pledge binding two members."""
    commitment = CommitmentFactory(title="Review of tariffs on Kenyan produce", made_by=japan)
    commitment.members.set([japan, kenya])
    return commitment


@pytest.fixture
def solo(kenya):
    """A pledge naming no members: its maker alone is assessed."""
    return CommitmentFactory(title="Samurai Bond statement of intent", made_by=kenya)


@pytest.fixture
def cycle(pledge, solo):
    return cycle_with([pledge, solo], name="TICAD 9 interim, February 2026")


@pytest.fixture
def viewer_client(viewer):
    # Its own client: the shared `client` fixture is the analyst's in these tests.
    client = Client()
    client.force_login(viewer)
    return client


def url(name, *args):
    return reverse(f"tracker:{name}", args=args)


def row_data(commitment, cells):
    """The POST of one grid row: {member: (score, rationale, evidence text)}."""
    data = {}
    for member, (value, rationale, evidence) in cells.items():
        prefix = f"row{commitment.pk}-"
        data[f"{prefix}score_{member.pk}"] = "" if value is None else str(value)
        data[f"{prefix}rationale_{member.pk}"] = rationale
        data[f"{prefix}evidence_{member.pk}"] = evidence
    return data


def cell_id(commitment, member, field):
    return f"id_row{commitment.pk}-{field}_{member.pk}"


def publish(cycle, user=None):
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW, user=user)
    return assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED, user=user)


def snapshot():
    """Everything a write on these pages could change."""
    return (
        list(AssessmentCycle.objects.order_by("pk").values_list("pk", "name", "state", "kind")),
        list(CycleCommitment.objects.order_by("pk").values_list("pk", "criteria_full", "criteria_partial")),
        list(ComplianceScore.objects.order_by("pk").values_list("pk", "score", "rationale", "evidence_urls")),
        ScoreRevision.objects.count(),
        list(CycleCommitment.objects.values_list("commitment__members", flat=True).order_by("pk")),
    )


# ---------------------------------------------------------------- pages and roles


def test_every_page_renders_for_an_analyst(analyst_client, analyst, cycle, pledge, japan):
    cell = score(cycle, pledge, japan, 1, user=analyst)
    final = AssessmentCycleFactory(kind=AssessmentCycle.Kind.FINAL, previous=cycle)
    pages = [
        url("cycle-list"),
        url("cycle-create"),
        url("cycle-detail", cycle.pk),
        url("cycle-pledges", cycle.pk),
        url("cycle-copy", cycle.pk),
        url("cycle-revise", cycle.pk, cell.pk),
        url("cycle-detail", final.pk),
        url("cycle-copy", final.pk),
    ]
    for page in pages:
        response = analyst_client.get(page)
        assert response.status_code == 200, page
        assert "Assessments</a>" in body(response), page


def test_a_viewer_reads_the_cycles_without_any_form(viewer_client, analyst, cycle, pledge, japan):
    score(cycle, pledge, japan, 1, user=analyst)
    for page in (url("cycle-list"), url("cycle-detail", cycle.pk), url("cycle-pledges", cycle.pk)):
        response = viewer_client.get(page)
        html = body(response)
        assert response.status_code == 200, page
        assert "TICAD 9 interim, February 2026" in html
        assert 'method="post" action="/assessments' not in html, page
    grid = body(viewer_client.get(url("cycle-detail", cycle.pk)))
    assert "Scored 1." in grid and "+1 Full compliance" in grid
    assert "Save row" not in grid and "Move to review" not in grid and "New cycle" not in grid


def test_a_viewer_gets_403_on_the_analysts_pages(viewer_client, analyst, cycle, pledge, japan):
    cell = score(cycle, pledge, japan, 1, user=analyst)
    for page in (url("cycle-create"), url("cycle-copy", cycle.pk), url("cycle-revise", cycle.pk, cell.pk)):
        assert viewer_client.get(page).status_code == 403, page


def test_a_viewer_cannot_write_and_nothing_changes(viewer_client, analyst, cycle, pledge, solo, japan, kenya):
    publish_me = cycle_with([solo], name="Ready")
    assessments.cycle_move(cycle=publish_me, state=AssessmentCycle.State.REVIEW)
    published = cycle_with([solo], name="Published")
    frozen = score(published, solo, kenya, 0)
    publish(published)
    other = CommitmentFactory()
    writes = [
        (
            url("cycle-create"),
            {"name": "New", "kind": "interim", "period_start": "2025-09-01", "period_end": "2026-01-31"},
        ),
        (url("cycle-pledges", cycle.pk), {"action": "add", "commitments": [other.pk]}),
        (url("cycle-pledges", cycle.pk), {"action": "add_all"}),
        (url("cycle-pledges", cycle.pk), {"action": "remove", "commitment": solo.pk}),
        (url("cycle-score", cycle.pk, solo.pk), row_data(solo, {kenya: (0, "Under way.", "")})),
        (url("cycle-criteria", cycle.pk, solo.pk), {f"criteria{solo.pk}-criteria_full": "Changed"}),
        (url("cycle-state", cycle.pk), {"state": "review"}),
        (url("cycle-state", publish_me.pk), {"state": "published", "confirm": "yes"}),
        (url("cycle-copy", cycle.pk), {"name": "Final", "period_start": "2025-09-01", "period_end": "2026-06-30"}),
        (
            url("cycle-revise", published.pk, frozen.pk),
            {"score": "1", "rationale": "x", "evidence": EVIDENCE, "reason": "r"},
        ),
        (url("commitment-members", solo.pk), {"members": [japan.pk]}),
    ]
    before = snapshot()
    for address, data in writes:
        assert viewer_client.post(address, data).status_code == 403, address
    assert snapshot() == before
    assert list(solo.members.all()) == []


@pytest.mark.parametrize(
    "name", ["cycle-state", "cycle-score", "cycle-criteria", "commitment-members"], ids=lambda name: name
)
def test_write_only_addresses_refuse_a_get(analyst_client, cycle, solo, name):
    args = {"cycle-state": [cycle.pk], "commitment-members": [solo.pk]}.get(name, [cycle.pk, solo.pk])
    assert analyst_client.get(url(name, *args)).status_code == 405


def test_unknown_ids_are_404(analyst_client, analyst, cycle, pledge, japan):
    other_cycle = cycle_with([pledge], name="Other")
    elsewhere = score(other_cycle, pledge, japan, 1)
    outside = CommitmentFactory()
    assert analyst_client.get(url("cycle-detail", 999999)).status_code == 404
    assert analyst_client.get(url("cycle-pledges", 999999)).status_code == 404
    assert analyst_client.post(url("cycle-state", 999999), {"state": "review"}).status_code == 404
    assert analyst_client.post(url("cycle-score", cycle.pk, outside.pk), {}).status_code == 404
    assert analyst_client.post(url("cycle-criteria", cycle.pk, outside.pk), {}).status_code == 404
    assert analyst_client.get(url("cycle-revise", cycle.pk, elsewhere.pk)).status_code == 404
    assert analyst_client.post(url("commitment-members", 999999), {}).status_code == 404


def test_nav_links_to_assessments_for_analysts_and_viewers(analyst_client, viewer_client):
    for client in (analyst_client, viewer_client):
        assert f'href="{url("cycle-list")}"' in body(client.get(url("board")))


# ---------------------------------------------------------------- cycles


def test_the_list_shows_each_cycle_with_its_pledges_and_scored_cells(
    analyst_client, analyst, cycle, pledge, solo, japan, kenya
):
    score(cycle, pledge, japan, 1)
    score(cycle, pledge, kenya, None)  # a cell written but not assessed
    published = cycle_with([pledge], name="Published earlier")
    score(published, pledge, kenya, -1)
    publish(published)
    # A score of an actor who is no longer a member is not one of the cells.
    former = ActorFactory(name="Former member")
    pledge.members.add(former)
    score(cycle, pledge, former, 0)
    pledge.members.remove(former)

    response = analyst_client.get(url("cycle-list"))

    rows = {row["cycle"].name: row for row in response.context["rows"]}
    assert (rows[cycle.name]["pledges"], rows[cycle.name]["scored"], rows[cycle.name]["cells"]) == (2, 1, 3)
    assert (
        rows["Published earlier"]["pledges"],
        rows["Published earlier"]["scored"],
        rows["Published earlier"]["cells"],
    ) == (1, 1, 2)
    html = body(response)
    assert "1 / 3" in html and "1 / 2" in html and "In review" not in html and "Published</span>" in html


def test_an_analyst_creates_a_cycle(analyst_client, analyst):
    event = EventFactory(name="TICAD 9")
    response = analyst_client.post(
        url("cycle-create"),
        {
            "name": "TICAD 9 interim",
            "event": event.pk,
            "kind": "interim",
            "period_start": "2025-08-22",
            "period_end": "2026-02-28",
        },
    )
    cycle = AssessmentCycle.objects.get(name="TICAD 9 interim")
    assert response.status_code == 302
    assert response["Location"] == url("cycle-pledges", cycle.pk)
    assert (cycle.event, cycle.state, cycle.created_by, cycle.period_end) == (
        event,
        "draft",
        analyst,
        date(2026, 2, 28),
    )


def test_a_refused_cycle_shows_its_errors_and_is_not_created(analyst_client, cycle):
    data = {
        "name": cycle.name,
        "kind": "final",
        "period_start": "2026-02-28",
        "period_end": "2025-08-22",
        "previous": cycle.pk,
    }
    response = analyst_client.post(url("cycle-create"), data)
    html = body(response)
    assert response.status_code == 400
    assert "cannot end before it starts" in field_errors(html, "id_period_end")
    assert "already exists" in field_errors(html, "id_name")
    assert AssessmentCycle.objects.count() == 1

    data.update(name="Another", period_start="2025-08-22", period_end="2026-02-28", kind="interim")
    response = analyst_client.post(url("cycle-create"), data)
    assert response.status_code == 400
    assert "Only a final cycle follows an earlier cycle" in field_errors(body(response), "id_previous")
    assert AssessmentCycle.objects.count() == 1


# ---------------------------------------------------------------- picking pledges


def test_picking_pledges_filters_the_boards_way_and_adds_the_ticked(analyst_client, cycle):
    event = EventFactory(name="Kenya-Japan Business Forum")
    first, second = (
        CommitmentFactory(title="EV assembly talks", event=event),
        CommitmentFactory(title="Port zone", event=event),
    )
    CommitmentFactory(title="Elsewhere entirely")

    response = analyst_client.get(url("cycle-pledges", cycle.pk), {"event": event.pk})
    titles = [commitment.title for commitment in response.context["page"].object_list]
    assert response.status_code == 200
    assert sorted(titles) == ["EV assembly talks", "Port zone"]
    assert f'id="pick-{first.pk}"' in body(response)

    response = analyst_client.post(
        f"{url('cycle-pledges', cycle.pk)}?event={event.pk}", {"action": "add", "commitments": [first.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url('cycle-pledges', cycle.pk)}?event={event.pk}"
    assert set(cycle.commitments.values_list("title", flat=True)) >= {"EV assembly talks"}
    assert not cycle.commitments.filter(pk=second.pk).exists()
    # Already chosen: shown as such, not as a box to tick.
    assert f'id="pick-{first.pk}"' not in body(analyst_client.get(url("cycle-pledges", cycle.pk), {"event": event.pk}))


def test_add_all_matching_adds_every_pledge_the_filters_find(analyst_client, cycle):
    event = EventFactory()
    matching = [CommitmentFactory(event=event) for _ in range(3)]
    CommitmentFactory(title="Not matching")
    page = body(analyst_client.get(url("cycle-pledges", cycle.pk), {"event": event.pk}))
    assert "Add all 3 matching" in page

    response = analyst_client.post(f"{url('cycle-pledges', cycle.pk)}?event={event.pk}", {"action": "add_all"})

    assert response.status_code == 302
    assert set(cycle.commitments.all()) >= set(matching)
    assert not cycle.commitments.filter(title="Not matching").exists()
    assert cycle.cycle_commitments.count() == 5


def test_removing_a_pledge_takes_its_scores_too(analyst_client, cycle, solo, kenya):
    score(cycle, solo, kenya, 0)
    response = analyst_client.post(url("cycle-pledges", cycle.pk), {"action": "remove", "commitment": solo.pk})
    assert response.status_code == 302
    assert not cycle.commitments.filter(pk=solo.pk).exists()
    assert not ComplianceScore.objects.filter(cycle=cycle, commitment=solo).exists()


def test_bad_picks_are_400s_that_change_nothing(analyst_client, cycle):
    outside = CommitmentFactory()
    before = snapshot()
    for data in (
        {"action": "add"},
        {"action": "add", "commitments": ["999999"]},
        {"action": "remove", "commitment": outside.pk},
        {"action": "shuffle"},
    ):
        assert analyst_client.post(url("cycle-pledges", cycle.pk), data).status_code == 400, data
    response = analyst_client.post(f"{url('cycle-pledges', cycle.pk)}?due_after=notadate", {"action": "add_all"})
    assert response.status_code == 400
    assert analyst_client.get(url("cycle-pledges", cycle.pk), {"due_after": "notadate"}).status_code == 400
    assert snapshot() == before


def test_a_published_cycles_pledges_cannot_change(analyst_client, cycle, solo):
    publish(cycle)
    page = body(analyst_client.get(url("cycle-pledges", cycle.pk)))
    assert "Add the ticked pledges" not in page and ">Remove<" not in page
    response = analyst_client.post(
        url("cycle-pledges", cycle.pk), {"action": "add", "commitments": [CommitmentFactory().pk]}
    )
    assert response.status_code == 400
    assert "published and frozen" in body(response)
    assert cycle.cycle_commitments.count() == 2


# ---------------------------------------------------------------- scoring


def test_scoring_a_row_saves_its_cells_and_returns_to_the_row(analyst_client, analyst, cycle, pledge, japan, kenya):
    data = row_data(
        pledge,
        {
            japan: (1, "The tariff review was published.", f"{EVIDENCE}\n\nhttps://example.org/second"),
            kenya: (0, "Talks under way.", ""),
        },
    )
    response = analyst_client.post(url("cycle-score", cycle.pk, pledge.pk), data)

    assert response.status_code == 302
    assert response["Location"] == f"{url('cycle-detail', cycle.pk)}#pledge-{pledge.pk}"
    cells = {cell.member: cell for cell in ComplianceScore.objects.filter(cycle=cycle, commitment=pledge)}
    assert (cells[japan].score, cells[japan].rationale) == (1, "The tariff review was published.")
    assert cells[japan].evidence_urls == [EVIDENCE, "https://example.org/second"]
    assert (cells[kenya].score, cells[kenya].evidence_urls, cells[kenya].scored_by) == (0, [], analyst)
    page = body(analyst_client.get(url("cycle-detail", cycle.pk)))
    assert "Talks under way." in page and "By analyst" in page


def test_an_untouched_cell_is_not_written(analyst_client, cycle, pledge, japan, kenya):
    data = row_data(pledge, {japan: (0, "Partly.", ""), kenya: (None, "", "")})
    analyst_client.post(url("cycle-score", cycle.pk, pledge.pk), data)
    assert list(ComplianceScore.objects.values_list("member__name", flat=True)) == ["Japan"]

    first = ComplianceScore.objects.get()
    response = analyst_client.post(url("cycle-score", cycle.pk, pledge.pk), data)
    assert response.status_code == 302
    first_again = ComplianceScore.objects.get()
    assert (first_again.scored_at, first_again.history.count()) == (first.scored_at, first.history.count())


def test_plus_one_without_evidence_is_refused_and_the_row_saves_nothing(analyst_client, cycle, pledge, japan, kenya):
    data = row_data(pledge, {japan: (1, "Published.", ""), kenya: (0, "Under way.", "")})

    response = analyst_client.post(url("cycle-score", cycle.pk, pledge.pk), data)

    html = body(response)
    assert response.status_code == 400
    assert "A score of +1 Full compliance needs at least one evidence link." in field_errors(
        html, cell_id(pledge, japan, "evidence")
    )
    assert "Nothing in this row was saved" in html
    # The analyst's input is kept in the form, to correct rather than type again.
    assert "Under way.</textarea>" in html
    assert not ComplianceScore.objects.exists()


def test_minus_one_needs_a_rationale_and_links_must_be_web_addresses(analyst_client, cycle, pledge, japan, kenya):
    data = row_data(pledge, {japan: (-1, "", EVIDENCE), kenya: (0, "x", "javascript:alert(1)")})
    response = analyst_client.post(url("cycle-score", cycle.pk, pledge.pk), data)
    html = body(response)
    assert response.status_code == 400
    assert "needs a rationale" in field_errors(html, cell_id(pledge, japan, "rationale"))
    assert "is not a web address" in field_errors(html, cell_id(pledge, kenya, "evidence"))
    assert not ComplianceScore.objects.exists()


def test_a_score_that_is_not_a_choice_is_a_form_error(analyst_client, cycle, pledge, japan, kenya):
    data = row_data(pledge, {japan: (2, "", ""), kenya: (None, "", "")})
    response = analyst_client.post(url("cycle-score", cycle.pk, pledge.pk), data)
    assert response.status_code == 400
    assert "Select a valid choice" in field_errors(body(response), cell_id(pledge, japan, "score"))
    assert not ComplianceScore.objects.exists()


def test_members_not_bound_by_a_pledge_are_blank_cells(analyst_client, cycle, pledge, solo, japan):
    response = analyst_client.get(url("cycle-detail", cycle.pk))
    assert [member.name for member in response.context["columns"]] == ["Japan", "Kenya"]
    solo_row = next(row for row in response.context["grid"] if row.row.commitment_id == solo.pk)
    assert [cell.cell is None for cell in solo_row.cells] == [True, False]
    assert f'name="row{solo.pk}-score_{japan.pk}"' not in body(response)


def test_criteria_are_written_on_the_scoring_page(analyst_client, cycle, pledge):
    prefix = f"criteria{pledge.pk}-"
    data = {
        f"{prefix}criteria_full": "Tariffs cut.",
        f"{prefix}criteria_partial": "Review begun.",
        f"{prefix}criteria_none": "",
    }
    response = analyst_client.post(url("cycle-criteria", cycle.pk, pledge.pk), data)
    assert response.status_code == 302
    entry = CycleCommitment.objects.get(cycle=cycle, commitment=pledge)
    assert (entry.criteria_full, entry.criteria_partial, entry.criteria_none) == ("Tariffs cut.", "Review begun.", "")
    page = body(analyst_client.get(url("cycle-detail", cycle.pk)))
    assert "1 pledge without all three criteria" in page


# ---------------------------------------------------------------- review and publishing


def test_review_lists_what_is_missing(analyst_client, cycle, pledge, solo, japan, kenya):
    score(cycle, pledge, japan, 1)
    response = analyst_client.post(url("cycle-state", cycle.pk), {"state": "review"})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.state == "review"
    page = body(analyst_client.get(url("cycle-detail", cycle.pk)))
    assert "2 cells not assessed" in page
    assert f'<a href="#pledge-{solo.pk}">Samurai Bond statement of intent</a>: Kenya' in page
    assert "Save row" in page  # review locks nothing

    assert analyst_client.post(url("cycle-state", cycle.pk), {"state": "draft"}).status_code == 302
    cycle.refresh_from_db()
    assert cycle.state == "draft"


def test_publishing_asks_first_then_freezes(analyst_client, analyst, cycle, pledge, japan, kenya):
    score(cycle, pledge, japan, 1)
    assessments.cycle_move(cycle=cycle, state="review")

    response = analyst_client.post(url("cycle-state", cycle.pk), {"state": "published"})
    assert response.status_code == 200
    assert "Publishing freezes the cycle" in body(response)
    cycle.refresh_from_db()
    assert cycle.state == "review"

    response = analyst_client.post(url("cycle-state", cycle.pk), {"state": "published", "confirm": "yes"})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.state == "published" and cycle.published_at is not None

    page = body(analyst_client.get(url("cycle-detail", cycle.pk)))
    assert "Save row" not in page and "Save criteria" not in page and "Move to review" not in page
    assert "published and frozen" in page and ">Correct<" in page


def test_a_draft_cannot_be_published_without_review(analyst_client, cycle):
    response = analyst_client.post(url("cycle-state", cycle.pk), {"state": "published", "confirm": "yes"})
    assert response.status_code == 400
    assert "cannot move to Published" in body(response)
    cycle.refresh_from_db()
    assert cycle.state == "draft"
    assert analyst_client.post(url("cycle-state", cycle.pk), {"state": "archived"}).status_code == 400


def test_edits_after_publishing_are_refused(analyst_client, cycle, pledge, japan, kenya):
    score(cycle, pledge, japan, 1)
    publish(cycle)
    before = snapshot()

    response = analyst_client.post(
        url("cycle-score", cycle.pk, pledge.pk), row_data(pledge, {japan: (0, "Changed", ""), kenya: (None, "", "")})
    )
    assert response.status_code == 400
    assert "correct a score with a revision" in body(response)
    response = analyst_client.post(
        url("cycle-criteria", cycle.pk, pledge.pk), {f"criteria{pledge.pk}-criteria_full": "Changed"}
    )
    assert response.status_code == 400
    assert analyst_client.post(url("cycle-state", cycle.pk), {"state": "draft"}).status_code == 400
    assert snapshot() == before


def test_a_published_score_is_corrected_with_a_reason(analyst_client, analyst, cycle, pledge, japan):
    cell = score(cycle, pledge, japan, 1)
    publish(cycle)
    revise = url("cycle-revise", cycle.pk, cell.pk)
    assert "Earlier corrections" in body(analyst_client.get(revise))

    data = {"score": "0", "rationale": "Only half the tariff lines.", "evidence": EVIDENCE, "reason": ""}
    response = analyst_client.post(revise, data)
    assert response.status_code == 400
    assert "Say why" in field_errors(body(response), "id_reason")
    assert not ScoreRevision.objects.exists()

    data["reason"] = "The ministry's list covered half the lines."
    response = analyst_client.post(revise, data)
    assert response.status_code == 302
    assert response["Location"] == f"{url('cycle-detail', cycle.pk)}#pledge-{pledge.pk}"
    cell.refresh_from_db()
    revision = ScoreRevision.objects.get()
    assert (cell.score, cell.rationale) == (0, "Only half the tariff lines.")
    assert (revision.score_before, revision.score_after, revision.revised_by) == (1, 0, analyst)
    page = body(analyst_client.get(url("cycle-detail", cycle.pk)))
    assert "Corrected 1 time; last reason: “The ministry&#x27;s list covered half the lines.”" in page


def test_a_correction_keeps_the_scoring_rules(analyst_client, cycle, pledge, japan):
    cell = score(cycle, pledge, japan, 0)
    publish(cycle)
    data = {"score": "1", "rationale": "Done.", "evidence": "", "reason": "New facts."}
    response = analyst_client.post(url("cycle-revise", cycle.pk, cell.pk), data)
    assert response.status_code == 400
    assert "needs at least one evidence link" in field_errors(body(response), "id_evidence")
    assert not ScoreRevision.objects.exists()


def test_an_open_cycle_is_not_corrected_with_a_revision(analyst_client, cycle, pledge, japan):
    cell = score(cycle, pledge, japan, 0)
    page = body(analyst_client.get(url("cycle-revise", cycle.pk, cell.pk)))
    assert "change the score on" in page and "Record the correction" not in page
    data = {"score": "1", "rationale": "Done.", "evidence": EVIDENCE, "reason": "Why not."}
    response = analyst_client.post(url("cycle-revise", cycle.pk, cell.pk), data)
    assert response.status_code == 400
    assert "not published" in body(response)
    assert not ScoreRevision.objects.exists()


# ---------------------------------------------------------------- copy to final


def test_copy_to_final_makes_a_final_cycle_with_the_pledges_and_criteria(analyst_client, cycle, pledge, solo, japan):
    score(cycle, pledge, japan, 1)
    page = body(analyst_client.get(url("cycle-copy", cycle.pk)))
    assert 'value="TICAD 9 final, February 2026"' in page

    data = {"name": "TICAD 9 final, August 2026", "period_start": "2025-08-22", "period_end": "2026-08-20"}
    response = analyst_client.post(url("cycle-copy", cycle.pk), data)

    final = AssessmentCycle.objects.get(name="TICAD 9 final, August 2026")
    assert response.status_code == 302
    assert response["Location"] == url("cycle-detail", final.pk)
    assert (final.kind, final.previous, final.state) == ("final", cycle, "draft")
    assert list(final.cycle_commitments.values_list("commitment", "criteria_full")) == [
        (pledge.pk, "Done in full."),
        (solo.pk, "Done in full."),
    ]
    assert not final.scores.exists()


def test_a_final_cycle_is_not_copied(analyst_client, cycle):
    final = AssessmentCycleFactory(kind=AssessmentCycle.Kind.FINAL, name="Final one")
    assert "Only an interim cycle" in body(analyst_client.get(url("cycle-copy", final.pk)))
    data = {"name": "Copy of a final", "period_start": "2025-08-22", "period_end": "2026-08-20"}
    response = analyst_client.post(url("cycle-copy", final.pk), data)
    assert response.status_code == 400
    assert "Only an interim cycle is copied" in body(response)
    assert not AssessmentCycle.objects.filter(name="Copy of a final").exists()


# ---------------------------------------------------------------- members on the pledge page


def test_the_pledge_page_names_its_members_or_the_maker_alone(analyst_client, pledge, solo):
    assert '<dd id="assessed-members">Japan, Kenya</dd>' in body(analyst_client.get(pledge.get_absolute_url()))
    assert '<dd id="assessed-members">The maker alone</dd>' in body(analyst_client.get(solo.get_absolute_url()))


def test_an_analyst_edits_a_pledges_members(analyst_client, analyst, solo, japan, kenya):
    page = body(analyst_client.get(solo.get_absolute_url()))
    assert 'id="members-form"' in page

    response = analyst_client.post(url("commitment-members", solo.pk), {"members": [japan.pk, kenya.pk]})

    assert response.status_code == 302
    assert response["Location"] == f"{solo.get_absolute_url()}#members"
    assert set(solo.members.all()) == {japan, kenya}
    assert solo.history.latest().history_user == analyst

    response = analyst_client.post(url("commitment-members", solo.pk), {})
    assert response.status_code == 302
    assert not solo.members.exists()


def test_a_bad_member_is_a_form_error(analyst_client, solo):
    response = analyst_client.post(url("commitment-members", solo.pk), {"members": ["999999"]})
    assert response.status_code == 400
    assert "Select a valid choice" in field_errors(body(response), "id_members")
    assert not solo.members.exists()


def test_a_viewer_sees_the_members_but_no_form(viewer_client, pledge):
    page = body(viewer_client.get(pledge.get_absolute_url()))
    assert "Japan, Kenya" in page and 'id="members-form"' not in page


# ---------------------------------------------------------------- escaping


def test_user_text_is_escaped_on_every_page(analyst_client, viewer_client, analyst, japan, kenya):
    pledge = CommitmentFactory(title=f"Pledge {XSS}", made_by=japan)
    pledge.members.set([japan])
    cycle = cycle_with([pledge], name=f"Cycle {XSS}")
    entry = cycle.cycle_commitments.get()
    assessments.criteria_set(entry=entry, data={"criteria_full": f"Full {XSS}"})
    cell = assessments.score_set(
        cycle=cycle,
        commitment=pledge,
        member=japan,
        score=1,
        rationale=f"Rationale {XSS}",
        evidence_urls=[EVIDENCE],
        user=analyst,
    )
    pages = [url("cycle-list"), url("cycle-detail", cycle.pk), url("cycle-pledges", cycle.pk)]
    for client in (analyst_client, viewer_client):
        for page in pages:
            html = body(client.get(page))
            assert "<script>alert" not in html, page
            assert XSS_ESCAPED in html, page
    assert f"Rationale {XSS_ESCAPED}" in body(viewer_client.get(url("cycle-detail", cycle.pk)))
    assert f"Rationale {XSS_ESCAPED}</textarea>" in body(analyst_client.get(url("cycle-detail", cycle.pk)))
    publish(cycle)
    html = body(analyst_client.get(url("cycle-revise", cycle.pk, cell.pk)))
    assert "<script>alert" not in html and XSS_ESCAPED in html


# ---------------------------------------------------------------- query counts


def scored_cycle(pledges, members, *, name):
    actors = [ActorFactory() for _ in range(members)]
    commitments = []
    for _ in range(pledges):
        commitment = CommitmentFactory(made_by=actors[0])
        commitment.members.set(actors)
        commitments.append(commitment)
    cycle = cycle_with(commitments, name=name)
    for commitment in commitments:
        for actor in actors:
            score(cycle, commitment, actor, 0)
    return cycle


def test_the_scoring_page_takes_the_same_queries_for_any_number_of_cells(analyst_client):
    small = scored_cycle(2, 2, name="Small")
    large = scored_cycle(8, 5, name="Large")
    assert count_queries(analyst_client, url("cycle-detail", small.pk)) == count_queries(
        analyst_client, url("cycle-detail", large.pk)
    )
    for cycle in (small, large):
        publish(cycle)
    assert count_queries(analyst_client, url("cycle-detail", small.pk)) == count_queries(
        analyst_client, url("cycle-detail", large.pk)
    )


def test_the_list_and_pledges_pages_take_the_same_queries_for_any_size(analyst_client):
    small = scored_cycle(1, 2, name="Small")
    list_small = count_queries(analyst_client, url("cycle-list"))
    pledges_small = count_queries(analyst_client, url("cycle-pledges", small.pk))
    large = scored_cycle(9, 4, name="Large")
    more = [scored_cycle(2, 2, name=f"More {n}") for n in range(3)]
    publish(more[0])
    assert count_queries(analyst_client, url("cycle-list")) == list_small
    assert count_queries(analyst_client, url("cycle-pledges", large.pk)) == pledges_small
