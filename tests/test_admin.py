import re
from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    EventFactory,
    FollowUpFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    TopicFactory,
    UserFactory,
    body,
    count_queries,
    published_cycles,
    today,
)
from tracker import evidence, services
from tracker.models import (
    Commitment,
    Contact,
    Event,
    EvidenceRequest,
    FollowUp,
    MoneyLine,
    NotificationPreference,
    ProgressUpdate,
    Reply,
    ScoreRevision,
    Status,
)

pytestmark = pytest.mark.django_db

REGISTERED = [model for model in admin.site._registry if model._meta.app_label in {"tracker", "auth"}]


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make_rows(count):
    """`count` rows of every tracker model, with their relations filled in."""
    for _ in range(count):
        watcher = UserFactory()
        commitment = CommitmentFactory(watchers=[watcher], topics=[TopicFactory()])
        ProgressUpdateFactory(commitment=commitment)
        FollowUpFactory(commitment=commitment)
        MoneyLine.objects.create(commitment=commitment, kind="committed", amount=1, currency="USD", on=date(2025, 9, 1))
        MilestoneFactory(commitment=commitment)
        NotificationPreference.objects.create(user=watcher)


@pytest.fixture
def every_row(roles, settings, tmp_path):
    make_rows(1)
    published_cycles(1)
    settings.MEDIA_ROOT = tmp_path
    pledge = Commitment.objects.order_by("pk").first()
    contact = Contact.objects.create(actor=pledge.made_by, name="Press office", email="press@example.org")
    asked = evidence.evidence_request_send(commitment=pledge, contact=contact, message="Any news?")
    evidence.reply_submit(request=asked, text="Here.", files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")])


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model.__name__)
def test_every_changelist_add_and_change_page_renders_for_a_superuser(client, superuser, every_row, model):
    client.force_login(superuser)
    obj = model._default_manager.order_by("pk").first()

    assert client.get(url(model, "changelist")).status_code == 200
    # Follow-ups are written by the services only; revisions by correcting a published score;
    # requests on the pledge page (so that the email goes) and replies through the office's form.
    written_elsewhere = (FollowUp, ScoreRevision, EvidenceRequest, Reply)
    assert client.get(url(model, "add")).status_code == (403 if model in written_elsewhere else 200)
    assert client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model.__name__)
def test_changelist_query_count_does_not_grow_with_rows(client, superuser, model):
    client.force_login(superuser)

    make_rows(5)
    with_five = count_queries(client, url(model, "changelist"))
    make_rows(45)
    assert count_queries(client, url(model, "changelist")) == with_five


def test_commitment_changelist_shows_the_columns_analysts_scan(client, superuser):
    CommitmentFactory(title="Samurai Bond", next_check_on=today() - timedelta(days=2))
    client.force_login(superuser)

    body = client.get(url(Commitment, "changelist")).content.decode()

    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', body)
    assert headers == ["title", "made_by", "status_and_progress", "next_check_on", "due_on", "owner", "overdue"]
    assert "Samurai Bond" in body
    assert 'alt="True"' in body  # the overdue tick


def test_overdue_filter_lists_only_overdue_pledges(client, superuser):
    CommitmentFactory(title="Late check", next_check_on=today() - timedelta(days=1))
    CommitmentFactory(title="On time", next_check_on=today() + timedelta(days=1))
    client.force_login(superuser)

    overdue = client.get(url(Commitment, "changelist"), {"overdue": "yes"}).content.decode()
    on_time = client.get(url(Commitment, "changelist"), {"overdue": "no"}).content.decode()

    assert "Late check" in overdue and "On time" not in overdue
    assert "On time" in on_time and "Late check" not in on_time


def test_search_covers_title_description_and_quote(client, superuser):
    CommitmentFactory(title="Bond", description="yen-denominated", quote="Samurai")
    CommitmentFactory(title="Tea", description="tariffs", quote="avocados")
    client.force_login(superuser)

    for term in ("Bond", "yen-denominated", "Samurai"):
        body = client.get(url(Commitment, "changelist"), {"q": term}).content.decode()
        assert ">Bond<" in body and ">Tea<" not in body


def test_admin_view_site_leads_to_the_board():
    assert admin.site.site_url == "/"
    assert reverse("tracker:board") == "/"


def test_admin_change_page_links_to_the_pledge_page(client, superuser):
    commitment = CommitmentFactory()
    client.force_login(superuser)

    page = body(client.get(reverse("admin:tracker_commitment_change", args=[commitment.pk])))

    view_on_site = reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(Commitment).pk, commitment.pk])
    assert view_on_site in page
    assert client.get(view_on_site)["Location"].endswith(commitment.get_absolute_url())


