"""Money on the pages: the pledge page's money panel and its lines' forms, the board's money filter and totals,
and the CSV export's pledged amount."""

import csv
import html
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    EventFactory,
    body,
    count_queries,
    field_errors,
    today,
)
from tracker import money, money_views, services
from tracker.models import Commitment, MoneyLine
from tracker.money_views import amount_text

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'


def add_line(commitment, kind, amount, currency, *, on=None, note="", user=None, source_url=""):
    return money.money_line_add(
        commitment=commitment,
        user=user,
        data={
            "kind": kind,
            "amount": amount,
            "currency": currency,
            "on": on or date(2025, 9, 1),
            "note": note,
            "source_url": source_url,
        },
    )


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(fragment: str) -> list[str]:
    """Each table row of `fragment` as its text, cells separated by single spaces."""
    return [text(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S)]


def meters(fragment: str) -> dict:
    """{(currency block, part): bar value} of the money panel's meters."""
    found = {}
    for currency, block in re.findall(r'<div class="money-currency" id="money-(\w+)">(.*?)</div>', fragment, re.S):
        for part, value in re.findall(r'<dd class="money-(\w+)"><meter[^>]* value="(\d+)"', block):
            found[currency, part] = int(value)
    return found


def pledge_page(client, commitment):
    response = client.get(commitment.get_absolute_url())
    assert response.status_code == 200
    return body(response)


@pytest.fixture
def pledge():
    return CommitmentFactory(made_on=date(2025, 8, 20), pledged_amount=Decimal("5500000000"), pledged_currency="USD")


def line_data(prefix="money", **fields):
    values = {"kind": "disbursed", "amount": "1,000,000", "currency": "USD", "on": "2025-10-01", **fields}
    return {f"{prefix}-{name}": value for name, value in values.items()}


# ---------------------------------------------------------------- the money panel


def test_amounts_are_written_with_thousands_separators_and_their_currency():
    assert amount_text(Decimal("5500000000.00"), "USD") == "5,500,000,000 USD"
    assert amount_text(Decimal("1250000.50"), "KES") == "1,250,000.50 KES"
    assert amount_text(Decimal("0.00"), "JPY") == "0 JPY"


def test_the_panel_shows_each_currency_on_its_own_and_never_a_sum(analyst_client, pledge):
    add_line(pledge, "committed", "3000000000", "USD")
    add_line(pledge, "disbursed", "1000000000", "USD")
    add_line(pledge, "disbursed", "25000000000", "JPY")

    panel = section(pledge_page(analyst_client, pledge), "money")

    assert "Pledged: 5,500,000,000 USD" in text(panel)
    usd = text(re.search(r'id="money-USD">(.*?)</div>', panel, re.S).group(1))
    jpy = text(re.search(r'id="money-JPY">(.*?)</div>', panel, re.S).group(1))
    assert "Pledged 100% 5,500,000,000 USD" in usd
    assert "Committed 54% 3,000,000,000 USD" in usd
    assert "Disbursed 18% 1,000,000,000 USD" in usd
    # Yen have their own block: nothing pledged in yen, and never added to the dollars.
    assert "Pledged 0% 0 JPY" in jpy and "Disbursed 100% 25,000,000,000 JPY" in jpy
    assert meters(panel) == {
        ("USD", "pledged"): 100,
        ("USD", "committed"): 54,
        ("USD", "disbursed"): 18,
        ("JPY", "pledged"): 0,
        ("JPY", "committed"): 0,
        ("JPY", "disbursed"): 100,
    }
    for mixed in ("26,000,000,000", "26,000,000,000", "30,500,000,000", "29,000,000,000"):
        assert mixed not in panel
    assert "More disbursed than pledged" not in panel
    # The pledge's own currency comes first.
    assert panel.index('id="money-USD"') < panel.index('id="money-JPY"')
    # Bars under the CSP: no style attribute.
    assert "style=" not in panel


