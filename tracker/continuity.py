"""Continuity from one summit to the next: a pledge renews an earlier one, and earlier pledges that read alike.

TICAD 9's pledges continue TICAD 8's. `Commitment.renews` links a pledge to
the earlier one it renews or follows up; the chain is read both ways. When a
pledge is recorded, the maker's earlier pledges that read alike are offered
(PostgreSQL: pg_trgm's similarity, nearest first through a GiST index on
the maker and the text; elsewhere a portable comparison of the maker's
latest pledges), so that renewals get
linked and duplicates are caught.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Value
from django.utils import formats
from django.utils.translation import gettext as _

from tracker.models import Commitment, Status

MAX_CHAIN = 20
SUGGESTIONS = 5
# pg_trgm's default threshold for its % operator; the fallback uses the same bar.
SIMILARITY_THRESHOLD = 0.3
# The portable fallback compares at most this many of the maker's latest pledges.
FALLBACK_CANDIDATES = 2000
MIN_TEXT_LENGTH = 12


@dataclass
class Suggestion:
    commitment: Commitment
    similarity: float


def pledge_text(title: str, quote: str) -> str:
    """What two pledges are compared on: the same expression as the trigram index (migration 0013)."""
    return f"{title or ''} {quote or ''}"


def similar_earlier_pledges(*, made_by, title: str = "", quote: str = "", made_on=None, exclude=None):
    """The maker's pledges that read most like this one, most alike first, at most SUGGESTIONS.

    `made_on`: only pledges made on or before it; `exclude`: a pledge to
    leave out (the one being edited).
    """
    text = pledge_text(title, quote).strip()
    maker_id = getattr(made_by, "pk", made_by)
    if maker_id is None or len(text) < MIN_TEXT_LENGTH:
        return []
    exclude_id = getattr(exclude, "pk", exclude)
    if connection.vendor == "postgresql":
        found = _similar_postgresql(maker_id, text, made_on, exclude_id)
    else:
        found = _similar_portable(maker_id, text, made_on, exclude_id)
    pledges = Commitment.objects.select_related("made_by", "event").in_bulk([pk for pk, _ in found])
    return [Suggestion(pledges[pk], round(score, 2)) for pk, score in found if pk in pledges]


def _similar_postgresql(maker_id, text, made_on, exclude_id):
    # The maker's pledges nearest first, read from the GiST index on the
    # maker and this very expression (migration 0013), which stops after the
    # first few; those under the threshold are dropped after. The id is cast
    # to bigint, the column's type: an integer would not match the index.
    sql = [
        "SELECT id, similarity(title || ' ' || quote, %s) AS score FROM tracker_commitment",
        "WHERE made_by_id = %s::bigint",
    ]
    params = [text, maker_id]
    if made_on is not None:
        sql.append("AND made_on <= %s")
        params.append(made_on)
    if exclude_id is not None:
        sql.append("AND id <> %s")
        params.append(exclude_id)
    # The distance alone: a second sort key would keep the index from giving the order.
    sql.append("ORDER BY (title || ' ' || quote) <-> %s LIMIT %s")
    params += [text, SUGGESTIONS]
    with connection.cursor() as cursor:
        cursor.execute(" ".join(sql), params)
        found = [(pk, float(score)) for pk, score in cursor.fetchall()]
    found.sort(key=lambda item: (-item[1], -item[0]))
    return [(pk, score) for pk, score in found if score >= SIMILARITY_THRESHOLD]


def _similar_portable(maker_id, text, made_on, exclude_id):
    candidates = Commitment.objects.filter(made_by_id=maker_id).order_by("-made_on", "-id")
    if made_on is not None:
        candidates = candidates.filter(made_on__lte=made_on)
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    wanted = _words(text)
    scored = []
    for pk, title, quote in candidates.values_list("pk", "title", "quote")[:FALLBACK_CANDIDATES]:
        other = pledge_text(title, quote)
        score = SequenceMatcher(None, wanted, _words(other)).ratio()
        if score >= SIMILARITY_THRESHOLD:
            scored.append((pk, score))
    scored.sort(key=lambda item: (-item[1], -item[0]))
    return scored[:SUGGESTIONS]


def _words(text: str) -> str:
    return " ".join(text.lower().split())


# Renewals


def renewed_exists() -> Exists:
    """Whether a later pledge renews the outer one: for filters and counts."""
    return Exists(Commitment.objects.filter(renews=OuterRef("pk")))


def renews_validate(commitment: Commitment, renews: Commitment | None) -> None:
    """The earlier pledge must be earlier (or the same day), another pledge, and not renew this one in turn."""
    if renews is None:
        return
    if commitment.pk is not None and renews.pk == commitment.pk:
        raise ValidationError({"renews": _("A pledge cannot renew itself.")})
    if commitment.made_on and renews.made_on and renews.made_on > commitment.made_on:
        raise ValidationError(
            {
                "renews": _("“%(pledge)s” was made after this pledge (%(made_on)s); a pledge renews an earlier one.")
                % {"pledge": renews, "made_on": formats.date_format(renews.made_on)}
            }
        )
    if commitment.pk is not None:
        ancestor, seen = renews, 0
        while ancestor is not None and seen < MAX_CHAIN:
            if ancestor.renews_id == commitment.pk:
                raise ValidationError(
                    {"renews": _("“%(pledge)s” already renews this pledge, through its chain.") % {"pledge": renews}}
                )
            ancestor = ancestor.renews
            seen += 1


def renewal_chain(commitment: Commitment) -> dict:
    """The pledges this one continues, oldest first, and those that continue it, in order.

    `earlier`: the renews chain back; `later`: the pledges renewing this one
    and, in turn, theirs (a query per generation, at most MAX_CHAIN).
    """
    earlier, ancestor = [], commitment.renews
    while ancestor is not None and len(earlier) < MAX_CHAIN and ancestor.pk != commitment.pk:
        earlier.append(ancestor)
        ancestor = Commitment.objects.select_related("event", "made_by").filter(pk=ancestor.renews_id).first()
    earlier.reverse()
    later, generation, seen = [], [commitment.pk], {commitment.pk}
    while generation and len(later) < MAX_CHAIN:
        found = list(
            Commitment.objects.filter(renews_id__in=generation)
            .exclude(pk__in=seen)
            .select_related("event", "made_by")
            .order_by("made_on", "id")
        )
        later.extend(found)
        generation = [pledge.pk for pledge in found]
        seen.update(generation)
    return {"earlier": earlier, "later": later[:MAX_CHAIN]}


@dataclass
class EventRenewals:
    event_id: int
    previous_id: int
    previous_pledges: int
    renewed: int
    fulfilled: int
    dropped: int


def event_renewals(queryset=None) -> dict:
    """Per event, what became of the previous event's pledges: renewed, fulfilled, or dropped; two queries always.

    An event's previous event is the one most of the pledges its pledges
    renew were made at. Of that event's pledges (all of them, whatever
    `queryset` holds), "renewed" are those a later pledge renews,
    "fulfilled" those fulfilled without a renewal, "dropped" the rest.
    Returns {event id: EventRenewals}.
    """
    queryset = Commitment.objects.all() if queryset is None else queryset
    # renews not null first: the planner then expects a few thousand renewing pledges, not the table.
    renewing = (
        queryset.filter(renews__isnull=False, event__isnull=False, renews__event__isnull=False)
        .exclude(renews__event=F("event"))
        .order_by()
    )
    votes = defaultdict(Counter)
    for event_id, previous_id, count in (
        renewing.values("event_id", "renews__event_id")
        .annotate(count=Count("*"))
        .values_list("event_id", "renews__event_id", "count")
    ):
        votes[event_id][previous_id] += count
    previous = {event_id: counter.most_common(1)[0][0] for event_id, counter in votes.items()}
    stats = _previous_event_stats(renewing.values("renews__event_id"))
    result = {}
    for event_id, previous_id in previous.items():
        total, fulfilled, renewed, renewed_fulfilled = stats.get(previous_id, (0, 0, 0, 0))
        fulfilled_alone = fulfilled - renewed_fulfilled
        result[event_id] = EventRenewals(
            event_id=event_id,
            previous_id=previous_id,
            previous_pledges=total,
            renewed=renewed,
            fulfilled=fulfilled_alone,
            dropped=total - renewed - fulfilled_alone,
        )
    return result


def _previous_event_stats(previous_ids) -> dict:
    """Per candidate previous event: its pledges, those fulfilled, those renewed, and those renewed and fulfilled.

    One UNION ALL: the pledges counted per event and status from an index,
    and the renewed ones through the (few) pledges that renew them.
    """
    fulfilled = Q(status=Status.FULFILLED)
    every = (
        Commitment.objects.filter(event_id__in=previous_ids)
        .order_by()
        .annotate(part=Value("all"), group=F("event_id"))
        .values_list("part", "group")
        .annotate(first=Count("id"), second=Count("id", filter=fulfilled))
    )
    renewed = (
        Commitment.objects.filter(renews__isnull=False, renews__event_id__in=previous_ids)
        .order_by()
        .annotate(part=Value("renewed"), group=F("renews__event_id"))
        .values_list("part", "group")
        .annotate(
            first=Count("renews_id", distinct=True),
            second=Count("renews_id", distinct=True, filter=Q(renews__status=Status.FULFILLED)),
        )
    )
    stats = defaultdict(lambda: [0, 0, 0, 0])
    for part, group, first, second in every.union(renewed, all=True):
        offset = 0 if part == "all" else 2
        stats[group][offset], stats[group][offset + 1] = first, second
    return {group: tuple(counts) for group, counts in stats.items()}
