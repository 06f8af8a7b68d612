"""Money and continuity in the admin: money lines through the service, the pledged amount, Renews, and the
earlier pledges that read alike, offered after a save."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import ActorFactory, CommitmentFactory, body, count_queries, field_errors, today
from tests.test_admin import commitment_form_data
from tracker import money
from tracker.models import Commitment, MoneyLine

pytestmark = pytest.mark.django_db

TEXT = "Japan will invest 30 billion dollars in Africa over three years, public and private together."


def change_url(obj):
    return reverse(f"admin:tracker_{obj._meta.model_name}_change", args=[obj.pk])


def add_line(commitment, kind="committed", amount="100", currency="USD", on=date(2025, 9, 1)):
    return money.money_line_add(
        commitment=commitment, data={"kind": kind, "amount": amount, "currency": currency, "on": on}
    )


def with_new_line(commitment, **line):
    """The change form with one new money line row."""
    row = {"kind": "disbursed", "amount": "2500000", "currency": "USD", "on": "2025-10-01", "source_url": "", **line}
    return commitment_form_data(
        commitment,
        **{"money_lines-TOTAL_FORMS": "1", **{f"money_lines-0-{name}": value for name, value in row.items()}},
    )


def with_existing_lines(commitment, *rows):
    """The change form with the pledge's lines as rows (`rows`: per line, the fields to post)."""
    data = commitment_form_data(commitment)
    data["money_lines-TOTAL_FORMS"] = data["money_lines-INITIAL_FORMS"] = str(len(rows))
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"money_lines-{index}-{name}"] = value
    return data


def line_row(line, **changes):
    return {
        "id": line.pk,
        "commitment": line.commitment_id,
        "kind": line.kind,
        "amount": str(line.amount),
        "currency": line.currency,
        "on": line.on.isoformat(),
        "source_url": line.source_url,
        "note": line.note,
        **changes,
    }


@pytest.fixture
def pledge():
    return CommitmentFactory(made_on=date(2025, 8, 20), pledged_amount=Decimal("5000000"), pledged_currency="USD")


# Money lines in the pledge's page


def test_a_line_added_in_the_admin_goes_through_the_service(client, analyst, pledge):
    client.force_login(analyst)

    response = client.post(change_url(pledge), with_new_line(pledge, currency="usd", note="First tranche"))

    assert response.status_code == 302
    line = MoneyLine.objects.get()
    assert (line.commitment, line.kind, line.amount, line.currency, line.note, line.created_by) == (
        pledge,
        "disbursed",
        Decimal("2500000"),
        "USD",
        "First tranche",
        analyst,
    )
    assert line.history.get().history_user == analyst


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "-1"}, "amount", "more than zero"),
        ({"amount": "ten"}, "amount", "Enter a number"),
        ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency code"),
        # Two days ahead: parameters are computed at collection, and a run past midnight makes tomorrow today.
        ({"on": (today() + timedelta(days=2)).isoformat()}, "on", "still to come"),
        ({"on": "2025-08-19"}, "on", "before the pledge was made"),
        ({"source_url": "javascript:alert(1)"}, "source_url", "valid URL"),
    ],
)
def test_a_bad_line_is_an_error_next_to_its_field_and_nothing_is_saved(client, analyst, pledge, line, field, message):
    client.force_login(analyst)

    response = client.post(change_url(pledge), with_new_line(pledge, title="Renamed too", **line))

    assert response.status_code == 200
    assert message in html.unescape(field_errors(body(response), f"id_money_lines-0-{field}"))
    assert not MoneyLine.objects.exists()
    pledge.refresh_from_db()
    assert pledge.title != "Renamed too"


def test_a_line_is_corrected_and_deleted_in_the_inline_through_the_service(client, analyst, pledge):
    kept = add_line(pledge, amount="100")
    dropped = add_line(pledge, amount="7")
    client.force_login(analyst)

    response = client.post(
        change_url(pledge),
        with_existing_lines(pledge, line_row(kept, amount="150", currency="eur"), line_row(dropped, DELETE="on")),
    )

    assert response.status_code == 302
    assert [(line.pk, line.amount, line.currency) for line in MoneyLine.objects.all()] == [
        (kept.pk, Decimal("150"), "EUR")
    ]
    assert kept.history.first().history_user == analyst
    assert MoneyLine.history.get(id=dropped.pk, history_type="-").history_user == analyst