def test_more_disbursed_than_pledged_is_flagged_on_its_currency(analyst_client, pledge):
    add_line(pledge, "disbursed", "4000000000", "USD")
    add_line(pledge, "disbursed", "2000000000", "USD")
    add_line(pledge, "disbursed", "10", "EUR")

    panel = section(pledge_page(analyst_client, pledge), "money")

    usd = re.search(r'id="money-USD">(.*?)</div>', panel, re.S).group(1)
    eur = re.search(r'id="money-EUR">(.*?)</div>', panel, re.S).group(1)
    assert "More disbursed than pledged" in usd
    assert "More disbursed than pledged" not in eur
    assert meters(panel)["USD", "pledged"] == 91


def test_the_lines_show_kind_amount_date_source_note_and_who(analyst_client, analyst, pledge):
    add_line(
        pledge,
        "committed",
        "1250000.50",
        "USD",
        on=date(2025, 9, 3),
        note="Loan agreement signed.",
        user=analyst,
        source_url="https://example.org/loan",
    )

    panel = section(pledge_page(analyst_client, pledge), "money")

    (line_row,) = [text(row) for row in re.findall(r'<tr id="money-line-\d+">(.*?)</tr>', panel, re.S)]
    assert line_row == "3 Sep 2025 Committed 1,250,000.50 USD Source Loan agreement signed. analyst"
    assert '<a href="https://example.org/loan" rel="noopener noreferrer">' in panel


def test_a_pledge_without_money_says_so(analyst_client):
    panel = section(pledge_page(analyst_client, CommitmentFactory()), "money")

    assert "Pledged: no amount named" in text(panel)
    assert "No money committed or disbursed is recorded." in text(panel)
    assert 'id="money-USD"' not in panel


def test_a_note_is_shown_as_text(analyst_client, pledge):
    add_line(pledge, "committed", "100", "USD", note=XSS)

    page = pledge_page(analyst_client, pledge)

    assert XSS not in page
    assert html.escape(XSS) in section(page, "money")


# ---------------------------------------------------------------- adding, correcting, deleting


def test_an_analyst_adds_a_line(analyst_client, analyst, pledge):
    response = analyst_client.post(
        reverse("tracker:money-line-add", args=[pledge.pk]),
        line_data(amount="1,000,000.50", currency="usd", note="First tranche.", source_url="https://example.org/a"),
    )

    assert response.status_code == 302
    assert response["Location"] == f"{pledge.get_absolute_url()}#money"
    line = MoneyLine.objects.get()
    assert (line.commitment, line.kind, line.amount, line.currency, line.on) == (
        pledge,
        "disbursed",
        Decimal("1000000.50"),
        "USD",
        date(2025, 10, 1),
    )
    assert (line.note, line.source_url, line.created_by) == ("First tranche.", "https://example.org/a", analyst)
    assert "Disbursed: 1,000,000.50 USD recorded." in body(analyst_client.get(response["Location"]))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency code"),
        ({"on": "FUTURE"}, "on", "still to come"),
        ({"amount": "-5"}, "amount", "more than zero"),
        ({"amount": "ten"}, "amount", "is not an amount"),
        ({"on": "not a date"}, "on", "Enter a valid date"),
        ({"kind": "promised"}, "kind", "Select a valid choice"),
        ({"source_url": "javascript:alert(1)"}, "source_url", "http"),
    ],
)
def test_a_bad_line_is_a_400_with_the_error_by_its_field_and_nothing_saved(
    analyst_client, pledge, fields, field, message
):
    if fields.get("on") == "FUTURE":
        fields = {"on": (today() + timedelta(days=1)).isoformat()}

    response = analyst_client.post(reverse("tracker:money-line-add", args=[pledge.pk]), line_data(**fields))

    assert response.status_code == 400
    assert message in html.unescape(field_errors(body(response), f"id_money-{field}"))
    assert not MoneyLine.objects.exists()
    # The form comes back open, with what was typed.
    assert '<details class="money-add" open>' in body(response)


