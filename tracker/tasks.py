"""Thin Celery tasks: they take ids and call the outbox (tracker.followups).

Broker messages are only wake-ups; the FollowUp rows are the truth. A lost
message costs a delay (the next sweep wakes the row again), never a reminder.
"""

import contextlib
import logging
import smtplib
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_shutdown, worker_ready
from django.conf import settings
from django.core.mail import get_connection
from kombu.exceptions import OperationalError

from tracker import followups
from tracker.models import FollowUp

logger = logging.getLogger(__name__)


@shared_task
def followups_sweep():
    """Put what is due in the outbox, then wake the claimable rows, FOLLOWUP_SEND_BATCH ids per message."""
    result = followups.followups_sweep()
    batches = followups.followups_wake_batches(size=settings.FOLLOWUP_SEND_BATCH)
    woken = 0
    try:
        for batch in batches:
            followups_send.delay(batch)
            woken += len(batch)
    except OperationalError:
        # The rows stay in the outbox and are woken again after the lease.
        total = sum(len(batch) for batch in batches)
        logger.exception("Broker unreachable after waking %d of %d follow-ups", woken, total)
    logger.info(
        "Sweep: %d follow-ups queued, %d failed for good, %d woken", result["queued"], result["exhausted"], woken
    )
    return {**result, "woken": woken}


@shared_task(bind=True)
def followups_send(self, followup_ids):
    """Claim and send a batch of rows on this process's SMTP connection; returns the outcome per id."""
    delivery = followups.Delivery(
        mail_connection=mail.connection(), deadline=send_deadline(self), interruptions=(SoftTimeLimitExceeded,)
    )
    try:
        delivery.send(followup_ids)
    except SoftTimeLimitExceeded as error:
        # Give the rows not tried back now rather than when their leases end.
        delivery.stop(error)
    if {FollowUp.State.PENDING, FollowUp.State.FAILED} & set(delivery.outcomes.values()):
        mail.drop()  # perhaps broken: the next batch starts on a fresh one
    return delivery.outcomes


def send_deadline(task) -> float | None:
    """When the last send of a batch may start: one EMAIL_TIMEOUT before the soft time limit (at most half of it)."""
    limit = task.soft_time_limit or task.app.conf.task_soft_time_limit
    if not limit:
        return None
    return time.monotonic() + max(limit - settings.EMAIL_TIMEOUT, limit / 2)


class ReusedMailConnection:
    """One SMTP connection per worker process, reused from batch to batch.

    Opening one (TCP, EHLO, STARTTLS, AUTH) costs more than sending a
    reminder. It is dropped after a failure and when idle long enough for
    the server to have closed it.
    """

    idle_seconds = 30

    def __init__(self):
        self._connection = None
        self._used = 0.0

    def connection(self):
        if self._connection is not None and time.monotonic() - self._used > self.idle_seconds:
            self.drop()
        if self._connection is None:
            self._connection = get_connection()
            # If the server does not answer, the send opens its own and records the error on the row.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._connection.open()
        self._used = time.monotonic()
        return self._connection

    def drop(self):
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


mail = ReusedMailConnection()


@worker_process_shutdown.connect
def _close_mail_connection(**kwargs):
    mail.drop()


@worker_ready.connect
def _sweep_at_start(sender, **kwargs):
    """A first sweep as soon as a worker is up, rather than one sweep interval later."""
    try:
        followups_sweep.delay()
    except OperationalError:
        logger.warning("Broker unreachable at worker start; beat's sweeps will follow")


# Longer than the app's 60 s default: WeasyPrint takes about 4 ms a cell
# with short rationales (docs/PERFORMANCE.md), more with long ones.
@shared_task(soft_time_limit=600, time_limit=660)
def report_pdf_write(source, target):
    """Write a large assessment report's PDF from the HTML its view stored (report_views.cycle_report_pdf)."""
    # Imported here: report_views imports this module to queue the task.
    from tracker import report_views

    report_views.pdf_write(source=source, target=target)


# A file at the row limit takes minutes: far past the app's 60 s default.
@shared_task(soft_time_limit=1800, time_limit=1860)
def import_job_run(job_id, step):
    """Check or import a large uploaded file (tracker.import_jobs); the job row keeps the report."""
    # Imported here: import_jobs imports this module to queue the task.
    from tracker import import_jobs

    import_jobs.job_run(job_id, step)
