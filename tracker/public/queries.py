"""The published part of the tracker: the only rows the public pages, feeds, embeds and public API read.

Every public view starts from these, so that an unpublished pledge, an
internal note, an owner or a watcher cannot reach a public page by a
forgotten filter.
"""

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)

from ..models import (
    COMPLIANCE_SCORES,
    Actor,
    AssessmentCycle,
    Commitment,
    CycleCommitment,
    Event,
    ProgressUpdate,
    Status,
    Topic,
)

# What a public page or the public API shows of a pledge, its columns read and nothing else: owners,
# watchers, check dates, follow-ups and contacts never are.
PUBLIC_COMMITMENT_FIELDS = (
    "id",
    "title",
    "description",
    "quote",
    "source_url",
    "source_title",
    "made_by",
    "event",
    "made_on",
    "kind",
    "status",
    "progress",
    "due_on",
    "pledged_amount",
    "pledged_currency",
)


def public_commitments() -> QuerySet:
    """Published pledges only."""
    return Commitment.objects.filter(is_public=True)


def public_commitment_or_none(pk) -> Commitment | None:
    """A published pledge with its maker and event, or None (an unpublished pledge is not found: a 404)."""
    return public_commitments().select_related("made_by", "event").filter(pk=pk).first()


def public_updates(commitment_ids=None) -> QuerySet:
    """Timeline entries the public may read: status changes, dates, evidence links, and notes not marked internal.

    An update that changed nothing public (an internal note without a status
    change or an evidence link) is left out. The note itself is blanked by
    the caller through `public_note`.
    """
    updates = ProgressUpdate.objects.filter(commitment__is_public=True)
    if commitment_ids is not None:
        updates = updates.filter(commitment_id__in=commitment_ids)
    shows_something = ~Q(status_before=F("status_after")) | ~Q(evidence_url="") | Q(note_is_internal=False, note__gt="")
    return updates.filter(shows_something).only(
        "id",
        "commitment_id",
        "recorded_on",
        "status_before",
        "status_after",
        "progress",
        "note",
        "note_is_internal",
        "evidence_url",
        "created_at",
    )


def public_note(update: ProgressUpdate) -> str:
    """The update's note if it may be published, else ""."""
    return "" if update.note_is_internal else update.note


# The pages' own reads. Each is a fixed number of queries, whatever the number of pledges.


def public_commitments_for_list(queryset: QuerySet | None = None) -> QuerySet:
    """Published pledges as a list shows them: title, status, progress, dates, maker and event, in one query.

    The default order (-made_on, -id) is that of the partial index
    commitment_public_made_on, from which PostgreSQL reads a page of the
    unfiltered list without sorting the published pledges.
    """
    queryset = public_commitments() if queryset is None else queryset
    return queryset.select_related("made_by", "event").only(
        "id",
        "title",
        "kind",
        "status",
        "progress",
        "made_on",
        "due_on",
        "made_by__id",
        "made_by__name",
        "made_by__country",
        "event__id",
        "event__name",
    )


def member_links(actor_ids=None) -> QuerySet:
    """Members of published pledges (pledge, actor) rows."""
    links = Commitment.members.through.objects.filter(commitment__is_public=True)
    return links if actor_ids is None else links.filter(actor_id__in=actor_ids)


def has_public_pledges() -> Q:
    """An actor that made a published pledge or is one of its members: it has a public page.

    Two uncorrelated IN lists rather than an EXISTS per actor: PostgreSQL
    reads each once into a hash.
    """
    return Q(pk__in=public_commitments().values("made_by_id")) | Q(pk__in=member_links().values("actor_id"))


def actors_with_public_pledges() -> QuerySet:
    return Actor.objects.filter(has_public_pledges())


def public_actor_or_none(pk) -> Actor | None:
    """An actor with a public page, or None (unknown, or with no published pledge: a 404)."""
    return actors_with_public_pledges().filter(pk=pk).only("id", "name", "kind", "country", "role").first()


