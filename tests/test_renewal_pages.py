"""Continuity on the pages: the pledge page's renewal chain both ways, the board's renewals filter and its panel
of what became of the previous event's pledges, and the CSV export's `renews`."""

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import ActorFactory, CommitmentFactory, EventFactory, body, count_queries
from tracker.models import Commitment, MoneyLine, Status

pytestmark = pytest.mark.django_db

XSS = '<img src=x onerror="alert(1)">'


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(fragment: str) -> list[str]:
    return [text(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S)]


def page_of(client, commitment) -> str:
    response = client.get(commitment.get_absolute_url())
    assert response.status_code == 200
    return body(response)


@pytest.fixture
def japan():
    return ActorFactory(name="Government of Japan", country="JP")


@pytest.fixture
def chain(japan):
    """TICAD 8 (Tunis, 2022) -> TICAD 9 (Yokohama, 2025) -> a follow-up of 2026 with no event."""
    ticad8 = EventFactory(name="TICAD 8", location="Tunis", starts_on=date(2022, 8, 27), ends_on=date(2022, 8, 28))
    ticad9 = EventFactory(name="TICAD 9")
    tunis = CommitmentFactory(
        title="30 billion dollars over three years", made_by=japan, event=ticad8, made_on=date(2022, 8, 27)
    )
    yokohama = CommitmentFactory(
        title="Up to 5.5 billion dollars with the AfDB",
        made_by=japan,
        event=ticad9,
        made_on=date(2025, 8, 20),
        renews=tunis,
    )
    follow_up = CommitmentFactory(
        title="Third tranche", made_by=japan, event=None, made_on=date(2026, 3, 1), renews=yokohama
    )
    return {"ticad8": ticad8, "ticad9": ticad9, "tunis": tunis, "yokohama": yokohama, "follow_up": follow_up}


# ---------------------------------------------------------------- the pledge page


