"""Every write that has a rule.

Views, the admin, the API, tasks and management commands call these
functions; none of them holds a business rule of its own. Each rule that
refuses input raises ValidationError with a message an analyst understands,
keyed by the field it is about.
"""

import logging
import random
import smtplib
import time
from contextlib import contextmanager
from datetime import date, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from tracker import selectors
from tracker.models import (
    COMMITMENT_HISTORY,
    MAX_CHECK_EVERY_DAYS,
    Actor,
    Commitment,
    Event,
    FollowUp,
    NotificationPreference,
    ProgressUpdate,
    Status,
    _new_calendar_token,
    web_url_validator,
)

logger = logging.getLogger(__name__)

EVIDENCE_REQUIRED = frozenset({Status.FULFILLED, Status.BROKEN})
MAX_POSTPONE_DAYS = 365

# Fields an analyst edits directly. Status and progress move only through
# progress_record, so that every change of either leaves a timeline entry.
COMMITMENT_FIELDS = (
    "title",
    "description",
    "quote",
    "source_url",
    "source_title",
    "made_by",
    "event",
    "made_on",
    "kind",
    "due_on",
    "check_every_days",
    "next_check_on",
    "owner",
)
COMMITMENT_M2M_FIELDS = ("counterparts", "topics", "watchers")


def _refuse_null_characters(fields: dict) -> None:
    """Forms and the API refuse NUL already; this keeps callers of the services (imports, scripts) from
    reaching PostgreSQL with one, which it refuses with an error instead of a message."""
    errors = {
        name: "Null characters are not allowed."
        for name, value in fields.items()
        if isinstance(value, str) and "\x00" in value
    }
    if errors:
        raise ValidationError(errors)


def commitment_create(
    *,
    user=None,
    title: str,
    made_by: Actor,
    made_on: date,
    kind: str = Commitment.Kind.PROMISE,
    description: str = "",
    quote: str = "",
    source_url: str = "",
    source_title: str = "",
    event: Event | None = None,
    due_on: date | None = None,
    check_every_days: int = 30,
    next_check_on: date | None = None,
    owner=None,
    counterparts=(),
    topics=(),
    watchers=(),
) -> Commitment:
    """Record a new pledge as Announced; its first check falls check_every_days from today."""
    _refuse_null_characters(
        {
            "title": title,
            "description": description,
            "quote": quote,
            "source_url": source_url,
            "source_title": source_title,
        }
    )
    commitment = Commitment(
        title=title,
        description=description,
        quote=quote,
        source_url=source_url,
        source_title=source_title,
        made_by=made_by,
        event=event,
        made_on=made_on,
        kind=kind,
        due_on=due_on,
        check_every_days=check_every_days,
        owner=owner,
        status=Status.ANNOUNCED,
        progress=0,
    )
    _validate_check_interval(check_every_days)
    if next_check_on is None:
        next_check_on = timezone.localdate() + timedelta(days=check_every_days)
    commitment.next_check_on = next_check_on
    commitment.full_clean()
    with transaction.atomic(), _one_history_record(commitment, "+", user):
        commitment.save()
        commitment.counterparts.set(counterparts)
        commitment.topics.set(topics)
        commitment.watchers.set(watchers)
    return commitment


@contextmanager
def _one_history_record(commitment: Commitment, history_type: str, user):
    """Write one audit record for a save and the relations set with it, not one per step.

    django-simple-history would otherwise record the save, then each of
    counterparts, topics and watchers as a change of its own.
    """
    commitment.skip_history_when_saving = True
    try:
        yield
    finally:
        del commitment.skip_history_when_saving
    commitment._history_user = user
    COMMITMENT_HISTORY.create_historical_record(commitment, history_type)


def commitment_update(*, commitment: Commitment, user=None, data: dict) -> Commitment:
    """Change a pledge's editable fields; status and progress are refused here.

    Only the fields in `data` change: they are applied to the row as locked
    now, so an update recorded meanwhile (status, progress, next check) is
    never overwritten by a caller's older copy. A changed check interval
    moves the next check unless one is given; the reminders that no longer
    apply (another owner, another check date) are cancelled in the same
    transaction. The caller's instance is refreshed with the result.
    """
    for name in ("status", "progress"):
        if name in data and data[name] != getattr(commitment, name):
            raise ValidationError({name: f"Record a progress update to change the {name}."})
    unknown = set(data) - set(COMMITMENT_FIELDS) - set(COMMITMENT_M2M_FIELDS) - {"status", "progress"}
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    _refuse_null_characters(data)

    with transaction.atomic():
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        interval_before = locked.check_every_days
        for name in COMMITMENT_FIELDS:
            if name in data:
                setattr(locked, name, data[name])
        _validate_check_interval(locked.check_every_days)
        if locked.check_every_days != interval_before and "next_check_on" not in data and not locked.is_terminal:
            locked.next_check_on = _last_assessed_on(locked) + timedelta(days=locked.check_every_days)
        locked.full_clean()
        with _one_history_record(locked, "~", user):
            locked.save()
            for name in COMMITMENT_M2M_FIELDS:
                if name in data:
                    getattr(locked, name).set(data[name])
        _followups_cancel_stale(locked)
    _copy_fields(locked, commitment)
    return commitment