def test_a_correction_that_breaks_a_rule_is_an_error_next_to_its_field(client, analyst, pledge):
    kept = add_line(pledge, amount="100")
    client.force_login(analyst)

    response = client.post(change_url(pledge), with_existing_lines(pledge, line_row(kept, amount="0")))

    assert response.status_code == 200
    assert "more than zero" in field_errors(body(response), "id_money_lines-0-amount")
    kept.refresh_from_db()
    assert kept.amount == Decimal("100")


def test_viewers_see_the_lines_but_cannot_add_or_change_them(client, viewer, pledge):
    add_line(pledge, amount="123456")
    client.force_login(viewer)

    page = body(client.get(change_url(pledge)))

    assert "123456" in page
    assert 'name="money_lines-0-amount"' not in page
    assert client.post(change_url(pledge), with_new_line(pledge)).status_code == 403
    assert MoneyLine.objects.count() == 1


def test_the_pledge_page_s_queries_do_not_grow_with_its_lines(client, superuser, pledge):
    client.force_login(superuser)
    add_line(pledge)
    with_one = count_queries(client, change_url(pledge))
    for _ in range(9):
        add_line(pledge)

    assert count_queries(client, change_url(pledge)) == with_one


# The pledged amount and Renews


def test_the_pledged_amount_is_kept_with_its_currency_in_capitals(client, analyst):
    pledge = CommitmentFactory()
    client.force_login(analyst)

    response = client.post(
        change_url(pledge), commitment_form_data(pledge, pledged_amount="5500000000", pledged_currency="usd")
    )

    assert response.status_code == 302
    pledge.refresh_from_db()
    assert (pledge.pledged_amount, pledge.pledged_currency) == (Decimal("5500000000"), "USD")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pledged_amount": "100"}, "pledged_currency"),
        ({"pledged_currency": "USD"}, "pledged_amount"),
        ({"pledged_amount": "100", "pledged_currency": "XYZ"}, "pledged_currency"),
        ({"pledged_amount": "0", "pledged_currency": "USD"}, "pledged_amount"),
    ],
)
def test_a_bad_pledged_amount_is_an_error_next_to_its_field(client, analyst, fields, field):
    pledge = CommitmentFactory()
    client.force_login(analyst)

    response = client.post(change_url(pledge), commitment_form_data(pledge, **fields))

    assert response.status_code == 200
    assert field_errors(body(response), f"id_{field}")
    pledge.refresh_from_db()
    assert (pledge.pledged_amount, pledge.pledged_currency) == (None, "")


def test_renews_is_set_in_the_admin(client, analyst):
    earlier = CommitmentFactory(made_on=date(2022, 8, 27))
    pledge = CommitmentFactory(made_on=date(2025, 8, 21))
    client.force_login(analyst)

    response = client.post(change_url(pledge), commitment_form_data(pledge, renews=earlier.pk))

    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.renews == earlier


def test_analysts_find_the_pledge_renewed_by_its_title(client, analyst):
    earlier = CommitmentFactory(title="Samurai bond statement of intent")
    client.force_login(analyst)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "tracker", "model_name": "commitment", "field_name": "renews", "term": "samurai"},
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(earlier.pk)]


def test_renewing_a_later_pledge_is_an_error_next_to_renews_and_saves_nothing(client, analyst):
    later = CommitmentFactory(made_on=date(2025, 9, 1))
    pledge = CommitmentFactory(made_on=date(2025, 8, 21))
    client.force_login(analyst)

    response = client.post(change_url(pledge), commitment_form_data(pledge, title="Renamed", renews=later.pk))

    assert response.status_code == 200
    assert "a pledge renews an earlier one" in html.unescape(field_errors(body(response), "id_renews"))
    pledge.refresh_from_db()
    assert pledge.renews is None
    assert pledge.title != "Renamed"


def test_a_pledge_cannot_renew_itself_in_the_admin(client, analyst):
    pledge = CommitmentFactory()
    client.force_login(analyst)

    response = client.post(change_url(pledge), commitment_form_data(pledge, renews=pledge.pk))

    assert response.status_code == 200
    assert "cannot renew itself" in field_errors(body(response), "id_renews")


# Earlier pledges that read alike, offered after a save


@pytest.fixture
def japan():
    return ActorFactory(name="Government of Japan")


def messages(response) -> str:
    """The admin's messages on the page a save led to."""
    match = re.search(r'<ul class="messagelist">(.*?)</ul>', body(response), re.S)
    return match.group(1) if match else ""


