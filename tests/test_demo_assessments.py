import pytest
from django.apps import apps
from django.core.management import call_command

from tracker import assessments
from tracker.assessment_report import cycle_report
from tracker.models import AssessmentCycle, Commitment, ComplianceScore, Score

pytestmark = pytest.mark.django_db

CYCLE_NAME = "TICAD 9 interim assessment, February 2026"


def assessment_counts():
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label == "tracker"
        and any(word in model.__name__ for word in ("Cycle", "Score", "Revision", "Commitment"))
    }


def cells(cycle):
    return {
        (cell.commitment.title, cell.member.name): cell for cell in cycle.scores.select_related("commitment", "member")
    }


def test_load_demo_twice_gives_one_published_cycle_with_its_pledges_and_scores(capsys):
    call_command("load_demo")
    first = assessment_counts()
    call_command("load_demo")

    assert assessment_counts() == first
    cycle = AssessmentCycle.objects.get()
    assert cycle.name == CYCLE_NAME
    assert cycle.state == AssessmentCycle.State.PUBLISHED
    assert cycle.published_at is not None
    assert cycle.event.name == "TICAD 9"
    assert (cycle.period_start.isoformat(), cycle.period_end.isoformat()) == ("2025-08-22", "2026-02-28")
    assert cycle.created_by.username == "analyst"
    assert [entry.commitment.title for entry in cycle.cycle_commitments.select_related("commitment")] == [
        "Review Japan's tariff and non-tariff restrictions on Kenyan avocados and tea",
        "Examine non-tariff hurdles on African farm exports",
        "Statement of intent on a Kenyan Samurai Bond",
        "Talks with Toyota on expanding electric vehicles in Kenya",
    ]
    scored = {key: cell.score for key, cell in cells(cycle).items()}
    assert scored == {
        ("Review Japan's tariff and non-tariff restrictions on Kenyan avocados and tea", "Government of Japan"): 0,
        ("Examine non-tariff hurdles on African farm exports", "Government of Japan"): -1,
        ("Statement of intent on a Kenyan Samurai Bond", "Government of Kenya"): 0,
        ("Statement of intent on a Kenyan Samurai Bond", "Government of Japan"): None,
        ("Talks with Toyota on expanding electric vehicles in Kenya", "Government of Kenya"): None,
    }
    assert "already there" in capsys.readouterr().out


def test_demo_pledges_name_the_governments_they_bind():
    call_command("load_demo")

    bond = Commitment.objects.get(title="Statement of intent on a Kenyan Samurai Bond")
    review = Commitment.objects.get(title__startswith="Review Japan's tariff")
    toyota = Commitment.objects.get(title__startswith="Talks with Toyota")

    assert {actor.name for actor in bond.members.all()} == {"Government of Kenya", "Government of Japan"}
    assert [actor.name for actor in assessments.commitment_members(review)] == ["Government of Japan"]
    assert [actor.name for actor in assessments.commitment_members(toyota)] == ["Government of Kenya"]


def test_demo_cycle_has_criteria_and_scores_that_meet_the_rules():
    call_command("load_demo")
    cycle = AssessmentCycle.objects.get()

    for entry in cycle.cycle_commitments.all():
        assert all(getattr(entry, name).strip() for name in assessments.CRITERIA_FIELDS), entry
        assert entry.published_title  # frozen at publishing
    review = cycle.cycle_commitments.get(commitment__title__startswith="Review Japan's tariff")
    assert "avocados or tea" in review.criteria_full
    for cell in ComplianceScore.objects.exclude(score=None).select_related("commitment"):
        # Marked as the demo's own assessment, and resting on the pledge's published source.
        assert cell.rationale.startswith("Demo assessment:")
        assert cell.evidence_urls == [cell.commitment.source_url]
        assert cell.scored_by.username == "analyst"
    assert ComplianceScore.objects.filter(score=Score.NONE).count() == 1


def test_demo_report_has_an_average_and_ranks_the_members():
    call_command("load_demo")

    report = cycle_report(AssessmentCycle.objects.get())

    assert (report.cells, report.scored, report.not_assessed) == (5, 3, 2)
    # (0 - 1 + 0) / 3; not-assessed cells are not counted.
    assert report.average == pytest.approx(-1 / 3, abs=0.001)
    assert report.percentage == pytest.approx(100 / 3, abs=0.1)
    assert [(row.actor.name, row.average, row.rank) for row in report.members] == [
        ("Government of Kenya", 0.0, 1),
        ("Government of Japan", -0.5, 2),
    ]


def test_load_demo_adds_the_cycle_to_demo_pledges_recorded_before_members_existed():
    call_command("load_demo")
    AssessmentCycle.objects.all().delete()
    bond = Commitment.objects.get(title="Statement of intent on a Kenyan Samurai Bond")
    bond.members.clear()

    call_command("load_demo")

    assert {actor.name for actor in bond.members.all()} == {"Government of Kenya", "Government of Japan"}
    cycle = AssessmentCycle.objects.get()
    assert cycle.scores.filter(commitment=bond).count() == 2
    assert bond.history.first().history_user.username == "analyst"
