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
    ids = services.followups_wake()
    size = settings.FOLLOWUP_SEND_BATCH
    woken = 0
    try:
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            followups_send.delay(batch)
            woken += len(batch)
    except OperationalError:
        # The rows stay in the outbox and are woken again after the lease.
        logger.exception("Broker unreachable after waking %d of %d follow-ups", woken, len(ids))
    logger.info(
        "Sweep: %d follow-ups queued, %d failed for good, %d woken", result["queued"], result["exhausted"], woken
    )
    return {**result, "woken": woken}


@shared_task
def followups_send(followup_ids):
    """Claim and send a batch of rows on this process's SMTP connection; returns the outcome per id."""
    connection = _mail_connection()
    outcomes = services.followups_send(followup_ids=followup_ids, mail_connection=connection)
    if {"pending", "failed"} & set(outcomes.values()):
        _drop_mail_connection()  # perhaps broken: the next batch starts on a fresh one
    return outcomes


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
