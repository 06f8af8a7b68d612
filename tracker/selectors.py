"""Read queries shared by the board, the API and the emails.

One place to make a query fast: every list of pledges shown to a person goes
through `commitments_for_display`, and every summary through `board_summary`.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Avg, Case, Count, F, IntegerField, Prefetch, Q, QuerySet, When
from django.utils import timezone

from .models import COMPLIANCE_SCORES, Actor, Commitment, ProgressUpdate, Status

DUE_SOON_DAYS = 14
SUMMARY_LIST_LENGTH = 20


def commitments_for_display(queryset: QuerySet | None = None) -> QuerySet:
    """Pledges with what a list shows of them, in a fixed number of queries."""
    if queryset is None:
        queryset = Commitment.objects.all()
    return queryset.select_related("made_by", "event", "owner").prefetch_related(
        Prefetch("counterparts", queryset=Actor.objects.only("id", "name")),
        "topics",
    )


def commitments_overdue(*, today: datetime.date, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Commitment.objects.all() if queryset is None else queryset
    return queryset.overdue(today).order_by("next_check_on", "due_on", "id")


def commitments_due_soon(*, today: datetime.date, days: int = DUE_SOON_DAYS, queryset: QuerySet | None = None):
    """Open pledges whose next check falls in the coming `days` days, today included."""
    queryset = Commitment.objects.all() if queryset is None else queryset
    return (
        queryset.open()
        .filter(next_check_on__gte=today, next_check_on__lte=today + datetime.timedelta(days=days))
        .order_by("next_check_on", "id")
    )


def commitments_recently_updated(*, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Commitment.objects.all() if queryset is None else queryset
    return queryset.order_by("-updated_at", "-id")


def _score_expression():
    return Case(
        *(When(status=status, then=score) for status, score in COMPLIANCE_SCORES.items()),
        default=None,
        output_field=IntegerField(),
    )


def status_counts(queryset: QuerySet | None = None) -> dict[str, int]:
    """Pledges per status, every status present (zero included), in one query."""
    queryset = Commitment.objects.all() if queryset is None else queryset
    counts = queryset.aggregate(**{status: Count("id", filter=Q(status=status)) for status in Status.values})
    return {status: counts[status] or 0 for status in Status.values}


def compliance_by(field: str, queryset: QuerySet | None = None) -> list[dict]:
    """Mean compliance score per actor (`field="made_by"`) or event (`field="event"`).

    Only scored statuses count (DESIGN.md: announced and withdrawn have no
    score); `scored` says how many pledges the mean is over, `total` how many
    the actor or event has in all.
    """
    if field not in {"made_by", "event"}:
        raise ValueError(f"compliance_by takes made_by or event, not {field!r}")
    queryset = Commitment.objects.all() if queryset is None else queryset
    rows = (
        queryset.filter(**{f"{field}__isnull": False})
        .values(f"{field}_id", f"{field}__name")
        .annotate(
            mean=Avg(_score_expression()),
            scored=Count("id", filter=Q(status__in=list(COMPLIANCE_SCORES))),
            total=Count("id"),
        )
        .order_by(f"{field}__name")
    )
    return [
        {
            "id": row[f"{field}_id"],
            "name": row[f"{field}__name"],
            "mean": round(row["mean"], 2) if row["mean"] is not None else None,
            "scored": row["scored"],
            "total": row["total"],
        }
        for row in rows
    ]


def board_summary(*, today: datetime.date | None = None, queryset: QuerySet | None = None) -> dict:
    """What the board's top half and the API's board/ endpoint show.

    `queryset` narrows everything to a filtered set of pledges. The lists are
    capped at SUMMARY_LIST_LENGTH and fetched with their related rows, so the
    number of queries does not grow with the number of pledges.
    """
    today = today or timezone.localdate()
    queryset = Commitment.objects.all() if queryset is None else queryset
    limit = SUMMARY_LIST_LENGTH
    return {
        "today": today,
        "counts": status_counts(queryset),
        "total": queryset.count(),
        "overdue_count": queryset.overdue(today).count(),
        "overdue": list(commitments_for_display(commitments_overdue(today=today, queryset=queryset))[:limit]),
        "due_soon": list(commitments_for_display(commitments_due_soon(today=today, queryset=queryset))[:limit]),
        "recently_updated": list(commitments_for_display(commitments_recently_updated(queryset=queryset))[:limit]),
        "compliance_by_actor": compliance_by("made_by", queryset),
        "compliance_by_event": compliance_by("event", queryset),
    }


def commitments_watched_by(user) -> QuerySet:
    """Pledges a user owns or watches: the digest's and the calendar's subject."""
    return Commitment.objects.filter(Q(owner=user) | Q(watchers=user)).distinct()


def status_changes_between(*, start: datetime.datetime, end: datetime.datetime, commitments: QuerySet) -> QuerySet:
    """Progress updates that changed a status, recorded in [start, end), for a digest."""
    return (
        ProgressUpdate.objects.filter(commitment__in=commitments, created_at__gte=start, created_at__lt=end)
        .exclude(status_before=F("status_after"))
        .select_related("commitment", "commitment__made_by", "author")
        .order_by("created_at", "id")
    )


def services_health() -> dict:
    """Whether the database and the broker answer, with the error when one does not.

    The broker being down is degraded, not fatal: the outbox keeps reminders
    in the database and the next sweep sends them once it is back.
    """
    from django.db import connection

    from config.celery import app

    health = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        health["database"] = {"ok": True}
    except Exception as error:
        health["database"] = {"ok": False, "error": str(error)[:200]}
    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        health["broker"] = {"ok": True, "transport": broker.transport_cls}
    except Exception as error:
        health["broker"] = {"ok": False, "error": str(error)[:200]}
    health["status"] = "ok" if all(part["ok"] for part in health.values()) else "degraded"
    if not health["database"]["ok"]:
        health["status"] = "down"
    return health


def commitments_for_api(queryset: QuerySet | None = None) -> QuerySet:
    """Pledges with everything the API shows of them (watchers too), in a fixed number of queries."""
    return commitments_for_display(queryset).prefetch_related(
        Prefetch("watchers", queryset=get_user_model().objects.only("id", "username"))
    )


def progress_updates_for_api(*, commitment_id) -> QuerySet:
    """A pledge's timeline, newest first, with each author."""
    return ProgressUpdate.objects.filter(commitment_id=commitment_id).select_related("author")
