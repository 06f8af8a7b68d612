"""The published part of the tracker: the only rows the public pages, feeds, embeds and public API read.

Every public view starts from these, so that an unpublished pledge, an
internal note, an owner or a watcher cannot reach a public page by a
forgotten filter.
"""

from django.db.models import F, Q, QuerySet

from ..models import Commitment, ProgressUpdate

# What a public page may show of a pledge; owners, watchers, follow-ups and
# contacts are never read.
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
    "created_at",
    "updated_at",
    "is_public",
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
