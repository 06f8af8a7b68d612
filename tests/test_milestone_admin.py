"""Milestones in the admin: in the pledge's page and on their own, through the service and its rules."""

import html
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from tests.factories import CommitmentFactory, UserFactory, body, count_queries, field_errors, today
from tests.test_admin import commitment_form_data
from tracker import milestones
from tracker.models import Milestone

pytestmark = pytest.mark.django_db

EVIDENCE = "https://example.org/bill-passed"


def change_url(obj):
    return reverse(f"admin:tracker_{obj._meta.model_name}_change", args=[obj.pk])


def add(commitment, title="Bill drafted", due_on=date(2025, 12, 1), user=None, **fields):
    return milestones.milestone_add(commitment=commitment, user=user, data={"title": title, "due_on": due_on, **fields})


def with_new_milestone(commitment, **fields):
    """The pledge's change form with one new milestone row."""
    row = {"title": "Bill passed by parliament", "due_on": "2026-03-31", "weight": "3", "evidence_url": "", **fields}
    return commitment_form_data(
        commitment,
        **{"milestones-TOTAL_FORMS": "1", **{f"milestones-0-{name}": value for name, value in row.items()}},
    )


def with_existing_milestones(commitment, *rows):
    """The pledge's change form with its milestones as rows (`rows`: per milestone, the fields to post)."""
    data = commitment_form_data(commitment)
    data["milestones-TOTAL_FORMS"] = data["milestones-INITIAL_FORMS"] = str(len(rows))
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"milestones-{index}-{name}"] = value
    return data


def milestone_row(milestone, **changes):
    return {
        "id": milestone.pk,
        "commitment": milestone.commitment_id,
        "title": milestone.title,
        "due_on": milestone.due_on.isoformat(),
        "weight": str(milestone.weight),
        "done_on": milestone.done_on.isoformat() if milestone.done_on else "",
        "evidence_url": milestone.evidence_url,
        **changes,
    }


@pytest.fixture
def pledge():
    return CommitmentFactory(made_on=date(2025, 8, 20))


# Milestones in the pledge's page


def test_a_milestone_added_in_the_pledge_s_page_goes_through_the_service(client, analyst, pledge):
    client.force_login(analyst)

    response = client.post(change_url(pledge), with_new_milestone(pledge, title="  Bill  passed "))

    assert response.status_code == 302
    milestone = Milestone.objects.get()
    assert (
        milestone.commitment,
        milestone.title,
        milestone.due_on,
        milestone.weight,
        milestone.done_on,
        milestone.created_by,
    ) == (pledge, "Bill passed", date(2026, 3, 31), 3, None, analyst)
    assert milestone.history.get().history_user == analyst


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required"),
        ({"due_on": "2025-08-19"}, "due_on", "cannot be due before the pledge was made"),
        ({"due_on": ""}, "due_on", "This field is required"),
        # Two days ahead: parameters are computed at collection, and a run past midnight makes tomorrow today.
        ({"done_on": (today() + timedelta(days=2)).isoformat()}, "done_on", "a day still to come"),
        ({"done_on": "2025-08-19"}, "done_on", "before the pledge was made"),
        ({"weight": "0"}, "weight", "1"),
        ({"weight": "101"}, "weight", "100"),
        ({"weight": "x"}, "weight", "Enter a whole number"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url", "valid URL"),
    ],
)
def test_a_bad_milestone_is_an_error_next_to_its_field_and_nothing_is_saved(
    client, analyst, pledge, fields, field, message
):
    client.force_login(analyst)

    response = client.post(change_url(pledge), with_new_milestone(pledge, **fields) | {"title": "Renamed too"})

    assert response.status_code == 200
    assert message in html.unescape(field_errors(body(response), f"id_milestones-0-{field}"))
    assert not Milestone.objects.exists()
    pledge.refresh_from_db()
    assert pledge.title != "Renamed too"


def test_a_milestone_due_before_a_pledge_made_later_in_the_same_save_is_refused(client, analyst, pledge):
    client.force_login(analyst)

    response = client.post(
        change_url(pledge), with_new_milestone(pledge, due_on="2025-09-01") | {"made_on": "2025-10-01"}
    )

    assert response.status_code == 200
    assert "before the pledge was made" in html.unescape(field_errors(body(response), "id_milestones-0-due_on"))
    assert not Milestone.objects.exists()
    pledge.refresh_from_db()
    assert pledge.made_on == date(2025, 8, 20)


