from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.factories import CommitmentFactory
from tracker.management.commands.seed_bench import CURRENCIES, MARK
from tracker.models import Actor, Commitment, Event, Milestone, MoneyLine, ProgressUpdate, Status

pytestmark = pytest.mark.django_db


def seed(*arguments):
    out, err = StringIO(), StringIO()
    call_command("seed_bench", *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_seed_bench_generates_the_asked_amounts_of_realistic_data():
    out, err = seed("--commitments", "600", "--updates", "1500")
    assert Commitment.objects.count() == 600
    assert ProgressUpdate.objects.count() == 1500
    assert set(Commitment.objects.values_list("source_title", flat=True)) == {MARK}
    assert set(Commitment.objects.values_list("status", flat=True)) == set(Status.values)
    assert Actor.objects.values("country").distinct().count() == 50
    assert Event.objects.count() == 20
    assert Commitment.objects.filter(next_check_on__isnull=True).exclude(status__in=Status.terminal()).count() == 0
    assert Commitment.objects.filter(status=Status.FULFILLED).exclude(progress=100).count() == 0
    assert Commitment.watchers.through.objects.exists()
    assert "Generated 600 pledges and 1,500 updates" in out
    assert "pledges: 100%" in err  # the progress bar, with counts and rate
    assert "rows/s" in err


def test_seed_bench_adds_to_its_own_data():
    seed("--commitments", "10", "--no-progress")
    _, err = seed("--commitments", "10", "--no-progress")
    assert Commitment.objects.count() == 20
    assert err == ""


def test_seed_bench_refuses_a_database_with_real_pledges():
    CommitmentFactory(title="Samurai Bond")
    with pytest.raises(CommandError, match="holds pledges that seed_bench did not generate"):
        seed("--commitments", "10")
    assert Commitment.objects.count() == 1
    seed("--commitments", "10", "--force", "--no-progress")
    assert Commitment.objects.count() == 11


def test_a_tenth_of_the_pledges_name_money_with_one_or_two_lines_in_their_currency():
    seed("--commitments", "600", "--updates", "0", "--no-progress")

    with_money = Commitment.objects.filter(pledged_amount__isnull=False)
    assert with_money.count() == 60
    assert not Commitment.objects.filter(pledged_amount__isnull=True).exclude(pledged_currency="").exists()
    assert set(with_money.values_list("pledged_currency", flat=True)) == set(CURRENCIES)
    lines = MoneyLine.objects.select_related("commitment")
    assert {line.commitment_id for line in lines} == set(with_money.values_list("pk", flat=True))
    per_pledge = {}
    for line in lines:
        assert line.currency == line.commitment.pledged_currency  # never another currency than the pledge's
        assert line.amount > 0
        assert line.commitment.made_on <= line.on
        assert line.created_by is not None
        per_pledge.setdefault(line.commitment_id, []).append(line.kind)
    assert {len(kinds) for kinds in per_pledge.values()} == {1, 2}
    assert all(kinds[0] == MoneyLine.Kind.COMMITTED for kinds in per_pledge.values())
    disbursed = lines.filter(kind=MoneyLine.Kind.DISBURSED)
    for line in disbursed:
        committed = lines.get(commitment=line.commitment, kind=MoneyLine.Kind.COMMITTED)
        assert line.amount <= committed.amount


def test_a_twentieth_of_the_pledges_renew_an_earlier_pledge_of_the_same_maker():
    seed("--commitments", "600", "--updates", "0", "--no-progress")

    renewing = Commitment.objects.filter(renews__isnull=False).select_related("renews")
    assert renewing.count() == 30
    for pledge in renewing:
        assert pledge.renews.made_by_id == pledge.made_by_id
        assert pledge.renews.made_on < pledge.made_on
        assert pledge.renews_id != pledge.pk


def test_the_pledges_read_differently_for_the_similarity_search():
    seed("--commitments", "200", "--updates", "0", "--no-progress")

    assert Commitment.objects.values("quote").distinct().count() > 150
    assert Commitment.objects.values("title").distinct().count() == 200


@pytest.mark.parametrize(
    ("arguments", "message"), [(["--commitments", "0"], "at least 1"), (["--updates", "-1"], "negative")]
)
def test_seed_bench_names_bad_arguments(arguments, message):
    with pytest.raises(CommandError, match=message):
        seed(*arguments)


def test_a_tenth_of_the_pledges_have_milestones_due_after_the_pledge_some_done_some_overdue():
    seed("--commitments", "600", "--updates", "0", "--no-progress")
    today = timezone.localdate()

    steps = Milestone.objects.select_related("commitment")
    assert Commitment.objects.filter(milestones__isnull=False).distinct().count() == 60
    assert 120 <= steps.count() <= 240
    assert all(step.due_on >= step.commitment.made_on for step in steps)
    assert all(step.done_on is None or step.commitment.made_on <= step.done_on <= today for step in steps)
    assert all(1 <= step.weight <= 5 for step in steps)
    assert steps.filter(done_on__isnull=False).exists()
    assert steps.overdue(today).exists()


def test_a_tenth_of_the_pledges_are_public_every_tenth_in_id_order_of_each_run():
    seed("--commitments", "600", "--updates", "0", "--no-progress")
    seed("--commitments", "45", "--updates", "0", "--no-progress")

    ids = list(Commitment.objects.order_by("pk").values_list("pk", flat=True))
    public = set(Commitment.objects.filter(is_public=True).values_list("pk", flat=True))
    # Each run publishes its own first pledge, eleventh, twenty-first...: 60 of 600, then 5 of 45.
    assert public == set(ids[:600:10]) | set(ids[600::10])
    assert len(public) == 65
    # Spread over makers and statuses, as the public board's numbers need.
    published = Commitment.objects.filter(is_public=True)
    assert published.values("made_by").distinct().count() > 30
    assert published.values("status").distinct().count() == len(Status.values)
