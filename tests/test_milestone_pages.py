"""Milestones on the pledge page: the panel and its forms, the progress they suggest to the update form, and their
entries on the timeline."""

import html
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    CommitmentFactory,
    FollowUpFactory,
    MilestoneFactory,
    body,
    count_queries,
    field_errors,
    today,
)
from tracker import evidence, services, timeline, views
from tracker.models import Commitment, Contact, FollowUp, Milestone, Reply

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def milestone_rows(panel: str) -> list[str]:
    return [text(row) for row in re.findall(r'<tr id="milestone-\d+"[^>]*>(.*?)</tr>', panel, re.S)]


def timeline_entries(page: str, kind: str) -> list[str]:
    return [
        text(entry) for entry in re.findall(rf'<li class="entry-{kind}">(.*?)</li>', section(page, "timeline"), re.S)
    ]


def pledge_page(client, commitment):
    response = client.get(commitment.get_absolute_url())
    assert response.status_code == 200
    return body(response)


def days(n):
    return today() + timedelta(days=n)


@pytest.fixture
def pledge():
    return CommitmentFactory(made_on=date(2025, 8, 20), progress=10)


def form_data(prefix="milestone", **fields):
    values = {"title": "Bill passed by parliament", "due_on": "2026-03-31", "weight": "3", **fields}
    return {f"{prefix}-{name}": value for name, value in values.items()}


def change_data(milestone, **fields):
    values = {
        "title": milestone.title,
        "due_on": milestone.due_on.isoformat(),
        "weight": str(milestone.weight),
        "done_on": milestone.done_on.isoformat() if milestone.done_on else "",
        "evidence_url": milestone.evidence_url,
        **fields,
    }
    return form_data(f"milestone-{milestone.pk}", **values)


# ---------------------------------------------------------------- the panel


def test_the_panel_lists_the_milestones_in_due_order_with_their_state(analyst_client, pledge):
    MilestoneFactory(commitment=pledge, title="Upcoming step", due_on=days(20), weight=2)
    MilestoneFactory(
        commitment=pledge,
        title="Done step",
        due_on=date(2025, 10, 1),
        done_on=date(2025, 9, 28),
        evidence_url="https://example.org/law",
        weight=1,
    )
    MilestoneFactory(commitment=pledge, title="Late step", due_on=days(-3), weight=2)

    page = pledge_page(analyst_client, pledge)
    panel = section(page, "milestones")

    upcoming_due = days(20).strftime("%-d %b %Y")
    late_due = days(-3).strftime("%-d %b %Y")
    assert milestone_rows(panel) == [
        "Done step 1 Oct 2025 1 28 Sep 2025 ( evidence )",
        f"Late step Overdue {late_due} 2 Not yet",
        f"Upcoming step {upcoming_due} 2 Upcoming",
    ]
    assert re.findall(r'<tr id="milestone-\d+" class="milestone-(\w+)">', panel) == ["done", "overdue", "upcoming"]
    assert '<a href="https://example.org/law" rel="noopener noreferrer">evidence</a>' in panel
    assert panel.count("badge-overdue") == 1
    assert "1 of 5 done by weight: the milestones suggest 20% progress." in text(panel)
    # An overdue step makes the pledge overdue.
    assert '<span class="badge badge-overdue">Overdue</span>' in page.split('<div class="grid detail-layout">')[0]


def test_a_pledge_without_milestones_says_so_and_suggests_nothing(analyst_client, pledge):
    page = pledge_page(analyst_client, pledge)

    assert "No milestones" in text(section(page, "milestones"))
    assert "Milestones suggest" not in page
    assert 'id="id_progress"' in page
    assert "placeholder" not in re.search(r'<input[^>]*id="id_progress"[^>]*>', page).group(0)


def test_a_title_is_shown_as_text_everywhere(analyst_client, pledge):
    MilestoneFactory(commitment=pledge, title=XSS, due_on=days(-2))
    MilestoneFactory(commitment=pledge, title=f"Done {XSS}", due_on=days(-2), done_on=days(-1))

    page = pledge_page(analyst_client, pledge)

    assert XSS not in page
    assert html.escape(XSS) in section(page, "milestones")
    assert html.escape(XSS) in section(page, "timeline")


# ---------------------------------------------------------------- adding, changing, marking done, deleting


def test_an_analyst_adds_a_milestone(analyst_client, analyst, pledge):
    response = analyst_client.post(reverse("tracker:milestone-add", args=[pledge.pk]), form_data())

    assert response.status_code == 302
    assert response["Location"] == f"{pledge.get_absolute_url()}#milestones"
    milestone = Milestone.objects.get()
    assert (milestone.commitment, milestone.title, milestone.due_on, milestone.weight) == (
        pledge,
        "Bill passed by parliament",
        date(2026, 3, 31),
        3,
    )
    assert (milestone.done_on, milestone.evidence_url, milestone.created_by) == (None, "", analyst)
    assert milestone.history.get().history_user == analyst
    assert "Milestone “Bill passed by parliament” added." in body(analyst_client.get(response["Location"]))