def commitment_form_data(commitment, **changes):
    """The change form as the admin posts it, with an empty update row."""
    data = {
        "title": commitment.title,
        "kind": commitment.kind,
        "made_by": commitment.made_by_id,
        "counterparts": [actor.pk for actor in commitment.counterparts.all()],
        "event": commitment.event_id or "",
        "made_on": commitment.made_on.isoformat(),
        "topics": [topic.pk for topic in commitment.topics.all()],
        "quote": commitment.quote,
        "description": commitment.description,
        "source_url": commitment.source_url,
        "source_title": commitment.source_title,
        "due_on": commitment.due_on.isoformat() if commitment.due_on else "",
        "check_every_days": commitment.check_every_days,
        "next_check_on": commitment.next_check_on.isoformat() if commitment.next_check_on else "",
        "owner": commitment.owner_id or "",
        "watchers": [user.pk for user in commitment.watchers.all()],
        "updates-TOTAL_FORMS": "1",
        "updates-INITIAL_FORMS": "0",
        "updates-MIN_NUM_FORMS": "0",
        "updates-MAX_NUM_FORMS": "1000",
        "updates-0-recorded_on": today().isoformat(),
        "initial-updates-0-recorded_on": today().isoformat(),
        "updates-0-status_after": commitment.status,
        "initial-updates-0-status_after": commitment.status,
        "updates-0-status_seen": commitment.status,
        "updates-0-progress": commitment.progress,
        "initial-updates-0-progress": commitment.progress,
        "updates-0-note": "",
        "updates-0-evidence_url": "",
        "followups-TOTAL_FORMS": "0",
        "followups-INITIAL_FORMS": "0",
        "followups-MIN_NUM_FORMS": "0",
        "followups-MAX_NUM_FORMS": "1000",
        "money_lines-TOTAL_FORMS": "0",
        "money_lines-INITIAL_FORMS": "0",
        "milestones-TOTAL_FORMS": "0",
        "milestones-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_recording_an_update_in_the_admin_goes_through_the_service(client, analyst):
    commitment = CommitmentFactory(check_every_days=10)
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "change", commitment.pk),
        commitment_form_data(
            commitment,
            **{"updates-0-status_after": Status.IN_PROGRESS, "updates-0-progress": "30", "updates-0-note": "Started"},
        ),
    )

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress) == (Status.IN_PROGRESS, 30)
    assert commitment.next_check_on == today() + timedelta(days=10)
    update = commitment.updates.get()
    assert (update.status_before, update.author, update.note) == (Status.ANNOUNCED, analyst, "Started")


def test_an_untouched_update_row_records_nothing(client, analyst):
    commitment = CommitmentFactory()
    client.force_login(analyst)

    response = client.post(url(Commitment, "change", commitment.pk), commitment_form_data(commitment, title="Renamed"))

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.title == "Renamed"
    assert not commitment.updates.exists()


def test_a_refused_transition_is_a_form_error_and_saves_nothing(client, analyst):
    commitment = CommitmentFactory(status=Status.IN_PROGRESS, progress=50)
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "change", commitment.pk),
        commitment_form_data(commitment, title="Changed too", **{"updates-0-status_after": Status.FULFILLED}),
    )

    assert response.status_code == 200
    assert "needs an evidence link" in response.content.decode()
    title = commitment.title
    commitment.refresh_from_db()
    assert (commitment.status, commitment.title) == (Status.IN_PROGRESS, title)
    assert not ProgressUpdate.objects.exists()


def test_a_closed_pledge_refuses_updates_with_a_form_error(client, analyst):
    commitment = CommitmentFactory(status=Status.BROKEN)
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "change", commitment.pk),
        commitment_form_data(commitment, **{"updates-0-status_after": Status.IN_PROGRESS}),
    )

    assert response.status_code == 200
    assert "closed as Broken" in response.content.decode()
    assert not ProgressUpdate.objects.exists()


