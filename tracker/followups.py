"""The outbox of reminder emails: queue, wake, claim, deliver, retry.

The rows are the truth; broker messages only wake a sender. The sweep inserts
the rows that have come due, a unique dedupe key making a second insert a
no-op, and wakes the claimable ones. A sender claims a batch with a lease,
then for each row in turn re-checks that it still applies, sends it and
records the outcome under its own claim, so that a crash resends at most the
email in flight (with the same Message-ID).
"""

import logging
import random
import smtplib
import time
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation

from tracker import emails, evidence, milestones, selectors
from tracker.models import Commitment, FollowUp, NotificationPreference

logger = logging.getLogger(__name__)

# Rows read or written per statement, well under the databases' parameter limits.
CHUNK = 1000
# The outcome of a row this sender did not get (another sender holds it, or it is done).
SKIPPED = "skipped"


# Queueing


def followups_sweep(*, now=None) -> dict:
    """What has come due goes in the outbox; waking the senders is the caller's."""
    now = now or timezone.now()
    exhausted = followups_fail_exhausted(now=now)
    queued = followups_queue_due(today=timezone.localdate(now))
    queued += digests_queue_if_due(now=now)
    queued += evidence.requests_queue_due(now=now)
    return {"queued": queued, "exhausted": exhausted}


def followups_queue_due(*, today: date | None = None) -> int:
    """Insert the check-ups, escalations and overdue milestones' reminders that have come due; returns how many
    are new.

    An escalation is keyed by the check date when the check is
    FOLLOWUP_ESCALATE_DAYS overdue, by the target date when that has passed.
    """
    today = today or timezone.localdate()
    escalate_on_or_before = today - timedelta(days=settings.FOLLOWUP_ESCALATE_DAYS)
    open_pledges = Commitment.objects.open()
    escalations = []
    overdue = open_pledges.filter(Q(next_check_on__lte=escalate_on_or_before) | Q(due_on__lt=today))
    watchers = selectors.watcher_ids_by_commitment(overdue.values("id"))
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
                escalations.append(_row(FollowUp.Kind.ESCALATION, commitment_id, user_id, reason_on))
    queued = _insert(escalations, unwanted=_recipients_not_wanting(escalations, "reminders_enabled"))

    # Read after the escalations are in: a check-up that one of them
    # overtakes is neither made nor revived, so the owner gets one email.
    superseded = _escalations_superseding(
        commitment=OuterRef("pk"), recipient=OuterRef("owner_id"), check_date=OuterRef("next_check_on")
    )
    checkups = open_pledges.filter(next_check_on__lte=today, owner__isnull=False).exclude(Exists(superseded))
    rows = [
        _row(FollowUp.Kind.CHECKUP, commitment_id, owner_id, next_check_on)
        for commitment_id, owner_id, next_check_on in checkups.values_list("id", "owner_id", "next_check_on")
    ]
    queued += _insert(rows, unwanted=_recipients_not_wanting(rows, "reminders_enabled"))
    steps = milestones.reminders_due(today=today)
    return queued + _insert(steps, unwanted=_recipients_not_wanting(steps, "reminders_enabled"))


def _escalations_superseding(*, commitment, recipient, check_date):
    """The escalations that make a check-up of `check_date` a second email about the same pledge.

    Any escalation to the same person about the same pledge made on or after
    the check date: the check-up had not gone out by then, and the escalation
    says more. A failed or cancelled one does not count, so the check-up then goes.
    """
    return FollowUp.objects.filter(
        kind=FollowUp.Kind.ESCALATION,
        commitment_id=commitment,
        recipient_id=recipient,
        state__in=[FollowUp.State.PENDING, FollowUp.State.SENDING, FollowUp.State.SENT],
        created_at__date__gte=check_date,
    )


