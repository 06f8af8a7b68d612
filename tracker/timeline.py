"""The pledge page's timeline: progress updates, follow-ups, requests to offices, their replies, milestones done
or overdue, and field changes merged into display rows."""

import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from simple_history.models import DeletedObject

from .models import COMMITMENT_HISTORY, Commitment, EvidenceRequest, FollowUp, Reply

# Status and progress move only through progress updates, which are on the
# timeline already; the history adds who changed the other fields.
TIMELINE_HISTORY_EXCLUDED = ("status", "progress")
FOLLOWUP_SCHEDULED_STATES = (FollowUp.State.PENDING, FollowUp.State.SENDING)


def commitment_timeline(commitment: Commitment) -> dict:
    """Progress updates, follow-ups, requests, replies, milestones and field changes of a pledge, newest first.

    At most eleven queries, whatever the number of rows; ten when the
    pledge's milestones are prefetched (views.commitment_for_page).

    Returns `entries` (the merged timeline) and `scheduled` (reminders not
    sent yet). Each entry has `kind` (update, followup, request,
    request_withdrawn, reply, milestone_done, milestone_overdue, change or
    created), `at` (an aware datetime) and `who` (a user or None).
    """
    entries = []
    for update in commitment.updates.select_related("author", "via_followup").order_by("created_at", "id"):
        entries.append({"kind": "update", "at": update.created_at, "who": update.author, "update": update})

    scheduled = []
    for followup in commitment.followups.select_related("recipient", "contact__actor").order_by("created_at", "id"):
        if followup.state in FOLLOWUP_SCHEDULED_STATES:
            scheduled.append(followup)
        else:
            at = followup.sent_at or followup.updated_at
            entries.append({"kind": "followup", "at": at, "who": None, "followup": followup})

    entries += _request_entries(commitment)
    entries += _milestone_entries(commitment)

    records = list(
        commitment.history.select_related("history_user", "made_by", "event", "owner").order_by(
            "history_date", "history_id"
        )
    )
    relations = _history_relations(records)
    previous = None
    for record in records:
        if previous is None or record.history_type == "+":
            entries.append({"kind": "created", "at": record.history_date, "who": record.history_user})
        else:
            # Relations are compared from the rows fetched above: diff_against
            # would query them anew for every record.
            delta = record.diff_against(
                previous, excluded_fields=(*TIMELINE_HISTORY_EXCLUDED, *HISTORY_RELATIONS), foreign_keys_are_objs=True
            )
            changes = [_field_change(change) for change in delta.changes]
            changes += _relation_changes(relations, previous.history_id, record.history_id)
            if changes:
                entries.append(
                    {"kind": "change", "at": record.history_date, "who": record.history_user, "changes": changes}
                )
        previous = record

    entries = _fold_rescheduling_into_updates(entries)
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return {"entries": entries, "scheduled": sorted(scheduled, key=lambda followup: (followup.due_on, followup.pk))}


def _request_entries(commitment: Commitment) -> list:
    """The pledge's requests to offices, their withdrawals and their replies, in at most three queries."""
    entries = []
    requests = list(
        commitment.evidence_requests.select_related("contact__actor", "requested_by").order_by("created_at", "id")
    )
    for request in requests:
        entries.append({"kind": "request", "at": request.created_at, "who": request.requested_by, "request": request})
    withdrawn = [request for request in requests if request.state == EvidenceRequest.State.WITHDRAWN]
    if withdrawn:
        # Who withdrew is in the request's history: its first record in that state.
        withdrawn_by = {}
        records = (
            EvidenceRequest.history.filter(id__in=[request.pk for request in withdrawn], state="withdrawn")
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
        )
        for record in records:
            withdrawn_by[record.id] = record
        for request in withdrawn:
            record = withdrawn_by.get(request.pk)
            at = request.closed_at or (record.history_date if record else request.created_at)
            who = record.history_user if record else None
            entries.append({"kind": "request_withdrawn", "at": at, "who": who, "request": request})
    by_id = {request.pk: request for request in requests}
    replies = Reply.objects.filter(request__in=list(by_id)).select_related("reviewed_by")
    for reply in replies.order_by("created_at", "id"):
        reply.request = by_id[reply.request_id]
        entries.append({"kind": "reply", "at": reply.created_at, "who": None, "reply": reply})
    return entries