def test_an_empty_weight_is_one(analyst_client, pledge):
    response = analyst_client.post(reverse("tracker:milestone-add", args=[pledge.pk]), form_data(weight=""))

    assert response.status_code == 302
    assert Milestone.objects.get().weight == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": "  "}, "title", "This field is required."),
        ({"due_on": "2025-08-01"}, "due_on", "cannot be due before the pledge was made"),
        ({"due_on": ""}, "due_on", "This field is required."),
        ({"done_on": "FUTURE"}, "done_on", "still to come"),
        ({"weight": "0"}, "weight", "from 1 to 100"),
        ({"weight": "101"}, "weight", "from 1 to 100"),
        ({"weight": "two"}, "weight", "Enter a whole number."),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url", "http"),
    ],
)
def test_a_bad_milestone_is_a_400_with_the_error_by_its_field_and_nothing_saved(
    analyst_client, pledge, fields, field, message
):
    if fields.get("done_on") == "FUTURE":
        fields = {"done_on": days(1).isoformat()}

    response = analyst_client.post(reverse("tracker:milestone-add", args=[pledge.pk]), form_data(**fields))

    assert response.status_code == 400
    assert message in html.unescape(field_errors(body(response), f"id_milestone-{field}"))
    assert not Milestone.objects.exists()
    # The form comes back open, with what was typed.
    assert '<details class="milestone-add" open>' in body(response)


def test_an_analyst_changes_a_milestone(analyst_client, analyst, pledge):
    milestone = MilestoneFactory(commitment=pledge, title="Draft bill", due_on=date(2026, 1, 31))

    response = analyst_client.post(
        reverse("tracker:milestone-change", args=[milestone.pk]),
        change_data(milestone, title="Bill tabled", due_on="2026-02-28", weight="4"),
    )

    assert response.status_code == 302
    assert response["Location"] == f"{pledge.get_absolute_url()}#milestones"
    milestone.refresh_from_db()
    assert (milestone.title, milestone.due_on, milestone.weight, milestone.done_on) == (
        "Bill tabled",
        date(2026, 2, 28),
        4,
        None,
    )
    assert milestone.history.first().history_user == analyst
    assert "Milestone “Bill tabled” saved." in body(analyst_client.get(response["Location"]))


def test_an_analyst_marks_a_milestone_done_with_its_evidence(analyst_client, analyst, pledge):
    milestone = MilestoneFactory(commitment=pledge, title="Law signed", due_on=days(-5))

    response = analyst_client.post(
        reverse("tracker:milestone-change", args=[milestone.pk]),
        change_data(milestone, done_on=days(-1).isoformat(), evidence_url="https://example.org/gazette"),
    )

    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.done_on, milestone.evidence_url) == (days(-1), "https://example.org/gazette")
    assert milestone.history.first().history_user == analyst
    page = body(analyst_client.get(response["Location"]))
    assert "Milestone “Law signed” marked done." in page
    assert re.findall(r'class="milestone-(\w+)"', section(page, "milestones"))[0] == "done"


def test_a_bad_change_is_a_400_and_changes_nothing(analyst_client, pledge):
    milestone = MilestoneFactory(commitment=pledge, title="Law signed", due_on=date(2026, 1, 31))

    response = analyst_client.post(
        reverse("tracker:milestone-change", args=[milestone.pk]),
        change_data(milestone, title="Renamed", weight="101", done_on=days(2).isoformat()),
    )

    assert response.status_code == 400
    page = body(response)
    assert "from 1 to 100" in field_errors(page, f"id_milestone-{milestone.pk}-weight")
    assert "still to come" in field_errors(page, f"id_milestone-{milestone.pk}-done_on")
    milestone.refresh_from_db()
    assert (milestone.title, milestone.weight, milestone.done_on) == ("Law signed", 1, None)
    assert "<details open>" in section(page, "milestones")
    # The typed values come back, not the stored ones.
    assert 'value="Renamed"' in section(page, "milestones")