def digests_queue(*, today: date | None = None) -> int:
    """One weekly digest row per user who may view pledges, owns or watches an open one and wants digests."""
    today = today or timezone.localdate()
    involved = Commitment.objects.open().filter(Q(owner=OuterRef("pk")) | Q(watchers=OuterRef("pk")))
    recipients = (
        selectors.users_who_may_view_pledges()
        .filter(Exists(involved))
        .exclude(notification_preference__digest_enabled=False)
        .values_list("pk", flat=True)
    )
    return _insert([_row(FollowUp.Kind.DIGEST, None, user_id, today) for user_id in recipients])


def digests_queue_if_due(*, now=None) -> int:
    """This ISO week's digests, from Monday at FOLLOWUP_DIGEST_HOUR (TIME_ZONE) on; a no-op once queued.

    Left to the sweep rather than to a Monday crontab, so that a beat that
    was down at that hour still sends the week's digest when it is back.
    """
    local = timezone.localtime(now or timezone.now())
    if local.weekday() == 0 and local.hour < settings.FOLLOWUP_DIGEST_HOUR:
        return 0
    return digests_queue(today=local.date())


def _row(kind, commitment_id, recipient_id, due_on) -> FollowUp:
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
    """Recipients of `rows` who may not view pledges or turned these emails off: no row is made for them."""
    ids = {row.recipient_id for row in rows}
    if not ids:
        return set()
    may_view = selectors.users_who_may_view_pledges()
    unwanted = ~Q(pk__in=may_view.values("pk")) | Q(**{f"notification_preference__{preference}": False})
    return set(get_user_model().objects.filter(pk__in=ids).filter(unwanted).values_list("pk", flat=True))


