"""The API of money and continuity: money lines, a pledge's money and renewals, the filters, the board's
totals, and earlier pledges that read alike."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ActorFactory, CommitmentFactory, EventFactory, UserFactory, api_client_for, today
from tracker import money
from tracker.models import Commitment, MoneyLine, Status

pytestmark = pytest.mark.django_db

HUGE_ID = "9" * 30


def line(commitment, kind, amount, currency, on=date(2025, 9, 1)):
    return money.money_line_add(
        commitment=commitment, data={"kind": kind, "amount": amount, "currency": currency, "on": on}
    )


def line_payload(**overrides):
    return {"kind": "disbursed", "amount": "1000000.50", "currency": "USD", "on": "2025-10-01", **overrides}


@pytest.fixture
def pledge():
    return CommitmentFactory(made_on=date(2025, 8, 20), pledged_amount=Decimal("1000"), pledged_currency="USD")


def lines_url(commitment):
    return f"/api/v1/commitments/{commitment.pk}/money-lines/"


# Money lines: permissions


@pytest.fixture
def people(roles, analyst, viewer):
    return {"anonymous": None, "no group": UserFactory(username="nobody"), "viewer": viewer, "analyst": analyst}


def call(client, action, pledge, existing):
    detail = f"/api/v1/money-lines/{existing.pk}/"
    if action == "list":
        return client.get(lines_url(pledge))
    if action == "retrieve":
        return client.get(detail)
    if action == "create":
        return client.post(lines_url(pledge), line_payload(), format="json")
    if action == "update":
        return client.patch(detail, {"amount": "5"}, format="json")
    return client.delete(detail)


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", {"list": 401, "retrieve": 401, "create": 401, "update": 401, "delete": 401}),
        ("no group", {"list": 403, "retrieve": 403, "create": 403, "update": 403, "delete": 403}),
        ("viewer", {"list": 200, "retrieve": 200, "create": 403, "update": 403, "delete": 403}),
        # Deleting a line corrects an entry: the change permission, which Analysts have.
        ("analyst", {"list": 200, "retrieve": 200, "create": 201, "update": 200, "delete": 204}),
    ],
)
@pytest.mark.parametrize("action", ["list", "retrieve", "create", "update", "delete"])
def test_money_line_permissions_per_role(people, pledge, person, expected, action):
    existing = line(pledge, "committed", "100", "USD")

    response = call(api_client_for(people[person]), action, pledge, existing)

    assert response.status_code == expected[action]
    lines = MoneyLine.objects.all()
    if response.status_code >= 400:
        assert [(row.pk, row.amount) for row in lines] == [(existing.pk, Decimal("100"))]


# Money lines: writes


def test_an_analyst_records_a_line_in_capitals_with_who_entered_it(analyst, pledge):
    response = api_client_for(analyst).post(
        lines_url(pledge), line_payload(currency="usd", source_url="https://example.org/pay"), format="json"
    )

    assert response.status_code == 201
    saved = MoneyLine.objects.get()
    assert (saved.commitment, saved.kind, saved.amount, saved.currency, saved.on, saved.created_by) == (
        pledge,
        "disbursed",
        Decimal("1000000.50"),
        "USD",
        date(2025, 10, 1),
        analyst,
    )
    assert response.json() == {
        "id": saved.pk,
        "commitment": pledge.pk,
        "kind": "disbursed",
        "amount": "1000000.50",
        "currency": "USD",
        "on": "2025-10-01",
        "source_url": "https://example.org/pay",
        "note": "",
        "created_by": {"id": analyst.pk, "username": "analyst"},
        "created_at": response.json()["created_at"],
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "DOLLARS"}, "currency"),
        ({"kind": "pledged"}, "kind"),
        ({"on": (today() + timedelta(days=2)).isoformat()}, "on"),
        ({"on": "2025-08-19"}, "on"),
        ({"on": "soon"}, "on"),
        ({"source_url": "javascript:alert(1)"}, "source_url"),
    ],
)
def test_a_bad_line_is_a_400_naming_its_field_and_nothing_is_saved(analyst, pledge, change, field):
    response = api_client_for(analyst).post(lines_url(pledge), line_payload(**change), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not MoneyLine.objects.exists()


def test_a_line_is_corrected_and_deleted_through_the_service_with_its_history(analyst, pledge):
    existing = line(pledge, "committed", "100", "USD")
    client = api_client_for(analyst)

    refused = client.patch(f"/api/v1/money-lines/{existing.pk}/", {"amount": "0"}, format="json")
    changed = client.patch(f"/api/v1/money-lines/{existing.pk}/", {"amount": "250", "currency": "eur"}, format="json")

    assert refused.status_code == 400 and "amount" in refused.json()
    assert changed.status_code == 200
    existing.refresh_from_db()
    assert (existing.amount, existing.currency, changed.json()["amount"]) == (Decimal("250"), "EUR", "250.00")
    assert existing.history.first().history_user == analyst

    assert client.delete(f"/api/v1/money-lines/{existing.pk}/").status_code == 204
    assert not MoneyLine.objects.exists()
    assert MoneyLine.history.filter(id=existing.pk, history_type="-").get().history_user == analyst


def test_a_pledge_s_lines_are_listed_oldest_first(viewer, pledge):
    later = line(pledge, "disbursed", "10", "USD", on=date(2025, 12, 1))
    earlier = line(pledge, "committed", "20", "USD", on=date(2025, 9, 1))
    line(CommitmentFactory(), "committed", "30", "USD")  # another pledge's

    body = api_client_for(viewer).get(lines_url(pledge)).json()

    assert [row["id"] for row in body["results"]] == [earlier.pk, later.pk]


@pytest.mark.parametrize("pk", [HUGE_ID, "12abc", "404404"])
def test_an_unknown_or_impossible_id_is_a_404(analyst, pk):
    client = api_client_for(analyst)

    assert client.get(f"/api/v1/commitments/{pk}/money-lines/").status_code == 404
    assert client.post(f"/api/v1/commitments/{pk}/money-lines/", line_payload(), format="json").status_code == 404
    assert client.get(f"/api/v1/money-lines/{pk}/").status_code == 404
    assert client.patch(f"/api/v1/money-lines/{pk}/", {"amount": "1"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/money-lines/{pk}/").status_code == 404


# A pledge's money and renewals


def test_a_pledge_shows_its_money_per_currency_never_summed_across_currencies(viewer, pledge):
    line(pledge, "committed", "600", "USD")
    line(pledge, "disbursed", "1200", "USD")
    line(pledge, "disbursed", "50000", "JPY")
    client = api_client_for(viewer)

    detail = client.get(f"/api/v1/commitments/{pledge.pk}/").json()
    listed = client.get("/api/v1/commitments/").json()["results"][0]

    expected = [
        {"currency": "JPY", "pledged": "0.00", "committed": "0.00", "disbursed": "50000.00", "over_pledged": False},
        # More disbursed than pledged: allowed, and flagged.
        {"currency": "USD", "pledged": "1000.00", "committed": "600.00", "disbursed": "1200.00", "over_pledged": True},
    ]
    assert detail["money"] == expected
    # The list leaves the lines to each pledge's own address: a query fewer per page.
    assert "money" not in listed
    assert (listed["pledged_amount"], listed["pledged_currency"]) == ("1000.00", "USD")
    assert (detail["pledged_amount"], detail["pledged_currency"]) == ("1000.00", "USD")


def test_a_pledge_without_money_has_none(viewer):
    plain = CommitmentFactory()

    body = api_client_for(viewer).get(f"/api/v1/commitments/{plain.pk}/").json()

    assert (body["pledged_amount"], body["pledged_currency"], body["money"]) == (None, "", [])


def new_pledge(**overrides):
    return {"title": "Fund vehicle assembly", "made_by": ActorFactory().pk, "made_on": "2025-08-21", **overrides}


def test_a_pledged_amount_is_written_with_its_currency_in_any_case(analyst):
    response = api_client_for(analyst).post(
        "/api/v1/commitments/", new_pledge(pledged_amount="25000000000", pledged_currency="jpy"), format="json"
    )

    assert response.status_code == 201
    created = Commitment.objects.get()
    assert (created.pledged_amount, created.pledged_currency) == (Decimal("25000000000"), "JPY")
    assert response.json()["pledged_amount"] == "25000000000.00"


@pytest.mark.parametrize(
    ("money_fields", "field"),
    [
        ({"pledged_amount": "0", "pledged_currency": "USD"}, "pledged_amount"),
        ({"pledged_amount": "-1", "pledged_currency": "USD"}, "pledged_amount"),
        ({"pledged_amount": "ten", "pledged_currency": "USD"}, "pledged_amount"),
        ({"pledged_amount": "100", "pledged_currency": "XYZ"}, "pledged_currency"),
        ({"pledged_amount": "100"}, "pledged_currency"),
        ({"pledged_amount": "100", "pledged_currency": None}, "pledged_currency"),
        ({"pledged_currency": "USD"}, "pledged_amount"),
    ],
)
def test_a_bad_pledged_amount_is_a_400_naming_its_field(analyst, money_fields, field):
    response = api_client_for(analyst).post("/api/v1/commitments/", new_pledge(**money_fields), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Commitment.objects.exists()


def test_the_pledged_amount_is_cleared_with_its_currency(analyst, pledge):
    response = api_client_for(analyst).patch(
        f"/api/v1/commitments/{pledge.pk}/", {"pledged_amount": None, "pledged_currency": None}, format="json"
    )

    assert response.status_code == 200
    pledge.refresh_from_db()
    assert (pledge.pledged_amount, pledge.pledged_currency) == (None, "")


def test_renews_is_written_as_an_id_and_read_both_ways(analyst):
    japan = ActorFactory()
    tunis = CommitmentFactory(made_by=japan, title="TICAD 8 investment", made_on=date(2022, 8, 27))
    client = api_client_for(analyst)

    response = client.post("/api/v1/commitments/", new_pledge(made_by=japan.pk, renews=tunis.pk), format="json")

    assert response.status_code == 201
    assert response.json()["renews"] == {"id": tunis.pk, "title": "TICAD 8 investment"}
    created = Commitment.objects.get(title="Fund vehicle assembly")
    assert created.renews == tunis
    assert client.get(f"/api/v1/commitments/{tunis.pk}/").json()["renewed_by"] == [created.pk]


def test_renewing_a_later_pledge_is_a_400_naming_renews(analyst):
    later = CommitmentFactory(made_on=date(2025, 9, 1))
    pledge = CommitmentFactory(made_on=date(2025, 8, 20))

    response = api_client_for(analyst).patch(f"/api/v1/commitments/{pledge.pk}/", {"renews": later.pk}, format="json")

    assert response.status_code == 400
    assert "made after this pledge" in response.json()["renews"][0]
    pledge.refresh_from_db()
    assert pledge.renews is None


# Filters


@pytest.fixture
def assorted():
    tunis = CommitmentFactory(title="tunis", made_on=date(2022, 8, 27), status=Status.FULFILLED)
    renewing = CommitmentFactory(title="renewing", renews=tunis)
    pledged = CommitmentFactory(title="pledged", pledged_amount=Decimal("5"), pledged_currency="EUR")
    with_line = CommitmentFactory(title="with line", made_on=date(2025, 8, 20))
    line(with_line, "disbursed", "7", "KES")
    line(with_line, "committed", "9", "KES")
    CommitmentFactory(title="plain")
    return {"tunis": tunis, "renewing": renewing, "pledged": pledged, "with line": with_line}


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("has_money=true", {"pledged", "with line"}),
        ("has_money=false", {"tunis", "renewing", "plain"}),
        ("renewing=true", {"renewing"}),
        ("renewing=false", {"tunis", "pledged", "with line", "plain"}),
        ("renewed=true", {"tunis"}),
        ("renewed=false", {"renewing", "pledged", "with line", "plain"}),
        ("has_money=true&renewing=true", set()),
    ],
)
def test_the_list_filters_money_and_renewals(viewer, assorted, query, titles):
    body = api_client_for(viewer).get(f"/api/v1/commitments/?{query}").json()

    assert {row["title"] for row in body["results"]} == titles
    assert body["count"] == len(titles)  # no row twice for its two lines


@pytest.mark.parametrize("name", ["has_money", "renewing", "renewed"])
def test_a_bad_filter_value_is_a_400_naming_it(viewer, name):
    response = api_client_for(viewer).get(f"/api/v1/commitments/?{name}=perhaps")

    assert response.status_code == 400
    assert list(response.json()) == [name]


# The board


def test_the_board_totals_money_per_actor_and_event_per_currency(viewer):
    japan, kenya = ActorFactory(name="Japan"), ActorFactory(name="Kenya")
    ticad = EventFactory(name="TICAD 9")
    dollars = CommitmentFactory(made_by=japan, event=ticad, pledged_amount=Decimal("100"), pledged_currency="USD")
    CommitmentFactory(made_by=japan, event=None, pledged_amount=Decimal("50"), pledged_currency="USD")
    yen = CommitmentFactory(made_by=japan, event=ticad, pledged_amount=Decimal("1000"), pledged_currency="JPY")
    shillings = CommitmentFactory(made_by=kenya, event=ticad)
    line(dollars, "disbursed", "130", "USD")
    line(yen, "committed", "600", "JPY")
    line(shillings, "disbursed", "12500000000", "KES")

    body = api_client_for(viewer).get("/api/v1/board/").json()

    def money(currency, pledged, committed, disbursed, pledges, over=False):
        return {
            "currency": currency,
            "pledged": pledged,
            "committed": committed,
            "disbursed": disbursed,
            "over_pledged": over,
            "pledges": pledges,
        }

    assert body["money_by_actor"] == [
        {
            "id": japan.pk,
            "name": "Japan",
            "money": [money("JPY", "1000.00", "600.00", "0.00", 1), money("USD", "150.00", "0.00", "130.00", 2)],
        },
        {"id": kenya.pk, "name": "Kenya", "money": [money("KES", "0.00", "0.00", "12500000000.00", 0)]},
    ]
    # The pledge of no event is in its maker's totals, not in an event's.
    assert body["money_by_event"] == [
        {
            "id": ticad.pk,
            "name": "TICAD 9",
            "money": [
                money("JPY", "1000.00", "600.00", "0.00", 1),
                money("KES", "0.00", "0.00", "12500000000.00", 0),
                money("USD", "100.00", "0.00", "130.00", 1, over=True),
            ],
        }
    ]


def test_the_board_s_money_takes_the_list_filters(viewer):
    CommitmentFactory(made_by=ActorFactory(country="KE"), pledged_amount=Decimal("5"), pledged_currency="KES")
    CommitmentFactory(made_by=ActorFactory(country="JP"), pledged_amount=Decimal("7"), pledged_currency="JPY")

    body = api_client_for(viewer).get("/api/v1/board/?country=KE&has_money=true").json()

    assert [[m["currency"] for m in row["money"]] for row in body["money_by_actor"]] == [["KES"]]
    assert body["total"] == 1


def test_the_board_shows_what_became_of_the_previous_event_s_pledges(viewer):
    tunis, yokohama = EventFactory(name="TICAD 8"), EventFactory(name="TICAD 9")
    renewed = CommitmentFactory(event=tunis, made_on=date(2022, 8, 27))
    CommitmentFactory(event=tunis, made_on=date(2022, 8, 27), status=Status.FULFILLED)
    CommitmentFactory(event=tunis, made_on=date(2022, 8, 27))
    CommitmentFactory(event=yokohama, renews=renewed)

    for query in ("", "?event=" + str(yokohama.pk)):
        body = api_client_for(viewer).get(f"/api/v1/board/{query}").json()

        assert body["renewals_by_event"] == [
            {
                "event": {"id": yokohama.pk, "name": "TICAD 9"},
                "previous_event": {"id": tunis.pk, "name": "TICAD 8"},
                "previous_pledges": 3,
                "renewed": 1,
                "fulfilled": 1,
                "dropped": 1,
            }
        ], query


# Earlier pledges that read alike


@pytest.fixture
def japan():
    return ActorFactory(name="Government of Japan")


def similar(client, **params):
    return client.get("/api/v1/commitments/similar/", params)


def test_a_near_identical_earlier_pledge_is_suggested_first_and_never_another_maker_s(viewer, japan):
    text = "Japan will invest 30 billion dollars in Africa over three years, public and private together."
    close = CommitmentFactory(
        made_by=japan, title="Invest in African human resources", quote=text, made_on=date(2022, 8, 27)
    )
    CommitmentFactory(
        made_by=japan,
        title="Support African start-ups",
        quote="Japan will support African start-ups and investment in innovation over three years.",
        made_on=date(2022, 8, 27),
    )
    other_maker = CommitmentFactory(title="Invest in African human resources", quote=text, made_on=date(2022, 8, 27))

    response = similar(
        api_client_for(viewer),
        made_by=japan.pk,
        title="Invest in African human resources",
        quote="Japan will invest 30 billion dollars in Africa over the next three years, public and private.",
        made_on="2025-08-21",
    )

    assert response.status_code == 200
    found = response.json()
    assert found[0] == {
        "id": close.pk,
        "title": "Invest in African human resources",
        "made_on": "2022-08-27",
        "event": {"id": close.event.pk, "name": close.event.name},
        "similarity": found[0]["similarity"],
    }
    assert found[0]["similarity"] > 0.5
    assert [row["similarity"] for row in found] == sorted((row["similarity"] for row in found), reverse=True)
    assert other_maker.pk not in [row["id"] for row in found]


def test_similar_leaves_out_later_pledges_and_the_one_excluded(viewer, japan):
    text = {"title": "Review tariffs on avocados", "quote": "We will review the tariffs on Kenyan avocados and tea."}
    itself = CommitmentFactory(made_by=japan, made_on=date(2025, 8, 21), **text)
    CommitmentFactory(made_by=japan, made_on=date(2026, 1, 10), **text)
    earlier = CommitmentFactory(made_by=japan, made_on=date(2022, 8, 27), event=None, **text)

    found = similar(api_client_for(viewer), made_by=japan.pk, made_on="2025-08-21", exclude=itself.pk, **text).json()

    assert [(row["id"], row["event"]) for row in found] == [(earlier.pk, None)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"made_by": None}, "made_by"),
        ({"made_by": "404404"}, "made_by"),
        ({"made_by": HUGE_ID}, "made_by"),
        ({"made_by": "abc"}, "made_by"),
        ({"made_on": "yesterday"}, "made_on"),
        ({"exclude": HUGE_ID}, "exclude"),
        ({"quote": "x" * 2001}, "quote"),
    ],
)
def test_similar_refuses_bad_parameters_by_name(viewer, japan, params, field):
    params = {"made_by": japan.pk, "title": "Invest in Africa over three years", **params}
    params = {name: value for name, value in params.items() if value is not None}  # None: left out

    response = similar(api_client_for(viewer), **params)

    assert response.status_code == 400
    assert field in response.json()


def test_similar_needs_the_permission_to_view_pledges(roles):
    assert similar(api_client_for(None), made_by=1).status_code == 401
    assert similar(api_client_for(UserFactory()), made_by=1).status_code == 403


# Query counts


def pledges_with_money_and_renewals(count):
    earlier = CommitmentFactory(made_on=date(2022, 8, 27), pledged_amount=Decimal("10"), pledged_currency="USD")
    for n in range(count):
        pledge = CommitmentFactory(
            renews=earlier, pledged_amount=Decimal("100") if n % 2 else None, pledged_currency="EUR" if n % 2 else ""
        )
        line(pledge, "committed", "5", "EUR")
        line(pledge, "disbursed", "3", "JPY")
        CommitmentFactory(renews=pledge)


@pytest.mark.parametrize("size", [2, 12])
def test_the_list_s_queries_do_not_grow_with_money_lines_and_renewals(superuser, size):
    pledges_with_money_and_renewals(size)
    client = api_client_for(superuser)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/commitments/?page_size=200")

    assert len(response.json()["results"]) == 2 * size + 1
    assert sum(1 for row in response.json()["results"] if row["renews"]) == 2 * size
    # Token (1), count (1), rows with the pledge renewed (1), counterparts and topics (2).
    assert len(queries) == 5


@pytest.mark.parametrize("size", [2, 12])
def test_the_board_s_queries_do_not_grow_with_money_and_renewals(superuser, size):
    pledges_with_money_and_renewals(size)
    client = api_client_for(superuser)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/board/?has_money=true")

    assert response.status_code == 200
    assert response.json()["money_by_actor"]
    # Token (1), numbers (1), the recently updated with counterparts and topics (3),
    # the overdue and the due soon (none here: 1 each), money (1), renewals (2).
    assert len(queries) == 10


def test_money_that_moved_today_is_accepted(analyst, pledge):
    assert (
        api_client_for(analyst).post(lines_url(pledge), line_payload(on=today().isoformat()), format="json").status_code
        == 201
    )