def actor_public_commitments(actor_id) -> QuerySet:
    """The published pledges an actor made or is a member of; no join, so no duplicate and no DISTINCT."""
    bound = Commitment.members.through.objects.filter(actor_id=actor_id).values("commitment_id")
    return public_commitments().filter(Q(made_by_id=actor_id) | Q(pk__in=bound))


def status_counts(queryset: QuerySet) -> dict:
    """Pledges per status (every status, zero included), in one query."""
    counts = dict.fromkeys(Status.values, 0)
    for status, count in queryset.order_by().values_list("status").annotate(count=Count("*")):
        if status in counts:
            counts[status] = count
    return counts


def compliance_of(counts: dict) -> dict:
    """Compliance from pledges per status: the G7 Research Group's mean score and the share fulfilled.

    As the board's tables count it (selectors._compliance): announced and
    withdrawn pledges have no score.
    """
    total = sum(counts.values())
    scored = sum(count for status, count in counts.items() if status in COMPLIANCE_SCORES)
    points = sum(COMPLIANCE_SCORES[status] * count for status, count in counts.items() if status in COMPLIANCE_SCORES)
    return {
        "total": total,
        "scored": scored,
        "mean": round(points / scored, 2) if scored else None,
        "fulfilled": counts.get(Status.FULFILLED, 0),
        "fulfilled_share": round(counts.get(Status.FULFILLED, 0) * 100 / total, 1) if total else None,
    }


# As many makers as the analysts' status-by-actor chart shows.
CHART_ACTORS = 12


def public_board_numbers(queryset: QuerySet, *, actor_names: dict, event_names: dict) -> dict:
    """The public board's numbers over `queryset` (published pledges, filtered): one query.

    Pledges per status (`counts`, `total`), compliance per maker and per
    event as the analysts' board computes it (`compliance_by_actor`,
    `compliance_by_event`: id, name, mean, scored, total), and the makers
    with most pledges for the status chart (`status_by_actor`, the shape
    `charts.status_by_actor_chart` reads). One GROUP BY over maker, event
    and status, folded here, named from `actor_names` and `event_names` (id
    to name: the filter's choices have them). selectors.board_aggregates
    reads the pledges three times over (per maker, per event, and the
    overdue count, from check dates the public does not see): 66 ms of SQL
    at 10,000 published pledges of 100,000, where this is about 20.
    """
    rows = queryset.order_by().values_list("made_by_id", "event_id", "status").annotate(count=Count("*"))
    # Read once: Status.values builds a new list each call, and this loop runs once per row (thousands).
    statuses = Status.values
    counts = dict.fromkeys(statuses, 0)
    makers, events = {}, {}
    for maker_id, event_id, status, count in rows:
        if status not in counts:
            continue
        counts[status] += count
        for groups, key, names in ((makers, maker_id, actor_names), (events, event_id, event_names)):
            if key is not None:
                group = groups.get(key)
                if group is None:
                    group = groups[key] = {"id": key, "name": names.get(key, ""), "counts": dict.fromkeys(statuses, 0)}
                group["counts"][status] += count

    def compliance_table(groups):
        ordered = sorted(groups.values(), key=lambda group: (group["name"].casefold(), group["id"]))
        return [{"id": group["id"], "name": group["name"], **compliance_of(group["counts"])} for group in ordered]

    ranked = sorted(
        ({**maker, "total": sum(maker["counts"].values())} for maker in makers.values()),
        key=lambda maker: (-maker["total"], maker["name"], maker["id"]),
    )
    return {
        "counts": counts,
        "total": sum(counts.values()),
        "compliance_by_actor": compliance_table(makers),
        "compliance_by_event": compliance_table(events),
        "status_by_actor": {"actors": ranked[:CHART_ACTORS], "others": len(ranked) - len(ranked[:CHART_ACTORS])},
    }


