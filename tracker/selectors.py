"""Read queries shared by the board, the API and the emails.

One place to make a query fast: every list of pledges shown to a person goes
through `commitments_for_display`, and every summary through `board_summary`.
"""

import datetime
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import (
    Aggregate,
    BigIntegerField,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Cast, Concat, RowNumber
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy, pgettext_lazy

from . import board_cache
from . import money as money_numbers
from .extraction import KnownActor
from .models import (
    COMPLIANCE_SCORES,
    OPEN_STATUSES,
    Actor,
    Commitment,
    Event,
    FollowUp,
    Milestone,
    NotificationPreference,
    ProgressUpdate,
    Status,
    Topic,
    milestone_overdue_exists,
    overdue_condition,
)

DUE_SOON_DAYS = 14
SUMMARY_LIST_LENGTH = 20


def commitments_for_display(queryset: QuerySet | None = None) -> QuerySet:
    """Pledges with what a list shows of them, in a fixed number of queries."""
    if queryset is None:
        queryset = Commitment.objects.all()
    return with_milestone_overdue(
        queryset.select_related("made_by", "event", "owner").prefetch_related(
            Prefetch("counterparts", queryset=Actor.objects.only("id", "name")),
            "topics",
        )
    )


def commitments_for_list(queryset: QuerySet | None = None) -> QuerySet:
    """Pledges with their maker, event and owner: one query for a table that shows no topics."""
    if queryset is None:
        queryset = Commitment.objects.all()
    return with_milestone_overdue(queryset.select_related("made_by", "event", "owner"))


def with_milestone_overdue(queryset: QuerySet) -> QuerySet:
    """Pledges with `has_overdue_milestone`, which `Commitment.is_overdue` reads instead of a query per pledge."""
    return queryset.annotate(has_overdue_milestone=milestone_overdue_exists(timezone.localdate()))


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


# The columns of every part of `_board_counts`, with a count after them.
_COUNT_COLUMNS = ("part", "key", "label", "day")


class _Null(Cast):
    """A null of the type of `output_field`, left out of GROUP BY.

    Typed, because PostgreSQL types a UNION's column by its first parts, as
    text where they are all null, and then refuses a date or a number; left
    out, because a constant in GROUP BY is still compared on every row.
    """

    def __init__(self, output_field):
        super().__init__(Value(None), output_field=output_field)

    def get_group_by_cols(self):
        return []


def _counted(queryset: QuerySet, part: str, **columns) -> QuerySet:
    """`queryset`'s pledges counted per `columns` (key, label, day; the others null): one part of `_board_counts`."""
    columns = {"key": _Null(BigIntegerField()), "label": _Null(CharField()), "day": _Null(DateField()), **columns}
    return (
        queryset.order_by()
        .annotate(part=Value(part), **columns)
        .values_list(*_COUNT_COLUMNS)
        .annotate(count=Count("*"))
    )


def _names(model, part: str) -> QuerySet:
    """Every actor's or event's name by its id: one part of `_board_counts`."""
    return (
        model.objects.order_by()
        .annotate(part=Value(part), key=F("pk"), label=F("name"), day=_Null(DateField()), count=_Null(IntegerField()))
        .values_list(*_COUNT_COLUMNS, "count")
    )


def _board_counts(queryset: QuerySet, parts: set[str], *, today: datetime.date | None = None) -> dict[str, list]:
    """The counts the board's numbers are folded from, as (key, label, day, count) rows per part, in one query.

    Parts: "makers" (pledges per maker and status, and every actor's name),
    "events" (per event and status, and every event's name), "overdue" (a
    count as of `today`) and "dates" (target dates, and next checks of open
    pledges, per day). Each is a narrow GROUP BY that PostgreSQL can read
    from an index alone (commitment_made_by_status, commitment_event_status,
    commitment_due_on, commitment_open_next_check) where the table's pages
    are all-visible; only the overdue count reads the table. One GROUP BY
    over maker, event, status and overdue together would read the table once
    but make about 34,000 groups at 100,000 pledges, slower than these parts
    (bench/); a join for the names would be done before the grouping, for
    every pledge, hence the names as parts of their own.
    """
    queries = []
    if "makers" in parts:
        queries += [_counted(queryset, "makers", key=F("made_by_id"), label=F("status")), _names(Actor, "maker names")]
    if "events" in parts:
        queries += [_counted(queryset, "events", key=F("event_id"), label=F("status")), _names(Event, "event names")]
    if "overdue" in parts:
        queries.append(_counted(queryset.filter(overdue_condition(today)), "overdue"))
    if "dates" in parts:
        queries += [
            _counted(queryset.filter(due_on__isnull=False), "due", day=F("due_on")),
            _counted(
                queryset.filter(status__in=OPEN_STATUSES, next_check_on__isnull=False), "checks", day=F("next_check_on")
            ),
        ]
    rows = {part: [] for part in ("makers", "maker names", "events", "event names", "overdue", "due", "checks")}
    for part, key, label, day, count in queries[0].union(*queries[1:], all=True):
        rows[part].append((key, label, day, count))
    return rows


def _compliance(counts: list, names: list) -> list[dict]:
    """Mean compliance score per actor or event, by name, from its rows of pledges per status.

    Only scored statuses count (DESIGN.md: announced and withdrawn have no
    score); `scored` says how many pledges the mean is over, `total` how many
    the actor or event has in all. Pledges of no event are left out.
    """
    name_of = {key: name for key, name, _, _ in names}
    table = {}
    for key, status, _, count in counts:
        if key is None:
            continue
        row = table.setdefault(key, {"id": key, "name": name_of.get(key, ""), "points": 0, "scored": 0, "total": 0})
        row["total"] += count
        if status in COMPLIANCE_SCORES:
            row["points"] += COMPLIANCE_SCORES[status] * count
            row["scored"] += count
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "mean": round(row["points"] / row["scored"], 2) if row["scored"] else None,
            "scored": row["scored"],
            "total": row["total"],
        }
        for row in sorted(table.values(), key=lambda row: row["name"])
    ]


