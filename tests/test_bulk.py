"""Bulk edits from the board: the services, the confirmation page, the change, and what is refused."""

import html
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    CommitmentFactory,
    FollowUpFactory,
    TopicFactory,
    UserFactory,
    ViewerFactory,
    body,
)
from tracker import bulk
from tracker.bulk_forms import MAX_PLEDGES
from tracker.models import LATEST_DATE, Commitment, FollowUp, Status

pytestmark = pytest.mark.django_db

BULK_URL = "/commitments/bulk/"
XSS = '"><img src=x onerror=alert(1)><script>alert("x")</script>'


def post(client, pledges=(), **data):
    """A bulk-edit post; `pledges` are ticked."""
    return client.post(BULK_URL, {"ids": [pledge.pk for pledge in pledges], **data})


def hidden_inputs(page, form_id):
    """The (name, value) pairs of a form's hidden inputs, as a browser would send them."""
    form = re.search(rf'<form[^>]* id="{form_id}"[^>]*>(.*?)</form>', page, re.S).group(1)
    return [
        (name, html.unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    ]


def confirm(client, response):
    """Press "Change N pledges" on a confirmation page."""
    assert response.status_code == 200, body(response)[:3000]
    data = {}
    for name, value in hidden_inputs(body(response), "bulk-confirm"):
        data.setdefault(name, []).append(value)
    return client.post(BULK_URL, data)


def messages_of(response):
    return [str(message) for message in response.wsgi_request._messages]


def edits(pledge):
    """How many changes the pledge's history records (its creation aside)."""
    return pledge.history.filter(history_type="~").count()


def errors_of(response):
    return re.search(r'<ul class="errorlist" id="bulk-errors">(.*?)</ul>', body(response), re.S).group(1)


@pytest.fixture
def trade(db):
    return TopicFactory(name="Trade", slug="trade")


@pytest.fixture
def pledges(analyst):
    return [CommitmentFactory(title=f"Pledge {n}") for n in range(3)]


# ---------------------------------------------------------------- the services


def test_adding_a_topic_goes_through_the_update_service_and_skips_pledges_that_have_it(analyst, trade):
    finance = TopicFactory(name="Finance")
    has_it = CommitmentFactory(topics=[trade])
    lacks_it = CommitmentFactory(topics=[finance])
    records_before = has_it.history.count()

    changed = bulk.commitments_add_topic(
        commitments=Commitment.objects.filter(pk__in=[has_it.pk, lacks_it.pk]), topic=trade, user=analyst
    )

    assert changed == 1
    assert set(lacks_it.topics.all()) == {finance, trade}
    assert set(has_it.topics.all()) == {trade}
    assert has_it.history.count() == records_before
    record = lacks_it.history.first()
    assert record.history_user == analyst
    assert {topic.topic_id for topic in record.topics.all()} == {finance.pk, trade.pk}


def test_removing_a_topic_keeps_the_others(analyst, trade):
    finance = TopicFactory(name="Finance")
    both = CommitmentFactory(topics=[trade, finance])
    neither = CommitmentFactory()

    changed = bulk.commitments_remove_topic(commitments=[both, neither], topic=trade, user=analyst)

    assert changed == 1
    assert list(both.topics.all()) == [finance]
    assert both.history.first().history_user == analyst
    assert not edits(neither)


def test_adding_a_watcher_keeps_the_others_and_skips_pledges_they_watch(analyst):
    watcher, other = ViewerFactory(), ViewerFactory()
    watched = CommitmentFactory(watchers=[watcher])
    unwatched = CommitmentFactory(watchers=[other])

    changed = bulk.commitments_add_watcher(commitments=[watched, unwatched], watcher=watcher, user=analyst)

    assert changed == 1
    assert set(unwatched.watchers.all()) == {watcher, other}
    assert set(watched.watchers.all()) == {watcher}
    assert unwatched.history.first().history_user == analyst


def test_a_watcher_who_cannot_view_pledges_is_refused_and_nothing_changes(analyst):
    outsider = UserFactory(username="outsider")
    already = CommitmentFactory(watchers=[outsider])  # kept: commitment_update lets existing watchers be
    pledge = CommitmentFactory()

    with pytest.raises(ValidationError) as refused:
        bulk.commitments_add_watcher(commitments=[already, pledge], watcher=outsider, user=analyst)

    assert "outsider cannot view pledges" in str(refused.value)
    assert not pledge.watchers.exists()


def test_a_pledge_that_fails_midway_undoes_the_ones_before_it(analyst, trade):
    first = CommitmentFactory()
    # A row the update service refuses to save (as an import might have left it): a pledge needs a title.
    broken = CommitmentFactory()
    Commitment.objects.filter(pk=broken.pk).update(title="")

    with pytest.raises(ValidationError):
        bulk.commitments_bulk_change(
            commitments=Commitment.objects.filter(pk__in=[first.pk, broken.pk]),
            action=bulk.BulkAction.ADD_TOPIC,
            value=trade,
            user=analyst,
        )

    assert not first.topics.exists()
    assert not edits(first)


def test_a_new_owner_cancels_the_old_owners_pending_reminder(analyst):
    pledge = CommitmentFactory()
    reminder = FollowUpFactory(commitment=pledge)
    new_owner = ViewerFactory()

    changed = bulk.commitments_bulk_change(
        commitments=Commitment.objects.all(), action=bulk.BulkAction.ASSIGN_OWNER, value=new_owner, user=analyst
    )

    assert changed == 1
    reminder.refresh_from_db()
    assert reminder.state == FollowUp.State.CANCELLED


# ---------------------------------------------------------------- the confirmation, then the change


def test_the_confirmation_says_how_many_change_and_nothing_changes_before_confirming(analyst_client, pledges):
    new_owner = ViewerFactory(first_name="Wanjiru", last_name="Kamau")
    Commitment.objects.filter(pk=pledges[0].pk).update(owner=new_owner)

    response = post(analyst_client, pledges, action="assign_owner", owner=new_owner.pk)

    page = body(response)
    assert response.status_code == 200
    assert "This changes 2 pledges" in page
    assert "Assign Wanjiru Kamau as the owner." in page
    assert "Left unchanged: 1 of the 3 chosen pledges, already with this owner." in page
    assert "<li>Pledge 1</li>" in page and "<li>Pledge 2</li>" in page
    assert "<li>Pledge 0</li>" not in page
    assert Commitment.objects.filter(owner=new_owner).count() == 1
    assert not Commitment.history.filter(history_type="~").exists()


def test_confirming_assigns_the_owner_with_a_history_record_and_returns_to_the_filtered_board(
    analyst_client, analyst, pledges
):
    new_owner = ViewerFactory(username="wanjiru")
    filters = urlencode({"q": "Pledge", "status": "announced", "page": "1"})

    done = confirm(
        analyst_client, post(analyst_client, pledges, action="assign_owner", owner=new_owner.pk, filters=filters)
    )

    assert done.status_code == 302
    assert done["Location"] == f"{reverse('tracker:board')}?{filters}"
    assert messages_of(done) == ["wanjiru now owns 3 more pledges."]
    for pledge in pledges:
        pledge.refresh_from_db()
        assert pledge.owner == new_owner
        record = pledge.history.first()
        assert record.history_type == "~"
        assert record.history_user == analyst
        assert record.owner_id == new_owner.pk


def test_adding_and_removing_a_topic_from_the_board(analyst_client, analyst, pledges, trade):
    pledges[0].topics.add(trade)

    preview = post(analyst_client, pledges, action="add_topic", topic=trade.pk)
    assert "This changes 2 pledges" in body(preview)
    added = confirm(analyst_client, preview)

    assert messages_of(added) == ["Topic “Trade” added to 2 pledges."]
    assert all(list(pledge.topics.all()) == [trade] for pledge in pledges)
    assert pledges[1].history.first().history_user == analyst

    removed = confirm(analyst_client, post(analyst_client, pledges[:2], action="remove_topic", topic=trade.pk))

    assert messages_of(removed) == ["Topic “Trade” removed from 2 pledges."]
    assert [pledge.topics.exists() for pledge in pledges] == [False, False, True]


def test_adding_a_watcher_from_the_board(analyst_client, analyst, pledges):
    watcher = ViewerFactory(username="mwangi")
    others = ViewerFactory()
    pledges[1].watchers.add(others)

    done = confirm(analyst_client, post(analyst_client, pledges, action="add_watcher", watcher=watcher.pk))

    assert messages_of(done) == ["mwangi now watches 3 more pledges."]
    assert all(watcher in pledge.watchers.all() for pledge in pledges)
    assert set(pledges[1].watchers.all()) == {watcher, others}


def test_postponing_moves_open_pledges_and_leaves_closed_ones(analyst_client, analyst, pledges):
    closed = CommitmentFactory(title="Closed", status=Status.FULFILLED, progress=100, next_check_on=None)
    before = {pledge.pk: pledge.next_check_on for pledge in pledges}

    preview = post(analyst_client, [*pledges, closed], action="postpone", days="14")

    page = body(preview)
    assert "This changes 3 pledges" in page
    assert "Postpone the next check by 14 days." in page
    assert "closed, with no next check" in page
    done = confirm(analyst_client, preview)
    assert messages_of(done) == ["Next check postponed by 14 days on 3 pledges."]
    for pledge in pledges:
        pledge.refresh_from_db()
        assert pledge.next_check_on == before[pledge.pk] + timedelta(days=14)
        assert pledge.history.first().history_user == analyst
    closed.refresh_from_db()
    assert closed.next_check_on is None
    assert not edits(closed)


def test_a_change_that_changes_nothing_offers_no_button(analyst_client, pledges):
    owner = pledges[0].owner

    response = post(analyst_client, pledges[:1], action="assign_owner", owner=owner.pk)

    page = body(response)
    assert response.status_code == 200
    assert "This changes no pledge" in page
    assert 'id="bulk-confirm"' not in page


def test_all_matching_the_filter_changes_exactly_the_filtered_pledges(analyst_client, trade):
    finance = TopicFactory(name="Finance")
    matching = [CommitmentFactory(title=f"Tea review {n}", topics=[trade]) for n in range(3)]
    closed = CommitmentFactory(title="Tea review closed", topics=[trade], status=Status.BROKEN, next_check_on=None)
    other_topic = CommitmentFactory(title="Tea bond", topics=[finance])
    other_words = CommitmentFactory(title="Avocados", topics=[trade])
    filters = urlencode({"topic": trade.pk, "q": "tea", "status": ["announced", "broken"]}, doseq=True)

    # The ticked pledge is not in the filtered set: "all matching" is the filter's set alone.
    preview = post(analyst_client, [other_words], all="1", filters=filters, action="add_topic", topic=finance.pk)

    assert "This changes 4 pledges" in body(preview)
    done = confirm(analyst_client, preview)
    assert done["Location"] == f"{reverse('tracker:board')}?{filters}"
    changed = set(Commitment.objects.filter(topics=finance).exclude(pk=other_topic.pk))
    assert changed == {*matching, closed}
    assert not other_words.topics.filter(pk=finance.pk).exists()


def test_all_on_this_page_adds_the_pages_pledges_to_the_ticked_ones(analyst_client, pledges, trade):
    elsewhere = CommitmentFactory(title="On another page")

    preview = analyst_client.post(
        BULK_URL,
        {
            "ids": [elsewhere.pk],
            "page_ids": [pledge.pk for pledge in pledges[:2]],
            "all_on_page": "1",
            "action": "add_topic",
            "topic": trade.pk,
        },
    )

    assert "This changes 3 pledges" in body(preview)
    confirm(analyst_client, preview)
    assert set(trade.commitments.all()) == {elsewhere, *pledges[:2]}


def test_the_page_ids_alone_choose_nothing(analyst_client, pledges, trade):
    response = analyst_client.post(
        BULK_URL, {"page_ids": [pledge.pk for pledge in pledges], "action": "add_topic", "topic": trade.pk}
    )

    assert response.status_code == 400
    assert "Tick at least one pledge" in errors_of(response)


def test_the_confirmation_names_twenty_pledges_and_counts_the_rest(analyst_client, trade):
    chosen = [CommitmentFactory(title=f"Pledge {n:02}") for n in range(25)]

    page = body(post(analyst_client, chosen, action="add_topic", topic=trade.pk))

    assert "This changes 25 pledges" in page
    assert page.count("<li>Pledge ") == 20
    assert "and 5 more." in page


def test_titles_and_filters_are_escaped_on_the_confirmation(analyst_client, trade):
    pledge = CommitmentFactory(title=XSS)

    page = body(post(analyst_client, [pledge], action="add_topic", topic=trade.pk, filters=f"q={XSS}"))

    assert "<script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page


# ---------------------------------------------------------------- all or none


def test_a_watcher_who_cannot_view_pledges_is_a_400_and_nothing_changes(analyst_client, pledges):
    outsider = UserFactory(username="outsider")

    response = post(analyst_client, pledges, action="add_watcher", watcher=outsider.pk, confirm="1")

    assert response.status_code == 400
    assert "outsider cannot view pledges, so cannot watch one" in errors_of(response)
    assert not Commitment.watchers.through.objects.filter(user=outsider).exists()
    assert not Commitment.history.filter(history_type="~").exists()


def test_an_owner_who_cannot_view_pledges_is_refused_before_the_confirmation(analyst_client, pledges):
    outsider = UserFactory(username="outsider")

    response = post(analyst_client, pledges, action="assign_owner", owner=outsider.pk)

    assert response.status_code == 400
    assert "outsider cannot view pledges, so cannot own one" in errors_of(response)
    assert not Commitment.objects.filter(owner=outsider).exists()


def test_a_refusal_by_the_last_pledge_undoes_the_ones_before_it(analyst_client, pledges):
    # Sorted last by id: postponed by 30 days it would pass the last date the tracker keeps.
    late = CommitmentFactory(title="Far future", next_check_on=LATEST_DATE - timedelta(days=10))
    before = {pledge.pk: pledge.next_check_on for pledge in [*pledges, late]}

    preview = post(analyst_client, [*pledges, late], action="postpone", days="30")
    refused = confirm(analyst_client, preview)

    assert refused.status_code == 400
    assert "“Far future” would be checked after" in errors_of(refused)
    assert 'id="bulk-days"' in body(refused)  # the days can be corrected on the page
    assert {pledge.pk: pledge.next_check_on for pledge in Commitment.objects.all()} == before
    assert not Commitment.history.filter(history_type="~").exists()


# ---------------------------------------------------------------- who may


def test_viewers_are_refused(viewer_client, pledges, trade):
    response = post(viewer_client, pledges, action="add_topic", topic=trade.pk, confirm="1")

    assert response.status_code == 403
    assert not trade.commitments.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client, pledges, trade):
    response = post(client, pledges, action="add_topic", topic=trade.pk, confirm="1")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={BULK_URL}"
    assert not trade.commitments.exists()


