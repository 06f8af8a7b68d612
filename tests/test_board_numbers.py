"""The board's numbers (selectors.board_aggregates), folded from one query, against a query per number."""

import random
from datetime import date, timedelta
from itertools import pairwise

import pytest
from django.db import connection
from django.db.models import Avg, Case, IntegerField, Q, When
from django.test.utils import CaptureQueriesContext

from tests.factories import ActorFactory, EventFactory
from tracker import selectors
from tracker.models import COMPLIANCE_SCORES, Actor, Commitment, Event, Status

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 14)
MAKERS = (
    "Government of Japan",
    "Government of Kenya",
    "Toyota",
    "Shigeru Ishiba",
    "William Ruto",
    "African Development Bank",
    "Ministry of Trade",
    "Nairobi Securities Exchange",
    "JICA",
    "Kenya Tea Board",
    "Bank of Japan",
    "Central Bank of Kenya",
    "Export Promotion Council",
    "Mitsubishi",
)
# Dates on either side of each boundary the numbers draw: overdue is before
# today, the timeline's months run from the first of this month for twelve.
EDGE_DAYS = (
    TODAY - timedelta(days=1),
    TODAY,
    TODAY + timedelta(days=14),
    date(2026, 5, 1),
    date(2026, 4, 30),
    date(2027, 4, 30),
    date(2027, 5, 1),
    None,
)


@pytest.fixture
def pledges():
    """Every status, 14 makers of unequal output, 4 events and none, dates around every boundary."""
    pick = random.Random(7)
    makers = [ActorFactory(name=name, country=("JP", "KE", "US")[n % 3]) for n, name in enumerate(MAKERS)]
    events = [EventFactory(name=f"Summit {letter}") for letter in "ABCD"]
    rows = []
    for n in range(400):
        edge = n < len(EDGE_DAYS) ** 2
        rows.append(
            Commitment(
                title=f"Pledge {n}",
                made_by=pick.choices(makers, weights=range(1, len(makers) + 1))[0],
                event=pick.choice([*events, None]),
                made_on=date(2024, 1, 1),
                status=Status.values[n % len(Status.values)],
                next_check_on=EDGE_DAYS[n % len(EDGE_DAYS)] if edge else _some_day(pick, -90, 120),
                due_on=EDGE_DAYS[n // len(EDGE_DAYS) % len(EDGE_DAYS)] if edge else _some_day(pick, -500, 900),
            )
        )
    Commitment.objects.bulk_create(rows)


def _some_day(pick, start, end):
    return None if pick.random() < 0.2 else TODAY + timedelta(days=pick.randint(start, end))


def numbers_by_a_query_each(queryset, *, today, charts=True):
    """What board_aggregates returns, from one plain ORM query per number."""
    score = Case(
        *(When(status=status, then=value) for status, value in COMPLIANCE_SCORES.items()), output_field=IntegerField()
    )

    def compliance(field, model):
        rows = []
        for item in model.objects.order_by("name"):
            theirs = queryset.filter(**{field: item})
            if theirs.exists():
                mean = theirs.aggregate(mean=Avg(score))["mean"]
                rows.append(
                    {
                        "id": item.pk,
                        "name": item.name,
                        "mean": None if mean is None else round(mean, 2),
                        "scored": theirs.filter(status__in=list(COMPLIANCE_SCORES)).count(),
                        "total": theirs.count(),
                    }
                )
        return rows

    open_ = queryset.filter(status__in=list(Status.open()))
    numbers = {
        "counts": {status: queryset.filter(status=status).count() for status in Status.values},
        "total": queryset.count(),
        "overdue_count": open_.filter(Q(next_check_on__lt=today) | Q(due_on__lt=today)).count(),
        "compliance_by_actor": compliance("made_by", Actor),
        "compliance_by_event": compliance("event", Event),
    }
    if not charts:
        return numbers
    makers = []
    for actor in Actor.objects.all():
        counts = {status: queryset.filter(made_by=actor, status=status).count() for status in Status.values}
        counts = {status: count for status, count in counts.items() if count}
        if counts:
            makers.append({"id": actor.pk, "name": actor.name, "counts": counts, "total": sum(counts.values())})
    makers.sort(key=lambda actor: (-actor["total"], actor["name"]))
    numbers["status_by_actor"] = {"actors": makers[:12], "others": max(len(makers) - 12, 0)}

    first = today.replace(day=1)
    starts = [date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, 1) for n in range(13)]
    earlier = {
        "due": queryset.filter(due_on__lt=first).count(),
        "checks": open_.filter(next_check_on__lt=first).count(),
    }
    later = {
        "due": queryset.filter(due_on__gte=starts[12]).count(),
        "checks": open_.filter(next_check_on__gte=starts[12]).count(),
    }
    timeline = (
        [{"label": "Before this month", "short": "Past", "start": None, **earlier}] if any(earlier.values()) else []
    )
    for start, end in pairwise(starts):
        timeline.append(
            {
                "label": start.strftime("%B %Y"),
                "short": start.strftime("%b"),
                "start": start,
                "due": queryset.filter(due_on__gte=start, due_on__lt=end).count(),
                "checks": open_.filter(next_check_on__gte=start, next_check_on__lt=end).count(),
            }
        )
    if any(later.values()):
        timeline.append({"label": "Later", "short": "Later", "start": None, **later})
    numbers["dates_by_month"] = [{**bucket, "total": bucket["due"] + bucket["checks"]} for bucket in timeline]
    return numbers