def progress_validate(
    *,
    commitment: Commitment,
    status: str,
    progress: int | None = None,
    evidence_url: str = "",
    recorded_on: date | None = None,
    expected_status: str | None = None,
    note: str = "",
) -> int:
    """Check an update against the rules; return the progress it will set.

    Separate from progress_record so that forms can show the errors next to
    their fields before anything is saved. `expected_status` is the status
    the analyst saw; if another update has changed it since, the update is
    refused rather than recorded against a state the analyst never saw.
    """
    _refuse_null_characters({"note": note, "evidence_url": evidence_url})
    errors = {}
    if status not in Status.values:
        errors["status"] = f"{status!r} is not a status; choose one of: {', '.join(Status.labels)}."
        raise ValidationError(errors)
    current = Status(commitment.status)
    target = Status(status)
    if expected_status and expected_status != current:
        errors["status"] = (
            f"Another update was recorded meanwhile: the pledge is now {current.label}. "
            "Check the timeline and record your update again."
        )
    elif current.is_terminal:
        errors["status"] = (
            f"This pledge is closed as {current.label}; no further update can be recorded. "
            "Correct the record in the admin if it was closed by mistake."
        )
    elif target == Status.ANNOUNCED and current != Status.ANNOUNCED:
        errors["status"] = f"A pledge already assessed as {current.label} cannot go back to Announced."

    if target in EVIDENCE_REQUIRED and not (evidence_url or "").strip():
        errors["evidence_url"] = f"Moving a pledge to {target.label} needs an evidence link showing it."
    elif evidence_url:
        try:
            web_url_validator(evidence_url)
        except ValidationError as exc:
            errors["evidence_url"] = exc.messages[0]

    if progress is None:
        progress = 100 if target == Status.FULFILLED else commitment.progress
    if isinstance(progress, bool) or not isinstance(progress, int):
        errors["progress"] = "Progress must be a whole number from 0 to 100."
    elif not 0 <= progress <= 100:
        errors["progress"] = f"Progress must be between 0 and 100, not {progress}."
    elif target == Status.FULFILLED and progress != 100:
        errors["progress"] = "A fulfilled pledge is 100% complete; set progress to 100."

    today = timezone.localdate()
    if recorded_on is not None:
        if recorded_on > today:
            errors["recorded_on"] = "An update cannot be recorded for a day in the future."
        elif recorded_on < commitment.made_on:
            errors["recorded_on"] = "An update cannot predate the pledge itself."
    if errors:
        raise ValidationError(errors)
    return progress


def progress_record(
    *,
    commitment: Commitment,
    author=None,
    status: str,
    progress: int | None = None,
    note: str = "",
    evidence_url: str = "",
    recorded_on: date | None = None,
    expected_status: str | None = None,
) -> ProgressUpdate:
    """Add an entry to the pledge's timeline and move the pledge with it.

    Sets status and progress, schedules the next check recorded_on +
    check_every_days (none once the status is terminal), and cancels the
    pending reminders that the update makes stale.
    """
    recorded_on = recorded_on or timezone.localdate()
    with transaction.atomic():
        # Locked so that two analysts recording at once each see the other's
        # status as "before", and neither update is lost.
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        progress = progress_validate(
            commitment=locked,
            status=status,
            progress=progress,
            evidence_url=evidence_url,
            recorded_on=recorded_on,
            expected_status=expected_status,
            note=note,
        )
        update = ProgressUpdate.objects.create(
            commitment=locked,
            author=author,
            recorded_on=recorded_on,
            status_before=locked.status,
            status_after=status,
            progress=progress,
            note=note.strip(),
            evidence_url=evidence_url.strip(),
        )
        locked.status = status
        locked.progress = progress
        locked.next_check_on = None if locked.is_terminal else recorded_on + timedelta(days=locked.check_every_days)
        locked._history_user = author
        locked.save(update_fields=["status", "progress", "next_check_on", "updated_at"])
        _followups_cancel_stale(locked)
    _copy_fields(locked, commitment)
    return update


def commitments_assign_owner(*, commitments, owner, user=None) -> int:
    """Give the pledges a new responsible analyst; returns how many changed."""
    changed = 0
    with transaction.atomic():  # all or none
        for commitment in commitments:
            if commitment.owner_id != getattr(owner, "pk", None):
                commitment_update(commitment=commitment, user=user, data={"owner": owner})
                changed += 1
    return changed