def _insert(rows: list[FollowUp], *, unwanted: set = frozenset()) -> int:
    """Insert the rows whose dedupe key is new; returns how many were new or revived.

    A reminder cancelled by a change to its pledge is due again when the
    change is undone: same key, so the cancelled row goes back to pending.
    """
    rows = [row for row in rows if row.recipient_id not in unwanted]
    new = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        keys = [row.dedupe_key for row in chunk]
        existing = dict(FollowUp.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", "state"))
        revived = [key for key, state in existing.items() if state == FollowUp.State.CANCELLED]
        if revived:
            cancelled = FollowUp.objects.filter(dedupe_key__in=revived, state=FollowUp.State.CANCELLED)
            new += cancelled.requeue(at=timezone.now(), error="", attempts=0)
        chunk = [row for row in chunk if row.dedupe_key not in existing]
        # Another sweep may insert a key between the read above and this
        # write; the unique index keeps one row.
        FollowUp.objects.bulk_create(chunk, ignore_conflicts=True)
        new += len(chunk)
    return new


def followups_fail_exhausted(*, now=None) -> int:
    """Fail the rows whose lease expired after their last allowed attempt (a send that kills its sender)."""
    now = now or timezone.now()
    exhausted = FollowUp.objects.filter(
        state=FollowUp.State.SENDING, lease_until__lt=now, attempts__gte=settings.FOLLOWUP_MAX_ATTEMPTS
    )
    attempts = settings.FOLLOWUP_MAX_ATTEMPTS
    return exhausted.finish(
        FollowUp.State.FAILED, error=f"no send finished in {attempts} attempts (the worker died or timed out)", now=now
    )


def followups_cancel_stale(commitment: Commitment) -> int:
    """Cancel the unsent reminders of a pledge that its current state no longer calls for.

    Claimed rows too: a sender checks its claim right before each send.
    """
    unsent = FollowUp.objects.filter(
        commitment=commitment,
        state__in=[FollowUp.State.PENDING, FollowUp.State.SENDING],
        kind__in=[FollowUp.Kind.CHECKUP, FollowUp.Kind.ESCALATION, FollowUp.Kind.MILESTONE],
    )
    if not commitment.is_terminal:
        audience = {commitment.owner_id, *commitment.watchers.values_list("pk", flat=True)} - {None}
        stale_checkup = Q(kind=FollowUp.Kind.CHECKUP)
        if commitment.next_check_on and commitment.owner_id:
            stale_checkup &= ~Q(due_on=commitment.next_check_on) | ~Q(recipient_id=commitment.owner_id)
        stale_escalation = Q(kind=FollowUp.Kind.ESCALATION)
        # Its own dates, not is_overdue, which counts milestones: they have reminders of their own.
        today = timezone.localdate()
        if any(day is not None and day < today for day in (commitment.next_check_on, commitment.due_on)):
            stale_escalation &= ~Q(recipient_id__in=audience)
        # A milestone's reminder is the milestone's business (milestones.py) while its pledge's people get it.
        stale_milestone = Q(kind=FollowUp.Kind.MILESTONE) & ~Q(recipient_id__in=audience)
        unsent = unsent.filter(stale_checkup | stale_escalation | stale_milestone)
    return unsent.finish(FollowUp.State.CANCELLED, error="no longer applies after a change to the pledge")


def followups_retry(*, followups) -> int:
    """Put failed rows back in the queue with their attempts reset (the admin's "retry"); returns how many."""
    ids = [followup.pk for followup in followups]
    return FollowUp.objects.filter(pk__in=ids, state=FollowUp.State.FAILED).requeue(at=timezone.now(), attempts=0)


# Waking


def followups_wake(*, now=None, limit: int = 10_000) -> list[int]:
    """Mark the claimable rows that need a wake-up message as woken; returns their ids.

    A row is woken again only a lease after its last wake-up: a message lost
    with the broker is made good then, and a backlog does not flood the queue.
    """
    return [followup_id for followup_id, _ in _wake(now=now, limit=limit)]


def followups_wake_batches(*, size: int, now=None, limit: int = 10_000) -> list[list[int]]:
    """followups_wake, cut into the id lists of the send messages, `size` rows to a message.

    A row whose last claim expired gets a message to itself: should it be
    what kills its sender, it takes no batch down with it again.
    """
    fresh, expired = [], []
    for followup_id, state in _wake(now=now, limit=limit):
        (expired if state == FollowUp.State.SENDING else fresh).append(followup_id)
    return [fresh[start : start + size] for start in range(0, len(fresh), size)] + [[pk] for pk in expired]


def _wake(*, now, limit: int) -> list[tuple[int, str]]:
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS)
    with transaction.atomic():
        candidates = (
            FollowUp.objects.claimable(now)
            .filter(Q(woken_at__isnull=True) | Q(woken_at__lte=stale))
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            # Two sweeps at once wake disjoint rows instead of waiting on each other.
            candidates = candidates.select_for_update(skip_locked=True)
        rows = list(candidates.values_list("id", "state")[:limit])
        ids = [followup_id for followup_id, _ in rows]
        for start in range(0, len(ids), CHUNK):
            FollowUp.objects.filter(id__in=ids[start : start + CHUNK]).update(woken_at=now)
    return rows


# Claiming


def followups_claim(*, ids, now=None) -> list[int]:
    """Claim those of `ids` still claimable, in one transaction; returns the ids this caller got, in order."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    claimed = set(_claim(FollowUp.objects.claimable(now).filter(pk__in=ids).order_by("id"), now=now))
    return [followup_id for followup_id in ids if followup_id in claimed]


def followups_claim_due(*, limit: int, now=None) -> list[int]:
    """Claim up to `limit` claimable rows, the longest due first (send_due_followups)."""
    now = now or timezone.now()
    return _claim(FollowUp.objects.claimable(now).order_by("next_attempt_at", "id"), now=now, limit=limit)


def _claim(candidates, *, now, limit: int | None = None) -> list[int]:
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            # Locked rows cannot change before the UPDATE, so it claims every
            # one of them; rows another sender has locked are skipped.
            ids = list(candidates.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
            FollowUp.objects.filter(pk__in=ids).claim(now)
            return ids
        # No row locks (SQLite): each row is a compare-and-set of its own.
        ids = list(candidates.values_list("id", flat=True)[:limit])
        return [followup_id for followup_id in ids if FollowUp.objects.filter(pk=followup_id).claim(now)]


# Delivering


def followups_send(*, followup_ids, mail_connection=None, deadline: float | None = None) -> dict[int, str]:
    """Claim the rows and deliver those this caller got; returns the outcome per id."""
    return Delivery(mail_connection=mail_connection, deadline=deadline).send(followup_ids)


def followups_deliver(*, followup_ids, mail_connection=None, deadline: float | None = None) -> dict[int, str]:
    """Deliver rows this caller has claimed; returns the outcome per id."""
    return Delivery(mail_connection=mail_connection, deadline=deadline).deliver(followup_ids)


class Delivery:
    """One sender's pass over the rows it claimed: each re-checked, rendered, sent and recorded in turn.

    `deadline` (time.monotonic()): no send starts after it. `interruptions`:
    exceptions that stop the caller from outside (a time limit); they are
    let through, not recorded on a row, and the caller then calls stop().
    """

    def __init__(self, *, mail_connection=None, deadline: float | None = None, interruptions=()):
        self.mail_connection = mail_connection
        self.deadline = deadline
        self.interruptions = tuple(interruptions)
        self.outcomes: dict[int, str] = {}
        self.unsent: list[FollowUp] = []
        self.in_flight: FollowUp | None = None

    def send(self, followup_ids) -> dict[int, str]:
        self.outcomes.update(dict.fromkeys(followup_ids, SKIPPED))
        claimed = followups_claim(ids=followup_ids)
        return self.deliver(claimed) if claimed else self.outcomes

    def deliver(self, followup_ids) -> dict[int, str]:
        self.outcomes.update(dict.fromkeys(followup_ids, SKIPPED))
        # Rows that failed before go last: a message on which the server drops
        # the connection does not hold back the rows woken with it.
        superseded = _escalations_superseding(
            commitment=OuterRef("commitment_id"), recipient=OuterRef("recipient_id"), check_date=OuterRef("due_on")
        )
        rows = selectors.followups_for_delivery(followup_ids, superseded_by_escalation=Exists(superseded))
        self.unsent = sorted(rows, key=lambda row: (row.attempts, row.pk))
        pledges = {row.commitment_id for row in self.unsent} - {None}
        # Escalations and milestones' reminders go to watchers too: whether the recipient still is one is read here.
        to_watchers = (FollowUp.Kind.ESCALATION, FollowUp.Kind.MILESTONE)
        escalated = {row.commitment_id for row in self.unsent if row.kind in to_watchers} - {None}
        last_updates = selectors.latest_updates(pledges) if pledges else {}
        watchers = selectors.watcher_ids_by_commitment(escalated) if escalated else {}
        today = timezone.localdate()
        while self.unsent:
            if self.deadline is not None and time.monotonic() >= self.deadline:
                # Too little time left before the caller's time limit: the rest
                # go back untried rather than one being cut off mid-send.
                logger.warning("Follow-up batch near its time limit; %d rows not attempted", len(self.unsent))
                self._give_back(at=timezone.now(), error="not attempted: out of time")
                break
            followup = self.unsent.pop(0)
            message = self._prepare(followup, today=today, watchers=watchers, last_updates=last_updates)
            if message is None or not self._still_held(followup):
                continue
            self.in_flight = followup
            try:
                message.send()
            except self.interruptions:
                raise
            except Exception as error:
                self.in_flight = None
                if self._failed(followup, error, transient=_is_transient(error)):
                    break
                continue
            self.in_flight = None
            self._finish(followup, FollowUp.State.SENT, message_id=message.extra_headers["Message-ID"])
        return self.outcomes

    def stop(self, error: BaseException) -> None:
        """A send under way is retried later, the rows not tried go back now.

        A row interrupted outside its send keeps its claim until the lease ends: it may have been sent.
        """
        logger.warning("Follow-up batch interrupted (%s); %d rows not attempted", _describe(error), len(self.unsent))
        if self.in_flight is not None:
            followup, self.in_flight = self.in_flight, None
            self._failed(followup, error, transient=True)
        else:
            self._give_back(at=timezone.now(), error="not attempted: the task ran out of time")

    def _prepare(self, followup: FollowUp, *, today, watchers, last_updates):
        """The row's email, or None once the row is finished without one (cancelled, failed)."""
        reason = followup_obsolete_reason(followup, today=today, watchers=watchers)
        if reason:
            return self._finish(followup, FollowUp.State.CANCELLED, error=reason)
        if followup.contact_id is None and not followup.recipient.email:
            return self._finish(followup, FollowUp.State.FAILED, error="user has no email address")
        try:
            return emails.followup_message(followup, connection=self.mail_connection, last_updates=last_updates)
        except emails.NothingToSend as nothing:
            return self._finish(followup, FollowUp.State.CANCELLED, error=str(nothing))
        except self.interruptions:
            raise
        except Exception as error:
            # A template or data error would fail every attempt alike: record it, visibly.
            logger.exception("Follow-up %s could not be rendered", followup.dedupe_key)
            detail = f"could not be rendered: {_describe(error)}"[:1000]
            return self._finish(followup, FollowUp.State.FAILED, error=detail)

    def _still_held(self, followup: FollowUp) -> bool:
        """Whether this sender still holds the row (a change to its pledge cancels it), right before its send.

        Once half the lease has gone, the batch's leases are renewed: every
        send starts with more than EMAIL_TIMEOUT of lease ahead.
        """
        now = timezone.now()
        if followup.lease_until - now >= timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS / 2):
            return FollowUp.objects.held_by([followup]).exists()
        batch = [followup, *self.unsent]
        lease_until = now + timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS)
        if FollowUp.objects.held_by(batch).update(lease_until=lease_until, updated_at=now) == len(batch):
            held = batch
        else:
            # A row lost stays lost (claims only raise attempts), and a row just renewed cannot be taken now.
            held_ids = set(FollowUp.objects.held_by(batch).values_list("pk", flat=True))
            held = [row for row in batch if row.pk in held_ids]
        for row in held:
            row.lease_until = lease_until
        self.unsent = [row for row in self.unsent if row in held]
        return followup in held

    def _failed(self, followup: FollowUp, error: BaseException, *, transient: bool) -> bool:
        """Record a failed send; True when the server, not the message, failed and the rest went back untried."""
        detail = _describe(error)
        retry_at = timezone.now() + timedelta(seconds=followup_backoff_seconds(followup.attempts))
        if not transient:
            logger.warning("Follow-up %s failed for good: %s", followup.dedupe_key, detail)
            self._finish(followup, FollowUp.State.FAILED, error=detail)
        elif followup.attempts >= settings.FOLLOWUP_MAX_ATTEMPTS:
            logger.error("Follow-up %s failed after %d attempts: %s", followup.dedupe_key, followup.attempts, detail)
            self._finish(followup, FollowUp.State.FAILED, error=f"gave up after {followup.attempts} attempts; {detail}")
        else:
            logger.warning("Follow-up %s will be retried at %s: %s", followup.dedupe_key, retry_at, detail)
            FollowUp.objects.held_by([followup]).requeue(at=retry_at, error=detail)
            self.outcomes[followup.pk] = FollowUp.State.PENDING
        if transient and not _is_refusal_of_the_message(error):
            self._give_back(at=retry_at, error=f"not attempted: {detail}"[:1000])
            return True
        return False

    def _finish(self, followup: FollowUp, state: str, *, error: str = "", message_id: str = "") -> None:
        """Record the outcome, only while this sender's claim still holds the row."""
        FollowUp.objects.held_by([followup]).finish(state, error=error, message_id=message_id)
        self.outcomes[followup.pk] = state

    def _give_back(self, *, at, error: str) -> None:
        """The rows not tried go back to pending at `at`, their claim's attempt undone."""
        if not self.unsent:
            return
        FollowUp.objects.held_by(self.unsent).requeue(at=at, error=error, attempts=F("attempts") - 1)
        self.outcomes.update(dict.fromkeys((row.pk for row in self.unsent), FollowUp.State.PENDING))
        self.unsent = []


