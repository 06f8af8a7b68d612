"""Renewals from one summit to the next, and earlier pledges that read alike (PostgreSQL's pg_trgm or the fallback)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ActorFactory, CommitmentFactory, EventFactory
from tracker import continuity, services
from tracker.models import Status

pytestmark = pytest.mark.django_db

TUNIS = {"made_on": date(2022, 8, 27)}
YOKOHAMA = {"made_on": date(2025, 8, 21)}


@pytest.fixture
def japan():
    return ActorFactory(name="Government of Japan")


def test_a_near_identical_earlier_pledge_is_suggested_first(japan):
    close = CommitmentFactory(
        made_by=japan,
        title="Invest in African human resources",
        quote="Japan will invest 30 billion dollars in Africa over three years, public and private together.",
        **TUNIS,
    )
    loose = CommitmentFactory(
        made_by=japan,
        title="Support African start-ups",
        quote="Japan will support African start-ups and investment in innovation over three years.",
        **TUNIS,
    )
    CommitmentFactory(
        made_by=japan, title="Hold a ministerial meeting", quote="A meeting in Tokyo next spring.", **TUNIS
    )

    found = continuity.similar_earlier_pledges(
        made_by=japan,
        title="Invest in African human resources",
        quote="Japan will invest 30 billion dollars in Africa over the next three years, public and private.",
        made_on=YOKOHAMA["made_on"],
    )

    assert [suggestion.commitment for suggestion in found][:1] == [close]
    assert found[0].similarity > 0.5
    assert all(s.similarity <= found[0].similarity for s in found)
    assert "Hold a ministerial meeting" not in [s.commitment.title for s in found]
    assert loose not in [s.commitment for s in found[:1]]


def test_another_maker_s_pledge_is_never_suggested(japan):
    kenya = ActorFactory(name="Government of Kenya")
    CommitmentFactory(made_by=kenya, title="Issue a Samurai bond", quote="Kenya will issue a Samurai bond in Tokyo.")

    found = continuity.similar_earlier_pledges(
        made_by=japan, title="Issue a Samurai bond", quote="Kenya will issue a Samurai bond in Tokyo."
    )

    assert found == []


def test_only_earlier_pledges_and_never_the_pledge_itself(japan):
    text = {"title": "Review tariffs on avocados", "quote": "We will review the tariffs on Kenyan avocados and tea."}
    itself = CommitmentFactory(made_by=japan, **text, **YOKOHAMA)
    later = CommitmentFactory(made_by=japan, **text, made_on=date(2026, 1, 10))

    found = continuity.similar_earlier_pledges(made_by=japan, **text, made_on=YOKOHAMA["made_on"], exclude=itself)

    assert itself not in [s.commitment for s in found]
    assert later not in [s.commitment for s in found]


def test_too_short_a_text_suggests_nothing(japan):
    CommitmentFactory(made_by=japan, title="Aid", quote="")

    assert continuity.similar_earlier_pledges(made_by=japan, title="Aid") == []


# Renewals


def test_the_chain_reads_both_ways(japan):
    tunis = CommitmentFactory(made_by=japan, event=EventFactory(name="TICAD 8"), **TUNIS)
    yokohama = CommitmentFactory(made_by=japan, event=EventFactory(name="TICAD 9"), renews=tunis, **YOKOHAMA)
    follow_up = CommitmentFactory(made_by=japan, renews=yokohama, made_on=date(2026, 3, 1))

    assert continuity.renewal_chain(yokohama) == {"earlier": [tunis], "later": [follow_up]}
    assert continuity.renewal_chain(tunis) == {"earlier": [], "later": [yokohama, follow_up]}
    assert continuity.renewal_chain(follow_up) == {"earlier": [tunis, yokohama], "later": []}


def test_a_pledge_renews_only_an_earlier_other_pledge_without_a_loop(japan):
    tunis = CommitmentFactory(made_by=japan, **TUNIS)
    yokohama = CommitmentFactory(made_by=japan, renews=tunis, **YOKOHAMA)

    for commitment, renews, message in (
        (tunis, tunis, "cannot renew itself"),
        (tunis, yokohama, "was made after this pledge"),
    ):
        with pytest.raises(ValidationError) as error:
            services.commitment_update(commitment=commitment, data={"renews": renews})
        assert message in error.value.message_dict["renews"][0]

    same_day = CommitmentFactory(made_by=japan, renews=yokohama, **YOKOHAMA)
    with pytest.raises(ValidationError) as error:
        services.commitment_update(commitment=yokohama, data={"renews": same_day})
    assert "already renews this pledge" in error.value.message_dict["renews"][0]

    created = services.commitment_create(
        data={"title": "TICAD 9 renewal", "made_by": japan, "made_on": YOKOHAMA["made_on"], "renews": tunis}
    )
    assert created.renews == tunis


def test_per_event_the_previous_event_s_pledges_renewed_fulfilled_or_dropped(japan):
    ticad8, ticad9 = EventFactory(name="TICAD 8"), EventFactory(name="TICAD 9")
    old = [CommitmentFactory(made_by=japan, event=ticad8, **TUNIS) for _ in range(5)]
    old[1].status = Status.FULFILLED
    old[1].save()
    old[2].status = Status.FULFILLED
    old[2].save()
    CommitmentFactory(made_by=japan, event=ticad9, renews=old[0], **YOKOHAMA)
    # Renewed and fulfilled counts as renewed.
    CommitmentFactory(made_by=japan, event=ticad9, renews=old[2], **YOKOHAMA)
    CommitmentFactory(made_by=japan, event=ticad9, **YOKOHAMA)

    stats = continuity.event_renewals()

    assert set(stats) == {ticad9.pk}
    row = stats[ticad9.pk]
    assert (row.previous_id, row.previous_pledges, row.renewed, row.fulfilled, row.dropped) == (ticad8.pk, 5, 2, 1, 2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL pointing to PostgreSQL")
def test_the_postgresql_query_can_read_the_maker_s_pledges_nearest_first_from_the_gist_index(japan):
    for number in range(30):
        CommitmentFactory(made_by=japan, title=f"Pledge {number} on roads", **TUNIS)
    with CaptureQueriesContext(connection) as queries:
        continuity.similar_earlier_pledges(
            made_by=japan, title="Pledge 7 on roads and bridges", made_on=date(2026, 1, 1)
        )
    similarity_query = queries.captured_queries[0]["sql"]

    with connection.cursor() as cursor:
        # As on a large table, where reading the maker's rows and sorting them all costs more than the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {similarity_query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Scan using commitment_maker_text_trgm" in plan
    assert "Index Cond: (made_by_id = " in plan
    assert "Order By:" in plan