def commitments_postpone(*, commitments, days: int, user=None) -> int:
    """Move the next check of each open pledge later by `days`; returns how many moved.

    Closed pledges have no next check and are left alone.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_POSTPONE_DAYS:
        raise ValidationError({"days": f"Postpone by a whole number of days from 1 to {MAX_POSTPONE_DAYS}."})
    moved = 0
    today = timezone.localdate()
    with transaction.atomic():  # all or none
        for commitment in commitments:
            if commitment.is_terminal:
                continue
            start = commitment.next_check_on or today
            try:
                next_check_on = start + timedelta(days=days)
            except OverflowError:
                raise ValidationError(
                    {"days": f"“{commitment}” would be checked after the year 9999; correct its next check first."}
                ) from None
            commitment_update(commitment=commitment, user=user, data={"next_check_on": next_check_on})
            moved += 1
    return moved


def _followups_cancel_stale(commitment: Commitment) -> int:
    """Cancel the reminders of a pledge, not sent yet, that its current state no longer calls for.

    A closed pledge needs none; a check-up is for the owner on the current
    check date; an escalation is for the owner and watchers of a pledge that
    is still overdue. Rows a sender has claimed are cancelled too: a batch
    reads its rows before the first send, and renews each row's claim right
    before sending it, so a row cancelled meanwhile is skipped, not sent.
    (A change landing during the send itself leaves the row cancelled though
    the email went: the same instant's race as before batches, the other way.)
    """
    pending = FollowUp.objects.filter(
        commitment=commitment,
        state__in=[FollowUp.State.PENDING, FollowUp.State.SENDING],
        kind__in=[FollowUp.Kind.CHECKUP, FollowUp.Kind.ESCALATION],
    )
    if not commitment.is_terminal:
        stale_checkup = Q(kind=FollowUp.Kind.CHECKUP)
        if commitment.next_check_on and commitment.owner_id:
            stale_checkup &= ~Q(due_on=commitment.next_check_on) | ~Q(recipient_id=commitment.owner_id)
        if commitment.is_overdue:
            audience = {commitment.owner_id, *commitment.watchers.values_list("pk", flat=True)} - {None}
            stale_escalation = Q(kind=FollowUp.Kind.ESCALATION) & ~Q(recipient_id__in=audience)
        else:
            stale_escalation = Q(kind=FollowUp.Kind.ESCALATION)
        pending = pending.filter(stale_checkup | stale_escalation)
    return pending.update(
        state=FollowUp.State.CANCELLED,
        lease_until=None,
        last_error="no longer applies after a change to the pledge",
        updated_at=timezone.now(),
    )


# Follow-ups: the outbox (DESIGN.md "Follow-ups"). The sweep inserts the rows
# that have become due, a send claims a batch of rows with a lease, and for
# each row in turn re-checks that it still applies, sends it and records the
# outcome on the row.

FOLLOWUP_BATCH = 1000


def followups_sweep(*, now=None) -> dict:
    """One sweep, as beat runs it every FOLLOWUP_SWEEP_SECONDS: what is due goes in the outbox.

    Fails the rows whose sends kept dying, inserts the check-ups and
    escalations that have come due, and this week's digests once the
    digest hour of Monday has passed. Waking the senders is the caller's
    (tasks.followups_sweep, or send_due_followups which sends itself).
    """
    now = now or timezone.now()
    exhausted = followups_fail_exhausted(now=now)
    queued = followups_queue_due(today=timezone.localdate(now))
    queued += digests_queue_if_due(now=now)
    return {"queued": queued, "exhausted": exhausted}


def followups_queue_due(*, today: date | None = None) -> int:
    """Insert the check-up and escalation rows that have become due; returns how many are new.

    Check-ups go to the owner of each open pledge whose next check has come;
    escalations go to the owner and the watchers of each open pledge whose
    check is FOLLOWUP_ESCALATE_DAYS overdue (keyed by the check date) or whose
    target date has passed (keyed by the target date). Conflicts on the
    dedupe key are ignored, so sweeps running at once insert each row once.
    """
    today = today or timezone.localdate()
    escalate_on_or_before = today - timedelta(days=settings.FOLLOWUP_ESCALATE_DAYS)
    open_pledges = Commitment.objects.open()
    rows = []
    checkups = open_pledges.filter(next_check_on__lte=today, owner__isnull=False)
    for commitment_id, owner_id, next_check_on in checkups.values_list("id", "owner_id", "next_check_on"):
        rows.append(_followup_row(FollowUp.Kind.CHECKUP, commitment_id, owner_id, next_check_on))

    overdue = open_pledges.filter(Q(next_check_on__lte=escalate_on_or_before) | Q(due_on__lt=today))
    watchers = {}
    watching = Commitment.watchers.through.objects.filter(commitment__in=overdue)
    for commitment_id, user_id in watching.values_list("commitment_id", "user_id"):
        watchers.setdefault(commitment_id, set()).add(user_id)
    fields = ("id", "owner_id", "next_check_on", "due_on")
    for commitment_id, owner_id, next_check_on, due_on in overdue.values_list(*fields):
        audience = (watchers.get(commitment_id, set()) | {owner_id}) - {None}
        reasons = set()
        if next_check_on and next_check_on <= escalate_on_or_before:
            reasons.add(next_check_on)
        if due_on and due_on < today:
            reasons.add(due_on)
        for reason_on in reasons:
            for user_id in audience:
                rows.append(_followup_row(FollowUp.Kind.ESCALATION, commitment_id, user_id, reason_on))
    return _followups_insert(rows, unwanted=_recipients_not_wanting(rows, "reminders_enabled"))


def digests_queue(*, today: date | None = None) -> int:
    """One weekly digest row per active analyst who owns or watches an open pledge and wants digests."""
    today = today or timezone.localdate()
    User = get_user_model()
    involved = Commitment.objects.open().filter(Q(owner=OuterRef("pk")) | Q(watchers=OuterRef("pk")))
    recipients = (
        User.objects.filter(is_active=True)
        .filter(Exists(involved))
        .exclude(notification_preference__digest_enabled=False)
        .values_list("pk", flat=True)
    )
    rows = [_followup_row(FollowUp.Kind.DIGEST, None, user_id, today) for user_id in recipients]
    return _followups_insert(rows)


def digests_queue_if_due(*, now=None) -> int:
    """This ISO week's digests, from Monday at FOLLOWUP_DIGEST_HOUR (TIME_ZONE) on; a no-op once queued.

    Left to the sweep rather than to a Monday crontab, so that a beat that
    was down at that hour still sends the week's digest when it is back.
    """
    local = timezone.localtime(now or timezone.now())
    if local.weekday() == 0 and local.hour < settings.FOLLOWUP_DIGEST_HOUR:
        return 0
    return digests_queue(today=local.date())


def _followup_row(kind, commitment_id, recipient_id, due_on) -> FollowUp:
    return FollowUp(
        kind=kind,
        commitment_id=commitment_id,
        recipient_id=recipient_id,
        due_on=due_on,
        dedupe_key=FollowUp.make_dedupe_key(
            kind, due_on=due_on, recipient_id=recipient_id, commitment_id=commitment_id
        ),
    )


def _recipients_not_wanting(rows: list[FollowUp], preference: str) -> set:
    """Recipients of `rows` who are inactive or turned these emails off: no row is made for them."""
    ids = {row.recipient_id for row in rows}
    if not ids:
        return set()
    return set(
        get_user_model()
        .objects.filter(pk__in=ids)
        .filter(Q(is_active=False) | Q(**{f"notification_preference__{preference}": False}))
        .values_list("pk", flat=True)
    )


def _followups_insert(rows: list[FollowUp], *, unwanted: set = frozenset()) -> int:
    """Insert the rows whose dedupe key is new, and revive those cancelled that are due again.

    A reminder cancelled because the pledge changed (another owner, a moved
    check date) is due again when the change is undone: the same key, so the
    cancelled row goes back to pending rather than a new one being refused.
    Returns how many rows were new or revived when this call looked (two
    sweeps at once may both count a row that only one of them inserted).
    """
    rows = [row for row in rows if row.recipient_id not in unwanted]
    new = 0
    for start in range(0, len(rows), FOLLOWUP_BATCH):
        batch = rows[start : start + FOLLOWUP_BATCH]
        existing = dict(
            FollowUp.objects.filter(dedupe_key__in=[row.dedupe_key for row in batch]).values_list("dedupe_key", "state")
        )
        revived = [key for key, state in existing.items() if state == FollowUp.State.CANCELLED]
        if revived:
            now = timezone.now()
            new += FollowUp.objects.filter(dedupe_key__in=revived, state=FollowUp.State.CANCELLED).update(
                state=FollowUp.State.PENDING,
                attempts=0,
                next_attempt_at=now,
                woken_at=None,
                last_error="",
                updated_at=now,
            )
        batch = [row for row in batch if row.dedupe_key not in existing]
        # ignore_conflicts: another sweep may insert the same key between the
        # read above and this write; the unique index keeps one row.
        FollowUp.objects.bulk_create(batch, ignore_conflicts=True)
        new += len(batch)
    return new


def _claimable(now) -> Q:
    """Rows a sender may take: pending and due for an attempt, or sending with an expired lease.

    An expired row that has had all its attempts is not taken again: its
    sends keep dying (followups_fail_exhausted fails it).
    """
    return Q(state=FollowUp.State.PENDING, next_attempt_at__lte=now) | Q(
        state=FollowUp.State.SENDING, lease_until__lt=now, attempts__lt=settings.FOLLOWUP_MAX_ATTEMPTS
    )


def followups_fail_exhausted(*, now=None) -> int:
    """Fail the rows whose lease expired after their last allowed attempt (a send that crashes the worker)."""
    now = now or timezone.now()
    return FollowUp.objects.filter(
        state=FollowUp.State.SENDING, lease_until__lt=now, attempts__gte=settings.FOLLOWUP_MAX_ATTEMPTS
    ).update(
        state=FollowUp.State.FAILED,
        lease_until=None,
        last_error=f"no send finished in {settings.FOLLOWUP_MAX_ATTEMPTS} attempts (the worker died or timed out)",
        updated_at=now,
    )


def followups_wake(*, now=None, limit: int = 10_000) -> list[int]:
    """Pick the claimable rows that need a wake-up message and mark them woken; returns their ids.

    A row is woken again only once FOLLOWUP_LEASE_SECONDS have passed since
    its last wake-up: a message lost with the broker (a flushed Redis) is
    made good then, and a backlog does not flood the queue meanwhile.
    """
    return [followup_id for followup_id, _ in _followups_wake(now=now, limit=limit)]


def followups_wake_batches(*, size: int, now=None, limit: int = 10_000) -> list[list[int]]:
    """followups_wake, cut into the id lists of the send messages: `size` rows to a message.

    A row whose last claim expired (its sender died or hung mid-batch) gets
    a message to itself: should that row be what kills its sender, it takes
    no batch down with it again, and the rows woken with it keep their
    attempts.
    """
    fresh, expired = [], []
    for followup_id, state in _followups_wake(now=now, limit=limit):
        (expired if state == FollowUp.State.SENDING else fresh).append(followup_id)
    return [fresh[start : start + size] for start in range(0, len(fresh), size)] + [[pk] for pk in expired]


def _followups_wake(*, now, limit: int) -> list[tuple[int, str]]:
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS)
    with transaction.atomic():
        candidates = (
            FollowUp.objects.filter(_claimable(now))
            .filter(Q(woken_at__isnull=True) | Q(woken_at__lte=stale))
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            # Two sweeps at once wake disjoint rows instead of waiting on each other.
            candidates = candidates.select_for_update(skip_locked=True)
        rows = list(candidates.values_list("id", "state")[:limit])
        ids = [followup_id for followup_id, _ in rows]
        for start in range(0, len(ids), FOLLOWUP_BATCH):
            FollowUp.objects.filter(id__in=ids[start : start + FOLLOWUP_BATCH]).update(woken_at=now)
    return rows


def followup_claim(*, followup_id: int, now=None) -> bool:
    """Take a row for sending with a lease; True only for the one caller that got it.

    A compare-and-set that works on SQLite and PostgreSQL alike: the UPDATE
    matches only while the row is claimable, so of two workers racing for
    the same row exactly one changes it. The claim raises `attempts`, which
    then identifies this claim: a later one (after the lease expired) has a
    higher count, and the earlier holder can no longer record an outcome.
    """
    now = now or timezone.now()
    changed = FollowUp.objects.filter(_claimable(now), pk=followup_id).update(
        state=FollowUp.State.SENDING,
        lease_until=now + timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS),
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return changed == 1


def followups_claim(*, ids, now=None) -> list[int]:
    """Claim those of `ids` that are still claimable, in one transaction; returns the ids this caller got.

    Rows held by another sender, already finished, or not yet due for an
    attempt are left alone. The ids come back in the order given.
    """
    now = now or timezone.now()
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    claimed = set(_followups_claim(FollowUp.objects.filter(_claimable(now), pk__in=ids).order_by("id"), now=now))
    return [followup_id for followup_id in ids if followup_id in claimed]


def followups_claim_batch(*, limit: int = 10, now=None) -> list[int]:
    """Claim up to `limit` claimable rows, longest due first, for one sender (send_due_followups)."""
    now = now or timezone.now()
    candidates = FollowUp.objects.filter(_claimable(now)).order_by("next_attempt_at", "id")
    return _followups_claim(candidates, now=now, limit=limit)


def _followups_claim(candidates, *, now, limit: int | None = None) -> list[int]:
    """Claim the (claimable) rows of `candidates` in one transaction; returns the ids claimed.

    On PostgreSQL the rows are locked, skipping those another sender has
    locked, and claimed with one UPDATE in the same transaction: nobody can
    change a locked row in between, so the UPDATE is a compare-and-set this
    caller has won for each of them. Elsewhere (SQLite), each row is claimed
    with followup_claim's compare-and-set.
    """
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        if skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not skip_locked:
            return [followup_id for followup_id in ids if followup_claim(followup_id=followup_id, now=now)]
        if ids:
            FollowUp.objects.filter(pk__in=ids).update(
                state=FollowUp.State.SENDING,
                lease_until=now + timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS),
                attempts=F("attempts") + 1,
                updated_at=now,
            )
        return ids


def followups_send(*, followup_ids, mail_connection=None, deadline: float | None = None) -> dict[int, str]:
    """Claim the rows and deliver those this caller got; returns the outcome per id ("skipped": not claimed)."""
    outcomes = dict.fromkeys(followup_ids, "skipped")
    claimed = followups_claim(ids=followup_ids)
    if claimed:
        outcomes.update(followups_deliver(followup_ids=claimed, mail_connection=mail_connection, deadline=deadline))
    return outcomes


def followup_send(*, followup_id: int, mail_connection=None) -> str:
    """Claim one row and deliver it; returns the state it ended in, or "skipped" when not claimed."""
    return followups_send(followup_ids=[followup_id], mail_connection=mail_connection)[followup_id]


def followups_deliver(*, followup_ids, mail_connection=None, deadline: float | None = None) -> dict[int, str]:
    """Send rows this caller has claimed, one after the other; returns the outcome per id.

    `deadline` (a `time.monotonic()` value): no send starts after it; the
    rows not tried by then go back to pending at once.

    The outcome is the state the row ended in, or "skipped" when the claim
    was lost (the lease expired and another sender took the row) before the
    email went out. The rows, their recipients, pledges and last updates are
    read in a constant number of queries whatever the batch's size (a
    digest's week is read for its own row); then each row is re-checked,
    rendered, checked to be still this claim's, sent, and its outcome recorded
    (one UPDATE, only while this claim still holds the row) before the next
    row is touched, so that a crash resends at most the email in flight.

    When the mail server fails rather than one message (refused, closed or
    timed-out connection, refused login, a 4xx on connecting...), the rows
    not tried yet go back to pending, with the failed row's backoff and
    their attempt given back: a batch does not spend its attempts on a
    server that is down. A refusal of one message fails or retries that row
    only, and the batch goes on.
    """
    outcomes = dict.fromkeys(followup_ids, "skipped")
    # Rows that have failed before go last, so that a message on which the
    # server drops the connection does not keep holding back the rows woken
    # with it: they are sent before it is tried again.
    unsent = sorted(selectors.followups_for_delivery(followup_ids), key=lambda row: (row.attempts, row.pk))
    if not unsent:
        return outcomes
    pledges = {row.commitment_id for row in unsent if row.commitment_id is not None}
    last_updates = selectors.latest_updates(pledges) if pledges else {}
    escalated = {row.commitment_id for row in unsent if row.kind == FollowUp.Kind.ESCALATION} - {None}
    watchers = selectors.watcher_ids_by_commitment(escalated) if escalated else {}
    today = timezone.localdate()
    try:
        while unsent:
            if deadline is not None and time.monotonic() >= deadline:
                # Too little time left for another send before the task's time
                # limit: the rest go back now, untried, rather than one being
                # cut off mid-send (which would spend its attempt, perhaps
                # after the server had it).
                logger.warning("Follow-up batch near its time limit; %d rows not attempted", len(unsent))
                _followups_release(unsent, next_attempt_at=timezone.now(), error="not attempted: out of time")
                outcomes.update(dict.fromkeys((row.pk for row in unsent), FollowUp.State.PENDING))
                break
            followup = unsent.pop(0)
            outcome = _followup_prepare(
                followup, today=today, watchers=watchers, last_updates=last_updates, mail_connection=mail_connection
            )
            if isinstance(outcome, str):  # finished without an email
                outcomes[followup.pk] = outcome
                continue
            message = outcome
            # Right before each send, the row must still be this claim's: a
            # change to the pledge since the batch was read cancels it. Once
            # half the lease has gone, the batch's leases are renewed (which
            # checks the same); so every send starts with at least half a
            # lease (more than EMAIL_TIMEOUT, by the settings' rule) ahead.
            if followup.lease_until - timezone.now() < timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS / 2):
                held = _followups_renew_leases([followup, *unsent])
                unsent = [row for row in unsent if row in held]
                still_held = followup in held
            else:
                still_held = _this_claim(followup).exists()
            if not still_held:
                continue
            try:
                message.send()
            except Exception as error:
                retry_at = timezone.now() + timedelta(seconds=followup_backoff_seconds(followup.attempts))
                outcomes[followup.pk] = _followup_send_failed(followup, error, retry_at=retry_at)
                if _is_transient(error) and not _is_refusal_of_the_message(error):
                    detail = f"{type(error).__name__}: {error}"
                    _followups_release(unsent, next_attempt_at=retry_at, error=f"not attempted: {detail}"[:1000])
                    outcomes.update(dict.fromkeys((row.pk for row in unsent), FollowUp.State.PENDING))
                    break
                continue
            outcomes[followup.pk] = _followup_finish(
                followup, FollowUp.State.SENT, message_id=message.extra_headers["Message-ID"]
            )
    except SoftTimeLimitExceeded:
        # Out of time between two sends: give the rows not tried back now
        # rather than when their lease expires. The row in hand, if any,
        # stays claimed until then (it may have been sent).
        logger.warning("Follow-up batch out of time; %d rows not attempted", len(unsent))
        _followups_release(unsent, next_attempt_at=timezone.now(), error="not attempted: the task ran out of time")
        outcomes.update(dict.fromkeys((row.pk for row in unsent), FollowUp.State.PENDING))
    return outcomes


def _followup_prepare(followup: FollowUp, *, today, watchers, last_updates, mail_connection):
    """The email of a claimed row, or the state the row was finished in without one (cancelled, failed)."""
    from tracker import emails  # emails render templates that link to views; keep imports one-way

    reason = followup_obsolete_reason(followup, today=today, watchers=watchers)
    if reason:
        return _followup_finish(followup, FollowUp.State.CANCELLED, error=reason)
    if not followup.recipient.email:
        return _followup_finish(followup, FollowUp.State.FAILED, error="user has no email address")
    try:
        return emails.followup_message(followup, connection=mail_connection, last_updates=last_updates)
    except emails.NothingToSend as nothing:
        return _followup_finish(followup, FollowUp.State.CANCELLED, error=str(nothing))
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:
        # A template or data error would fail every attempt alike: record it, visibly.
        logger.exception("Follow-up %s could not be rendered", followup.dedupe_key)
        return _followup_finish(
            followup, FollowUp.State.FAILED, error=f"could not be rendered: {type(error).__name__}: {error}"[:1000]
        )


def _followup_send_failed(followup: FollowUp, error: Exception, *, retry_at) -> str:
    """Record a failed send: pending again at `retry_at` when worth retrying, else failed; returns the state."""
    detail = f"{type(error).__name__}: {error}"[:1000]
    if not _is_transient(error):
        logger.warning("Follow-up %s failed for good: %s", followup.dedupe_key, detail)
        return _followup_finish(followup, FollowUp.State.FAILED, error=detail)
    if followup.attempts >= settings.FOLLOWUP_MAX_ATTEMPTS:
        logger.error("Follow-up %s failed after %d attempts: %s", followup.dedupe_key, followup.attempts, detail)
        return _followup_finish(
            followup, FollowUp.State.FAILED, error=f"gave up after {followup.attempts} attempts; {detail}"
        )
    logger.warning("Follow-up %s will be retried at %s: %s", followup.dedupe_key, retry_at, detail)
    return _followup_finish(followup, FollowUp.State.PENDING, error=detail, next_attempt_at=retry_at)


def _this_claim(followup: FollowUp):
    """The row while it is still held by the claim `followup` was loaded under."""
    return FollowUp.objects.filter(pk=followup.pk, state=FollowUp.State.SENDING, attempts=followup.attempts)


def _these_claims(followups: list[FollowUp]):
    """The rows still held by the claims they were loaded under (each row's own `attempts`)."""
    ids_by_attempts = {}
    for followup in followups:
        ids_by_attempts.setdefault(followup.attempts, []).append(followup.pk)
    # One term per attempt count, not per row: SQLite refuses a thousand ORs.
    held = Q()
    for attempts, ids in ids_by_attempts.items():
        held |= Q(attempts=attempts, pk__in=ids)
    return FollowUp.objects.filter(held, state=FollowUp.State.SENDING)


def _followups_renew_leases(followups: list[FollowUp]) -> list[FollowUp]:
    """A full lease for each row still held by this caller's claim; returns those rows (the others were lost)."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS)
    if _these_claims(followups).update(lease_until=lease_until, updated_at=now) == len(followups):
        held = followups
    else:
        # A row lost stays lost (claims only raise attempts), and a row just renewed cannot be taken now.
        held_ids = set(_these_claims(followups).values_list("pk", flat=True))
        held = [followup for followup in followups if followup.pk in held_ids]
    for followup in held:
        followup.lease_until = lease_until
    return held


def _followups_release(followups: list[FollowUp], *, next_attempt_at, error: str) -> None:
    """Give back claimed rows that were not attempted: pending at `next_attempt_at`, the claim's attempt undone.

    Guarded like every outcome: a row another sender has taken over is left to it.
    """
    if not followups:
        return
    now = timezone.now()
    _these_claims(followups).update(
        state=FollowUp.State.PENDING,
        lease_until=None,
        attempts=F("attempts") - 1,
        next_attempt_at=next_attempt_at,
        woken_at=None,
        last_error=error,
        updated_at=now,
    )


def followup_obsolete_reason(followup: FollowUp, *, today: date | None = None, watchers: dict | None = None) -> str:
    """Why a reminder should no longer go out ("" when it should).

    `watchers` (selectors.watcher_ids_by_commitment) saves the query for an
    escalation's audience when the caller has loaded it for a batch; the
    recipient's preference is read once and kept on the recipient (the batch
    loads it joined).
    """
    today = today or timezone.localdate()
    recipient = followup.recipient
    if not recipient.is_active:
        return "the recipient's account is inactive"
    try:
        preference = recipient.notification_preference
    except NotificationPreference.DoesNotExist:
        preference = None
    if preference and not preference.wants(followup.kind):
        return "the recipient turned these emails off"
    if followup.kind == FollowUp.Kind.DIGEST:
        return ""
    commitment = followup.commitment
    if commitment is None:
        return "the pledge was deleted"
    if commitment.is_terminal:
        return f"the pledge is closed ({commitment.get_status_display().lower()})"
    if followup.kind == FollowUp.Kind.CHECKUP:
        if commitment.owner_id != recipient.pk:
            return "the recipient no longer owns the pledge"
        if commitment.next_check_on != followup.due_on:
            return "the check date has moved"
        return ""
    if watchers is None:
        watcher_ids = set(commitment.watchers.values_list("pk", flat=True))
    else:
        watcher_ids = watchers.get(commitment.pk, set())
    if recipient.pk not in {commitment.owner_id, *watcher_ids}:
        return "the recipient no longer owns or watches the pledge"
    escalate_on_or_before = today - timedelta(days=settings.FOLLOWUP_ESCALATE_DAYS)
    check_overdue = commitment.next_check_on == followup.due_on and followup.due_on <= escalate_on_or_before
    target_passed = commitment.due_on == followup.due_on and followup.due_on < today
    if not (check_overdue or target_passed):
        return "the pledge is no longer overdue"
    return ""


def followup_backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: about RETRY_SECONDS * 2**(attempts-1), capped."""
    base = settings.FOLLOWUP_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    capped = min(base, settings.FOLLOWUP_RETRY_MAX_SECONDS)
    # Jitter spreads the retries of a batch that failed together.
    return capped * random.uniform(0.5, 1.0)  # noqa: S311 - not for security


def _is_transient(error: Exception) -> bool:
    """Worth retrying, unless the server refused this very message (5xx on its recipients or data).

    A refused login, a missing STARTTLS or a 4xx are the server's or the
    settings' state, not the message's: retried until FOLLOWUP_MAX_ATTEMPTS,
    so that fixing the configuration saves the queue. A worker's soft time
    limit hitting mid-send is retried too.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return not all(500 <= code < 600 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return not 500 <= error.smtp_code < 600
    return isinstance(error, smtplib.SMTPException | OSError | SoftTimeLimitExceeded)


def _is_refusal_of_the_message(error: Exception) -> bool:
    """The server answered about this message's recipients or data, and still talks: the next one may go.

    421 is the server closing the connection, whatever it was answering.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code != 421 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code != 421
    return False


def _followup_finish(followup: FollowUp, state: str, *, error: str = "", message_id: str = "", next_attempt_at=None):
    """Record the outcome, only while the row is still held by this claim; returns `state`."""
    now = timezone.now()
    changes = {"state": state, "lease_until": None, "updated_at": now}
    if state == FollowUp.State.SENT:
        # last_error is kept: with attempts, it shows why delivery took retries.
        changes.update(sent_at=now, message_id=message_id)
    else:
        changes["last_error"] = error
    if state == FollowUp.State.PENDING:
        # Woken by the first sweep after next_attempt_at.
        changes.update(next_attempt_at=next_attempt_at, woken_at=None)
    _this_claim(followup).update(**changes)
    return state


def followups_retry(*, followups) -> int:
    """Put failed rows back in the queue (the admin's "retry"); returns how many."""
    ids = [followup.pk for followup in followups]
    return FollowUp.objects.filter(pk__in=ids, state=FollowUp.State.FAILED).update(
        state=FollowUp.State.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        woken_at=None,
        updated_at=timezone.now(),
    )


def _last_assessed_on(commitment: Commitment) -> date:
    last = commitment.updates.order_by("-recorded_on").values_list("recorded_on", flat=True).first()
    return last or timezone.localdate()


def _validate_check_interval(days):
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_CHECK_EVERY_DAYS:
        raise ValidationError({"check_every_days": f"Checks must be 1 to {MAX_CHECK_EVERY_DAYS} days apart."})


def _copy_fields(source: Commitment, target: Commitment) -> None:
    """Bring the caller's instance up to date with the row as saved."""
    if source is not target:
        for field in Commitment._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))