def test_the_change_is_a_post(analyst_client):
    assert analyst_client.get(BULK_URL).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(analyst, pledges, trade):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(analyst)

    response = post(browser, pledges, action="add_topic", topic=trade.pk, confirm="1")

    assert response.status_code == 403
    assert not trade.commitments.exists()


# ---------------------------------------------------------------- bad input


def listed(data):
    return {key: value if isinstance(value, list) else [value] for key, value in data.items()}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "add_topic", "topic": "TOPIC"}, "Tick at least one pledge"),
        ({"ids": "PLEDGE", "action": "postpone", "days": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"ids": "PLEDGE", "action": "postpone", "days": "366"}, "less than or equal to 365"),
        ({"ids": "PLEDGE", "action": "postpone", "days": "1e9999"}, "Enter a whole number."),
        ({"ids": "PLEDGE", "action": "postpone"}, "Enter the number of days"),
        ({"ids": "PLEDGE", "action": "assign_owner", "owner": "999999"}, "No active user of the tracker"),
        ({"ids": "PLEDGE", "action": "add_watcher", "watcher": "9" * 30}, "No active user of the tracker"),
        ({"ids": "PLEDGE", "action": "add_watcher", "watcher": "abc"}, "No active user of the tracker"),
        ({"ids": "PLEDGE", "action": "add_topic", "topic": "-1"}, "There is no topic with this number."),
        ({"ids": "PLEDGE", "action": "set_status", "topic": "TOPIC"}, "Select a valid choice."),
        ({"ids": "PLEDGE", "topic": "TOPIC"}, "Choose the change to make."),
        ({"ids": ["PLEDGE", "abc"], "action": "add_topic", "topic": "TOPIC"}, "“abc” is not a pledge&#x27;s number."),
        ({"ids": ["PLEDGE", "-3"], "action": "add_topic", "topic": "TOPIC"}, "“-3” is not a pledge&#x27;s number."),
        ({"ids": "9" * 25, "action": "add_topic", "topic": "TOPIC"}, "is not a pledge&#x27;s number."),
        ({"ids": ["PLEDGE", "987654"], "action": "add_topic", "topic": "TOPIC"}, "1 pledge of those chosen no longer"),
        ({"all": "1", "filters": "status=nope", "action": "add_topic", "topic": "TOPIC"}, "filters could not be read"),
        ({"all": "1", "filters": "q=no+such+words", "action": "add_topic", "topic": "TOPIC"}, "No pledge matches"),
        ({"all": "1", "filters": "a=1&" * 1001, "action": "add_topic", "topic": "TOPIC"}, "Ensure this value has at"),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_changes_nothing(analyst_client, data, message):
    pledge = CommitmentFactory()
    topic = TopicFactory()
    placeholders = {"PLEDGE": str(pledge.pk), "TOPIC": str(topic.pk)}
    data = {key: [placeholders.get(item, item) for item in value] for key, value in listed(data).items()}

    response = analyst_client.post(BULK_URL, {**data, "confirm": "1"})

    assert response.status_code == 400
    assert message in errors_of(response)
    assert "No pledge has changed" in body(response)
    assert not Commitment.history.filter(history_type="~").exists()
    assert not topic.commitments.exists()