def board_aggregates(*, today: datetime.date, queryset: QuerySet | None = None, charts: bool = True) -> dict:
    """The board's numbers over all of `queryset`: tiles, overdue count, compliance tables and charts, in one query.

    The unfiltered numbers are cached still (`board_summary(cached=True)`):
    the query reads every pledge, if mostly from indexes. `charts` adds the
    status-by-actor and dates-by-month charts, which the board shows and the
    API does not.
    """
    queryset = Commitment.objects.all() if queryset is None else queryset
    parts = {"makers", "events", "overdue"} | ({"dates"} if charts else set())
    rows = _board_counts(queryset, parts, today=today)
    per_status = dict.fromkeys(Status.values, 0)
    for _, status, _, count in rows["makers"]:
        if status in per_status:
            per_status[status] += count
    aggregates = {
        "counts": per_status,
        "total": sum(per_status.values()),
        "overdue_count": sum(count for *_, count in rows["overdue"]),
        "compliance_by_actor": _compliance(rows["makers"], rows["maker names"]),
        "compliance_by_event": _compliance(rows["events"], rows["event names"]),
    }
    if charts:
        aggregates["status_by_actor"] = _status_by_actor(rows)
        aggregates["dates_by_month"] = _dates_by_month(rows, today=today)
    return aggregates


def board_summary(
    *,
    today: datetime.date | None = None,
    queryset: QuerySet | None = None,
    display: Callable[[QuerySet], QuerySet] = commitments_for_display,
    charts: bool = False,
    cached: bool = False,
    money: bool = False,
) -> dict:
    """What the board's top half and the API's board/ endpoint show.

    `queryset` narrows everything to a filtered set of pledges. The lists are
    capped at SUMMARY_LIST_LENGTH and fetched with their related rows, so the
    number of queries does not grow with the number of pledges. `display`
    fetches those rows: the board passes `commitments_for_list`, which skips
    counterparts and topics (two queries per list) that it does not show there.
    `cached=True` (only for an unfiltered `queryset`) takes the numbers over
    every pledge from `tracker.board_cache` until something changes; the
    lists are always read afresh (each reads 20 rows by index). `money` adds
    the money totals and renewals per event (`money.board_money`), cached with
    the rest.
    """
    today = today or timezone.localdate()
    queryset = Commitment.objects.all() if queryset is None else queryset

    def compute():
        aggregates = board_aggregates(today=today, queryset=queryset, charts=charts)
        if money:
            aggregates.update(money_numbers.board_money(queryset))
        return aggregates

    if cached:
        aggregates = board_cache.cached_aggregates(today=today, charts=charts, money=money, compute=compute)
    else:
        aggregates = compute()
    limit = SUMMARY_LIST_LENGTH
    return {
        **aggregates,
        "today": today,
        "overdue": list(display(commitments_overdue(today=today, queryset=queryset))[:limit]),
        "due_soon": list(display(commitments_due_soon(today=today, queryset=queryset))[:limit]),
        "recently_updated": list(display(commitments_recently_updated(queryset=queryset))[:limit]),
    }


