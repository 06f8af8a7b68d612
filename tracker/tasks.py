"""Thin Celery tasks: they take ids and call services.

Broker messages are only wake-ups; the FollowUp rows are the truth. A lost
message costs a delay (the next sweep wakes the row again), never a reminder.
"""

import logging

from celery import shared_task
from celery.signals import worker_ready
from kombu.exceptions import OperationalError

from . import services

logger = logging.getLogger(__name__)


@shared_task
def followups_sweep():
    """Put what is due in the outbox, then wake one send task per claimable row."""
    result = services.followups_sweep()
    ids = services.followups_wake()
    woken = 0
    try:
        for followup_id in ids:
            followup_send.delay(followup_id)
            woken += 1
    except OperationalError:
        # The rows stay in the outbox and are woken again after the lease.
        logger.exception("Broker unreachable after waking %d of %d follow-ups", woken, len(ids))
    logger.info(
        "Sweep: %d follow-ups queued, %d failed for good, %d woken", result["queued"], result["exhausted"], woken
    )
    return {**result, "woken": woken}


@shared_task
def followup_send(followup_id):
    return services.followup_send(followup_id=followup_id)


@worker_ready.connect
def _sweep_at_start(sender, **kwargs):
    """A first sweep as soon as a worker is up, rather than one sweep interval later."""
    try:
        followups_sweep.delay()
    except OperationalError:
        logger.warning("Broker unreachable at worker start; beat's sweeps will follow")