def test_too_many_pledges_at_once_are_refused_before_any_is_read(analyst_client, settings, trade):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = None
    pledge = CommitmentFactory()

    with CaptureQueriesContext(connection) as queries:
        response = analyst_client.post(
            BULK_URL, {"ids": [pledge.pk] * (MAX_PLEDGES + 1), "action": "add_topic", "topic": trade.pk}
        )

    assert response.status_code == 400
    assert "Change at most 10,000 pledges at once." in errors_of(response)
    assert not any("tracker_commitment" in query["sql"] for query in queries.captured_queries)


def test_too_many_pledges_matching_the_filter_are_refused(analyst_client, monkeypatch, pledges, trade):
    monkeypatch.setattr("tracker.bulk_forms.MAX_PLEDGES", 2)

    response = analyst_client.post(BULK_URL, {"all": "1", "action": "add_topic", "topic": trade.pk, "confirm": "1"})

    assert response.status_code == 400
    assert "These are 3 pledges; change at most 2 at once." in errors_of(response)
    assert not trade.commitments.exists()


def test_a_wrong_argument_can_be_corrected_on_the_error_page(analyst_client, pledges):
    refused = post(analyst_client, pledges, action="postpone", days="999")

    assert refused.status_code == 400
    sent = dict.fromkeys(name for name, _ in hidden_inputs(body(refused), "bulk-correct"))
    assert "confirm" not in sent
    corrected = analyst_client.post(
        BULK_URL, {"ids": [pledge.pk for pledge in pledges], "action": "postpone", "days": "7"}
    )
    assert "This changes 3 pledges" in body(corrected)