def test_adding_a_pledge_in_the_admin_goes_through_the_service(client, analyst):
    maker, event, topic = ActorFactory(), EventFactory(), TopicFactory()
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "add"),
        {
            "title": "Kenya International Investment Conference",
            "kind": Commitment.Kind.REQUEST,
            "made_by": maker.pk,
            "event": event.pk,
            "made_on": "2025-08-20",
            "topics": [topic.pk],
            "check_every_days": "14",
            "owner": analyst.pk,
            "quote": "<script>alert(1)</script>",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    commitment = Commitment.objects.get()
    assert commitment.status == Status.ANNOUNCED
    assert commitment.next_check_on == today() + timedelta(days=14)
    assert list(commitment.topics.all()) == [topic]
    assert commitment.history.get().history_user == analyst


def test_adding_a_pledge_with_a_bad_date_is_a_form_error(client, analyst):
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "add"),
        {
            "title": "Later",
            "kind": Commitment.Kind.PROMISE,
            "made_by": ActorFactory().pk,
            "made_on": "2025-08-20",
            "due_on": "2025-08-01",
            "check_every_days": "30",
        },
    )

    assert response.status_code == 200
    assert "cannot be before the day the pledge was made" in response.content.decode()
    assert not Commitment.objects.exists()


def test_an_event_ending_before_it_starts_is_an_error_next_to_its_end(client, superuser):
    client.force_login(superuser)

    response = client.post(url(Event, "add"), {"name": "TICAD", "starts_on": "2025-08-22", "ends_on": "2025-08-20"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"ends_on": ["An event cannot end before it starts."]}
    assert not Event.objects.exists()


def test_bulk_assign_owner(client, analyst, roles):
    commitments = CommitmentFactory.create_batch(2)
    new_owner = UserFactory(username="wanjiru", groups=[roles[services.ANALYSTS_GROUP]])
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "changelist"),
        {"action": "assign_owner", "_selected_action": [c.pk for c in commitments], "owner": new_owner.pk},
        follow=True,
    )

    assert "Wanjiru now owns 2 more pledges." in response.content.decode()
    assert set(Commitment.objects.values_list("owner", flat=True)) == {new_owner.pk}


def test_bulk_assign_owner_without_an_owner_says_so(client, analyst):
    commitment = CommitmentFactory()
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "changelist"),
        {"action": "assign_owner", "_selected_action": [commitment.pk], "owner": ""},
        follow=True,
    )

    assert "Choose the owner to assign" in response.content.decode()
    assert Commitment.objects.get().owner == commitment.owner


def test_bulk_postpone_by_n_days(client, analyst):
    open_one = CommitmentFactory(next_check_on=date(2026, 1, 10))
    CommitmentFactory(status=Status.FULFILLED, progress=100, next_check_on=None)
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "changelist"),
        {
            "action": "postpone_next_check",
            "_selected_action": Commitment.objects.values_list("pk", flat=True),
            "days": "7",
        },
        follow=True,
    )

    body = response.content.decode()
    assert "Postponed the next check of 1 pledge by 7 days." in body
    assert "1 closed pledge has no next check and was left alone." in body
    open_one.refresh_from_db()
    assert open_one.next_check_on == date(2026, 1, 17)


@pytest.mark.parametrize("days", ["", "0", "400", "soon"])
def test_bulk_postpone_with_bad_days_changes_nothing(client, analyst, days):
    commitment = CommitmentFactory(next_check_on=date(2026, 1, 10))
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "changelist"),
        {"action": "postpone_next_check", "_selected_action": [commitment.pk], "days": days},
        follow=True,
    )

    assert "Nothing postponed" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.next_check_on == date(2026, 1, 10)


def test_progress_update_admin_records_through_the_service(client, analyst):
    commitment = CommitmentFactory()
    client.force_login(analyst)

    response = client.post(
        url(ProgressUpdate, "add"),
        {
            "commitment": commitment.pk,
            "recorded_on": today().isoformat(),
            "status_after": Status.STALLED,
            "progress": "",
            "note": "No news",
        },
    )

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == Status.STALLED
    assert commitment.updates.get().author == analyst


def test_progress_update_admin_shows_service_errors_on_the_form(client, analyst):
    commitment = CommitmentFactory()
    client.force_login(analyst)

    response = client.post(
        url(ProgressUpdate, "add"),
        {
            "commitment": commitment.pk,
            "recorded_on": today().isoformat(),
            "status_after": Status.IN_PROGRESS,
            "progress": "150",
        },
    )

    assert response.status_code == 200
    assert not ProgressUpdate.objects.exists()


def test_the_timeline_cannot_be_edited_in_the_admin(client, analyst):
    update = ProgressUpdateFactory(note="Original")
    client.force_login(analyst)

    client.post(url(ProgressUpdate, "change", update.pk), {"note": "Rewritten", "status_after": "fulfilled"})

    update.refresh_from_db()
    assert update.note == "Original"