def followup_obsolete_reason(followup: FollowUp, *, today: date | None = None, watchers: dict | None = None) -> str:
    """Why a reminder should no longer go out ("" when it should); `watchers` as a batch loaded them."""
    if followup.contact_id is not None:
        return evidence.request_obsolete_reason(followup)
    today = today or timezone.localdate()
    recipient = followup.recipient
    if not recipient.is_active:
        return "the recipient's account is inactive"
    may_view = getattr(followup, "recipient_may_view_pledges", None)
    if may_view is None:  # a row not read by selectors.followups_for_delivery
        may_view = recipient.has_perm("tracker.view_commitment")
    if not may_view:
        return "the recipient can no longer view pledges"
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
        # A log line, in English whatever the language of the request that sent the batch.
        with translation.override(None):
            status = commitment.get_status_display().lower()
        return f"the pledge is closed ({status})"
    if watchers is None and followup.kind != FollowUp.Kind.CHECKUP:
        watchers = selectors.watcher_ids_by_commitment([commitment.pk])
    if followup.kind == FollowUp.Kind.MILESTONE:
        return milestones.milestone_obsolete_reason(followup, watchers=watchers)
    if followup.kind == FollowUp.Kind.CHECKUP:
        if commitment.owner_id != recipient.pk:
            return "the recipient no longer owns the pledge"
        if commitment.next_check_on != followup.due_on:
            return "the check date has moved"
        superseded = getattr(followup, "superseded_by_escalation", None)
        if superseded is None:
            superseded = _escalations_superseding(
                commitment=commitment.pk, recipient=recipient.pk, check_date=followup.due_on
            ).exists()
        if superseded:
            return "an escalation about the pledge went to the recipient instead"
        return ""
    if recipient.pk not in {commitment.owner_id, *watchers.get(commitment.pk, set())}:
        return "the recipient no longer owns or watches the pledge"
    escalate_on_or_before = today - timedelta(days=settings.FOLLOWUP_ESCALATE_DAYS)
    check_overdue = commitment.next_check_on == followup.due_on and followup.due_on <= escalate_on_or_before
    target_passed = commitment.due_on == followup.due_on and followup.due_on < today
    if not (check_overdue or target_passed):
        return "the pledge is no longer overdue"
    return ""


def followup_backoff_seconds(attempts: int) -> float:
    """About FOLLOWUP_RETRY_SECONDS * 2**(attempts-1), capped at FOLLOWUP_RETRY_MAX_SECONDS, with jitter."""
    base = settings.FOLLOWUP_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    capped = min(base, settings.FOLLOWUP_RETRY_MAX_SECONDS)
    # Jitter spreads the retries of a batch that failed together.
    return capped * random.uniform(0.5, 1.0)  # noqa: S311 - not for security


def _is_transient(error: BaseException) -> bool:
    """Worth retrying, unless the server refused this very message (5xx on its recipients or data).

    A refused login or a missing STARTTLS is the settings' fault, not the
    message's: fixing the configuration then saves the queue.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return not all(500 <= code < 600 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return not 500 <= error.smtp_code < 600
    return isinstance(error, smtplib.SMTPException | OSError)


def _is_refusal_of_the_message(error: BaseException) -> bool:
    """The server answered about this message and still talks (421 closes the connection)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code != 421 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code != 421
    return False


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]