def test_an_analyst_deletes_a_milestone(analyst_client, pledge):
    kept = MilestoneFactory(commitment=pledge)
    milestone = MilestoneFactory(commitment=pledge, title="Dropped step")

    response = analyst_client.post(reverse("tracker:milestone-delete", args=[milestone.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"{pledge.get_absolute_url()}#milestones"
    assert list(Milestone.objects.all()) == [kept]
    assert "Milestone “Dropped step” deleted." in body(analyst_client.get(response["Location"]))


def test_a_viewer_sees_the_milestones_but_may_not_change_them(viewer_client, pledge):
    milestone = MilestoneFactory(commitment=pledge, title="Law signed")

    page = pledge_page(viewer_client, pledge)
    responses = [
        viewer_client.post(reverse("tracker:milestone-add", args=[pledge.pk]), form_data()),
        viewer_client.post(reverse("tracker:milestone-change", args=[milestone.pk]), change_data(milestone)),
        viewer_client.post(reverse("tracker:milestone-delete", args=[milestone.pk])),
    ]

    panel = section(page, "milestones")
    assert "Law signed" in panel
    assert "<form" not in panel and "milestone-add" not in page and "milestones/" not in page
    assert [response.status_code for response in responses] == [403, 403, 403]
    milestone.refresh_from_db()
    assert (Milestone.objects.count(), milestone.title) == (1, "Law signed")


def test_the_milestone_routes_take_only_posts_from_people_logged_in(analyst_client, pledge):
    milestone = MilestoneFactory(commitment=pledge, title="Law signed")
    urls = [
        reverse("tracker:milestone-add", args=[pledge.pk]),
        reverse("tracker:milestone-change", args=[milestone.pk]),
        reverse("tracker:milestone-delete", args=[milestone.pk]),
    ]

    assert [analyst_client.get(url).status_code for url in urls] == [405, 405, 405]
    assert analyst_client.post(reverse("tracker:milestone-delete", args=[milestone.pk + 1000])).status_code == 404
    assert (
        analyst_client.post(reverse("tracker:milestone-add", args=[pledge.pk + 1000]), form_data()).status_code == 404
    )
    analyst_client.logout()
    for url in urls:
        response = analyst_client.post(url, form_data())
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert list(Milestone.objects.values_list("title", flat=True)) == ["Law signed"]


# ---------------------------------------------------------------- the progress they suggest


def test_the_update_form_offers_the_suggested_progress_but_keeps_the_current_one(analyst_client, pledge):
    for weight, done_on in ((1, date(2025, 9, 1)), (1, date(2025, 9, 2)), (3, None)):
        MilestoneFactory(commitment=pledge, weight=weight, done_on=done_on, due_on=days(10))

    page = pledge_page(analyst_client, pledge)
    form = re.search(r'<form[^>]*id="record-update".*?</form>', page, re.S).group(0)
    progress = re.search(r'<input[^>]*id="id_progress"[^>]*>', form).group(0)

    assert "Milestones suggest 40% (2 of 5 by weight)." in text(form)
    assert 'placeholder="40"' in progress
    assert 'value="10"' in progress
    # Next to the progress field, before the next one.
    assert form.index('id="id_progress"') < form.index("Milestones suggest") < form.index('id="id_note"')


def test_the_suggestion_changes_nothing_until_the_analyst_records_it(analyst_client, pledge):
    MilestoneFactory(commitment=pledge, done_on=date(2025, 9, 1))

    pledge_page(analyst_client, pledge)
    pledge.refresh_from_db()
    assert (pledge.progress, pledge.updates.count()) == (10, 0)

    response = analyst_client.post(
        reverse("tracker:commitment-record-update", args=[pledge.pk]),
        {"status": "in_progress", "progress": "", "expected_status": pledge.status},
    )

    assert response.status_code == 302
    pledge.refresh_from_db()
    # An empty progress keeps the current one, not the suggested 100.
    assert (pledge.status, pledge.progress) == ("in_progress", 10)


def test_a_failed_milestone_form_keeps_the_suggestion(analyst_client, pledge):
    MilestoneFactory(commitment=pledge, done_on=date(2025, 9, 1))
    MilestoneFactory(commitment=pledge)

    response = analyst_client.post(reverse("tracker:milestone-add", args=[pledge.pk]), form_data(title=""))

    assert response.status_code == 400
    page = body(response)
    assert "Milestones suggest 50% (1 of 2 by weight)." in text(page)
    assert 'placeholder="50"' in re.search(r'<input[^>]*id="id_progress"[^>]*>', page).group(0)


def test_a_viewer_sees_no_update_form_and_no_suggestion_in_it(viewer_client, pledge):
    MilestoneFactory(commitment=pledge, done_on=date(2025, 9, 1))

    page = pledge_page(viewer_client, pledge)

    assert 'id="record-update"' not in page
    assert "Milestones suggest" not in page
    assert "100% progress" in text(section(page, "milestones"))


# ---------------------------------------------------------------- the timeline


def test_the_timeline_shows_milestones_done_and_overdue(analyst_client, pledge):
    MilestoneFactory(
        commitment=pledge,
        title="Law signed",
        due_on=date(2025, 10, 1),
        done_on=date(2025, 9, 28),
        evidence_url="https://example.org/gazette",
    )
    MilestoneFactory(commitment=pledge, title="First tranche paid", due_on=days(-4))
    MilestoneFactory(commitment=pledge, title="Still to come", due_on=days(4))

    page = pledge_page(analyst_client, pledge)

    late_due = days(-4).strftime("%-d %b %Y")
    assert timeline_entries(page, "milestone_done") == [
        "Milestone done: Law signed Done on 28 Sep 2025 ; due on 1 Oct 2025 Evidence: https://example.org/gazette"
    ]
    assert timeline_entries(page, "milestone_overdue") == [
        f"Milestone overdue: First tranche paid Overdue Due on {late_due} and not done since"
    ]
    assert "Still to come" not in section(page, "timeline")
    assert '<a href="https://example.org/gazette" rel="noopener noreferrer">' in section(page, "timeline")


def test_timeline_entries_sit_at_their_day_newest_first(pledge):
    done = MilestoneFactory(commitment=pledge, due_on=date(2025, 10, 1), done_on=date(2025, 9, 28))
    late = MilestoneFactory(commitment=pledge, due_on=days(-4))

    entries = [
        entry for entry in timeline.commitment_timeline(pledge)["entries"] if entry["kind"].startswith("milestone")
    ]

    assert [(entry["kind"], entry["milestone"]) for entry in entries] == [
        ("milestone_overdue", late),
        ("milestone_done", done),
    ]
    assert [entry["at"].date() for entry in entries] == [days(-3), date(2025, 9, 28)]
    assert all(entry["at"].tzinfo is not None for entry in entries)


def test_the_timeline_takes_at_most_eleven_queries_and_ten_with_the_milestones_prefetched(analyst, pledge):
    # Every kind of row: updates, a sent follow-up, requests (one withdrawn) with a reply, an edit, milestones.
    services.progress_record(commitment=pledge, author=analyst, status="in_progress", progress=20)
    FollowUpFactory(commitment=pledge, state=FollowUp.State.SENT)
    contact = Contact.objects.create(actor=pledge.made_by, name="Trade desk", email="trade@example.org")
    asked = evidence.evidence_request_send(commitment=pledge, contact=contact, message="Any news?", user=analyst)
    withdrawn = evidence.evidence_request_send(commitment=pledge, contact=contact, message="And?", user=analyst)
    evidence.evidence_request_withdraw(request=withdrawn, user=analyst)
    Reply.objects.create(request=asked, text="The bill was tabled.")
    services.commitment_update(commitment=pledge, user=analyst, data={"title": "Renamed pledge"})
    MilestoneFactory.create_batch(3, commitment=pledge, due_on=days(-1))
    MilestoneFactory(commitment=pledge, due_on=days(-1), done_on=days(-1))

    plain = Commitment.objects.get(pk=pledge.pk)
    with CaptureQueriesContext(connection) as fresh:
        timeline.commitment_timeline(plain)
    prefetched = views.commitment_for_page().get(pk=pledge.pk)
    with CaptureQueriesContext(connection) as reused:
        entries = timeline.commitment_timeline(prefetched)["entries"]

    assert (len(fresh), len(reused)) == (11, 10)
    kinds = {entry["kind"] for entry in entries}
    assert kinds >= {"update", "followup", "request", "request_withdrawn", "reply", "change", "created"}
    assert [entry["kind"] for entry in entries].count("milestone_overdue") == 3
    assert [entry["kind"] for entry in entries].count("milestone_done") == 1


# ---------------------------------------------------------------- queries


def test_the_pledge_page_reads_its_milestones_in_a_fixed_number_of_queries(analyst_client, analyst):
    def pledge_with_milestones(count):
        commitment = CommitmentFactory()
        for n in range(count):
            MilestoneFactory(
                commitment=commitment,
                due_on=days(n - 5),
                done_on=days(-6) if n % 3 == 0 else None,
                evidence_url="https://example.org/e" if n % 3 == 0 else "",
                created_by=analyst,
            )
        return commitment

    one = count_queries(analyst_client, pledge_with_milestones(1).get_absolute_url())
    ten = pledge_with_milestones(10)
    assert ten.milestones.overdue().exists()
    with CaptureQueriesContext(connection) as queries:
        response = analyst_client.get(ten.get_absolute_url())

    assert response.status_code == 200
    assert len(queries) == one
    # The panel, the update form's suggestion, the timeline and the pledge's overdue badge share one read.
    # (The pledge's own query reads the milestones in a subquery, for its overdue badge: not a query of its own.)
    from_milestones = [query for query in queries if re.match(r'SELECT [^(]* FROM "tracker_milestone"', query["sql"])]
    assert len(from_milestones) == 1
    assert "Overdue" in body(response)