def test_followups_are_read_only_in_the_admin(client, superuser):
    followup = FollowUpFactory(last_error="SMTP 550 mailbox unavailable")
    client.force_login(superuser)

    listing = client.get(url(FollowUp, "changelist")).content.decode()
    client.post(url(FollowUp, "change", followup.pk), {"state": "sent"})

    assert "SMTP 550 mailbox unavailable" in listing
    followup.refresh_from_db()
    assert followup.state == FollowUp.State.PENDING


def test_viewers_can_read_but_not_add_or_change(client, viewer):
    commitment = CommitmentFactory(title="Read me")
    client.force_login(viewer)

    assert "Read me" in client.get(url(Commitment, "changelist")).content.decode()
    assert client.get(url(Commitment, "add")).status_code == 403
    response = client.post(url(Commitment, "change", commitment.pk), commitment_form_data(commitment, title="Nope"))
    assert response.status_code == 403
    commitment.refresh_from_db()
    assert commitment.title == "Read me"


def test_analysts_cannot_delete_pledges(client, analyst):
    commitment = CommitmentFactory()
    client.force_login(analyst)

    response = client.post(url(Commitment, "delete", commitment.pk), {"post": "yes"})

    assert response.status_code == 403
    assert Commitment.objects.filter(pk=commitment.pk).exists()


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_progress_updates_cannot_be_deleted_by_analysts_or_viewers(client, request, role):
    update = ProgressUpdateFactory()
    client.force_login(request.getfixturevalue(role))

    response = client.post(url(ProgressUpdate, "delete", update.pk), {"post": "yes"})
    timeline = client.post(
        url(Commitment, "changelist"), {"action": "delete_selected", "_selected_action": [update.commitment_id]}
    )

    assert response.status_code == 403
    assert timeline.status_code in (200, 302, 403)
    assert ProgressUpdate.objects.filter(pk=update.pk).exists()
    assert Commitment.objects.filter(pk=update.commitment_id).exists()


def test_user_written_text_is_escaped_in_the_admin(client, superuser):
    commitment = CommitmentFactory(title='<script>alert("t")</script>', quote='"><img src=x onerror=alert(1)>')
    client.force_login(superuser)

    listing = client.get(url(Commitment, "changelist")).content.decode()
    page = client.get(url(Commitment, "change", commitment.pk)).content.decode()

    assert '<script>alert("t")</script>' not in listing
    assert "&lt;script&gt;" in listing
    assert "<img src=x onerror" not in page


def test_history_page_shows_who_changed_what(client, superuser, analyst):
    commitment = CommitmentFactory()
    client.force_login(analyst)
    client.post(url(Commitment, "change", commitment.pk), commitment_form_data(commitment, title="Retitled"))
    client.force_login(superuser)

    body = client.get(url(Commitment, "history", commitment.pk)).content.decode()

    assert "Retitled" in body
    assert "analyst" in body


def test_history_columns_are_named_and_shown_as_the_pledge_page_names_them(client, superuser):
    commitment = CommitmentFactory(status=Status.IN_PROGRESS)
    client.force_login(superuser)

    body = client.get(url(Commitment, "history", commitment.pk)).content.decode()

    assert '<th scope="col">Next check</th>' in body
    assert "<td>In progress</td>" in body
    assert "next_check_on" not in body and "<td>in_progress</td>" not in body


def test_only_those_who_may_change_a_pledge_may_revert_it_to_an_old_version(client, viewer, analyst):
    commitment = CommitmentFactory(title="First title")
    client.force_login(analyst)
    client.post(url(Commitment, "change", commitment.pk), commitment_form_data(commitment, title="Second title"))
    first = commitment.history.order_by("history_id").first()
    old_version = url(Commitment, "simple_history", commitment.pk, first.history_id)

    client.force_login(viewer)
    assert client.get(old_version).status_code == 200
    response = client.post(old_version, commitment_form_data(commitment, title="First title"))

    assert response.status_code == 403
    commitment.refresh_from_db()
    assert commitment.title == "Second title"


def test_saving_an_old_page_does_not_undo_an_update_recorded_meanwhile(client, analyst):
    commitment = CommitmentFactory(status=Status.IN_PROGRESS, progress=30)
    page_as_loaded = commitment_form_data(commitment, title="Title fixed")
    services.progress_record(commitment=commitment, status=Status.STALLED, note="Talks broke off")
    client.force_login(analyst)

    response = client.post(url(Commitment, "change", commitment.pk), page_as_loaded)

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.title == "Title fixed"
    assert commitment.status == Status.STALLED
    assert commitment.next_check_on == today() + timedelta(days=commitment.check_every_days)
    assert commitment.updates.count() == 1


