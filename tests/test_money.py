"""A pledge's money: the line rules, and totals that never mix currencies."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ActorFactory, CommitmentFactory, EventFactory, UserFactory, today
from tracker import money, services
from tracker.models import Commitment, MoneyLine

pytestmark = pytest.mark.django_db


def line(commitment, kind, amount, currency, on=None, **extra):
    return money.money_line_add(
        commitment=commitment,
        data={"kind": kind, "amount": amount, "currency": currency, "on": on or date(2025, 9, 1), **extra},
    )


@pytest.fixture
def pledge():
    return CommitmentFactory(made_on=date(2025, 8, 20), pledged_amount=Decimal("5500000000"), pledged_currency="USD")


def test_a_line_is_recorded_with_who_entered_it(pledge):
    analyst = UserFactory()

    added = money.money_line_add(
        commitment=pledge,
        user=analyst,
        data={
            "kind": "disbursed",
            "amount": "1,000,000.50",
            "currency": " usd ",
            "on": date(2025, 10, 1),
            "source_url": "https://example.org/",
        },
    )

    assert (added.kind, added.amount, added.currency, added.created_by) == (
        "disbursed",
        Decimal("1000000.50"),
        "USD",
        analyst,
    )
    assert added.history.get().history_user == analyst


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "-5"}, "amount", "more than zero"),
        ({"amount": "ten"}, "amount", "is not an amount"),
        # A decimal comma is not guessed at: "1,5" is refused, never read as 15.
        ({"amount": "1,5"}, "amount", "is not an amount"),
        ({"amount": "1,50"}, "amount", "is not an amount"),
        ({"amount": "12,34,567"}, "amount", "is not an amount"),
        ({"amount": "NaN"}, "amount", "more than zero"),
        ({"amount": "1.005"}, "amount", "to the cent"),
        ({"amount": "1" + "0" * 18}, "amount", "too large"),
        ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency code"),
        ({"currency": ""}, "currency", "ISO 4217 code"),
        ({"kind": "promised"}, "kind", "committed or disbursed"),
        ({"on": None}, "on", "Give the day"),
        ({"on": "tomorrow"}, "on", "Give the day"),
        ({"source_url": "javascript:alert(1)"}, "source_url", "http"),
        ({"note": "nul\x00"}, "note", "Null characters"),
    ],
)
def test_bad_lines_are_refused_by_field(pledge, data, field, message):
    fields = {"kind": "committed", "amount": "100", "currency": "USD", "on": date(2025, 9, 1), **data}

    with pytest.raises(ValidationError) as error:
        money.money_line_add(commitment=pledge, data=fields)

    assert message in error.value.message_dict[field][0]
    assert not MoneyLine.objects.exists()


def test_money_cannot_move_in_the_future_or_before_the_pledge(pledge):
    for on, message in ((today() + timedelta(days=1), "still to come"), (date(2025, 8, 19), "before the pledge")):
        with pytest.raises(ValidationError) as error:
            line(pledge, "committed", "100", "USD", on=on)
        assert message in error.value.message_dict["on"][0]


def test_a_pledge_s_money_is_per_currency_and_flags_more_disbursed_than_pledged(pledge):
    line(pledge, "committed", "3000000000", "USD")
    line(pledge, "disbursed", "4000000000", "USD")
    line(pledge, "disbursed", "2000000000", "USD")
    line(pledge, "disbursed", "25000000000", "JPY")

    (usd,) = [m for m in money.commitment_money(pledge).by_currency if m.currency == "USD"]
    (jpy,) = [m for m in money.commitment_money(pledge).by_currency if m.currency == "JPY"]

    assert (usd.pledged, usd.committed, usd.disbursed) == (
        Decimal("5500000000"),
        Decimal("3000000000"),
        Decimal("6000000000"),
    )
    assert usd.over_pledged
    assert usd.share("disbursed") == 100 and usd.share("pledged") == 91
    # Yen are never added to dollars: they are a currency of their own, with nothing pledged in it.
    assert (jpy.pledged, jpy.disbursed, jpy.over_pledged) == (0, Decimal("25000000000"), False)


def test_totals_per_actor_and_event_never_mix_currencies_in_one_query():
    kenya, japan = ActorFactory(), ActorFactory()
    ticad, other = EventFactory(), EventFactory()
    a = CommitmentFactory(made_by=japan, event=ticad, pledged_amount=Decimal("100"), pledged_currency="USD")
    b = CommitmentFactory(made_by=japan, event=ticad, pledged_amount=Decimal("1000"), pledged_currency="JPY")
    CommitmentFactory(made_by=japan, event=other, pledged_amount=Decimal("50"), pledged_currency="USD")
    d = CommitmentFactory(made_by=kenya, event=ticad)
    line(a, "disbursed", "30", "USD")
    line(b, "committed", "600", "JPY")
    line(d, "disbursed", "12500000000", "KES")

    with CaptureQueriesContext(connection) as queries:
        totals = money.money_totals(Commitment.objects.all())
    assert len(queries) == 1
    by_actor, by_event = totals["made_by"], totals["event"]

    japan_money = {m.currency: (m.pledged, m.committed, m.disbursed, m.pledges) for m in by_actor[japan.pk]}
    assert japan_money == {
        "JPY": (Decimal("1000"), Decimal("600"), 0, 1),
        "USD": (Decimal("150"), 0, Decimal("30"), 2),
    }
    assert {m.currency: m.disbursed for m in by_actor[kenya.pk]} == {"KES": Decimal("12500000000")}
    ticad_money = {m.currency: (m.pledged, m.committed, m.disbursed) for m in by_event[ticad.pk]}
    assert ticad_money == {
        "JPY": (Decimal("1000"), Decimal("600"), 0),
        "KES": (0, 0, Decimal("12500000000")),
        "USD": (Decimal("100"), 0, Decimal("30")),
    }
    assert {m.currency: m.pledged for m in by_event[other.pk]} == {"USD": Decimal("50")}


def test_pledges_with_money_are_those_with_a_pledged_amount_or_a_line(pledge):
    plain = CommitmentFactory()
    with_line = CommitmentFactory(made_on=date(2025, 8, 20))
    line(with_line, "committed", "1", "EUR")
    line(with_line, "disbursed", "1", "EUR")

    assert set(money.with_money(Commitment.objects.all())) == {pledge, with_line}
    assert plain not in money.with_money(Commitment.objects.all())


def test_a_pledged_amount_needs_its_currency_and_a_known_one():
    actor = ActorFactory()
    base = {"title": "Fund", "made_by": actor, "made_on": date(2025, 8, 20)}

    for data, field in (
        ({"pledged_amount": Decimal("5")}, "pledged_currency"),
        ({"pledged_currency": "USD"}, "pledged_amount"),
        ({"pledged_amount": Decimal("5"), "pledged_currency": "ABC"}, "pledged_currency"),
        ({"pledged_amount": Decimal("0"), "pledged_currency": "USD"}, "pledged_amount"),
    ):
        with pytest.raises(ValidationError) as error:
            services.commitment_create(data={**base, **data})
        assert field in error.value.message_dict, data

    created = services.commitment_create(data={**base, "pledged_amount": Decimal("5.5"), "pledged_currency": "jpy"})
    assert (created.pledged_amount, created.pledged_currency) == (Decimal("5.5"), "JPY")


def test_a_draft_s_amount_becomes_the_pledged_amount(analyst):
    draft = {
        "text": "Japan will provide 25 billion yen for vehicle assembly.",
        "actor": "Government of Japan",
        "amount": {"text": "25 billion yen", "value": 25_000_000_000, "currency": "JPY"},
    }
    unknown = {**draft, "text": "Another pledge of 3 things.", "amount": {"value": 3, "currency": "ZZZ"}}

    created, skipped = services.commitments_create_from_drafts(user=analyst, drafts=[draft, unknown])

    assert [(c.pledged_amount, c.pledged_currency) for c in created] == [(Decimal("25000000000.00"), "JPY")]
    # Never dropped in silence: the draft is not created, and the reason names the field.
    assert [item["reason"] for item in skipped] == [
        "pledged_currency: 'ZZZ' is not an ISO 4217 currency code; use one such as USD, EUR, JPY or KES."
    ]


def test_a_line_can_be_changed_and_deleted_under_the_same_rules(pledge):
    added = line(pledge, "committed", "100", "USD")

    money.money_line_update(line=added, data={"amount": "250", "kind": "disbursed"})
    added.refresh_from_db()
    assert (added.kind, added.amount) == ("disbursed", Decimal("250"))
    with pytest.raises(ValidationError):
        money.money_line_update(line=added, data={"currency": "DOLLARS"})

    money.money_line_delete(line=added)
    assert not MoneyLine.objects.exists()