def test_moving_the_pledge_s_day_past_its_milestone_is_an_error_next_to_the_day(client, analyst, pledge):
    step = add(pledge, due_on=date(2025, 9, 1))
    client.force_login(analyst)

    response = client.post(
        change_url(pledge), with_existing_milestones(pledge, milestone_row(step)) | {"made_on": "2025-10-01"}
    )

    assert response.status_code == 200
    assert "1 milestone due or done before it; correct those first." in html.unescape(
        field_errors(body(response), "id_made_on")
    )
    pledge.refresh_from_db()
    assert pledge.made_on == date(2025, 8, 20)


def test_a_milestone_is_marked_done_and_another_deleted_in_the_pledge_s_page(client, analyst, pledge):
    kept = add(pledge, due_on=today() - timedelta(days=2))
    dropped = add(pledge, title="Dropped step")
    client.force_login(analyst)

    response = client.post(
        change_url(pledge),
        with_existing_milestones(
            pledge,
            milestone_row(kept, done_on=today().isoformat(), evidence_url=EVIDENCE),
            milestone_row(dropped, DELETE="on"),
        ),
    )

    assert response.status_code == 302
    assert [(m.pk, m.done_on, m.evidence_url) for m in Milestone.objects.all()] == [(kept.pk, today(), EVIDENCE)]
    assert kept.history.first().history_user == analyst
    assert Milestone.history.get(id=dropped.pk, history_type="-").history_user == analyst


def test_a_change_that_breaks_a_rule_is_an_error_next_to_its_field(client, analyst, pledge):
    kept = add(pledge, weight=4)
    client.force_login(analyst)

    response = client.post(change_url(pledge), with_existing_milestones(pledge, milestone_row(kept, weight="101")))

    assert response.status_code == 200
    assert "100" in field_errors(body(response), "id_milestones-0-weight")
    kept.refresh_from_db()
    assert kept.weight == 4


def test_an_overdue_milestone_is_marked_in_the_pledge_s_page(client, analyst, pledge):
    add(pledge, title="Late step", due_on=today() - timedelta(days=1))
    client.force_login(analyst)

    page = body(client.get(change_url(pledge)))

    assert 'value="Late step"' in page
    assert re.search(r'<td class="field-overdue">\s*<p>Overdue</p>', page)


def test_viewers_see_the_milestones_but_cannot_add_or_change_them(client, viewer, pledge):
    add(pledge, title="Visible <step>")
    client.force_login(viewer)

    page = body(client.get(change_url(pledge)))

    assert "Visible &lt;step&gt;" in page
    assert 'name="milestones-0-title"' not in page
    assert client.post(change_url(pledge), with_new_milestone(pledge)).status_code == 403
    assert Milestone.objects.count() == 1


def test_the_pledge_s_page_queries_do_not_grow_with_its_milestones(client, superuser, pledge):
    client.force_login(superuser)
    # Each by another user: the "created by" column must not cost a query per row.
    add(pledge, user=UserFactory())
    with_one = count_queries(client, change_url(pledge))
    for n in range(9):
        add(pledge, title=f"Step {n}", due_on=today() - timedelta(days=n), user=UserFactory())

    assert count_queries(client, change_url(pledge)) == with_one


def test_the_pledge_list_shows_a_pledge_overdue_by_its_milestone_in_as_many_queries(client, superuser):
    client.force_login(superuser)
    changelist = reverse("admin:tracker_commitment_changelist")
    on_time = CommitmentFactory(title="On time")
    add(on_time, due_on=today() + timedelta(days=5))
    before = count_queries(client, changelist)
    for n in range(5):
        add(CommitmentFactory(title=f"Late {n}"), due_on=today() - timedelta(days=1))

    overdue = body(client.get(changelist, {"overdue": "yes"}))

    assert count_queries(client, changelist) == before
    assert "Late 0" in overdue and "On time" not in overdue


# The milestone admin


@pytest.mark.parametrize("person", ["analyst", "superuser"])
def test_the_milestone_list_and_pages_render(client, analyst, superuser, pledge, person):
    milestone = add(pledge, title="Bill <drafted>", due_on=today() - timedelta(days=1), weight=7)
    client.force_login(analyst if person == "analyst" else superuser)

    listed = client.get(reverse("admin:tracker_milestone_changelist"))
    changed = client.get(change_url(milestone))
    added = client.get(reverse("admin:tracker_milestone_add"))
    history = client.get(reverse("admin:tracker_milestone_history", args=[milestone.pk]))

    assert (listed.status_code, changed.status_code, added.status_code, history.status_code) == (200, 200, 200, 200)
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', body(listed))
    assert headers == ["title", "pledge", "due_on", "weight", "done_on", "overdue"]
    assert "Bill &lt;drafted&gt;" in body(listed) and "Bill <drafted>" not in body(listed)
    assert 'value="Bill &lt;drafted&gt;"' in body(changed)