def add_pledge(client, maker, **fields):
    data = {
        "title": "Invest in African human resources",
        "quote": TEXT,
        "kind": Commitment.Kind.PROMISE,
        "made_by": maker.pk,
        "made_on": "2025-08-21",
        "check_every_days": "30",
        **fields,
    }
    return client.post(reverse("admin:tracker_commitment_add"), data, follow=True)


def test_adding_a_pledge_offers_the_maker_s_earlier_pledges_that_read_alike(client, analyst, japan):
    earlier = CommitmentFactory(
        made_by=japan, title="Invest in <b>African</b> human resources", quote=TEXT, made_on=date(2022, 8, 27)
    )
    other_maker = CommitmentFactory(title="Invest in African human resources", quote=TEXT, made_on=date(2022, 8, 27))
    client.force_login(analyst)

    response = add_pledge(client, japan)

    shown = messages(response)
    assert "If it renews one of these, set Renews." in shown
    assert f'<a href="{change_url(earlier)}">Invest in &lt;b&gt;African&lt;/b&gt; human resources</a>' in shown
    assert change_url(other_maker) not in shown
    assert Commitment.objects.filter(made_by=japan).count() == 2


def test_nothing_is_offered_when_nothing_reads_alike_or_renews_is_set(client, analyst, japan):
    earlier = CommitmentFactory(
        made_by=japan, title="Invest in African human resources", quote=TEXT, made_on=date(2022, 8, 27)
    )
    client.force_login(analyst)

    unlike = add_pledge(client, japan, title="Hold a ministerial meeting", quote="A meeting in Tokyo next spring.")
    linked = add_pledge(client, japan, renews=earlier.pk)

    assert "was added successfully" in messages(unlike)
    assert "set Renews" not in messages(unlike)
    assert "set Renews" not in messages(linked)
    assert Commitment.objects.get(made_by=japan, renews=earlier)


def test_changing_a_pledge_s_words_offers_earlier_pledges_that_read_alike(client, analyst, japan):
    earlier = CommitmentFactory(
        made_by=japan, title="Invest in African human resources", quote=TEXT, made_on=date(2022, 8, 27)
    )
    pledge = CommitmentFactory(made_by=japan, title="Something else", quote="Unrelated words entirely.")
    client.force_login(analyst)

    response = client.post(
        change_url(pledge),
        commitment_form_data(pledge, title="Invest in African human resources", quote=TEXT),
        follow=True,
    )

    assert "If it renews one of these, set Renews." in messages(response)
    assert change_url(earlier) in messages(response)


# The money line admin


def test_the_money_line_list_filters_by_kind_and_currency(client, viewer, pledge):
    add_line(pledge, kind="committed", amount="111", currency="USD")
    add_line(pledge, kind="disbursed", amount="222", currency="USD")
    add_line(pledge, kind="disbursed", amount="333", currency="JPY")
    client.force_login(viewer)
    changelist = reverse("admin:tracker_moneyline_changelist")

    disbursed = body(client.get(changelist, {"kind": "disbursed"}))
    yen = body(client.get(changelist, {"currency": "JPY"}))

    assert "222" in disbursed and "333" in disbursed and "111" not in disbursed
    assert "333" in yen and "222" not in yen


def test_a_line_added_in_its_own_admin_goes_through_the_service(client, analyst, pledge):
    client.force_login(analyst)
    data = {"commitment": pledge.pk, "kind": "committed", "amount": "40", "currency": "kes", "on": "2025-09-02"}

    refused = client.post(reverse("admin:tracker_moneyline_add"), {**data, "on": "2025-08-01"})
    response = client.post(reverse("admin:tracker_moneyline_add"), data)

    assert refused.status_code == 200
    assert "before the pledge was made" in field_errors(body(refused), "id_on")
    assert response.status_code == 302
    line = MoneyLine.objects.get()
    assert (line.amount, line.currency, line.created_by) == (Decimal("40"), "KES", analyst)


def test_analysts_delete_a_line_in_its_admin_and_its_history_stays(client, analyst, pledge):
    line = add_line(pledge)
    client.force_login(analyst)

    response = client.post(reverse("admin:tracker_moneyline_delete", args=[line.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not MoneyLine.objects.exists()
    assert MoneyLine.history.get(id=line.pk, history_type="-").history_user == analyst


def test_viewers_cannot_delete_or_change_a_line(client, viewer, pledge):
    line = add_line(pledge)
    client.force_login(viewer)

    assert client.post(reverse("admin:tracker_moneyline_delete", args=[line.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:tracker_moneyline_history", args=[line.pk])).status_code == 200
    assert MoneyLine.objects.exists()