def users_who_may_view_pledges() -> QuerySet:
    """Active users for whom has_perm("tracker.view_commitment") holds, in one query.

    The only people a pledge may be owned or watched by, and so the only
    recipients of its reminders: an email quotes what the board shows.
    """
    view = Permission.objects.filter(content_type__app_label="tracker", codename="view_commitment")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Exists(view.filter(user=OuterRef("pk")))
            | Exists(view.filter(group__user=OuterRef("pk")))
        )
    )


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


def followups_for_delivery(ids, **annotations) -> list[FollowUp]:
    """These follow-ups, if still being sent, with what sending reads: recipient (and preferences), pledge, maker,
    event and owner, whether the recipient may view pledges, and the caller's `annotations`, in one query.

    The preference is joined, so that a recipient without one has it cached
    as missing rather than queried again. The state is checked here rather
    than in SQL, so that the rows are found through the primary key.
    """
    related = (
        "recipient__notification_preference",
        "commitment__made_by",
        "commitment__event",
        "commitment__owner",
        "contact__actor",
        "request__cycle",
        "request__member",
        "milestone",
    )
    may_view = Exists(users_who_may_view_pledges().filter(pk=OuterRef("recipient_id")))
    rows = (
        FollowUp.objects.filter(pk__in=ids)
        .select_related(*related)
        .annotate(recipient_may_view_pledges=may_view, **annotations)
        .order_by()
    )
    return [row for row in rows if row.state == FollowUp.State.SENDING]


def watcher_ids_by_commitment(commitment_ids) -> dict[int, set[int]]:
    """Who watches each of these pledges, by pledge id, in one query."""
    watchers = {}
    links = Commitment.watchers.through.objects.filter(commitment_id__in=commitment_ids)
    for commitment_id, user_id in links.values_list("commitment_id", "user_id"):
        watchers.setdefault(commitment_id, set()).add(user_id)
    return watchers


def latest_updates(commitment_ids) -> dict[int, ProgressUpdate]:
    """The last update of each of these pledges, in ProgressUpdate's own order, with its author, in one query.

    A pledge without updates has no entry. The window reads the updates of
    these pledges only, once each, through the index on the pledge (a
    subquery per pledge made PostgreSQL hash-join the whole table).
    """
    newest_first = Window(RowNumber(), partition_by=F("commitment_id"), order_by=list(ProgressUpdate._meta.ordering))
    updates = (
        ProgressUpdate.objects.filter(commitment_id__in=commitment_ids)
        .annotate(newest_first=newest_first)
        .filter(newest_first=1)
        .select_related("author")
        .order_by()
    )
    return {update.commitment_id: update for update in updates}


def actors_for_extraction() -> list:
    """Every actor with its aliases, as the extraction engine matches names against them."""
    return [KnownActor.from_any(actor) for actor in Actor.objects.only("id", "name", "kind", "aliases")]


# The status board's own reads: filter choices, charts, the CSV export, the
# pledge page and the calendar feed.

CHART_ACTORS = 12
TIMELINE_MONTHS = 12
# Separates names inside one CSV cell's aggregate; no name holds it.
NAME_SEPARATOR = "\x1f"


def board_filter_choices() -> dict:
    """The choices of the board's filter form: actors, countries, events, topics, owners; and people for bulk edits.

    One UNION query rather than one per list: the board runs a dozen queries
    already and must stay at 15 whatever the number of pledges.
    """
    columns = ("source", "id", "label", "detail")
    actors = Actor.objects.annotate(source=Value("actor"), label=F("name"), detail=F("country"))
    events = Event.objects.annotate(source=Value("event"), label=F("name"), detail=Value(""))
    topics = Topic.objects.annotate(source=Value("topic"), label=F("name"), detail=Value(""))
    owners = (
        get_user_model()
        .objects.filter(pk__in=Commitment.objects.filter(owner__isnull=False).values("owner_id"))
        .annotate(
            source=Value("owner"),
            label=F("username"),
            detail=Concat("first_name", Value(" "), "last_name", output_field=CharField()),
        )
    )
    # Whom a pledge may be given to or watched by: the board's bulk edits offer them.
    people = users_who_may_view_pledges().annotate(
        source=Value("person"),
        label=F("username"),
        detail=Concat("first_name", Value(" "), "last_name", output_field=CharField()),
    )
    parts = [queryset.values_list(*columns).order_by() for queryset in (actors, events, topics, owners, people)]
    rows = parts[0].union(*parts[1:], all=True)
    choices = {"actors": [], "events": [], "topics": [], "owners": [], "persons": []}
    countries = set()
    for source, pk, label, detail in rows:
        # People show their full name when they have one, else their username.
        shown = (detail or "").strip() or label if source in ("owner", "person") else label
        choices[f"{source}s"].append((str(pk), shown))
        if source == "actor" and detail:
            countries.add(detail)
    for options in choices.values():
        options.sort(key=lambda option: (option[1].casefold(), int(option[0])))
    return {**choices, "countries": sorted(countries)}


