"""Changing many pledges at once: the board's bulk edits.

Every pledge changes through services.commitment_update, so that each gets
its own history record and loses the reminders the change makes stale; all
of one bulk edit happens in one transaction, so that either every chosen
pledge changes or none does. Pledges already as asked are skipped and not
counted. Statuses are not changed here: each change of status needs its own
evidence (services.progress_record).
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import services
from tracker.models import Commitment, Status


class BulkAction(models.TextChoices):
    ASSIGN_OWNER = "assign_owner", _("Assign an owner")
    ADD_TOPIC = "add_topic", _("Add a topic")
    REMOVE_TOPIC = "remove_topic", _("Remove a topic")
    ADD_WATCHER = "add_watcher", _("Add a watcher")
    POSTPONE = "postpone", _("Postpone the next check")
    PUBLISH = "publish", _("Publish on the public site")
    UNPUBLISH = "unpublish", _("Withdraw from the public site")


def commitments_add_topic(*, commitments, topic, user=None) -> int:
    """Add the topic to each of the pledges that lacks it; returns how many changed."""
    with transaction.atomic():  # all or none
        changing = _locked(_as_queryset(commitments).exclude(topics=topic)).prefetch_related("topics")
        for commitment in changing:
            commitment_topics = [*commitment.topics.all(), topic]
            services.commitment_update(commitment=commitment, user=user, data={"topics": commitment_topics})
    return len(changing)


def commitments_remove_topic(*, commitments, topic, user=None) -> int:
    """Take the topic off each of the pledges that has it; returns how many changed."""
    with transaction.atomic():  # all or none
        changing = _locked(_as_queryset(commitments).filter(topics=topic)).prefetch_related("topics")
        for commitment in changing:
            kept = [other for other in commitment.topics.all() if other.pk != topic.pk]
            services.commitment_update(commitment=commitment, user=user, data={"topics": kept})
    return len(changing)


def commitments_add_watcher(*, commitments, watcher, user=None) -> int:
    """Add the watcher to each of the pledges that they do not watch yet; returns how many changed.

    Someone who cannot view pledges is refused (commitment_update), and then no pledge changes.
    """
    with transaction.atomic():  # all or none
        changing = _locked(_as_queryset(commitments).exclude(watchers=watcher)).prefetch_related("watchers")
        for commitment in changing:
            watchers = [*commitment.watchers.all(), watcher]
            services.commitment_update(commitment=commitment, user=user, data={"watchers": watchers})
    return len(changing)


def commitments_set_public(*, commitments, public: bool, user=None) -> int:
    """Publish the pledges on the public site, or withdraw them from it; returns how many changed."""
    with transaction.atomic():  # all or none
        changing = _locked(_as_queryset(commitments).exclude(is_public=public))
        for commitment in changing:
            services.commitment_update(commitment=commitment, user=user, data={"is_public": public})
    return len(changing)


def commitments_to_change(*, commitments: QuerySet, action: str, value) -> QuerySet:
    """The pledges among `commitments` that `action` with `value` would change, as its service decides.

    The others already are as asked, or, for postponing, are closed and have
    no next check. A confirmation counts these before anything changes.
    """
    if action == BulkAction.ASSIGN_OWNER:
        return commitments.exclude(owner=value)
    if action == BulkAction.ADD_TOPIC:
        return commitments.exclude(topics=value)
    if action == BulkAction.REMOVE_TOPIC:
        return commitments.filter(topics=value)
    if action == BulkAction.ADD_WATCHER:
        return commitments.exclude(watchers=value)
    if action == BulkAction.POSTPONE:
        return commitments.exclude(status__in=Status.terminal())
    if action in (BulkAction.PUBLISH, BulkAction.UNPUBLISH):
        return commitments.exclude(is_public=value)
    raise ValidationError({"action": gettext("Choose one of the changes offered.")})


def bulk_change_validate(*, action: str, value) -> None:
    """Refuse, before anything is counted or changed, a person whom the change would have to refuse for every pledge.

    The rule is commitment_update's: an owner or a watcher must be allowed to view pledges.
    """
    if action == BulkAction.ASSIGN_OWNER:
        services.refuse_people_who_cannot_view({"owner": value})
    elif action == BulkAction.ADD_WATCHER:
        services.refuse_people_who_cannot_view({"watchers": [value]})


def commitments_bulk_change(*, commitments: QuerySet, action: str, value, user=None) -> int:
    """Apply one bulk edit to the pledges through its service; returns how many changed. All or none."""
    bulk_change_validate(action=action, value=value)
    commitments = _as_queryset(commitments).order_by("pk")
    if action == BulkAction.ASSIGN_OWNER:
        return services.commitments_assign_owner(commitments=commitments, owner=value, user=user)
    if action == BulkAction.ADD_TOPIC:
        return commitments_add_topic(commitments=commitments, topic=value, user=user)
    if action == BulkAction.REMOVE_TOPIC:
        return commitments_remove_topic(commitments=commitments, topic=value, user=user)
    if action == BulkAction.ADD_WATCHER:
        return commitments_add_watcher(commitments=commitments, watcher=value, user=user)
    if action == BulkAction.POSTPONE:
        return services.commitments_postpone(commitments=commitments, days=value, user=user)
    if action in (BulkAction.PUBLISH, BulkAction.UNPUBLISH):
        return commitments_set_public(commitments=commitments, public=value, user=user)
    raise ValidationError({"action": gettext("Choose one of the changes offered.")})


def _as_queryset(commitments) -> QuerySet:
    """The pledges as a plain query by id: a filtered query's joins, DISTINCT and ordering would stop a lock."""
    if isinstance(commitments, QuerySet):
        ids = commitments.order_by().values("pk")
    else:
        ids = [commitment.pk for commitment in commitments]
    return Commitment.objects.filter(pk__in=ids)


def _locked(commitments: QuerySet) -> QuerySet:
    # Locked, in id order so that two bulk edits cannot deadlock, before
    # their topics and watchers are read: a concurrent edit of the same
    # pledges waits, and the new sets are computed from the current ones.
    return commitments.select_for_update().order_by("pk")
