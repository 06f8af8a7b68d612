from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import CommitmentFactory
from tracker.management.commands.seed_bench import MARK
from tracker.models import Actor, Commitment, Event, ProgressUpdate, Status

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


@pytest.mark.parametrize(
    ("arguments", "message"), [(["--commitments", "0"], "at least 1"), (["--updates", "-1"], "negative")]
)
def test_seed_bench_names_bad_arguments(arguments, message):
    with pytest.raises(CommandError, match=message):
        seed(*arguments)