def status_by_actor(queryset: QuerySet | None = None, *, limit: int = CHART_ACTORS) -> dict:
    """Pledges per status for each maker, the makers with most pledges first, in one query."""
    queryset = Commitment.objects.all() if queryset is None else queryset
    return _status_by_actor(_board_counts(queryset, {"makers"}), limit=limit)


def _status_by_actor(rows: dict, *, limit: int = CHART_ACTORS) -> dict:
    # Ranked here rather than by an ORDER BY, which would sort every pledge
    # (it spilled to disk at 100,000 pledges; bench/).
    name_of = {key: name for key, name, _, _ in rows["maker names"]}
    actors = {}
    for key, status, _, count in rows["makers"]:
        actor = actors.setdefault(key, {"id": key, "name": name_of.get(key, ""), "counts": {}, "total": 0})
        actor["counts"][status] = count
        actor["total"] += count
    ranked = sorted(actors.values(), key=lambda actor: (-actor["total"], actor["name"], actor["id"]))
    return {"actors": ranked[:limit], "others": len(ranked) - len(ranked[:limit])}


def dates_by_month(*, today: datetime.date, queryset: QuerySet | None = None, months: int = TIMELINE_MONTHS) -> list:
    """Target dates and next checks (open pledges) per month, from this month on, in one query.

    Dates before this month fall in a "Before this month" bucket and those after the
    last month in a "Later" one, so that one far-off date cannot stretch the
    chart over years.
    """
    queryset = Commitment.objects.all() if queryset is None else queryset
    return _dates_by_month(_board_counts(queryset, {"dates"}), today=today, months=months)


def _dates_by_month(rows: dict, *, today: datetime.date, months: int = TIMELINE_MONTHS) -> list:
    first = today.replace(day=1)
    starts = [_add_months(first, offset) for offset in range(months)]
    after_last = _add_months(first, months)
    buckets = {"earlier": {"due": 0, "checks": 0}, "later": {"due": 0, "checks": 0}}
    buckets.update({start: {"due": 0, "checks": 0} for start in starts})

    def bucket_of(month):
        if month < first:
            return "earlier"
        if month >= after_last:
            return "later"
        return month

    for name in ("due", "checks"):
        for _, _, day, count in rows[name]:
            buckets[bucket_of(day.replace(day=1))][name] += count

    timeline = []
    if sum(buckets["earlier"].values()):
        timeline.append({"label": EARLIER_LABEL, "short": EARLIER_SHORT, "start": None, **buckets["earlier"]})
    timeline += [
        {
            # The month in full and its year ("April 2027", "avril 2027"), the same order in every language offered.
            "label": _month_name(start, "F Y"),
            "short": _month_name(start, "M"),
            "start": start,
            **buckets[start],
        }
        for start in starts
    ]
    if sum(buckets["later"].values()):
        timeline.append({"label": LATER_LABEL, "short": LATER_LABEL, "start": None, **buckets["later"]})
    for bucket in timeline:
        bucket["total"] = bucket["due"] + bucket["checks"]
    return timeline


# The chart's labels are lazy: the board's numbers are cached once for readers of
# every language (tracker/board_cache.py) and named in each reader's when shown.
EARLIER_LABEL = gettext_lazy("Before this month")
# Translators: the short label, under its bar, of the dates before this month on the board's chart.
EARLIER_SHORT = pgettext_lazy("chart of dates", "Past")
# Translators: the label of the dates after the last month on the board's chart.
LATER_LABEL = pgettext_lazy("chart of dates", "Later")


def _month_label(start: datetime.date, format_name: str) -> str:
    return formats.date_format(start, format_name)