# ---------------------------------------------------------------- query counts


def count_queries(client, data):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(BULK_URL, data)
    assert response.status_code == 200, body(response)[:2000]
    return len(queries)


@pytest.mark.parametrize("mode", ["ticked", "all matching"])
def test_the_confirmation_queries_do_not_grow_with_pledges(analyst_client, trade, mode):
    owner = ViewerFactory()

    def data():
        chosen = {"ids": list(Commitment.objects.values_list("pk", flat=True))}
        if mode == "all matching":
            chosen = {"all": "1", "filters": "status=announced"}
        return {**chosen, "action": "assign_owner", "owner": owner.pk}

    CommitmentFactory.create_batch(3)
    small = count_queries(analyst_client, data())
    CommitmentFactory.create_batch(40)
    large = count_queries(analyst_client, data())

    assert small == large
    # Session and user (2), the permission (2), the owner (1), the chosen
    # count (1), whether the owner may view pledges (1), the count and the
    # titles of those that change (2); the filter's choices (1) for all matching.
    assert large <= 10


# ---------------------------------------------------------------- the board


def test_the_board_offers_analysts_a_tick_box_per_pledge_and_the_change_form(analyst_client, pledges, trade):
    filters = {"q": "Pledge", "topic": "", "page": "1"}

    page = body(analyst_client.get(reverse("tracker:board"), filters))

    assert f'<form method="post" action="{BULK_URL}" id="bulk">' in page
    for pledge in pledges:
        assert (
            f'<input type="checkbox" name="ids" value="{pledge.pk}" id="bulk-pick-{pledge.pk}" form="bulk">'
            f'<label for="bulk-pick-{pledge.pk}" class="visually-hidden">Tick “{pledge.title}” to change it</label>'
        ) in page
        assert f'<input type="hidden" name="page_ids" value="{pledge.pk}">' in page
    assert '<label for="bulk-all_on_page">All 3 on this page</label>' in page
    assert '<label for="bulk-all">All 3 matching this filter</label>' in page
    assert f'<input type="hidden" name="filters" value="{html.escape(urlencode(filters))}"' in page
    assert '<option value="assign_owner">Assign an owner</option>' in page
    assert f'<option value="{trade.pk}">Trade</option>' in page
    assert f'<option value="{pledges[0].owner.pk}">' in page