def public_commitment_for_page(pk) -> Commitment | None:
    """A published pledge with what its public page shows, in four queries; None when unpublished or missing.

    Counterparts and members carry `has_public_page`, so that the page links
    only to actor pages that exist. Owner, watchers, check dates and the
    rest are never read.
    """
    actors = Actor.objects.only("id", "name", "country", "role").annotate(
        has_public_page=ExpressionWrapper(has_public_pledges(), output_field=BooleanField())
    )
    return (
        public_commitments()
        .only(*PUBLIC_COMMITMENT_FIELDS)
        .select_related("made_by", "event")
        .prefetch_related(
            Prefetch("counterparts", queryset=actors),
            Prefetch("members", queryset=actors),
            Prefetch("topics", queryset=Topic.objects.only("id", "name")),
        )
        .filter(pk=pk)
        .first()
    )


def public_timeline(commitment_id) -> list[dict]:
    """The published entries of a pledge's timeline, newest first, with the note only where it may be shown."""
    updates = public_updates([commitment_id]).order_by("-recorded_on", "-created_at", "-id")
    return [
        {
            "recorded_on": update.recorded_on,
            "status_changed": update.status_changed,
            "status_before": update.status_before,
            "status_before_label": update.get_status_before_display(),
            "status_after": update.status_after,
            "status_after_label": update.get_status_after_display(),
            "progress": update.progress,
            "note": public_note(update),
            "evidence_url": update.evidence_url,
        }
        for update in updates
    ]


def public_filter_choices() -> dict:
    """The public board's filter choices: makers, their countries, events and topics of published pledges only.

    One UNION query, as the analysts' board reads its own
    (selectors.board_filter_choices); an actor, event or topic with no
    published pledge is not offered. Each row is probed for its first
    published pledge through the maker's, the event's or the topic's index
    (IN lists read every published pledge: 50 ms at 100,000 pledges).
    """
    public = public_commitments()
    columns = ("source", "id", "label", "detail")
    actors = Actor.objects.filter(Exists(public.filter(made_by=OuterRef("pk")))).annotate(
        source=Value("actor"), label=F("name"), detail=F("country")
    )
    events = Event.objects.filter(Exists(public.filter(event=OuterRef("pk")))).annotate(
        source=Value("event"), label=F("name"), detail=Value("")
    )
    # A first published link rather than an EXISTS, which PostgreSQL turned into a hash of every published
    # pledge's topics; a LIMIT keeps the probe per topic, through the links' topic index.
    first_link = Commitment.topics.through.objects.filter(topic=OuterRef("pk"), commitment__is_public=True)
    topics = (
        Topic.objects.alias(first_link=Subquery(first_link.values("pk")[:1]))
        .filter(first_link__isnull=False)
        .annotate(source=Value("topic"), label=F("name"), detail=Value(""))
    )
    parts = [queryset.values_list(*columns).order_by() for queryset in (actors, events, topics)]
    choices = {"actors": [], "events": [], "topics": []}
    countries = set()
    for source, pk, label, detail in parts[0].union(*parts[1:], all=True):
        choices[f"{source}s"].append((str(pk), label))
        if source == "actor" and detail:
            countries.add(detail)
    for options in choices.values():
        options.sort(key=lambda option: (option[1].casefold(), int(option[0])))
    return {**choices, "countries": sorted(countries)}


def public_ids_in_cycles(*cycles: AssessmentCycle) -> set[int]:
    """The ids of these cycles' pledges that are published now, in one query."""
    entries = CycleCommitment.objects.filter(cycle__in=cycles).values("commitment_id")
    return set(public_commitments().filter(pk__in=entries).values_list("pk", flat=True))


def published_cycles() -> QuerySet:
    """Assessment cycles anyone may read: published ones (a draft or one in review is not)."""
    return (
        AssessmentCycle.objects.filter(state=AssessmentCycle.State.PUBLISHED)
        .select_related("event")
        .order_by("-published_at", "-id")
    )


def published_cycle_or_none(pk) -> AssessmentCycle | None:
    # The previous cycle with it: the report compares with it.
    return published_cycles().select_related("previous").filter(pk=pk).first()
