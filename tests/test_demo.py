import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from tracker import milestones
from tracker.models import Commitment, ProgressUpdate

pytestmark = pytest.mark.django_db


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_load_demo_twice_changes_no_count(capsys):
    call_command("load_demo")
    first = row_counts()
    call_command("load_demo")

    assert row_counts() == first
    assert first["tracker.Commitment"] == 9
    assert "0 pledge(s) created, 9 already there" in capsys.readouterr().out


def test_load_demo_records_the_ticad_9_pledges():
    call_command("load_demo")

    titles = set(Commitment.objects.values_list("title", flat=True))
    assert "Statement of intent on a Kenyan Samurai Bond" in titles
    assert "Talks with Toyota on expanding electric vehicles in Kenya" in titles
    review = Commitment.objects.get(title__startswith="Review Japan's tariff")
    assert review.made_by.name == "Shigeru Ishiba"
    assert review.event.name == "TICAD 9"
    assert review.event.location == "Yokohama"
    assert {actor.name for actor in review.counterparts.all()} == {"William Ruto", "Government of Kenya"}
    assert Commitment.objects.exclude(quote="").exists()


def test_demo_board_has_something_due_overdue_and_updated():
    call_command("load_demo")
    today = timezone.localdate()

    assert Commitment.objects.overdue().exists()
    assert Commitment.objects.open().filter(next_check_on__range=(today, today + timedelta(days=14))).exists()
    assert ProgressUpdate.objects.filter(recorded_on__gte=today - timedelta(days=7)).exists()
    assert Commitment.objects.filter(owner__username="analyst").count() == 9


def test_demo_analyst_logs_in_with_the_printed_password(capsys, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "ticad-nine-yokohama")
    call_command("load_demo")

    output = capsys.readouterr().out
    assert "username 'analyst', password 'ticad-nine-yokohama'" in output
    analyst = authenticate(
        RequestFactory().post("/accounts/login/"), username="analyst", password="ticad-nine-yokohama"
    )
    assert analyst is not None and analyst.is_staff
    assert analyst.groups.filter(name="Analysts").exists()
    assert Group.objects.filter(name="Viewers").exists()


def test_reset_password_gives_a_new_working_password(capsys):
    call_command("load_demo")
    capsys.readouterr()
    call_command("load_demo", "--reset-password")

    password = capsys.readouterr().out.split("password '")[1].split("'")[0]
    assert authenticate(RequestFactory().post("/accounts/login/"), username="analyst", password=password) is not None


def test_ensure_admin_creates_a_superuser_once(capsys, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "not-the-default-42")
    call_command("ensure_admin")
    monkeypatch.delenv("ADMIN_PASSWORD")
    call_command("ensure_admin")

    output = capsys.readouterr().out
    assert "Admin account created: username 'admin', password 'not-the-default-42'" in output
    assert "exists; its password is unchanged" in output
    admin = authenticate(RequestFactory().post("/accounts/login/"), username="admin", password="not-the-default-42")
    assert admin is not None and admin.is_superuser


def test_every_demo_pledge_cites_its_source_and_quotes_it():
    call_command("load_demo")

    for commitment in Commitment.objects.all():
        assert commitment.source_url.startswith("https://"), commitment.title
        assert commitment.source_title, commitment.title
        assert len(commitment.quote) > 40, commitment.title
    # Two pledges were reported in the same article; the rest each have their own.
    assert Commitment.objects.values("source_url").distinct().count() == 8


def test_demo_updates_are_spread_over_past_weeks():
    call_command("load_demo")
    today = timezone.localdate()

    updates = ProgressUpdate.objects.all()
    assert len({update.recorded_on for update in updates}) >= 6
    assert min(update.recorded_on for update in updates) <= today - timedelta(days=28)
    for update in updates:
        assert update.recorded_on < today
        assert timezone.localdate(update.created_at) == update.recorded_on
    updated_days = {timezone.localdate(commitment.updated_at) for commitment in Commitment.objects.all()}
    assert len(updated_days) >= 6
    assert max(updated_days) < today
    # The board's "Recently updated" leads with the latest update, not the order of loading.
    latest = ProgressUpdate.objects.order_by("-recorded_on").first()
    assert Commitment.objects.order_by("-updated_at").first() == latest.commitment


def test_demo_timeline_dates_the_changes_with_their_updates():
    call_command("load_demo")

    bond = Commitment.objects.get(title="Statement of intent on a Kenyan Samurai Bond")
    update_times = {update.created_at for update in bond.updates.all()}
    history_times = {record.history_date for record in bond.history.all()}
    assert update_times <= history_times
    assert max(history_times) == max(update_times)
    assert min(history_times) == bond.created_at


def test_demo_analyst_password_says_created_then_reset(capsys, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "ticad-nine-yokohama")
    call_command("load_demo")
    call_command("load_demo", "--reset-password")

    output = capsys.readouterr().out
    assert "Demo analyst created: username 'analyst', password 'ticad-nine-yokohama'" in output
    assert "Demo analyst password reset: username 'analyst', password 'ticad-nine-yokohama'" in output


def test_the_demo_samurai_bond_has_milestones_done_overdue_and_to_come():
    call_command("load_demo")
    bond = Commitment.objects.get(title="Statement of intent on a Kenyan Samurai Bond")
    today = timezone.localdate()

    steps = list(bond.milestones.all())
    assert len(steps) == 4
    assert sum(1 for step in steps if step.done_on) == 2
    assert [step.title for step in bond.milestones.overdue(today)] == ["Shelf registration filed in Japan"]
    assert milestones.suggested_progress(steps) == 25
    assert bond in Commitment.objects.overdue(today)


def test_the_demo_publishes_most_pledges_and_keeps_internal_notes_internal():
    call_command("load_demo", stdout=io.StringIO())

    unpublished = set(Commitment.objects.filter(is_public=False).values_list("title", flat=True))
    assert unpublished == {
        "Talks with Toyota on expanding electric vehicles in Kenya",
        "Keep financing of the Haiti security mission predictable",
    }
    internal = ProgressUpdate.objects.filter(note_is_internal=True).values_list("note", flat=True)
    assert list(internal) == ["Demo entry: arrangers shortlisted; issuance timetable not yet public."]
