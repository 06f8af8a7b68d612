"""The board's numbers over every pledge, cached until pledges, actors, events, money lines or milestones change.

The tiles, the compliance tables and the two charts count every pledge
(`selectors.board_aggregates`: one query, mostly read from indexes): about
70 ms of SQL at 100,000 pledges (bench/, docs/PERFORMANCE.md) on every view
of the unfiltered board, for numbers that change only when someone writes.
They are cached under the token of `SummaryVersion` and the date (overdue
counts move at midnight); any change to a pledge, an actor or an event gives
the row a new token once its transaction commits, which retires the cached
numbers in every web process, since each reads the token from the database
(one query) rather than from its own memory.

The new token is written after commit, not inside the writer's transaction:
a row that every write locked until its commit would serialise the writers
and could deadlock two of them. Until the commit, the writer's own
connection computes the numbers afresh (it sees changes no one else does yet).

Signals, not services, retire the numbers: every write must, the admin's
deletes and the plain admin pages of actors and events included. That is
bookkeeping, not a business rule. Writes that bypass signals
(`QuerySet.update`, `bulk_create`) call `summary_changed()` themselves.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import Actor, Commitment, Event, Milestone, MoneyLine, SummaryVersion

logger = logging.getLogger(__name__)

# An upper bound on staleness should a token write ever be lost (a process
# killed between a commit and the write).
CACHE_SECONDS = 3600
# v1: the shape of the cached value; a change to it needs a new prefix.
KEY = "board-aggregates:v2:{token}:{today}:{charts}:{money}"


def summary_changed() -> None:
    """Retire the cached numbers once the current transaction commits (at once outside one)."""
    if not _change_pending():
        transaction.on_commit(_new_token, robust=True)


def cached_aggregates(*, today, charts: bool, compute, money: bool = False):
    """`compute()`'s result, from the cache when nothing has changed since it was stored."""
    if _change_pending():
        return compute()
    token = SummaryVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None:  # the row is gone (a flushed database): no caching until the next change
        return compute()
    key = KEY.format(
        token=token.hex,
        today=today.isoformat(),
        charts="charts" if charts else "plain",
        money="money" if money else "counts",
    )
    try:
        aggregates = cache.get(key)
    except Exception:  # a shared cache (CACHES pointed at Redis) that is down: count afresh
        logger.warning("Board cache unreadable; counting afresh", exc_info=True)
        return compute()
    if aggregates is None:
        aggregates = compute()
        try:
            cache.set(key, aggregates, CACHE_SECONDS)
        except Exception:
            logger.warning("Board cache unwritable", exc_info=True)
    return aggregates


def _change_pending() -> bool:
    """Whether this connection's open transaction has changed what the numbers count."""
    connection = transaction.get_connection()
    # run_on_commit holds (savepoint ids, callback, robust) tuples; those of a
    # rolled-back savepoint are dropped with it.
    return connection.in_atomic_block and any(entry[1] is _new_token for entry in connection.run_on_commit)


def _new_token() -> None:
    token = uuid.uuid4()
    if not SummaryVersion.objects.filter(pk=1).update(token=token):
        SummaryVersion.objects.bulk_create([SummaryVersion(pk=1, token=token)], ignore_conflicts=True)


def _changed(sender, **kwargs):
    summary_changed()


def connect_signals() -> None:
    # Money lines and milestones too: the money totals, and overdue milestones in the overdue count.
    for model in (Commitment, Actor, Event, MoneyLine, Milestone):
        uid = f"board_cache:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}:delete")
