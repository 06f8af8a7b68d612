"""Thin Celery tasks: they take ids and call services.

Broker messages are only wake-ups; the FollowUp rows are the truth. A lost
message costs a delay (the next sweep wakes the row again), never a reminder.
"""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from . import services

logger = logging.getLogger(__name__)


@shared_task
def followups_sweep():
    """Insert the follow-ups that have become due, then wake one send task per claimable row."""
    queued = services.followups_queue_due()
    ids = services.followups_wake()
    woken = 0
    try:
        for followup_id in ids:
            followup_send.delay(followup_id)
            woken += 1
    except OperationalError:
        # The rows stay in the outbox and are woken again after the lease.
        logger.exception("Broker unreachable after waking %d of %d follow-ups", woken, len(ids))
    logger.info("Sweep: %d new follow-ups, %d woken", queued, woken)
    return {"queued": queued, "woken": woken}


@shared_task
def followup_send(followup_id):
    return services.followup_send(followup_id=followup_id)


@shared_task
def digests_queue():
    """Monday's weekly digests; the next sweep wakes them."""
    return services.digests_queue()