def test_the_boards_form_works_without_script(analyst, pledges, trade):
    """Tick, choose, review, confirm: plain form posts with the board's own CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(analyst)
    board = body(browser.get(reverse("tracker:board"), {"q": "Pledge"}))
    form = re.search(r'<form method="post" action="/commitments/bulk/" id="bulk">(.*?)</form>', board, re.S).group(1)
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        data.setdefault(name, []).append(html.unescape(value))
    data.update(ids=[pledges[0].pk, pledges[2].pk], action="add_topic", topic=trade.pk)

    preview = browser.post(BULK_URL, data)
    done = confirm(browser, preview)

    assert "This changes 2 pledges" in body(preview)
    assert done["Location"] == f"{reverse('tracker:board')}?q=Pledge"
    assert set(trade.commitments.all()) == {pledges[0], pledges[2]}


def test_viewers_see_no_tick_boxes(viewer_client, pledges):
    page = body(viewer_client.get(reverse("tracker:board")))

    assert 'name="ids"' not in page
    assert BULK_URL not in page


def test_a_status_change_is_not_offered(analyst_client, pledges):
    page = body(analyst_client.get(reverse("tracker:board")))
    actions = re.search(r'<select name="action".*?</select>', page, re.S).group(0)

    assert re.findall(r'<option value="(\w*)"', actions) == [
        "",
        "assign_owner",
        "add_topic",
        "remove_topic",
        "add_watcher",
        "postpone",
        "publish",
        "unpublish",
    ]
