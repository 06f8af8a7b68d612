"""The steps of a pledge: milestones with due dates and weights, the progress they suggest, and their reminders.

Decidim's results and the OGP's commitments break a pledge into milestones;
so does this. A milestone is done on a day (with an evidence link, as a
status change has one), or overdue once its due date has passed: an overdue
milestone makes its pledge overdue on the board (models.overdue_condition),
and the sweep queues a reminder about it to the pledge's owner and watchers
through the outbox, as it does escalations. The weights suggest the pledge's
progress; the analyst still decides, through services.progress_record.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tracker import selectors
from tracker.models import MAX_MILESTONE_WEIGHT, Commitment, FollowUp, Milestone, web_url_validator

FIELDS = ("title", "due_on", "weight", "done_on", "evidence_url")
TITLE_MAX_LENGTH = Milestone._meta.get_field("title").max_length


def milestone_validate(*, commitment: Commitment, data: dict) -> dict:
    """Check a milestone's fields against the rules; return them cleaned, or raise errors keyed by field."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    errors = {}
    title = " ".join(str(data.get("title") or "").split())
    evidence_url = str(data.get("evidence_url") or "").strip()
    if "\x00" in str(data.get("title") or "") or "\x00" in evidence_url:
        errors["title" if "\x00" in str(data.get("title") or "") else "evidence_url"] = _(
            "Null characters are not allowed."
        )
    elif not title:
        errors["title"] = _("Say what the step is, such as “Bill passed by parliament”.")
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = _("A milestone's title is at most %(limit)s characters (it has %(length)s).") % {
            "limit": TITLE_MAX_LENGTH,
            "length": len(title),
        }
    due_on = data.get("due_on")
    if not isinstance(due_on, date):
        errors["due_on"] = _("Give the day the step is due.")
    elif due_on < commitment.made_on:
        errors["due_on"] = _("A step cannot be due before the pledge was made (%(made_on)s).") % {
            "made_on": formats.date_format(commitment.made_on)
        }
    weight = data.get("weight", 1)
    if weight in (None, ""):
        weight = 1
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= MAX_MILESTONE_WEIGHT:
        errors["weight"] = _("A weight is a whole number from 1 to %(limit)s.") % {"limit": MAX_MILESTONE_WEIGHT}
    done_on = data.get("done_on")
    if done_on is not None and not isinstance(done_on, date):
        errors["done_on"] = _("Give the day the step was done, or leave it empty.")
    elif done_on is not None and done_on > timezone.localdate():
        errors["done_on"] = _("A step cannot be done on a day still to come.")
    elif done_on is not None and done_on < commitment.made_on:
        errors["done_on"] = _("A step of this pledge cannot have been done before the pledge was made.")
    if evidence_url and "evidence_url" not in errors:
        try:
            web_url_validator(evidence_url)
        except ValidationError as error:
            errors["evidence_url"] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    return {"title": title, "due_on": due_on, "weight": weight, "done_on": done_on, "evidence_url": evidence_url}


def milestone_add(*, commitment: Commitment, user=None, data: dict) -> Milestone:
    fields = milestone_validate(commitment=commitment, data=data)
    milestone = Milestone(commitment=commitment, created_by=user, **fields)
    milestone.full_clean()
    milestone._history_user = user
    with transaction.atomic():
        milestone.save()
    return milestone


def milestone_update(*, milestone: Milestone, user=None, data: dict) -> Milestone:
    """Change a milestone; marking it done is setting `done_on` (and, best, `evidence_url`)."""
    current = {name: getattr(milestone, name) for name in FIELDS}
    fields = milestone_validate(commitment=milestone.commitment, data={**current, **data})
    for name, value in fields.items():
        setattr(milestone, name, value)
    milestone.full_clean()
    milestone._history_user = user
    with transaction.atomic():
        milestone.save()
        _cancel_stale_reminders(milestone)
    return milestone


def milestone_delete(*, milestone: Milestone, user=None) -> None:
    milestone._history_user = user
    with transaction.atomic():
        milestone.followups.filter(state__in=[FollowUp.State.PENDING, FollowUp.State.SENDING]).finish(
            FollowUp.State.CANCELLED, error="the milestone was deleted"
        )
        milestone.delete()


def _cancel_stale_reminders(milestone: Milestone) -> int:
    """Cancel the unsent reminders a change made pointless: the step is done, or its due date moved."""
    unsent = milestone.followups.filter(state__in=[FollowUp.State.PENDING, FollowUp.State.SENDING])
    if milestone.done_on is None:
        unsent = unsent.exclude(due_on=milestone.due_on)
    return unsent.finish(FollowUp.State.CANCELLED, error="no longer applies after a change to the milestone")


def suggested_progress(milestones) -> int | None:
    """The progress, in per cent, that the done milestones' share of the weights gives; None without milestones."""
    milestones = list(milestones)
    total = sum(milestone.weight for milestone in milestones)
    if not total:
        return None
    done = sum(milestone.weight for milestone in milestones if milestone.done_on is not None)
    # Half up, in integers: 1 of 3 equal steps is 33, 2 of 3 is 67.
    return (200 * done + total) // (2 * total)


# The outbox


def reminders_due(*, today: date | None = None) -> list[FollowUp]:
    """The outbox rows for the overdue milestones of open pledges: one per milestone, due date and recipient (the
    pledge's owner and watchers), so that moving the due date makes a new one. The outbox inserts them."""
    today = today or timezone.localdate()
    overdue = Milestone.objects.overdue(today).filter(commitment__in=Commitment.objects.open().values("pk"))
    found = list(overdue.values_list("pk", "commitment_id", "commitment__owner_id", "due_on"))
    watchers = selectors.watcher_ids_by_commitment({commitment_id for _, commitment_id, _, _ in found})
    rows = []
    for milestone_id, commitment_id, owner_id, due_on in found:
        for user_id in sorted((watchers.get(commitment_id, set()) | {owner_id}) - {None}):
            key = FollowUp.make_dedupe_key(
                FollowUp.Kind.MILESTONE, due_on=due_on, recipient_id=user_id, milestone_id=milestone_id
            )
            rows.append(
                FollowUp(
                    kind=FollowUp.Kind.MILESTONE,
                    commitment_id=commitment_id,
                    milestone_id=milestone_id,
                    recipient_id=user_id,
                    due_on=due_on,
                    dedupe_key=key,
                )
            )
    return rows


def milestone_obsolete_reason(followup: FollowUp, *, watchers: dict) -> str:
    """Why a milestone's reminder should no longer go out ("" when it should); the pledge is open and the recipient
    may still receive reminders (followups.followup_obsolete_reason checked that)."""
    milestone = followup.milestone
    if milestone is None:
        return "the milestone was deleted"
    if milestone.done_on is not None:
        return "the milestone is done"
    if milestone.due_on != followup.due_on:
        return "the milestone's due date has moved"
    commitment = followup.commitment
    if followup.recipient_id not in {commitment.owner_id, *watchers.get(commitment.pk, set())}:
        return "the recipient no longer owns or watches the pledge"
    return ""
