"""make backup / make restore: every row survives the round trip."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from tracker import followups as outbox
from tracker import selectors, services
from tracker.models import Commitment, FollowUp, ProgressUpdate, Status, SummaryVersion

pytestmark = pytest.mark.django_db(transaction=True)

SKIPPED = {"contenttypes", "sessions", "axes"}


def row_counts():
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label not in SKIPPED and model._meta.label != "auth.Permission"
    }


def test_backup_and_restore_round_trip_the_demo_data(tmp_path):
    call_command("load_demo", stdout=StringIO())
    commitment = Commitment.objects.get(title__contains="Samurai Bond")
    services.progress_record(commitment=commitment, status=Status.IN_PROGRESS, progress=20, note="Bond filed.")
    outbox.followups_queue_due()
    before = row_counts()
    titles = sorted(Commitment.objects.values_list("pk", "title", "status", "progress", "owner__username", "owner_id"))
    keys = set(FollowUp.objects.values_list("dedupe_key", flat=True))
    assert before["tracker.Commitment"] == 9
    assert before["tracker.HistoricalCommitment"] > 9
    assert before["tracker.FollowUp"] > 0

    backup = tmp_path / "tracker.json.gz"
    call_command("backup", output=str(backup), stdout=StringIO())
    assert backup.stat().st_size > 0
    call_command("flush", interactive=False, verbosity=0)
    assert Commitment.objects.count() == 0
    SummaryVersion.objects.create()  # as `migrate` leaves a new database
    assert selectors.board_summary(cached=True)["total"] == 0  # and cached

    out = StringIO()
    call_command("restore", str(backup), stdout=out)

    assert row_counts() == before
    # The same ids: the dedupe keys of reminders already sent still match their pledges and users.
    assert (
        sorted(Commitment.objects.values_list("pk", "title", "status", "progress", "owner__username", "owner_id"))
        == titles
    )
    assert set(FollowUp.objects.values_list("dedupe_key", flat=True)) == keys
    assert ProgressUpdate.objects.filter(note="Bond filed.", commitment__title=commitment.title).exists()
    assert "9 tracker.Commitment" in out.getvalue()
    assert selectors.board_summary(cached=True)["total"] == 9  # the restore retired the cached numbers
    # Sequences were moved past the restored ids: new rows do not collide.
    assert outbox.followups_queue_due() == 0
    assert FollowUp.objects.count() == before["tracker.FollowUp"]
    services.progress_record(
        commitment=Commitment.objects.get(title=commitment.title), status=Status.STALLED, note="After restore."
    )


def test_restore_refuses_a_database_with_data(tmp_path):
    call_command("load_demo", stdout=StringIO())
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stdout=StringIO())
    with pytest.raises(CommandError, match="already holds users, actors, pledges: restore only into an empty"):
        call_command("restore", str(backup))
    assert Commitment.objects.count() == 9


def test_restore_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"No backup file at .*nowhere\.json"):
        call_command("restore", str(tmp_path / "nowhere.json"))


def test_restore_of_a_broken_file_loads_nothing(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('[{"model": "tracker.actor", "fields": {"name": "Kenya"}}, {"model": "tracker.nope"}]')
    with pytest.raises(CommandError, match="could not be loaded, and nothing was"):
        call_command("restore", str(broken))
    assert not apps.get_model("tracker", "Actor").objects.exists()


def test_backup_refuses_an_unknown_format(tmp_path):
    with pytest.raises(CommandError, match=r"must end in \.json"):
        call_command("backup", output=str(tmp_path / "tracker.zip"))


def test_backup_default_name_is_timestamped_under_var(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("backup", stdout=out)
    (written,) = (tmp_path / "backups").iterdir()
    assert written.name.startswith("tracker-") and written.name.endswith("Z.json.gz")
    assert str(written) in out.getvalue()