def _milestone_entries(commitment: Commitment) -> list:
    """A milestone done, on its done day; one not done past its due date, on the day it became overdue.

    Days, not moments: each entry sits at the start of its day in the site's
    time zone, and the page shows the day alone.
    """
    entries = []
    for milestone in commitment.milestones.all():
        if milestone.done_on is not None:
            entries.append(
                {"kind": "milestone_done", "at": _start_of(milestone.done_on), "who": None, "milestone": milestone}
            )
        elif milestone.is_overdue:
            overdue_from = milestone.due_on + datetime.timedelta(days=1)
            entries.append(
                {"kind": "milestone_overdue", "at": _start_of(overdue_from), "who": None, "milestone": milestone}
            )
    return entries


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone())


# The relations kept in the history, and what names their members.
HISTORY_RELATIONS = {
    "counterparts": "actor__name",
    "members": "actor__name",
    "topics": "topic__name",
    "watchers": "user__username",
}


def _history_relations(records) -> dict:
    """{history_id: {relation: set of names}} for the given history records, one query per relation."""
    by_name = {field.name: model for field, model in COMMITMENT_HISTORY.m2m_models.items()}
    ids = [record.history_id for record in records]
    relations = {history_id: {name: set() for name in HISTORY_RELATIONS} for history_id in ids}
    deleted = gettext("(deleted)")
    for name, label in HISTORY_RELATIONS.items():
        rows = by_name[name].objects.filter(history_id__in=ids).values_list("history_id", label)
        for history_id, member in rows:
            relations[history_id][name].add(member if member is not None else deleted)
    return relations


def _relation_changes(relations: dict, before_id, after_id) -> list:
    changes = []
    for name in HISTORY_RELATIONS:
        before, after = relations[before_id][name], relations[after_id][name]
        if before != after:
            changes.append(
                {
                    "name": name,
                    "field": str(Commitment._meta.get_field(name).verbose_name).capitalize(),
                    "before": ", ".join(sorted(before, key=str.casefold)),
                    "after": ", ".join(sorted(after, key=str.casefold)),
                }
            )
    return changes


# Recording an update saves the pledge's new next check a moment later, as
# a history record of its own; shown apart it would read as a second edit.
RESCHEDULING_WINDOW = datetime.timedelta(seconds=5)


def _fold_rescheduling_into_updates(entries: list) -> list:
    updates = [entry for entry in entries if entry["kind"] == "update"]
    kept = []
    for entry in entries:
        if entry["kind"] == "change" and [change["name"] for change in entry["changes"]] == ["next_check_on"]:
            update = next(
                (
                    update
                    for update in updates
                    if update["who"] == entry["who"]
                    and abs(update["at"] - entry["at"]) <= RESCHEDULING_WINDOW
                    and "next_check" not in update
                ),
                None,
            )
            if update is not None:
                update["next_check"] = entry["changes"][0]["after"]
                continue
        kept.append(entry)
    return kept


def _field_change(change) -> dict:
    field = Commitment._meta.get_field(change.field)
    return {
        "name": change.field,
        "field": str(field.verbose_name).capitalize(),
        "before": _field_value(field, change.old),
        "after": _field_value(field, change.new),
    }


def _field_value(field, value):
    if value in (None, ""):
        return ""
    if getattr(field, "choices", None):
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, DeletedObject):
        return gettext("(deleted, id %(id)s)") % {"id": value.pk}
    if isinstance(value, datetime.date):
        return date_format(value)
    return value