def test_an_analyst_corrects_a_line(analyst_client, analyst, pledge):
    line = add_line(pledge, "committed", "100", "USD")

    response = analyst_client.post(
        reverse("tracker:money-line-change", args=[line.pk]),
        line_data(f"line-{line.pk}", kind="committed", amount="150", currency="EUR", note="Corrected."),
    )

    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.amount, line.currency, line.on, line.note) == (
        Decimal("150"),
        "EUR",
        date(2025, 10, 1),
        "Corrected.",
    )
    assert line.history.first().history_user == analyst


def test_a_bad_correction_is_a_400_and_changes_nothing(analyst_client, pledge):
    line = add_line(pledge, "committed", "100", "USD")
    future = (today() + timedelta(days=3)).isoformat()

    response = analyst_client.post(
        reverse("tracker:money-line-change", args=[line.pk]),
        line_data(f"line-{line.pk}", amount="-1", on=future),
    )

    assert response.status_code == 400
    page = body(response)
    assert "more than zero" in field_errors(page, f"id_line-{line.pk}-amount")
    line.refresh_from_db()
    assert (line.kind, line.amount, line.on) == ("committed", Decimal("100"), date(2025, 9, 1))
    assert "<details open>" in section(page, "money")


def test_a_correction_the_service_refuses_is_shown_by_its_field(analyst_client, pledge):
    line = add_line(pledge, "committed", "100", "USD")

    response = analyst_client.post(
        reverse("tracker:money-line-change", args=[line.pk]),
        line_data(f"line-{line.pk}", on=(today() + timedelta(days=3)).isoformat()),
    )

    assert response.status_code == 400
    assert "still to come" in field_errors(body(response), f"id_line-{line.pk}-on")
    line.refresh_from_db()
    assert line.on == date(2025, 9, 1)


def test_an_analyst_deletes_a_line(analyst_client, pledge):
    kept = add_line(pledge, "committed", "100", "USD")
    line = add_line(pledge, "disbursed", "40", "USD")

    response = analyst_client.post(reverse("tracker:money-line-delete", args=[line.pk]))

    assert response.status_code == 302
    assert list(MoneyLine.objects.all()) == [kept]
    assert "Disbursed: 40 USD on 1 Sep 2025 deleted." in body(analyst_client.get(response["Location"]))


def test_a_viewer_sees_the_money_but_may_not_change_it(viewer_client, pledge):
    line = add_line(pledge, "committed", "100", "USD")

    page = pledge_page(viewer_client, pledge)
    responses = [
        viewer_client.post(reverse("tracker:money-line-add", args=[pledge.pk]), line_data()),
        viewer_client.post(reverse("tracker:money-line-change", args=[line.pk]), line_data(f"line-{line.pk}")),
        viewer_client.post(reverse("tracker:money-line-delete", args=[line.pk])),
    ]

    assert "100 USD" in section(page, "money")
    assert "money-line-add" not in page and "money-lines/" not in page
    assert [response.status_code for response in responses] == [403, 403, 403]
    line.refresh_from_db()
    assert (MoneyLine.objects.count(), line.kind, line.amount) == (1, "committed", Decimal("100"))


def test_the_money_routes_take_only_posts_from_people_logged_in(analyst_client, pledge):
    line = add_line(pledge, "committed", "100", "USD")
    urls = [
        reverse("tracker:money-line-add", args=[pledge.pk]),
        reverse("tracker:money-line-change", args=[line.pk]),
        reverse("tracker:money-line-delete", args=[line.pk]),
    ]

    assert [analyst_client.get(url).status_code for url in urls] == [405, 405, 405]
    assert analyst_client.post(reverse("tracker:money-line-delete", args=[line.pk + 1000])).status_code == 404
    analyst_client.logout()
    for url in urls:
        response = analyst_client.post(url, line_data())
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert MoneyLine.objects.count() == 1