@pytest.mark.parametrize(
    ("state", "titles"),
    [("done", {"Done"}), ("overdue", {"Late"}), ("upcoming", {"Upcoming"}), (None, {"Done", "Late", "Upcoming"})],
)
def test_the_milestone_list_filters_by_state_and_finds_by_title(client, viewer, pledge, state, titles):
    add(pledge, title="Done", due_on=date(2025, 9, 1), done_on=date(2025, 9, 1))
    add(pledge, title="Late", due_on=today() - timedelta(days=1))
    add(pledge, title="Upcoming", due_on=today() + timedelta(days=10))
    client.force_login(viewer)

    response = client.get(reverse("admin:tracker_milestone_changelist"), {"state": state} if state else {})

    assert response.status_code == 200
    assert {row.title for row in response.context["cl"].result_list} == titles
    found = client.get(reverse("admin:tracker_milestone_changelist"), {"q": "upcom"})
    assert [row.title for row in found.context["cl"].result_list] == ["Upcoming"]


def test_the_milestone_list_s_queries_do_not_grow_with_its_rows(client, superuser, pledge):
    client.force_login(superuser)
    add(pledge)
    with_one = count_queries(client, reverse("admin:tracker_milestone_changelist"))
    for n in range(9):
        add(CommitmentFactory(), title=f"Step {n}")

    assert count_queries(client, reverse("admin:tracker_milestone_changelist")) == with_one


def test_a_milestone_added_in_its_own_admin_goes_through_the_service(client, analyst, pledge):
    client.force_login(analyst)
    data = {"commitment": pledge.pk, "title": "Tariff cut", "due_on": "2026-01-31", "weight": "2", "evidence_url": ""}

    refused = client.post(reverse("admin:tracker_milestone_add"), {**data, "due_on": "2025-08-01"})
    response = client.post(reverse("admin:tracker_milestone_add"), data)

    assert refused.status_code == 200
    assert "before the pledge was made" in field_errors(body(refused), "id_due_on")
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    assert (milestone.commitment, milestone.title, milestone.weight, milestone.created_by) == (
        pledge,
        "Tariff cut",
        2,
        analyst,
    )
    assert milestone.history.get().history_user == analyst


def test_a_milestone_is_marked_done_in_its_own_admin_and_stays_under_its_pledge(client, analyst, pledge):
    milestone = add(pledge)
    other = CommitmentFactory()
    client.force_login(analyst)
    data = {"commitment": other.pk, "title": "Bill drafted", "due_on": "2025-12-01", "weight": "1"}

    future = client.post(change_url(milestone), {**data, "done_on": (today() + timedelta(days=3)).isoformat()})
    response = client.post(change_url(milestone), {**data, "done_on": today().isoformat(), "evidence_url": EVIDENCE})

    assert future.status_code == 200
    assert "a day still to come" in field_errors(body(future), "id_done_on")
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.commitment, milestone.done_on, milestone.evidence_url) == (pledge, today(), EVIDENCE)
    assert milestone.history.first().history_user == analyst


def test_analysts_delete_a_milestone_in_its_admin_and_its_history_stays(client, analyst, pledge):
    milestone = add(pledge)
    client.force_login(analyst)

    response = client.post(reverse("admin:tracker_milestone_delete", args=[milestone.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Milestone.objects.exists()
    assert Milestone.history.get(id=milestone.pk, history_type="-").history_user == analyst


def test_viewers_cannot_add_change_or_delete_a_milestone(client, viewer, pledge):
    milestone = add(pledge)
    client.force_login(viewer)
    data = {"commitment": pledge.pk, "title": "Renamed", "due_on": "2025-12-01", "weight": "1"}

    assert client.get(change_url(milestone)).status_code == 200
    assert client.post(change_url(milestone), data).status_code == 403
    assert client.post(reverse("admin:tracker_milestone_add"), data).status_code == 403
    assert (
        client.post(reverse("admin:tracker_milestone_delete", args=[milestone.pk]), {"post": "yes"}).status_code == 403
    )
    milestone.refresh_from_db()
    assert milestone.title == "Bill drafted"


@pytest.mark.parametrize("pk", ["9" * 30, "12abc"])
def test_an_impossible_id_is_a_404_in_the_milestone_history(client, analyst, pk):
    client.force_login(analyst)

    assert client.get(f"/admin/tracker/milestone/{pk}/history/").status_code == 404