_month_name = lazy(_month_label, str)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    return day.replace(year=day.year + month_index // 12, month=month_index % 12 + 1)


class GroupConcat(Aggregate):
    """Names joined into one string: GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def __init__(self, expression, separator: str, **extra):
        super().__init__(expression, Value(separator), **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra_context)


def names_of(through, target: str) -> Subquery:
    return Subquery(
        through.objects.filter(commitment_id=OuterRef("pk"))
        .order_by()
        .values("commitment_id")
        .annotate(names=GroupConcat(f"{target}__name", NAME_SEPARATOR))
        .values("names")
    )


def commitments_for_export(queryset: QuerySet | None = None) -> QuerySet:
    """Pledges with counterparts and topics as annotated strings: one query for any number of rows.

    Split `counterpart_names` and `topic_names` with `split_names`.
    """
    queryset = Commitment.objects.all() if queryset is None else queryset
    return commitments_for_list(queryset).annotate(
        counterpart_names=names_of(Commitment.counterparts.through, "actor"),
        topic_names=names_of(Commitment.topics.through, "topic"),
    )


def split_names(names: str | None) -> list[str]:
    return sorted(names.split(NAME_SEPARATOR)) if names else []


def commitment_for_detail() -> QuerySet:
    """The pledge page's pledge, with everything it shows about it, in four queries."""
    return Commitment.objects.select_related("made_by", "event", "owner").prefetch_related(
        Prefetch("counterparts", queryset=Actor.objects.only("id", "name", "country")),
        "topics",
        Prefetch("watchers", queryset=get_user_model().objects.order_by("username")),
    )


def calendar_owner_by_token(token: str):
    """The active user whose calendar link holds `token`, or None."""
    preference = (
        NotificationPreference.objects.select_related("user").filter(calendar_token=token, user__is_active=True).first()
    )
    return preference.user if preference else None


def commitments_for_calendar(user) -> QuerySet:
    """Pledges a user owns or watches that have a next check or a target date."""
    return (
        commitments_watched_by(user)
        .filter(Q(next_check_on__isnull=False) | Q(due_on__isnull=False))
        .select_related("made_by")
        .order_by("id")
    )


def user_time_zone(user) -> str:
    """The time zone a user chose in their preferences, or the site's when they chose none."""
    chosen = NotificationPreference.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return chosen or settings.TIME_ZONE


# What the API list shows of a pledge's maker, event, owner and the pledge it renews, besides their ids: the
# rest of their rows is left unread (reading another of their fields would cost a query a pledge).
API_LIST_RELATED_FIELDS = ("made_by__name", "event__name", "owner__username", "renews__title")


def commitments_for_api_list(queryset: QuerySet | None = None) -> QuerySet:
    """Pledges as the API lists them, in three queries: the pledges with their maker, event, owner and the
    pledge each renews (only what the list shows of them), then counterparts and topics as plain lists,
    `counterpart_list` and `topic_list` (no manager and queryset per pledge, as `.all()` would build).
    """
    queryset = Commitment.objects.all() if queryset is None else queryset
    # A scalar subquery rather than with_milestone_overdue's EXISTS: PostgreSQL answers an EXISTS in the
    # select list by hashing every overdue milestone (8,600 at 100,000 pledges) before the first row, where
    # this is one probe of the milestone_open_due index per pledge of the page.
    overdue_step = Subquery(
        Milestone.objects.filter(commitment=OuterRef("pk")).overdue(timezone.localdate()).order_by().values("pk")[:1]
    )
    return (
        queryset.select_related("made_by", "event", "owner", "renews")
        .only(*(field.name for field in Commitment._meta.concrete_fields), *API_LIST_RELATED_FIELDS)
        .alias(overdue_step=overdue_step)
        .annotate(has_overdue_milestone=Q(overdue_step__isnull=False))
        .prefetch_related(
            Prefetch("counterparts", queryset=Actor.objects.only("id", "name"), to_attr="counterpart_list"),
            Prefetch("topics", queryset=Topic.objects.only("id", "name"), to_attr="topic_list"),
        )
    )


def commitments_for_api(queryset: QuerySet | None = None) -> QuerySet:
    """Pledges with everything the API shows of one of them (watchers too), in a fixed number of queries."""
    return (
        commitments_for_display(queryset)
        .select_related("renews")
        .prefetch_related(Prefetch("watchers", queryset=get_user_model().objects.only("id", "username")))
    )


def progress_updates_for_api(*, commitment_id) -> QuerySet:
    """A pledge's timeline, newest first, with each author."""
    return ProgressUpdate.objects.filter(commitment_id=commitment_id).select_related("author")