def test_the_pledge_page_reads_its_money_in_a_fixed_number_of_queries(analyst_client, analyst):
    def pledge_with_lines(count):
        commitment = CommitmentFactory(pledged_amount=Decimal("1000"), pledged_currency="USD")
        for n in range(count):
            add_line(commitment, ("committed", "disbursed")[n % 2], str(10 + n), ("USD", "JPY")[n % 2], user=analyst)
        return commitment

    one = count_queries(analyst_client, pledge_with_lines(1).get_absolute_url())
    five = count_queries(analyst_client, pledge_with_lines(5).get_absolute_url())

    assert one == five


# ---------------------------------------------------------------- the board


def test_the_with_money_filter_keeps_pledges_with_an_amount_or_a_line_counted_once(analyst_client):
    pledged = CommitmentFactory(title="Pledged", pledged_amount=Decimal("10"), pledged_currency="USD")
    with_lines = CommitmentFactory(title="With lines")
    for _ in range(3):
        add_line(with_lines, "disbursed", "5", "KES")
    CommitmentFactory(title="No money")

    response = analyst_client.get(reverse("tracker:board"), {"has_money": "true"})

    assert response.status_code == 200
    assert {commitment.title for commitment in response.context["page"].object_list} == {"Pledged", "With lines"}
    # Three lines do not make three pledges.
    assert response.context["summary"]["total"] == 2
    assert "With money" in body(response)
    assert analyst_client.get(reverse("tracker:board"), {"has_money": "maybe"}).status_code == 400
    assert pledged.pk and with_lines.pk


@pytest.fixture
def board_money():
    japan = ActorFactory(name="Government of Japan")
    kenya = ActorFactory(name="Government of Kenya")
    ticad9 = EventFactory(name="TICAD 9")
    other = EventFactory(name="Other summit")
    a = CommitmentFactory(made_by=japan, event=ticad9, pledged_amount=Decimal("100"), pledged_currency="USD")
    b = CommitmentFactory(made_by=japan, event=ticad9, pledged_amount=Decimal("1000"), pledged_currency="JPY")
    CommitmentFactory(made_by=japan, event=other, pledged_amount=Decimal("50"), pledged_currency="USD")
    d = CommitmentFactory(made_by=kenya, event=ticad9)
    add_line(a, "disbursed", "130", "USD")
    add_line(b, "committed", "600", "JPY")
    add_line(d, "disbursed", "12500000000", "KES")
    return {"japan": japan, "kenya": kenya, "ticad9": ticad9, "other": other}


def test_the_board_totals_money_per_actor_and_per_event_per_currency(analyst_client, board_money):
    panel = section(body(analyst_client.get(reverse("tracker:board"))), "money-totals")
    by_actor = re.search(r'<table id="money-actor".*?</table>', panel, re.S).group(0)
    by_event = re.search(r'<table id="money-event".*?</table>', panel, re.S).group(0)

    assert rows(by_actor)[1:] == [
        "Government of Japan JPY 1,000 JPY 600 JPY 0 JPY",
        "USD 150 USD 0 USD 130 USD",
        "Government of Kenya KES 0 KES 0 KES 12,500,000,000 KES",
    ]
    assert rows(by_event)[1:] == [
        "TICAD 9 JPY 1,000 JPY 600 JPY 0 JPY",
        "KES 0 KES 0 KES 12,500,000,000 KES",
        # 130 disbursed against 100 pledged at TICAD 9.
        "USD More disbursed than pledged 100 USD 0 USD 130 USD",
        "Other summit USD 50 USD 0 USD 0 USD",
    ]
    # Each name filters the board to its pledges with money.
    assert f"?made_by={board_money['japan'].pk}&amp;has_money=true" in by_actor
    assert f"?event={board_money['ticad9'].pk}&amp;has_money=true" in by_event


def test_the_board_money_follows_the_filters(analyst_client, board_money):
    page = body(analyst_client.get(reverse("tracker:board"), {"event": board_money["other"].pk}))
    panel = section(page, "money-totals")

    assert rows(re.search(r'<table id="money-actor".*?</table>', panel, re.S).group(0))[1:] == [
        "Government of Japan USD 50 USD 0 USD 0 USD"
    ]
    assert "KES" not in panel and "JPY" not in panel