def test_the_middle_pledge_shows_what_it_renews_and_what_renews_it(analyst_client, chain):
    panel = section(page_of(analyst_client, chain["yokohama"]), "continuity")

    assert "Renews: 30 billion dollars over three years (TICAD 8, 2022)" in text(panel)
    assert "Renewed by: Third tranche (2026)" in text(panel)
    assert f'<a href="{chain["tunis"].get_absolute_url()}">30 billion dollars over three years</a>' in panel
    assert f'<a href="{chain["follow_up"].get_absolute_url()}">Third tranche</a>' in panel
    items = [text(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", panel, re.S)]
    assert items == [
        "30 billion dollars over three years TICAD 8, 2022 · Government of Japan",
        "Up to 5.5 billion dollars with the AfDB (this pledge) TICAD 9, 2025 · Government of Japan",
        "Third tranche 2026 · Government of Japan",
    ]
    assert '<li aria-current="page">' in panel


def test_the_chain_reads_the_same_from_either_end(analyst_client, chain):
    first = section(page_of(analyst_client, chain["tunis"]), "continuity")
    last = section(page_of(analyst_client, chain["follow_up"]), "continuity")

    # The oldest renews nothing and is renewed by TICAD 9's pledge only; the chain goes on to its renewal.
    assert "Renews:" not in text(first)
    assert "Renewed by: Up to 5.5 billion dollars with the AfDB (TICAD 9, 2025)" in text(first)
    assert "Renewed by:" not in text(last)
    assert "Renews: Up to 5.5 billion dollars with the AfDB (TICAD 9, 2025)" in text(last)
    for panel in (first, last):
        titles = re.findall(r"<li[^>]*>\s*(?:<a[^>]*>|<strong>)([^<]+)<", panel)
        assert titles == [
            "30 billion dollars over three years",
            "Up to 5.5 billion dollars with the AfDB",
            "Third tranche",
        ]


def test_a_pledge_renewed_twice_lists_both(analyst_client, chain, japan):
    second = CommitmentFactory(title="Another renewal", made_by=japan, made_on=date(2025, 9, 1), renews=chain["tunis"])

    panel = section(page_of(analyst_client, chain["tunis"]), "continuity")

    assert "Renewed by: Up to 5.5 billion dollars with the AfDB (TICAD 9, 2025); Another renewal" in text(panel)
    assert second.get_absolute_url() in panel


def test_a_pledge_outside_any_chain_has_no_continuity_panel(analyst_client):
    assert 'id="continuity"' not in page_of(analyst_client, CommitmentFactory())


def test_titles_in_the_chain_are_shown_as_text(analyst_client, japan):
    earlier = CommitmentFactory(title=f"Old {XSS}", made_by=japan, made_on=date(2022, 8, 27))
    later = CommitmentFactory(made_by=japan, made_on=date(2025, 8, 20), renews=earlier)

    page = page_of(analyst_client, later)

    assert XSS not in page
    assert html.escape(XSS) in section(page, "continuity")


def test_the_pledge_page_reads_the_chain_in_a_fixed_number_of_queries(analyst_client, japan):
    def renewed_pledge(renewals):
        earlier = CommitmentFactory(made_by=japan, made_on=date(2022, 8, 27))
        middle = CommitmentFactory(made_by=japan, made_on=date(2024, 1, 1), renews=earlier)
        for _ in range(renewals):
            CommitmentFactory(made_by=japan, made_on=date(2025, 8, 20), renews=middle)
        return middle

    # One generation each way, however many pledges renew this one.
    assert count_queries(analyst_client, renewed_pledge(1).get_absolute_url()) == count_queries(
        analyst_client, renewed_pledge(6).get_absolute_url()
    )


# ---------------------------------------------------------------- the board


def listed(response) -> set[str]:
    assert response.status_code == 200
    return {commitment.title for commitment in response.context["page"].object_list}


def test_the_renewals_filter_keeps_renewing_or_renewed_pledges(analyst_client, chain):
    CommitmentFactory(title="Alone")
    board = reverse("tracker:board")

    assert listed(analyst_client.get(board, {"renewing": "on"})) == {
        "Up to 5.5 billion dollars with the AfDB",
        "Third tranche",
    }
    assert listed(analyst_client.get(board, {"renewed": "on"})) == {
        "30 billion dollars over three years",
        "Up to 5.5 billion dollars with the AfDB",
    }
    # The API's names, so that a board address and an API query read alike.
    assert listed(analyst_client.get(board, {"renewing": "true", "renewed": "true"})) == {
        "Up to 5.5 billion dollars with the AfDB"
    }


def test_a_pledge_renewed_twice_is_listed_once(analyst_client, chain, japan):
    CommitmentFactory(title="Another renewal", made_by=japan, made_on=date(2025, 9, 1), renews=chain["tunis"])

    response = analyst_client.get(reverse("tracker:board"), {"renewed": "on"})

    assert listed(response) == {"30 billion dollars over three years", "Up to 5.5 billion dollars with the AfDB"}
    assert response.context["summary"]["total"] == 2


def test_the_board_shows_what_became_of_the_previous_event_s_pledges(analyst_client, japan):
    ticad8 = EventFactory(name="TICAD 8", starts_on=date(2022, 8, 27))
    ticad9 = EventFactory(name="TICAD 9")
    old = [CommitmentFactory(made_by=japan, event=ticad8, made_on=date(2022, 8, 27)) for _ in range(4)]
    old[1].status = Status.FULFILLED
    old[1].save()
    old[3].status = Status.FULFILLED
    old[3].save()
    CommitmentFactory(made_by=japan, event=ticad9, renews=old[0])
    CommitmentFactory(made_by=japan, event=ticad9, renews=old[3])
    CommitmentFactory(made_by=japan, event=ticad9)

    page = body(analyst_client.get(reverse("tracker:board")))
    panel = section(page, "renewals")

    # Of TICAD 8's four: two renewed (one of them fulfilled too), one fulfilled, one dropped.
    assert rows(panel)[1:] == ["TICAD 9 TICAD 8 4 2 1 1"]
    assert f"?event={ticad8.pk}&amp;renewed=true" in panel
    assert f"?event={ticad9.pk}&amp;renewing=true" in panel
    # The links filter: "Renewed" lists the two renewed TICAD 8 pledges, not all four.
    renewed = analyst_client.get(reverse("tracker:board"), {"event": ticad8.pk, "renewed": "true"})
    assert {pledge.pk for pledge in renewed.context["page"].object_list} == {old[0].pk, old[3].pk}


def test_the_renewals_panel_says_when_nothing_renews(analyst_client):
    CommitmentFactory()

    panel = section(body(analyst_client.get(reverse("tracker:board"))), "renewals")

    assert "No pledge renews a pledge made at an earlier event." in text(panel)


# ---------------------------------------------------------------- the CSV export


def test_the_csv_names_the_pledge_each_renews(analyst_client, chain):
    response = analyst_client.get(reverse("tracker:commitments-csv"))
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    renews = {row["title"]: row["renews"] for row in table}
    assert renews == {
        "30 billion dollars over three years": "",
        "Up to 5.5 billion dollars with the AfDB": str(chain["tunis"].pk),
        "Third tranche": str(chain["yokohama"].pk),
    }


def test_the_csv_follows_the_renewals_filter(analyst_client, chain):
    response = analyst_client.get(reverse("tracker:commitments-csv"), {"renewing": "on"})
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert {row["title"] for row in table} == {"Up to 5.5 billion dollars with the AfDB", "Third tranche"}


# ---------------------------------------------------------------- the demo


def test_the_demo_renews_its_ticad_8_pledge_once_and_records_money_lines(capsys):
    call_command("load_demo")
    call_command("load_demo")

    (tunis,) = Commitment.objects.filter(event__name="TICAD 8")
    assert (tunis.event.location, tunis.event.starts_on, tunis.event.ends_on) == (
        "Tunis",
        date(2022, 8, 27),
        date(2022, 8, 28),
    )
    assert (tunis.made_by.name, tunis.pledged_amount, tunis.pledged_currency) == (
        "Government of Japan",
        Decimal("30000000000"),
        "USD",
    )
    assert tunis.source_url.startswith("https://www.mofa.go.jp/")
    (renewal,) = tunis.renewed_by.all()
    assert renewal.event.name == "TICAD 9"
    lines = list(MoneyLine.objects.filter(commitment=renewal))
    assert len(lines) == 3
    assert all(line.note.startswith("Demo entry") for line in lines)
    assert {line.kind for line in lines} == {"committed", "disbursed"}
    # Partly disbursed: less than the pledged amount in its currency.
    disbursed = sum(line.amount for line in lines if line.kind == "disbursed" and line.currency == "USD")
    assert 0 < disbursed < renewal.pledged_amount
    assert MoneyLine.objects.count() == 3


def test_the_demo_pledge_page_shows_the_chain_and_the_money(analyst_client, capsys):
    call_command("load_demo")
    renewal = Commitment.objects.get(renews__event__name="TICAD 8")

    page = page_of(analyst_client, renewal)

    assert (
        "Renews: Invest US$30 billion of public and private funds in Africa over three years (TICAD 8, 2022)"
        in text(section(page, "continuity"))
    )
    money_panel = text(section(page, "money"))
    assert "Pledged: 5,500,000,000 USD" in money_panel
    assert "350,000,000 USD" in money_panel and "15,000,000,000 JPY" in money_panel