def test_an_update_on_an_old_page_is_refused_when_another_landed_meanwhile(client, analyst):
    commitment = CommitmentFactory(status=Status.IN_PROGRESS, progress=30)
    page_as_loaded = commitment_form_data(commitment, **{"updates-0-status_after": Status.PARTIALLY_FULFILLED})
    services.progress_record(commitment=commitment, status=Status.STALLED)
    client.force_login(analyst)

    response = client.post(url(Commitment, "change", commitment.pk), page_as_loaded)

    assert response.status_code == 200
    assert "Another update was recorded meanwhile" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.status == Status.STALLED
    assert commitment.updates.count() == 1


def test_a_shorter_interval_in_the_admin_moves_the_next_check(client, analyst):
    commitment = CommitmentFactory(check_every_days=30, next_check_on=today() + timedelta(days=30))
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "change", commitment.pk), commitment_form_data(commitment, check_every_days=7)
    )

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.next_check_on == today() + timedelta(days=7)


def test_an_absurd_interval_is_a_form_error(client, analyst):
    commitment = CommitmentFactory()
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "change", commitment.pk), commitment_form_data(commitment, check_every_days=3000000)
    )

    assert response.status_code == 200
    assert "less than or equal to 3650" in response.content.decode()


def test_postponing_past_the_year_9999_is_a_message_not_a_crash(client, analyst):
    commitment = CommitmentFactory(next_check_on=date(9999, 12, 30))
    client.force_login(analyst)

    response = client.post(
        url(Commitment, "changelist"),
        {"action": "postpone_next_check", "_selected_action": [commitment.pk], "days": "7"},
        follow=True,
    )

    assert response.status_code == 200
    assert "would be checked after" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.next_check_on == date(9999, 12, 30)


@pytest.mark.parametrize("field", ["owner", "watchers", "made_by", "event", "counterparts"])
def test_analysts_can_use_every_autocomplete_on_the_pledge_form(client, analyst, field):
    UserFactory(username="wanjiru")
    ActorFactory(name="Wanjiru Institute")
    EventFactory(name="Wanjiru forum")
    client.force_login(analyst)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "tracker", "model_name": "commitment", "field_name": field, "term": "wanjiru"},
    )

    assert response.status_code == 200
    assert response.json()["results"]


def test_a_null_character_in_a_filter_is_a_400_not_a_500(client, superuser):
    client.force_login(superuser)

    response = client.get(url(Commitment, "changelist"), {"made_by__country": "\x00"})

    assert response.status_code == 400
    assert "null character" in response.content.decode()


def test_the_timeline_offers_exactly_one_blank_row(client, analyst):
    commitment = CommitmentFactory()
    ProgressUpdateFactory.create_batch(2, commitment=commitment)
    client.force_login(analyst)

    response = client.get(url(Commitment, "change", commitment.pk))

    (timeline,) = [f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is ProgressUpdate]
    assert timeline.total_form_count() == 3
    assert timeline.max_num == 3
    assert len(timeline.extra_forms) == 1


def refuse_at_save(monkeypatch):
    """Make the service refuse after the form validated: another update landed in between."""

    def refused(**kwargs):
        raise ValidationError({"status": "Another update was recorded meanwhile: the pledge is now Stalled."})

    monkeypatch.setattr(services, "progress_record", refused)


def test_a_race_lost_in_the_timeline_row_is_a_message_not_a_500(client, analyst, monkeypatch):
    commitment = CommitmentFactory()
    client.force_login(analyst)
    refuse_at_save(monkeypatch)

    response = client.post(
        url(Commitment, "change", commitment.pk),
        commitment_form_data(commitment, **{"updates-0-status_after": Status.IN_PROGRESS}),
        follow=True,
    )

    assert response.status_code == 200
    assert "The update was not recorded: Another update was recorded meanwhile" in response.content.decode()
    assert not ProgressUpdate.objects.exists()


def test_a_race_lost_in_the_update_admin_is_a_message_not_a_500(client, analyst, monkeypatch):
    commitment = CommitmentFactory()
    client.force_login(analyst)
    refuse_at_save(monkeypatch)

    response = client.post(
        url(ProgressUpdate, "add"),
        {"commitment": commitment.pk, "recorded_on": today().isoformat(), "status_after": Status.STALLED},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == url(ProgressUpdate, "changelist")
    assert "The update was not recorded" in response.content.decode()
    assert not ProgressUpdate.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_only_superusers_manage_users(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get("/admin/auth/user/add/").status_code == 403
    response = client.post(f"/admin/auth/user/{user.pk}/change/", {"username": user.username, "is_superuser": "on"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.is_superuser
    assert client.get("/admin/auth/group/").status_code == 403
