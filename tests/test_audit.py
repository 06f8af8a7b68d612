"""Audit: every change of a pledge, relations included, with who and when, on the pledge page and in the admin."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ActorFactory, TopicFactory, ViewerFactory
from tracker import services
from tracker.models import Commitment

pytestmark = pytest.mark.django_db


def create(analyst, **extra):
    data = {"title": "Samurai Bond", "made_by": ActorFactory(name="Government of Kenya"), "made_on": date(2025, 8, 21)}
    return services.commitment_create(user=analyst, data={**data, **extra})


def test_creating_a_pledge_with_relations_writes_one_record(analyst):
    japan = ActorFactory(name="Government of Japan")
    commitment = create(analyst, counterparts=[japan], watchers=[analyst], topics=[TopicFactory(name="finance")])
    (record,) = commitment.history.all()
    assert record.history_type == "+"
    assert record.history_user == analyst
    assert [row.actor.name for row in record.counterparts.all()] == ["Government of Japan"]
    assert [row.user for row in record.watchers.all()] == [analyst]


def test_an_edit_of_fields_and_relations_is_one_record_with_both(analyst):
    commitment = create(analyst, watchers=[analyst])
    colleague = ViewerFactory(username="colleague")
    services.commitment_update(
        commitment=commitment, user=analyst, data={"title": "Samurai Bond issue", "watchers": [analyst, colleague]}
    )
    records = list(commitment.history.order_by("history_date"))
    assert [record.history_type for record in records] == ["+", "~"]
    assert records[1].title == "Samurai Bond issue"
    assert {row.user.username for row in records[1].watchers.all()} == {"analyst", "colleague"}


def test_the_pledge_page_shows_who_changed_which_relation(client, analyst):
    japan = ActorFactory(name="Government of Japan")
    commitment = create(analyst, counterparts=[japan])
    services.commitment_update(
        commitment=commitment,
        user=analyst,
        data={"counterparts": [japan, ActorFactory(name="Toyota")], "topics": [TopicFactory(name="mobility")]},
    )
    client.force_login(analyst)
    html = client.get(commitment.get_absolute_url()).text
    assert "Counterparts: Government of Japan → Government of Japan, Toyota" in html
    assert "Topics: (empty) → mobility" in html


def test_the_admin_history_lists_relation_changes(admin_client, analyst):
    commitment = create(analyst)
    services.commitment_update(commitment=commitment, user=analyst, data={"watchers": [analyst]})
    response = admin_client.get(f"/admin/tracker/commitment/{commitment.pk}/history/")
    assert response.status_code == 200
    assert response.text.count("analyst") >= 2  # who made each change


def test_the_timeline_does_not_query_per_change(client, analyst):
    commitment = create(analyst)
    client.force_login(analyst)

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(commitment.get_absolute_url()).status_code == 200
        return len(context)

    services.commitment_update(commitment=commitment, user=analyst, data={"watchers": [analyst]})
    few = queries()
    for number in range(15):
        services.commitment_update(
            commitment=commitment, user=analyst, data={"topics": [TopicFactory(name=f"topic {number}")]}
        )
    assert queries() == few
    assert Commitment.history.filter(id=commitment.pk).count() == 17