def notification_preference_get(*, user) -> NotificationPreference:
    """A user's notification preferences, created with the defaults on first need."""
    preference, _ = NotificationPreference.objects.get_or_create(user=user)
    return preference


def notification_preference_update(*, user, data: dict) -> NotificationPreference:
    """Change the given preference fields (reminders_enabled, digest_enabled, time_zone)."""
    allowed = {"reminders_enabled", "digest_enabled", "time_zone"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(f"Unknown preference fields: {', '.join(sorted(unknown))}.")
    preference = notification_preference_get(user=user)
    for name, value in data.items():
        setattr(preference, name, value)
    preference.full_clean()
    preference.save()
    return preference


def notification_preference_reset_calendar_token(*, user) -> NotificationPreference:
    """A new calendar link; the old one stops working at once."""
    preference = notification_preference_get(user=user)
    preference.calendar_token = _new_calendar_token()
    preference.save(update_fields=["calendar_token"])
    return preference


ANALYSTS_GROUP = "Analysts"
VIEWERS_GROUP = "Viewers"
# What Analysts may change; follow-ups are written by the services only.
ANALYST_EDITABLE_MODELS = ("actor", "event", "topic", "commitment", "progressupdate")


def roles_ensure() -> dict:
    """Create or refresh the Analysts (edit) and Viewers (read) groups; returns them by name.

    Deleting is left to superusers: the timeline and the record of who
    pledged what must not disappear through an analyst's click.
    """
    tracker_perms = Permission.objects.filter(content_type__app_label="tracker")
    view = tracker_perms.filter(codename__startswith="view_")
    edit = tracker_perms.filter(
        codename__in=[f"{verb}_{model}" for verb in ("add", "change") for model in ANALYST_EDITABLE_MODELS]
    )
    # Choosing an owner or watchers (the admin's user autocomplete) needs it.
    view_users = Permission.objects.filter(content_type__app_label="auth", codename="view_user")
    analysts, _ = Group.objects.get_or_create(name=ANALYSTS_GROUP)
    analysts.permissions.set([*view, *edit, *view_users])
    viewers, _ = Group.objects.get_or_create(name=VIEWERS_GROUP)
    viewers.permissions.set(view)
    return {ANALYSTS_GROUP: analysts, VIEWERS_GROUP: viewers}


def commitments_create_from_drafts(
    *,
    user,
    drafts: list[dict],
    source_url: str = "",
    event: Event | None = None,
    made_on: date | None = None,
) -> tuple[list[Commitment], list[dict]]:
    """Record the draft pledges an analyst confirmed (see tracker.extraction.Draft.to_dict).

    Each draft becomes an Announced pledge owned by `user`, quoting its
    sentence; its maker is the draft's actor_id, or the actor of that exact
    name, created if the tracker does not know it yet. A draft whose
    sentence is already the quote of a pledge is skipped, and so is one the
    rules refuse; each draft has its own transaction, so one bad draft does
    not lose the others. Returns the pledges created and the skipped drafts,
    each as {"draft": ..., "reason": ...}.
    """
    from tracker.extraction import draft_title, guess_actor_kind

    made_on = made_on or timezone.localdate()
    created, skipped = [], []
    for draft in drafts:
        quote = " ".join(str(draft.get("text") or "").split())
        if not quote:
            skipped.append({"draft": draft, "reason": "The draft has no sentence to quote."})
            continue
        existing = Commitment.objects.filter(quote=quote).only("id", "title").first()
        if existing is not None:
            skipped.append({"draft": draft, "reason": f"Already recorded as “{existing.title}” (#{existing.pk})."})
            continue
        try:
            with transaction.atomic():
                made_by = _draft_actor(draft, guess_actor_kind)
                counterpart = _draft_counterpart(draft, made_by)
                title = " ".join(str(draft.get("title") or "").split()) or draft_title(quote, draft.get("cue", ""))
                commitment = commitment_create(
                    user=user,
                    title=title[: Commitment._meta.get_field("title").max_length],
                    made_by=made_by,
                    made_on=made_on,
                    kind=draft.get("kind") or Commitment.Kind.PROMISE,
                    quote=quote,
                    source_url=source_url,
                    event=event,
                    due_on=_draft_due(draft),
                    owner=user,
                    counterparts=[counterpart] if counterpart else [],
                )
        except ValidationError as exc:
            skipped.append({"draft": draft, "reason": _validation_message(exc)})
            continue
        created.append(commitment)
    return created, skipped


def _draft_actor(draft: dict, guess_actor_kind) -> Actor:
    actor_id = draft.get("actor_id")
    if actor_id:
        actor = Actor.objects.filter(pk=actor_id).first()
        if actor is None:
            raise ValidationError({"made_by": f"Actor #{actor_id} does not exist."})
        return actor
    name = " ".join(str(draft.get("actor") or "").split())
    if not name:
        raise ValidationError({"made_by": "Who made this pledge? The draft names no actor."})
    max_length = Actor._meta.get_field("name").max_length
    if len(name) > max_length:
        raise ValidationError({"made_by": f"The actor's name is longer than {max_length} characters."})
    actor, _ = Actor.objects.get_or_create(name=name, defaults={"kind": guess_actor_kind(name)})
    return actor


def _draft_counterpart(draft: dict, made_by: Actor) -> Actor | None:
    """The counterpart, when the tracker knows it; a draft never creates one from a loose phrase."""
    counterpart_id = draft.get("counterpart_id")
    if counterpart_id:
        counterpart = Actor.objects.filter(pk=counterpart_id).first()
    else:
        name = " ".join(str(draft.get("counterpart") or "").split())
        counterpart = Actor.objects.filter(name=name).first() if name else None
    return None if counterpart == made_by else counterpart


def _draft_due(draft: dict) -> date | None:
    due = draft.get("due")
    if not due:
        return None
    if isinstance(due, date):
        return due
    try:
        return date.fromisoformat(str(due))
    except ValueError:
        raise ValidationError({"due_on": f"{due!r} is not a date; use YYYY-MM-DD."}) from None


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(
            " ".join(messages) if field == "__all__" else f"{field}: {' '.join(messages)}"
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)