SUBSETS = {
    "every pledge": lambda: Commitment.objects.all(),
    "makers in Japan": lambda: Commitment.objects.filter(made_by__country="JP"),
    "open ones": lambda: Commitment.objects.filter(status__in=[Status.ANNOUNCED, Status.STALLED]),
    "of no event": lambda: Commitment.objects.filter(event__isnull=True),
    "none": lambda: Commitment.objects.filter(title="no such pledge"),
}


@pytest.mark.parametrize("charts", [True, False], ids=["board", "api"])
@pytest.mark.parametrize("subset", SUBSETS)
def test_the_board_numbers_are_those_of_a_query_per_number(pledges, subset, charts):
    queryset = SUBSETS[subset]()

    numbers = selectors.board_aggregates(today=TODAY, queryset=queryset, charts=charts)

    assert numbers == numbers_by_a_query_each(queryset, today=TODAY, charts=charts)


def test_the_data_set_reaches_every_case(pledges):
    numbers = selectors.board_aggregates(today=TODAY)

    assert all(numbers["counts"].values())
    assert numbers["status_by_actor"]["others"] == 2
    overdue = Commitment.objects.filter(status__in=list(Status.open()))
    assert overdue.filter(next_check_on__lt=TODAY, due_on__gte=TODAY).exists()
    assert overdue.filter(due_on__lt=TODAY, next_check_on__gte=TODAY).exists()
    assert overdue.filter(due_on__lt=TODAY, next_check_on__isnull=True).exists()
    assert Commitment.objects.filter(status__in=list(Status.terminal()), due_on__lt=TODAY).exists()
    assert {bucket["label"] for bucket in numbers["dates_by_month"]} >= {"Before this month", "Later", "April 2027"}
    assert len(numbers["compliance_by_event"]) == 4


def test_numbers_with_no_pledges_at_all():
    ActorFactory()

    assert selectors.board_aggregates(today=TODAY) == numbers_by_a_query_each(Commitment.objects.all(), today=TODAY)
    assert selectors.board_aggregates(today=TODAY, queryset=Commitment.objects.none())["total"] == 0


@pytest.mark.parametrize("charts", [True, False])
def test_the_board_numbers_are_one_query(pledges, charts, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.board_aggregates(today=TODAY, charts=charts)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL pointing to PostgreSQL")
def test_the_counts_per_maker_event_and_day_are_read_from_indexes_alone(pledges):
    with CaptureQueriesContext(connection) as captured:
        selectors.board_aggregates(today=TODAY)
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        # The planner prefers other scans on 400 rows; what matters is that an index holds all each part reads.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())

    for index in (
        "commitment_made_by_status",
        "commitment_event_status",
        "commitment_due_on",
        "commitment_open_next_check",
    ):
        assert f"Index Only Scan using {index}" in plan, plan
