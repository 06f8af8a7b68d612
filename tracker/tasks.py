"""Thin Celery tasks: they take ids and call services.

Broker messages are only wake-ups; the FollowUp rows are the truth. A lost
message costs a delay (the next sweep wakes the row again), never a reminder.
"""

import contextlib
import logging
import smtplib
import time

from celery import shared_task
from celery.signals import worker_process_shutdown, worker_ready
from django.conf import settings
from django.core.mail import get_connection
from kombu.exceptions import OperationalError

from . import services

logger = logging.getLogger(__name__)


@shared_task
def followups_sweep():
    """Put what is due in the outbox, then wake the claimable rows, FOLLOWUP_SEND_BATCH ids per message."""
    result = services.followups_sweep()
    batches = services.followups_wake_batches(size=settings.FOLLOWUP_SEND_BATCH)
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
    connection = _mail_connection()
    outcomes = services.followups_send(
        followup_ids=followup_ids, mail_connection=connection, deadline=_send_deadline(self)
    )
    if {"pending", "failed"} & set(outcomes.values()):
        _drop_mail_connection()  # perhaps broken: the next batch starts on a fresh one
    return outcomes


def _send_deadline(task) -> float | None:
    """When the last send of a batch may start: one EMAIL_TIMEOUT before the soft time limit (at most half of it)."""
    limit = task.soft_time_limit or task.app.conf.task_soft_time_limit
    if not limit:
        return None
    return time.monotonic() + max(limit - settings.EMAIL_TIMEOUT, limit / 2)


@shared_task
def followup_send(followup_id):
    """One row: the wake-up that versions before batches queued, still in a broker after an upgrade."""
    return followups_send(followup_ids=[followup_id])[followup_id]


# One SMTP connection per worker process, reused from send to send: opening
# one (TCP, EHLO, STARTTLS, AUTH) costs more than sending a reminder. It is
# dropped after a failure and when idle long enough for the server to have
# closed it.
MAIL_CONNECTION_IDLE_SECONDS = 30
_mail = {"connection": None, "used": 0.0}


def _mail_connection():
    connection = _mail["connection"]
    if connection is not None and time.monotonic() - _mail["used"] > MAIL_CONNECTION_IDLE_SECONDS:
        _drop_mail_connection()
        connection = None
    if connection is None:
        connection = get_connection()
        # If the server does not answer, the send opens its own and records the error on the row.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.open()
        _mail["connection"] = connection
    _mail["used"] = time.monotonic()
    return connection


def _drop_mail_connection():
    connection, _mail["connection"] = _mail["connection"], None
    if connection is not None:
        connection.close()


@worker_process_shutdown.connect
def _close_mail_connection(**kwargs):
    _drop_mail_connection()


@worker_ready.connect
def _sweep_at_start(sender, **kwargs):
    """A first sweep as soon as a worker is up, rather than one sweep interval later."""
    try:
        followups_sweep.delay()
    except OperationalError:
        logger.warning("Broker unreachable at worker start; beat's sweeps will follow")