def test_the_board_lists_the_actors_with_most_pledged_pledges_first_and_counts_the_rest(analyst_client, monkeypatch):
    monkeypatch.setattr(money_views, "BOARD_GROUPS", 2)
    for name, pledges in (("Few", 1), ("Most", 3), ("Some", 2)):
        actor = ActorFactory(name=name)
        for _ in range(pledges):
            CommitmentFactory(made_by=actor, pledged_amount=Decimal("1"), pledged_currency="USD")

    panel = section(body(analyst_client.get(reverse("tracker:board"))), "money-totals")
    by_actor = re.search(r'<table id="money-actor".*?</table>', panel, re.S).group(0)

    assert rows(by_actor)[1:] == ["Most USD 3 USD 0 USD 0 USD", "Some USD 2 USD 0 USD 0 USD"]
    assert "And 1 more; filter the board to see theirs." in text(panel)


def test_the_board_without_money_says_so(analyst_client):
    CommitmentFactory()

    panel = section(body(analyst_client.get(reverse("tracker:board"))), "money-totals")

    assert text(panel).count("No money recorded.") == 2


@pytest.mark.parametrize("params", [{}, {"has_money": "true", "renewing": "true"}], ids=["all", "filtered"])
def test_the_board_panels_take_the_same_queries_at_two_sizes(analyst_client, params):
    def board_with(count):
        Commitment.objects.all().delete()
        makers = [ActorFactory() for _ in range(3)]
        events = [EventFactory(starts_on=date(2022, 8, 27)), EventFactory(), EventFactory()]
        earlier = CommitmentFactory(made_by=makers[0], event=events[0], made_on=date(2022, 8, 27))
        for n in range(count):
            commitment = CommitmentFactory(
                made_by=makers[n % 3],
                event=events[1 + n % 2],
                pledged_amount=Decimal(100 + n),
                pledged_currency=("USD", "JPY", "EUR")[n % 3],
                renews=earlier if n % 2 else None,
            )
            add_line(commitment, "disbursed", "10", ("USD", "KES")[n % 2])
        return count_queries(analyst_client, f"{reverse('tracker:board')}?{urlencode(params)}")

    small, large = board_with(3), board_with(30)

    assert small == large
    # The board's own (at most 10), money per actor and per event (1), renewals (2).
    assert large <= 13


# ---------------------------------------------------------------- the CSV export


def test_the_csv_carries_the_pledged_amount_and_currency(analyst_client, pledge):
    CommitmentFactory(title="No money")

    response = analyst_client.get(reverse("tracker:commitments-csv"))
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    columns = ["pledged_amount", "pledged_currency", "renews"]
    at = [table[0].index(column) for column in columns]
    by_title = {row[1]: row for row in table[1:]}
    assert [by_title[pledge.title][i] for i in at] == ["5500000000.00", "USD", ""]
    assert [by_title["No money"][i] for i in at] == ["", "", ""]


def test_the_csv_takes_the_same_queries_with_money(analyst_client):
    def csv_with(count):
        Commitment.objects.all().delete()
        for n in range(count):
            commitment = CommitmentFactory(pledged_amount=Decimal(n + 1), pledged_currency="USD")
            add_line(commitment, "committed", "1", "USD")
        with CaptureQueriesContext(connection) as queries:
            response = analyst_client.get(reverse("tracker:commitments-csv"))
            b"".join(response.streaming_content)
        return len(queries)

    assert csv_with(2) == csv_with(12)


def test_a_pledge_created_with_money_shows_it(analyst_client, analyst):
    commitment = services.commitment_create(
        user=analyst,
        data={
            "title": "Up to $5.5 billion in financing",
            "made_by": ActorFactory(),
            "made_on": date(2025, 8, 20),
            "pledged_amount": Decimal("5500000000"),
            "pledged_currency": "usd",
        },
    )

    assert "Pledged: 5,500,000,000 USD" in text(section(pledge_page(analyst_client, commitment), "money"))
