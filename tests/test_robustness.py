"""Bad input from anyone (dates out of range, NUL bytes, deep or huge bodies, odd admin URLs) is a 4xx, never a 500."""

import csv
import io
import json
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from rest_framework.test import APIClient

from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    EventFactory,
    FollowUpFactory,
    ProgressUpdateFactory,
    UserFactory,
    api_client_for,
    body,
)
from tracker import services
from tracker.exporting import neutralise as _neutralise
from tracker.models import DATE_RANGE_MESSAGE, LATEST_DATE, Commitment, NotificationPreference

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = ["9999-12-31", "1900-01-01"]


def pledge_payload(**overrides):
    return {"title": "Review tariffs", "made_by": ActorFactory().pk, "made_on": "2025-08-20", **overrides}


# ---------------------------------------------------------------- dates out of range


@pytest.mark.parametrize("field", ["made_on", "due_on", "next_check_on"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_api_refuses_a_pledge_dated_out_of_range(analyst_api_client, field, value):
    response = analyst_api_client.post("/api/v1/commitments/", pledge_payload(**{field: value}), format="json")

    assert response.status_code == 400
    assert response.json()[field] == [DATE_RANGE_MESSAGE]
    assert not Commitment.objects.exists()


@pytest.mark.parametrize("field", ["made_on", "due_on", "next_check_on"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_api_refuses_a_change_to_a_date_out_of_range(analyst_api_client, field, value):
    commitment = CommitmentFactory(made_on=date(2025, 8, 20), due_on=date(2026, 1, 1))
    before = (commitment.made_on, commitment.due_on, commitment.next_check_on)

    response = analyst_api_client.patch(f"/api/v1/commitments/{commitment.pk}/", {field: value}, format="json")

    assert response.status_code == 400
    assert response.json()[field] == [DATE_RANGE_MESSAGE]
    commitment.refresh_from_db()
    assert (commitment.made_on, commitment.due_on, commitment.next_check_on) == before


@pytest.mark.parametrize("field", ["made_on", "due_on", "next_check_on"])
def test_admin_form_shows_the_date_range_error(client, superuser, field):
    client.force_login(superuser)
    maker = ActorFactory()
    data = {
        "title": "Review tariffs",
        "kind": "promise",
        "made_by": maker.pk,
        "made_on": "2025-08-20",
        "check_every_days": 30,
        field: "9999-12-31",
    }

    response = client.post(reverse("admin:tracker_commitment_add"), data)

    assert response.status_code == 200
    assert DATE_RANGE_MESSAGE in body(response)
    assert not Commitment.objects.exists()


@pytest.mark.parametrize("field", ["made_on", "due_on", "next_check_on"])
def test_services_refuse_dates_out_of_range(field):
    maker = ActorFactory()
    with pytest.raises(ValidationError) as create_error:
        services.commitment_create(
            data={"title": "T", "made_by": maker, "made_on": date(2025, 8, 20), field: date(9999, 12, 31)}
        )
    assert DATE_RANGE_MESSAGE in create_error.value.message_dict[field]

    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as update_error:
        services.commitment_update(commitment=commitment, data={field: date(1900, 1, 1)})
    assert DATE_RANGE_MESSAGE in update_error.value.message_dict[field]
    commitment.refresh_from_db()
    assert getattr(commitment, field) != date(1900, 1, 1)


def test_postponing_past_the_last_date_is_refused_naming_the_pledge():
    late = CommitmentFactory(title="Late pledge", next_check_on=LATEST_DATE - timedelta(days=10))
    early = CommitmentFactory(title="Early pledge")
    early_check = early.next_check_on

    with pytest.raises(ValidationError) as error:
        services.commitments_postpone(commitments=[early, late], days=30)

    assert "Late pledge" in error.value.message_dict["days"][0]
    assert str(LATEST_DATE.year) in error.value.message_dict["days"][0]
    late.refresh_from_db()
    early.refresh_from_db()
    assert late.next_check_on == LATEST_DATE - timedelta(days=10)
    assert early.next_check_on == early_check  # all or none


def test_postponing_a_pledge_stored_with_the_largest_date_is_refused():
    commitment = CommitmentFactory(title="Corrupt pledge")
    Commitment.objects.filter(pk=commitment.pk).update(next_check_on=date(9999, 12, 31))
    commitment.refresh_from_db()

    with pytest.raises(ValidationError) as error:
        services.commitments_postpone(commitments=[commitment], days=1)

    assert "Corrupt pledge" in error.value.message_dict["days"][0]


def test_admin_postpone_action_past_the_last_date_says_why(client, superuser):
    client.force_login(superuser)
    commitment = CommitmentFactory(title="Late pledge", next_check_on=LATEST_DATE - timedelta(days=1))

    response = client.post(
        reverse("admin:tracker_commitment_changelist"),
        {"action": "postpone_next_check", "_selected_action": [commitment.pk], "days": "5"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Nothing postponed" in body(response)
    assert "Late pledge" in body(response)
    commitment.refresh_from_db()
    assert commitment.next_check_on == LATEST_DATE - timedelta(days=1)


def test_calendar_feed_leaves_out_a_stored_date_out_of_range_for_owner_and_watchers(roles):
    owner = UserFactory(groups=[roles[services.ANALYSTS_GROUP]])
    watcher = UserFactory(groups=[roles[services.VIEWERS_GROUP]])
    broken = CommitmentFactory(title="Broken dates", owner=owner, watchers=[watcher])
    fine = CommitmentFactory(title="Fine dates", owner=owner, watchers=[watcher], due_on=date(2026, 3, 1))
    Commitment.objects.filter(pk=broken.pk).update(due_on=date(9999, 12, 31), next_check_on=date(9999, 12, 31))

    for user in (owner, watcher):
        token = services.notification_preference_get(user=user).calendar_token
        response = Client().get(reverse("tracker:calendar", args=[token]))

        assert response.status_code == 200, user
        feed = body(response)
        assert f"commitment-{fine.pk}-due@" in feed
        assert f"commitment-{fine.pk}-check@" in feed
        assert f"commitment-{broken.pk}-" not in feed
        assert "9999" not in feed


# ---------------------------------------------------------------- anonymous requests


@pytest.mark.parametrize(
    "path", ["/calendar/%00.ics", "/calendar/a%00b.ics", "/calendar/..%2F.ics", "/calendar/a b.ics"]
)
def test_a_calendar_address_with_an_impossible_token_is_a_404(client, path):
    assert client.get(path).status_code == 404


def test_calendar_token_converter_refuses_nul_before_any_query():
    with pytest.raises(Resolver404):
        resolve("/calendar/\x00.ics")
    preference_token = "abc-DEF_123"
    assert resolve(f"/calendar/{preference_token}.ics").kwargs == {"token": preference_token}


def test_every_stored_calendar_token_matches_the_address(roles):
    user = UserFactory(groups=[roles[services.ANALYSTS_GROUP]])
    for _ in range(20):
        services.notification_preference_reset_calendar_token(user=user)
        token = NotificationPreference.objects.get(user=user).calendar_token
        assert resolve(reverse("tracker:calendar", args=[token])).kwargs == {"token": token}


@pytest.mark.parametrize("field", ["username", "password"])
@pytest.mark.parametrize("format_", ["json", "multipart", "form"])
def test_token_request_with_a_nul_byte_is_a_400_under_the_field(analyst, field, format_):
    data = {"username": "analyst", "password": "correct horse battery", field: "ana\x00lyst"}
    client = APIClient()
    if format_ == "form":
        response = client.post("/api/v1/auth/token/", urlencode(data), content_type="application/x-www-form-urlencoded")
    else:
        response = client.post("/api/v1/auth/token/", data, format=format_)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()[field] == ["Null characters are not allowed."]


def test_token_request_without_a_username_is_a_400_under_the_field(db):
    response = APIClient().post("/api/v1/auth/token/", {"password": "x"}, format="json")

    assert response.status_code == 400
    assert response.json()["username"]


def test_token_request_still_gives_the_token(analyst):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "analyst", "password": "correct horse battery"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["token"]


def deeply_nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [200, 1_000, 100_000])
@pytest.mark.parametrize("path", ["/api/v1/commitments/", "/api/v1/actors/", "/api/v1/extract/", "/api/v1/auth/token/"])
def test_json_nested_too_deeply_is_a_400(analyst_api_client, path, depth):
    payload = '{"title": ' + deeply_nested(depth) + "}"

    response = analyst_api_client.post(path, payload, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON nested too deeply."}


def test_json_nested_a_few_levels_is_still_read(analyst_api_client):
    response = analyst_api_client.post(
        "/api/v1/commitments/", {"title": "T", "made_by": [[[1]]], "made_on": "2025-08-20"}, format="json"
    )

    assert response.status_code == 400
    assert "made_by" in response.json()


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_the_upload_limit_is_a_json_400(analyst_api_client, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    payload = json.dumps({"title": "x" * 2_000}) if content_type == "application/json" else "title=" + "x" * 2_000

    response = analyst_api_client.post("/api/v1/commitments/", payload, content_type=content_type)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "1,000 bytes" in response.json()["detail"]
    assert not Commitment.objects.exists()


def test_a_form_with_too_many_fields_is_a_json_400(analyst_api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    payload = "&".join(f"f{n}=1" for n in range(20))

    response = analyst_api_client.post(
        "/api/v1/commitments/", payload, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert response.json()["detail"]


def test_anonymous_oversize_token_request_is_a_json_400(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000

    response = APIClient().post(
        "/api/v1/auth/token/", json.dumps({"username": "x" * 2_000, "password": "y"}), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("query", ["page=abc", "page=99999999999999999999", "page=-1", "page_size=abc", "page=%00"])
def test_odd_api_pages_are_4xx(analyst_api_client, query):
    CommitmentFactory()

    response = analyst_api_client.get(f"/api/v1/commitments/?{query}")

    assert response.status_code in (400, 404)
    assert response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/commitments/99999999999999999999/",
        "/api/v1/commitments/99999999999999999999/",
        "/api/v1/commitments/abc/",
        "/api/v1/commitments/%00/",
        "/api/v1/commitments/99999999999999999999/updates/",
        "/api/v1/actors/%00/",
        "/admin/tracker/commitment/%00/change/",
        "/admin/tracker/commitment/abc/history/",
        "/admin/tracker/commitment/%00/history/",
    ],
)
def test_odd_ids_in_the_path_are_never_a_500(client, superuser, path):
    client.force_login(superuser)
    CommitmentFactory()

    response = client.get(path)

    assert response.status_code in (302, 400, 404), response.status_code


# ---------------------------------------------------------------- admin lists and history


@pytest.mark.parametrize(
    ("changelist", "field"),
    [
        ("admin:tracker_commitment_changelist", "made_on"),
        ("admin:tracker_followup_changelist", "due_on"),
        ("admin:tracker_event_changelist", "starts_on"),
        ("admin:tracker_progressupdate_changelist", "recorded_on"),
    ],
)
@pytest.mark.parametrize(
    "query",
    ["{f}__year=9999", "{f}__year=9999&{f}__month=12", "{f}__year=9999&{f}__month=12&{f}__day=31", "{f}__year=1"],
)
def test_admin_date_hierarchy_out_of_range_is_a_400(client, superuser, changelist, field, query):
    client.force_login(superuser)
    FollowUpFactory()
    ProgressUpdateFactory()

    response = client.get(reverse(changelist) + "?" + query.format(f=field))

    assert response.status_code == 400
    assert DATE_RANGE_MESSAGE in body(response)


@pytest.mark.parametrize("query", ["made_on__year=abc", "made_on__year=2025&made_on__month=13"])
def test_admin_date_hierarchy_that_is_no_date_is_a_400(client, superuser, query):
    client.force_login(superuser)

    response = client.get(reverse("admin:tracker_commitment_changelist") + "?" + query)

    assert response.status_code == 400
    assert "is not a date" in body(response)


def test_admin_date_hierarchy_in_range_still_filters(client, superuser):
    client.force_login(superuser)
    CommitmentFactory(title="In 2025", made_on=date(2025, 8, 20))
    CommitmentFactory(title="In 2200", made_on=date(2200, 12, 31))

    response = client.get(
        reverse("admin:tracker_commitment_changelist") + "?made_on__year=2200&made_on__month=12&made_on__day=31"
    )

    assert response.status_code == 200
    assert "In 2200" in body(response)
    assert "In 2025" not in body(response)


@pytest.mark.parametrize("version", ["abc", "%00", "1.5", "99999999999999999999"])
def test_admin_history_of_a_version_that_is_no_number_is_a_404(client, superuser, version):
    client.force_login(superuser)
    commitment = services.commitment_create(
        user=superuser, data={"title": "T", "made_by": ActorFactory(), "made_on": date(2025, 8, 20)}
    )

    response = client.get(f"/admin/tracker/commitment/{commitment.pk}/history/{version}/")

    assert response.status_code == 404


def test_admin_history_of_a_real_version_still_shows(client, superuser):
    client.force_login(superuser)
    commitment = services.commitment_create(
        user=superuser, data={"title": "Versioned", "made_by": ActorFactory(), "made_on": date(2025, 8, 20)}
    )
    version = commitment.history.get()

    response = client.get(f"/admin/tracker/commitment/{commitment.pk}/history/{version.history_id}/")

    assert response.status_code == 200
    assert "Versioned" in body(response)


def test_admin_history_with_an_object_id_that_is_no_number_is_a_404(client, superuser):
    client.force_login(superuser)

    response = client.get("/admin/tracker/commitment/abc/history/1/")

    assert response.status_code == 404


# ---------------------------------------------------------------- CSV formulas


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "\n=1",
        ";=1",
        "\uff1d1+1",  # fullwidth equals
        "\uff0b1",  # fullwidth plus
        "\uff0d1",  # fullwidth minus
        "\uff201",  # fullwidth at
        " =1+1",
        "\u3000=1+1",  # ideographic space
        "  @SUM(A1)",
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(value):
    assert _neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Review tariffs", "", "'quoted", "1+1", "a=b", 42, None])
def test_csv_cells_that_are_plain_text_are_left_alone(value):
    assert _neutralise(value) == value


def test_csv_export_neutralises_fullwidth_and_semicolon_titles(analyst_client):
    EventFactory()
    CommitmentFactory(title='\uff1dHYPERLINK("http://evil")')
    CommitmentFactory(title=";cmd")

    response = analyst_client.get(reverse("tracker:commitments-csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert sorted(row["title"] for row in rows) == ["';cmd", '\'\uff1dHYPERLINK("http://evil")']


# ---------------------------------------------------------------- NUL against PostgreSQL too


def test_nul_in_a_login_form_is_a_form_error(client, analyst):
    response = client.post(reverse("login"), {"username": "ana\x00lyst", "password": "x"})

    assert response.status_code == 200
    assert "Null characters are not allowed." in body(response)


def test_nul_in_the_admin_login_is_a_form_error(client, analyst):
    response = client.post(reverse("admin:login"), {"username": "ana\x00lyst", "password": "x"})

    assert response.status_code == 200
    assert "Null characters are not allowed." in body(response)


def test_nul_in_an_api_token_header_is_a_json_400(db):
    client = api_client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Token abc\x00def")

    response = client.get("/api/v1/commitments/")

    assert response.status_code == 400
    assert "null character" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/", "/admin/", "/api/v1/commitments/"])
def test_nul_in_the_session_cookie_is_a_400(client, path):
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"

    response = client.get(path)

    assert response.status_code == 400
    assert "null character" in body(response)


def test_nul_in_the_user_agent_of_a_failed_login_is_a_400(client, analyst):
    response = client.post(
        reverse("login"), {"username": "analyst", "password": "wrong"}, HTTP_USER_AGENT="Mozilla\x00/5.0"
    )

    assert response.status_code == 400
    assert "null character" in body(response)


def test_csv_export_quotes_every_cell_so_a_semicolon_starts_no_cell(analyst_client):
    CommitmentFactory(title="Tea;=1+1", progress=5)

    lines = b"".join(analyst_client.get(reverse("tracker:commitments-csv")).streaming_content).decode().splitlines()

    assert lines[0].startswith('"id","title","status","progress",')
    assert '"Tea;=1+1"' in lines[1]
    assert ',"5",' in lines[1]


@pytest.mark.parametrize("selected", ["abc", "1.5", "99999999999999999999"])
@pytest.mark.parametrize(
    ("changelist", "action"),
    [
        ("admin:tracker_followup_changelist", "retry"),
        ("admin:tracker_actor_changelist", "delete_selected"),
        ("admin:tracker_commitment_changelist", "postpone_next_check"),
    ],
)
def test_admin_action_on_ids_that_are_no_ids_is_a_400(client, superuser, changelist, action, selected):
    client.force_login(superuser)
    followup = FollowUpFactory(state="failed")

    response = client.post(reverse(changelist), {"action": action, "_selected_action": [selected], "days": "5"})

    assert response.status_code == 400
    assert "not all ids" in body(response)
    followup.refresh_from_db()
    assert followup.state == "failed"


def test_admin_action_on_real_ids_still_runs(client, superuser):
    client.force_login(superuser)
    followup = FollowUpFactory(state="failed", attempts=5)

    response = client.post(
        reverse("admin:tracker_followup_changelist"), {"action": "retry", "_selected_action": [followup.pk]}
    )

    assert response.status_code == 302
    followup.refresh_from_db()
    assert (followup.state, followup.attempts) == ("pending", 0)
