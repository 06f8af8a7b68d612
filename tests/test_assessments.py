"""The assessment services' rules and the report's numbers, against values computed by hand."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ActorFactory,
    AssessmentCycleFactory,
    CommitmentFactory,
    TopicFactory,
    UserFactory,
    cycle_with,
    score,
)
from tracker import assessments
from tracker.assessment_report import cycle_report, percentage, report_as_dict
from tracker.models import AssessmentCycle, ComplianceScore, CycleCommitment, ScoreRevision, Status

pytestmark = pytest.mark.django_db


def publish(cycle, user=None):
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW, user=user)
    return assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED, user=user)


@pytest.fixture
def g3():
    """Three members; a communique binding all three, a bilateral pledge binding two, one binding its maker alone."""
    japan, kenya, senegal = (ActorFactory(name=name) for name in ("Japan", "Kenya", "Senegal"))
    health, trade = TopicFactory(name="Health"), TopicFactory(name="Trade")
    communique = CommitmentFactory(title="Communique", made_by=japan, topics=[health])
    communique.members.set([japan, kenya, senegal])
    bilateral = CommitmentFactory(title="Bilateral", made_by=japan, topics=[trade, health])
    bilateral.members.set([japan, kenya])
    alone = CommitmentFactory(title="Alone", made_by=senegal, topics=[trade])
    return {
        "japan": japan,
        "kenya": kenya,
        "senegal": senegal,
        "communique": communique,
        "bilateral": bilateral,
        "alone": alone,
        "health": health,
        "trade": trade,
    }


def scored_cycle(g3, **kwargs):
    """Japan +1, +1; Kenya -1, 0; Senegal not assessed on the communique, then -1 on its own pledge."""
    cycle = cycle_with([g3["communique"], g3["bilateral"], g3["alone"]], **kwargs)
    score(cycle, g3["communique"], g3["japan"], 1)
    score(cycle, g3["communique"], g3["kenya"], -1)
    score(cycle, g3["communique"], g3["senegal"], None)
    score(cycle, g3["bilateral"], g3["japan"], 1)
    score(cycle, g3["bilateral"], g3["kenya"], 0)
    score(cycle, g3["alone"], g3["senegal"], -1)
    return cycle


def by_name(rows):
    return {row.actor.name: row for row in rows}


def test_averages_match_hand_computed_values(g3):
    report = cycle_report(scored_cycle(g3))

    # Cells: 3 + 2 + 1 = 6; scored 5 (Senegal's communique cell is not assessed).
    assert (len(report.pledges), len(report.members), report.cells, report.scored) == (3, 3, 6, 5)
    assert report.not_assessed == 1
    # (1 - 1 + 1 + 0 - 1) / 5 = 0.0 -> 50%.
    assert report.average == 0.0
    assert report.percentage == 50.0

    members = by_name(report.members)
    assert (members["Japan"].average, members["Japan"].percentage, members["Japan"].rank) == (1.0, 100.0, 1)
    assert (members["Kenya"].average, members["Kenya"].percentage, members["Kenya"].rank) == (-0.5, 25.0, 2)
    # Senegal's not-assessed cell counts as a cell, not as a score.
    assert (members["Senegal"].average, members["Senegal"].scored, members["Senegal"].cells) == (-1.0, 1, 2)
    assert [row.actor.name for row in report.members] == ["Japan", "Kenya", "Senegal"]

    pledges = {row.title: row for row in report.pledges}
    assert pledges["Communique"].average == 0.0  # (1 - 1) / 2
    assert pledges["Bilateral"].average == 0.5  # (1 + 0) / 2
    assert pledges["Bilateral"].percentage == 75.0
    assert pledges["Alone"].average == -1.0  # one member, the maker
    assert [cell.member.name for cell in pledges["Alone"].cells] == ["Senegal"]

    topics = {row.name: row for row in report.topics}
    # Health: communique (1, -1) and bilateral (1, 0): 1/4. Trade: bilateral (1, 0) and alone (-1): 0.
    assert (topics["Health"].pledges, topics["Health"].scored, topics["Health"].average) == (2, 4, 0.25)
    assert topics["Health"].percentage == 62.5
    assert (topics["Trade"].pledges, topics["Trade"].average) == (2, 0.0)


def test_a_member_with_no_scores_is_listed_last_and_unranked(g3):
    cycle = cycle_with([g3["communique"]])
    score(cycle, g3["communique"], g3["kenya"], 0)
    report = cycle_report(cycle)

    assert [(row.actor.name, row.rank, row.average) for row in report.members] == [
        ("Kenya", 1, 0.0),
        ("Japan", None, None),
        ("Senegal", None, None),
    ]
    assert report.cells == 3
    assert report.scored == 1


def test_ties_share_a_rank():
    a, b, c = (ActorFactory(name=name) for name in "ABC")
    pledge = CommitmentFactory(made_by=a)
    pledge.members.set([a, b, c])
    cycle = cycle_with([pledge])
    score(cycle, pledge, a, 0)
    score(cycle, pledge, b, 0)
    score(cycle, pledge, c, -1)

    assert [(row.actor.name, row.rank) for row in cycle_report(cycle).members] == [("A", 1), ("B", 1), ("C", 3)]


def test_an_empty_cycle_has_no_average():
    report = cycle_report(AssessmentCycleFactory())

    assert (report.cells, report.scored, report.average, report.percentage) == (0, 0, None, None)
    assert percentage(None) is None
    assert percentage(-1) == 0.0


def test_a_pledge_without_members_is_assessed_on_its_maker():
    maker = ActorFactory()
    pledge = CommitmentFactory(made_by=maker)

    assert assessments.commitment_members(pledge) == [maker]


# Scoring rules


@pytest.mark.parametrize("value", [2, -2, "1", True, 0.5])
def test_a_score_outside_minus_one_to_plus_one_is_refused(g3, value):
    cycle = cycle_with([g3["alone"]])

    with pytest.raises(ValidationError) as error:
        assessments.score_set(
            cycle=cycle,
            commitment=g3["alone"],
            member=g3["senegal"],
            score=value,
            rationale="Why",
            evidence_urls=["https://example.org/"],
        )

    assert "score" in error.value.message_dict
    assert not ComplianceScore.objects.exists()


@pytest.mark.parametrize("value", [1, -1])
def test_plus_and_minus_one_need_a_rationale_and_evidence(g3, value):
    cycle = cycle_with([g3["alone"]])

    with pytest.raises(ValidationError) as error:
        assessments.score_set(cycle=cycle, commitment=g3["alone"], member=g3["senegal"], score=value)

    assert set(error.value.message_dict) == {"rationale", "evidence_urls"}
    assert "needs at least one evidence link" in error.value.message_dict["evidence_urls"][0]
    assert not ComplianceScore.objects.exists()


def test_zero_and_not_assessed_need_no_evidence(g3):
    cycle = cycle_with([g3["bilateral"]])

    assessments.score_set(cycle=cycle, commitment=g3["bilateral"], member=g3["japan"], score=0)
    assessments.score_set(cycle=cycle, commitment=g3["bilateral"], member=g3["kenya"], score=None)

    assert sorted(ComplianceScore.objects.values_list("score", flat=True), key=str) == [0, None]


def test_evidence_links_must_be_web_addresses(g3):
    cycle = cycle_with([g3["alone"]])

    with pytest.raises(ValidationError) as error:
        assessments.score_set(
            cycle=cycle,
            commitment=g3["alone"],
            member=g3["senegal"],
            score=1,
            rationale="Done",
            evidence_urls="https://example.org/a\njavascript:alert(1)",
        )

    assert "javascript:alert(1)" in error.value.message_dict["evidence_urls"][0]


def test_evidence_links_written_one_per_line_are_kept_as_a_list(g3):
    cycle = cycle_with([g3["alone"]])

    cell = assessments.score_set(
        cycle=cycle,
        commitment=g3["alone"],
        member=g3["senegal"],
        score=1,
        rationale="Done",
        evidence_urls="https://example.org/a\n\n  https://example.org/b  \n",
    )

    assert cell.evidence_urls == ["https://example.org/a", "https://example.org/b"]


def test_a_member_not_bound_by_the_pledge_is_refused(g3):
    cycle = cycle_with([g3["bilateral"]])

    with pytest.raises(ValidationError) as error:
        assessments.score_set(cycle=cycle, commitment=g3["bilateral"], member=g3["senegal"], score=0)

    assert error.value.message_dict["member"] == [
        "Senegal is not a member of this pledge; its members are: Japan, Kenya."
    ]


def test_a_pledge_outside_the_cycle_is_refused(g3):
    cycle = cycle_with([g3["bilateral"]])

    with pytest.raises(ValidationError) as error:
        assessments.score_set(cycle=cycle, commitment=g3["alone"], member=g3["senegal"], score=0)

    assert "commitment" in error.value.message_dict


def test_who_scored_and_when_is_kept_with_the_history(g3):
    analyst, other = UserFactory(), UserFactory()
    cycle = cycle_with([g3["alone"]])
    score(cycle, g3["alone"], g3["senegal"], 0, user=analyst)
    cell = score(cycle, g3["alone"], g3["senegal"], -1, user=other)

    assert cell.scored_by == other
    assert cell.scored_at is not None
    history = list(cell.history.order_by("history_date").values_list("score", "history_user"))
    assert history == [(0, analyst.pk), (-1, other.pk)]


def test_an_unchanged_cell_is_not_rewritten(g3):
    analyst, other = UserFactory(), UserFactory()
    cycle = cycle_with([g3["alone"]])
    score(cycle, g3["alone"], g3["senegal"], 0, user=analyst)
    cell = score(cycle, g3["alone"], g3["senegal"], 0, user=other)

    assert cell.scored_by == analyst
    assert cell.history.count() == 1


# Cycles


def test_adding_pledges_keeps_their_order_and_skips_those_already_in(g3):
    cycle = AssessmentCycleFactory()
    assert assessments.cycle_add_commitments(cycle=cycle, commitments=[g3["alone"], g3["communique"]]) == 2
    assert assessments.cycle_add_commitments(cycle=cycle, commitments=[g3["communique"], g3["bilateral"]]) == 1

    titles = list(cycle.cycle_commitments.values_list("commitment__title", flat=True))
    assert titles == ["Alone", "Communique", "Bilateral"]
    assert CycleCommitment.history.count() == 3


def test_removing_a_pledge_takes_its_scores_with_it(g3):
    cycle = scored_cycle(g3)

    assessments.cycle_remove_commitment(cycle=cycle, commitment=g3["communique"])

    assert not cycle.scores.filter(commitment=g3["communique"]).exists()
    assert cycle.scores.count() == 3
    assert [row.title for row in cycle_report(cycle).pledges] == ["Bilateral", "Alone"]


def test_criteria_are_written_per_pledge(g3):
    cycle = cycle_with([g3["alone"]], criteria=False)
    entry = cycle.cycle_commitments.get()

    assessments.criteria_set(
        entry=entry,
        data={"criteria_full": " Law passed. ", "criteria_partial": "Bill tabled.", "criteria_none": "No bill."},
    )

    entry.refresh_from_db()
    assert (entry.criteria_full, entry.criteria_partial, entry.criteria_none) == (
        "Law passed.",
        "Bill tabled.",
        "No bill.",
    )


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValidationError) as error:
        assessments.cycle_create(
            data={"name": "Backwards", "period_start": date(2026, 2, 1), "period_end": date(2026, 1, 1)}
        )

    assert "period_end" in error.value.message_dict


def test_only_a_final_cycle_follows_an_interim():
    interim = AssessmentCycleFactory(kind=AssessmentCycle.Kind.INTERIM)
    data = {"name": "Wrong", "kind": "interim", "period_start": date(2026, 1, 1), "period_end": date(2026, 2, 1)}

    with pytest.raises(ValidationError) as error:
        assessments.cycle_create(data={**data, "previous": interim})

    assert "previous" in error.value.message_dict


def test_moves_follow_draft_review_published():
    cycle = AssessmentCycleFactory()

    with pytest.raises(ValidationError) as error:
        assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED)
    assert "cannot move to Published" in error.value.message_dict["state"][0]

    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.DRAFT)
    publish(cycle)
    cycle.refresh_from_db()
    assert cycle.state == AssessmentCycle.State.PUBLISHED
    assert cycle.published_at is not None

    for state in AssessmentCycle.State.values:
        if state != AssessmentCycle.State.PUBLISHED:
            with pytest.raises(ValidationError):
                assessments.cycle_move(cycle=cycle, state=state)

    with pytest.raises(ValidationError) as error:
        assessments.cycle_move(cycle=cycle, state="closed")
    assert "'closed' is not a state" in error.value.message_dict["state"][0]


def test_review_lists_what_is_missing_and_locks_nothing(g3):
    cycle = cycle_with([g3["communique"], g3["alone"]])
    CycleCommitment.objects.filter(commitment=g3["alone"]).update(criteria_none="")
    score(cycle, g3["communique"], g3["japan"], 1)
    ComplianceScore.objects.create(cycle=cycle, commitment=g3["communique"], member=g3["kenya"], score=0)

    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
    missing = assessments.cycle_missing(cycle)

    assert missing["not_assessed"] == [(g3["communique"], g3["senegal"]), (g3["alone"], g3["senegal"])]
    assert missing["no_rationale"] == [(g3["communique"], g3["kenya"])]
    assert missing["no_criteria"] == [g3["alone"]]
    assert not missing["complete"]
    # Review locks nothing: a cell can still be scored.
    score(cycle, g3["alone"], g3["senegal"], 0)


# Publishing and revisions


def test_publishing_freezes_the_report(g3):
    cycle = scored_cycle(g3)
    publish(cycle)
    before = report_as_dict(cycle_report(cycle))

    pledge = g3["bilateral"]
    pledge.title = "Renamed later"
    pledge.status, pledge.progress = Status.FULFILLED, 100
    pledge.save()
    pledge.topics.set([])
    pledge.members.add(g3["senegal"])
    g3["communique"].members.remove(g3["kenya"])

    after = report_as_dict(cycle_report(cycle))
    assert after == before
    bilateral = next(row for row in after["pledges"] if row["id"] == pledge.pk)
    assert (bilateral["title"], bilateral["status"], bilateral["topics"]) == (
        "Bilateral",
        "announced",
        ["Health", "Trade"],
    )
    assert [cell["member_name"] for cell in bilateral["scores"]] == ["Japan", "Kenya"]


def test_publishing_keeps_not_assessed_cells_and_drops_ex_members(g3):
    cycle = scored_cycle(g3)
    # Kenya scored on the communique, then taken off its members before publishing.
    g3["communique"].members.remove(g3["kenya"])

    publish(cycle)

    cells = set(cycle.scores.values_list("commitment__title", "member__name", "score"))
    assert ("Communique", "Kenya", -1) not in cells
    assert ("Communique", "Senegal", None) in cells
    assert cycle_report(cycle).cells == 5


def test_a_published_cycle_refuses_every_change(g3):
    cycle = scored_cycle(g3)
    publish(cycle)
    entry = cycle.cycle_commitments.first()

    calls = [
        lambda: score(cycle, g3["alone"], g3["senegal"], 0),
        lambda: assessments.cycle_add_commitments(cycle=cycle, commitments=[CommitmentFactory()]),
        lambda: assessments.cycle_remove_commitment(cycle=cycle, commitment=g3["alone"]),
        lambda: assessments.criteria_set(entry=entry, data={"criteria_full": "Other"}),
        lambda: assessments.cycle_update(cycle=cycle, data={"name": "Other"}),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as error:
            call()
        assert "published and frozen" in str(error.value)
    assert cycle.scores.get(commitment=g3["alone"]).score == -1


def test_a_revision_changes_the_report_and_records_who_when_and_why(g3):
    analyst = UserFactory(username="corrector")
    cycle = scored_cycle(g3)
    publish(cycle)
    cell = cycle.scores.get(commitment=g3["bilateral"], member=g3["kenya"])

    revision = assessments.score_revise(
        score=cell,
        user=analyst,
        data={"score": 1, "rationale": "The law passed in January.", "evidence_urls": ["https://example.org/law"]},
        reason="The gazette notice was found after publishing.",
    )

    assert (revision.score_before, revision.score_after, revision.revised_by) == (0, 1, analyst)
    assert revision.rationale_before == "Scored 0."
    report = cycle_report(cycle)
    # Kenya: -1, +1 -> 0.0; overall (1 - 1 + 1 + 1 - 1) / 5 = 0.2.
    assert by_name(report.members)["Kenya"].average == 0.0
    assert report.average == 0.2
    assert report.revisions == [revision]
    bilateral = next(row for row in report.pledges if row.title == "Bilateral")
    kenya = next(cell for cell in bilateral.cells if cell.member.name == "Kenya")
    assert kenya.revisions == [revision]
    assert report_as_dict(report)["revisions"][0]["reason"] == "The gazette notice was found after publishing."


def test_a_revision_needs_a_reason_a_published_cycle_and_the_scoring_rules(g3):
    cycle = scored_cycle(g3)
    cell = cycle.scores.get(commitment=g3["bilateral"], member=g3["kenya"])
    with pytest.raises(ValidationError) as error:
        assessments.score_revise(score=cell, data={"score": 1}, reason="Why not")
    assert "cycle" in error.value.message_dict

    publish(cycle)
    with pytest.raises(ValidationError) as error:
        assessments.score_revise(score=cell, data={"score": 0}, reason="  ")
    assert "reason" in error.value.message_dict

    with pytest.raises(ValidationError) as error:
        assessments.score_revise(score=cell, data={"score": -1, "evidence_urls": []}, reason="Worse")
    assert "evidence_urls" in error.value.message_dict

    assert not ScoreRevision.objects.exists()
    cell.refresh_from_db()
    assert cell.score == 0


# Interim to final


def test_copying_an_interim_into_a_final_keeps_pledges_order_and_criteria_not_scores(g3):
    interim = scored_cycle(g3)
    CycleCommitment.objects.filter(cycle=interim, commitment=g3["alone"]).update(criteria_full="Own words.")

    final = assessments.cycle_copy_to_final(
        cycle=interim,
        data={"name": "Final", "period_start": date(2026, 3, 1), "period_end": date(2026, 8, 1)},
    )

    assert (final.kind, final.previous, final.state) == ("final", interim, "draft")
    entries = list(final.cycle_commitments.values_list("commitment__title", "criteria_full"))
    assert entries == [("Communique", "Done in full."), ("Bilateral", "Done in full."), ("Alone", "Own words.")]
    assert not final.scores.exists()

    with pytest.raises(ValidationError):
        assessments.cycle_copy_to_final(
            cycle=final, data={"name": "Again", "period_start": date(2026, 9, 1), "period_end": date(2026, 9, 2)}
        )


def test_a_final_report_shows_the_change_since_its_interim(g3):
    interim = scored_cycle(g3)
    final = assessments.cycle_copy_to_final(
        cycle=interim,
        data={"name": "Final", "period_start": date(2026, 3, 1), "period_end": date(2026, 8, 1)},
    )
    # Kenya improves on both pledges; Japan drops on the bilateral one; Senegal is not scored again.
    score(final, g3["communique"], g3["japan"], 1)
    score(final, g3["communique"], g3["kenya"], 0)
    score(final, g3["bilateral"], g3["japan"], 0)
    score(final, g3["bilateral"], g3["kenya"], 1)

    report = cycle_report(final)

    members = by_name(report.members)
    assert members["Japan"].change == -0.5  # 1.0 -> 0.5
    assert members["Kenya"].change == 1.0  # -0.5 -> 0.5
    assert members["Senegal"].change is None  # no score in the final
    pledges = {row.title: row for row in report.pledges}
    assert pledges["Communique"].change == 0.5  # 0.0 -> 0.5
    assert pledges["Bilateral"].change == 0.0  # 0.5 -> 0.5
    assert pledges["Alone"].change is None
    assert report.previous == interim


def _cycle_of(pledges, members):
    actors = [ActorFactory() for _ in range(members)]
    commitments = []
    for _ in range(pledges):
        commitment = CommitmentFactory(made_by=actors[0], topics=[TopicFactory()])
        commitment.members.set(actors)
        commitments.append(commitment)
    cycle = cycle_with(commitments)
    for commitment in commitments:
        for actor in actors:
            score(cycle, commitment, actor, 0)
    return cycle


def _queries_of_report(cycle):
    cycle = AssessmentCycle.objects.get(pk=cycle.pk)
    with CaptureQueriesContext(connection) as queries:
        cycle_report(cycle)
    return len(queries)


def test_the_report_reads_a_fixed_number_of_queries():
    small, large = _cycle_of(2, 2), _cycle_of(6, 5)
    # Draft: entries, their members, their topics, the scores.
    assert _queries_of_report(small) == _queries_of_report(large) == 4

    final = assessments.cycle_copy_to_final(
        cycle=small, data={"name": "F", "period_start": date(2026, 3, 1), "period_end": date(2026, 4, 1)}
    )
    # A final adds its interim and the interim's scores.
    assert _queries_of_report(final) == 6

    publish(small)
    publish(large)
    # Published: the entries with their frozen fields, the cells, the revisions.
    assert _queries_of_report(small) == _queries_of_report(large) == 3
