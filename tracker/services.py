"""Every write with a rule about pledges and their updates.

Views, the admin, the API, tasks and management commands call these
functions; none of them holds a business rule of its own. A rule that
refuses input raises ValidationError with a message an analyst understands,
keyed by the field it is about.
"""

import dataclasses
import functools
from contextlib import contextmanager
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker import board_cache, continuity, selectors
from tracker.extraction import draft_title, guess_actor_kind
from tracker.followups import followups_cancel_stale
from tracker.models import (
    COMMITMENT_HISTORY,
    LATEST_DATE,
    MAX_CHECK_EVERY_DAYS,
    Actor,
    Commitment,
    Event,
    NotificationPreference,
    ProgressUpdate,
    Status,
    _new_calendar_token,
    web_url_validator,
)

EVIDENCE_REQUIRED = frozenset({Status.FULFILLED, Status.BROKEN})
EVIDENCE_URL_MAX_LENGTH = ProgressUpdate._meta.get_field("evidence_url").max_length
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
    "is_public",
    "owner",
    "pledged_amount",
    "pledged_currency",
    "renews",
)
COMMITMENT_M2M_FIELDS = ("counterparts", "members", "topics", "watchers")


def _refuse_null_characters(fields: dict) -> None:
    """PostgreSQL refuses NUL in text with an error, not a message; callers without a form (imports) get one."""
    errors = {
        name: _("Null characters are not allowed.")
        for name, value in fields.items()
        if isinstance(value, str) and "\x00" in value
    }
    if errors:
        raise ValidationError(errors)


def _refuse_unknown_fields(data: dict) -> None:
    unknown = set(data) - set(COMMITMENT_FIELDS) - set(COMMITMENT_M2M_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})


def refuse_people_who_cannot_view(
    data: dict, *, commitment: Commitment | None = None, viewers: frozenset | None = None
) -> None:
    """A newly named owner or watcher must be allowed to view pledges: their reminders quote the pledge.

    Those the pledge already names are let be, so that a pledge whose owner
    has lost access can still be edited; the sender sends them nothing.
    `viewers`: the ids of the users who may view pledges, when the caller
    has read them once for many pledges (pledge_viewers); else a query.
    """
    new_ids = {}
    owner = data.get("owner")
    if owner is not None and (commitment is None or _pk(owner) != commitment.owner_id):
        new_ids["owner"] = {_pk(owner)}
    if data.get("watchers"):
        current = set(commitment.watchers.values_list("pk", flat=True)) if commitment else set()
        new_ids["watchers"] = {_pk(watcher) for watcher in data["watchers"]} - current
    ids = set().union(*new_ids.values())
    if not ids:
        return
    if viewers is not None:
        named = [data.get("owner"), *(data.get("watchers") or ())]
        refused = {_pk(user): getattr(user, "username", _pk(user)) for user in named if _pk(user) in ids - viewers}
    else:
        may_view = selectors.users_who_may_view_pledges().values("pk")
        refused = dict(
            get_user_model().objects.filter(pk__in=ids).exclude(pk__in=may_view).values_list("pk", "username")
        )
    roles = {"analysts": ANALYSTS_GROUP, "viewers": VIEWERS_GROUP}
    refusals = {
        "owner": _(
            "%(who)s cannot view pledges, so cannot own one: "
            "give them the %(analysts)s or %(viewers)s role first, or choose someone who has it."
        ),
        "watchers": _(
            "%(who)s cannot view pledges, so cannot watch one: "
            "give them the %(analysts)s or %(viewers)s role first, or choose someone who has it."
        ),
    }
    errors = {}
    for field, refusal in refusals.items():
        names = sorted(refused[pk] for pk in new_ids.get(field, ()) if pk in refused)
        if names:
            errors[field] = refusal % {"who": ", ".join(names), **roles}
    if errors:
        raise ValidationError(errors)


def _currency_in_capitals(data: dict) -> dict:
    currency = data.get("pledged_currency")
    return {**data, "pledged_currency": currency.strip().upper()} if isinstance(currency, str) else data


def _pk(value):
    return getattr(value, "pk", value)


def pledge_viewers(users) -> frozenset:
    """The ids of those among `users` who may view pledges (and so own or watch one), in one query."""
    ids = {_pk(user) for user in users} - {None}
    if not ids:
        return frozenset()
    return frozenset(selectors.users_who_may_view_pledges().filter(pk__in=ids).values_list("pk", flat=True))


# Relations that full_clean would look up again, one query each, when the
# caller has just read them: commitment_prepare(relations_read=True).
COMMITMENT_FOREIGN_KEYS = ("made_by", "event", "owner", "renews")


def _commitment_validate(commitment: Commitment, *, relations_read: bool = False) -> None:
    # validate_constraints=False: the CheckConstraints in Commitment.Meta repeat
    # the fields' validators and clean(), which full_clean runs in Python; Django
    # would check each again with a query and two savepoints. The database
    # still enforces them on save.
    commitment.full_clean(exclude=COMMITMENT_FOREIGN_KEYS if relations_read else None, validate_constraints=False)


@dataclasses.dataclass
class NewPledge:
    """A new pledge checked by commitment_prepare and not yet saved: its relations and first timeline entry."""

    commitment: Commitment
    relations: dict = dataclasses.field(default_factory=dict)
    update: ProgressUpdate | None = None


def commitment_prepare(
    *,
    user=None,
    data: dict,
    status: str | None = None,
    progress: int | None = None,
    evidence_url: str = "",
    note: str = "",
    viewers: frozenset | None = None,
    relations_read: bool = False,
) -> NewPledge:
    """A new pledge checked by every rule commitment_create and progress_record apply, unsaved.

    With a status beyond Announced (or a progress) it starts with that
    timeline entry, by `user`, as if progress_record were called right
    after commitment_create. `viewers` (pledge_viewers) and `relations_read`
    (the actors, event, owner and renewed pledge were just read) spare the
    queries that a caller checking many pledges has already made once.
    Save with commitments_create_many.
    """
    data = _currency_in_capitals(data)
    _refuse_unknown_fields(data)
    _refuse_null_characters(data)
    refuse_people_who_cannot_view(data, viewers=viewers)
    fields = {name: value for name, value in data.items() if name in COMMITMENT_FIELDS}
    commitment = Commitment(**fields, status=Status.ANNOUNCED, progress=0)
    continuity.renews_validate(commitment, commitment.renews)
    _validate_check_interval(commitment.check_every_days)
    if commitment.next_check_on is None:
        commitment.next_check_on = timezone.localdate() + timedelta(days=commitment.check_every_days)
    _commitment_validate(commitment, relations_read=relations_read)
    relations = {name: list(data[name]) for name in COMMITMENT_M2M_FIELDS if data.get(name)}
    pledge = NewPledge(commitment=commitment, relations=relations)
    status = status or Status.ANNOUNCED
    if status != Status.ANNOUNCED or progress:
        today = timezone.localdate()
        progress = progress_validate(
            commitment=commitment,
            status=status,
            progress=progress,
            evidence_url=evidence_url,
            recorded_on=today,
            note=note,
        )
        pledge.update = ProgressUpdate(
            author=user,
            recorded_on=today,
            status_before=Status.ANNOUNCED,
            status_after=status,
            progress=progress,
            note=note.strip(),
            evidence_url=evidence_url.strip(),
        )
        commitment.status, commitment.progress = status, progress
        commitment.next_check_on = _next_check_after(commitment, today)
    return pledge


def commitments_create_many(*, user=None, pledges: list[NewPledge]) -> list[Commitment]:
    """Save pledges that commitment_prepare checked: a few statements for the lot, not a dozen per pledge.

    Each gets one audit record (its state after its first timeline entry)
    with its relations, as commitment_create writes one.
    """
    if not pledges:
        return []
    with transaction.atomic():
        commitments = Commitment.objects.bulk_create([pledge.commitment for pledge in pledges])
        links = {}
        for name in COMMITMENT_M2M_FIELDS:
            descriptor = getattr(Commitment, name)
            through, target = descriptor.through, descriptor.field.m2m_reverse_field_name()
            rows = [
                through(commitment_id=pledge.commitment.pk, **{f"{target}_id": pk})
                for pledge in pledges
                for pk in dict.fromkeys(_pk(item) for item in pledge.relations.get(name, ()))
            ]
            links[name] = through.objects.bulk_create(rows)
        updates = []
        for pledge in pledges:
            if pledge.update is not None:
                pledge.update.commitment = pledge.commitment
                updates.append(pledge.update)
        ProgressUpdate.objects.bulk_create(updates)
        for commitment in commitments:
            commitment._history_user = user
        records = {record.id: record for record in Commitment.history.bulk_history_create(commitments)}
        for history_field, history_model in COMMITMENT_HISTORY.m2m_models.items():
            if history_field.model is not Commitment or history_field.name not in links:
                continue
            attnames = [through_field.attname for through_field in history_field.remote_field.through._meta.fields]
            history_model.objects.bulk_create(
                history_model(history=records[link.commitment_id], **{name: getattr(link, name) for name in attnames})
                for link in links[history_field.name]
            )
    board_cache.summary_changed()  # bulk_create sends no signal
    return commitments


def commitment_create(*, user=None, data: dict) -> Commitment:
    """Record a new pledge as Announced from COMMITMENT_FIELDS and COMMITMENT_M2M_FIELDS.

    Its first check falls check_every_days from today unless next_check_on is given.
    """
    commitment = commitment_prepare(data=data).commitment
    with transaction.atomic(), _one_history_record(commitment, "+", user):
        commitment.save()
        for name in COMMITMENT_M2M_FIELDS:
            if data.get(name):  # a new pledge has none yet: nothing to read or remove
                getattr(commitment, name).set(data[name])
    return commitment


@contextmanager
def _one_history_record(commitment: Commitment, history_type: str, user):
    """One audit record for a save and the relations set with it, rather than one per relation."""
    commitment.skip_history_when_saving = True
    try:
        yield
    finally:
        del commitment.skip_history_when_saving
    commitment._history_user = user
    COMMITMENT_HISTORY.create_historical_record(commitment, history_type)


def commitment_update(*, commitment: Commitment, user=None, data: dict) -> Commitment:
    """Change the given editable fields of a pledge; status and progress are refused here.

    The fields are applied to the row as locked now, so that an update
    recorded meanwhile is not overwritten by the caller's older copy. A
    changed check interval moves the next check unless one is given. The
    caller's instance is refreshed with the result.
    """
    refusals = {
        "status": _("Record a progress update to change the status."),
        "progress": _("Record a progress update to change the progress."),
    }
    for name, refusal in refusals.items():
        if name in data and data[name] != getattr(commitment, name):
            raise ValidationError({name: refusal})
    data = {name: value for name, value in data.items() if name not in ("status", "progress")}
    data = _currency_in_capitals(data)
    _refuse_unknown_fields(data)
    _refuse_null_characters(data)

    with transaction.atomic():
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        refuse_people_who_cannot_view(data, commitment=locked)
        interval_before = locked.check_every_days
        for name in COMMITMENT_FIELDS:
            if name in data:
                setattr(locked, name, data[name])
        if "renews" in data or "made_on" in data:
            continuity.renews_validate(locked, locked.renews)
        if "made_on" in data:
            commitment_entries_validate(locked)
        _validate_check_interval(locked.check_every_days)
        if locked.check_every_days != interval_before and "next_check_on" not in data and not locked.is_terminal:
            locked.next_check_on = _last_assessed_on(locked) + timedelta(days=locked.check_every_days)
        locked.full_clean()
        with _one_history_record(locked, "~", user):
            locked.save()
            for name in COMMITMENT_M2M_FIELDS:
                if name in data:
                    getattr(locked, name).set(data[name])
        followups_cancel_stale(locked)
    _copy_fields(locked, commitment)
    return commitment


def commitment_entries_validate(commitment: Commitment) -> None:
    """A pledge's day cannot move past what happened under it: money that moved, steps due or done, renewals."""
    made_on = commitment.made_on
    found = []
    lines = commitment.money_lines.filter(on__lt=made_on).count()
    if lines:
        found.append(
            ngettext("%(count)s money line dated before it", "%(count)s money lines dated before it", lines)
            % {"count": lines}
        )
    steps = commitment.milestones.filter(Q(due_on__lt=made_on) | Q(done_on__lt=made_on)).count()
    if steps:
        found.append(
            ngettext("%(count)s milestone due or done before it", "%(count)s milestones due or done before it", steps)
            % {"count": steps}
        )
    renewals = commitment.renewed_by.filter(made_on__lt=made_on).count()
    if renewals:
        found.append(
            ngettext(
                "%(count)s later pledge renewing it made before it",
                "%(count)s later pledges renewing it made before it",
                renewals,
            )
            % {"count": renewals}
        )
    if found:
        listed = functools.reduce(
            lambda first, then: _("%(first)s and %(then)s") % {"first": first, "then": then}, found
        )
        raise ValidationError({"made_on": _("The pledge has %(found)s; correct those first.") % {"found": listed}})


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
        errors["status"] = _("%(status)s is not a status; choose one of: %(choices)s.") % {
            "status": repr(status),
            "choices": ", ".join(str(label) for label in Status.labels),
        }
        raise ValidationError(errors)
    current = Status(commitment.status)
    target = Status(status)
    if expected_status and expected_status != current:
        errors["status"] = _(
            "Another update was recorded meanwhile: the pledge is now %(status)s. "
            "Check the timeline and record your update again."
        ) % {"status": current.label}
    elif current.is_terminal:
        errors["status"] = _(
            "This pledge is closed as %(status)s; no further update can be recorded. "
            "Correct the record in the admin if it was closed by mistake."
        ) % {"status": current.label}
    elif target == Status.ANNOUNCED and current != Status.ANNOUNCED:
        errors["status"] = _("A pledge already assessed as %(status)s cannot go back to %(announced)s.") % {
            "status": current.label,
            "announced": Status.ANNOUNCED.label,
        }

    if target in EVIDENCE_REQUIRED and not (evidence_url or "").strip():
        errors["evidence_url"] = _("Moving a pledge to %(status)s needs an evidence link showing it.") % {
            "status": target.label
        }
    elif evidence_url:
        try:
            web_url_validator(evidence_url)
        except ValidationError as exc:
            errors["evidence_url"] = exc.messages[0]
        else:
            if len(evidence_url) > EVIDENCE_URL_MAX_LENGTH:
                errors["evidence_url"] = _("Keep the evidence link under %(limit)s characters.") % {
                    "limit": EVIDENCE_URL_MAX_LENGTH
                }

    if progress is None:
        progress = 100 if target == Status.FULFILLED else commitment.progress
    if isinstance(progress, bool) or not isinstance(progress, int):
        errors["progress"] = _("Progress must be a whole number from 0 to 100.")
    elif not 0 <= progress <= 100:
        errors["progress"] = _("Progress must be between 0 and 100, not %(progress)s.") % {"progress": progress}
    elif target == Status.FULFILLED and progress != 100:
        # xgettext:no-python-format
        errors["progress"] = _("A fulfilled pledge is 100% complete; set progress to 100.")

    today = timezone.localdate()
    if recorded_on is not None:
        if recorded_on > today:
            errors["recorded_on"] = _("An update cannot be recorded for a day in the future.")
        elif recorded_on < commitment.made_on:
            errors["recorded_on"] = _("An update cannot predate the pledge itself.")
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
    note_is_internal: bool = True,
    evidence_url: str = "",
    recorded_on: date | None = None,
    expected_status: str | None = None,
    via_followup=None,
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
            note_is_internal=note_is_internal,
            evidence_url=evidence_url.strip(),
            via_followup=via_followup,
        )
        locked.status = status
        locked.progress = progress
        locked.next_check_on = _next_check_after(locked, recorded_on)
        locked._history_user = author
        locked.save(update_fields=["status", "progress", "next_check_on", "updated_at"])
        followups_cancel_stale(locked)
    _copy_fields(locked, commitment)
    return update


def _next_check_after(commitment: Commitment, recorded_on: date) -> date | None:
    """A pledge's next check after an update on `recorded_on`: none once its status is closed."""
    return None if commitment.is_terminal else recorded_on + timedelta(days=commitment.check_every_days)


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
        raise ValidationError(
            {"days": _("Postpone by a whole number of days from 1 to %(limit)s.") % {"limit": MAX_POSTPONE_DAYS}}
        )
    moved = 0
    today = timezone.localdate()
    with transaction.atomic():  # all or none
        for commitment in commitments:
            if commitment.is_terminal:
                continue
            start = commitment.next_check_on or today
            # Compared before adding: a stored date near 9999-12-31 would overflow.
            if start > LATEST_DATE - timedelta(days=days):
                raise ValidationError(
                    {
                        "days": _("“%(pledge)s” would be checked after %(latest)s; correct its next check.")
                        % {"pledge": commitment, "latest": formats.date_format(LATEST_DATE, "d F Y")}
                    }
                )
            commitment_update(commitment=commitment, user=user, data={"next_check_on": start + timedelta(days=days)})
            moved += 1
    return moved


def _last_assessed_on(commitment: Commitment) -> date:
    last = commitment.updates.order_by("-recorded_on").values_list("recorded_on", flat=True).first()
    return last or timezone.localdate()


def _validate_check_interval(days):
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_CHECK_EVERY_DAYS:
        raise ValidationError(
            {"check_every_days": _("Checks must be 1 to %(limit)s days apart.") % {"limit": MAX_CHECK_EVERY_DAYS}}
        )


def _copy_fields(source: Commitment, target: Commitment) -> None:
    """Bring the caller's instance up to date with the row as saved."""
    if source is not target:
        for field in Commitment._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))


def notification_preference_get(*, user) -> NotificationPreference:
    """A user's notification preferences, created with the defaults on first need."""
    preference, _created = NotificationPreference.objects.get_or_create(user=user)
    return preference


def notification_preference_update(*, user, data: dict) -> NotificationPreference:
    """Change the given preference fields (reminders_enabled, digest_enabled, time_zone, language)."""
    allowed = {"reminders_enabled", "digest_enabled", "time_zone", "language"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(_("Unknown preference fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
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


# Rows in auth_group, found by these names: data, not interface text, so never translated.
ANALYSTS_GROUP = "Analysts"
VIEWERS_GROUP = "Viewers"
# What Analysts may change; follow-ups are written by the services only.
ANALYST_EDITABLE_MODELS = (
    "actor",
    "event",
    "topic",
    "commitment",
    "progressupdate",
    "assessmentcycle",
    "cyclecommitment",
    "compliancescore",
    "scorerevision",
    "contact",
    "evidencerequest",
    "reply",
    "moneyline",
    "milestone",
)


def roles_ensure() -> dict:
    """Create or refresh the Analysts (edit) and Viewers (read) groups; returns them by name.

    Deleting is left to superusers: the timeline and the record of who
    pledged what must not disappear through an analyst's click. Money lines
    and milestones are the exception: deleting one corrects an entry, which
    their change permission covers, and their history keeps the deleted row.
    """
    tracker_perms = Permission.objects.filter(content_type__app_label="tracker")
    view = tracker_perms.filter(codename__startswith="view_")
    edit = tracker_perms.filter(
        codename__in=[f"{verb}_{model}" for verb in ("add", "change") for model in ANALYST_EDITABLE_MODELS]
    )
    # Choosing an owner or watchers (the admin's user autocomplete) needs it.
    view_users = Permission.objects.filter(content_type__app_label="auth", codename="view_user")
    analysts, _created = Group.objects.get_or_create(name=ANALYSTS_GROUP)
    analysts.permissions.set([*view, *edit, *view_users])
    viewers, _created = Group.objects.get_or_create(name=VIEWERS_GROUP)
    viewers.permissions.set(view)
    return {ANALYSTS_GROUP: analysts, VIEWERS_GROUP: viewers}


def commitments_create_from_drafts(
    *,
    user,
    drafts: list[dict],
    source_url: str = "",
    source_title: str = "",
    event: Event | None = None,
    made_on: date | None = None,
) -> tuple[list[Commitment], list[dict]]:
    """Record the drafts an analyst confirmed (extraction.Draft.to_dict) as pledges owned by `user`.

    The maker is the draft's actor_id, or the actor of that name, created if
    new. A draft already quoted, or refused by the rules, is skipped with a
    reason; each has its own transaction. Returns (created, skipped).
    """
    made_on = made_on or timezone.localdate()
    created, skipped = [], []
    for draft in drafts:
        quote = " ".join(str(draft.get("text") or "").split())
        if not quote:
            skipped.append({"draft": draft, "reason": _("The draft has no sentence to quote.")})
            continue
        existing = Commitment.objects.filter(quote=quote).only("id", "title").first()
        if existing is not None:
            skipped.append(
                {
                    "draft": draft,
                    "reason": _("Already recorded as “%(title)s” (#%(id)s).")
                    % {"title": existing.title, "id": existing.pk},
                }
            )
            continue
        try:
            with transaction.atomic():
                made_by = _draft_actor(draft)
                counterpart = _draft_counterpart(draft, made_by)
                title = " ".join(str(draft.get("title") or "").split()) or draft_title(quote, draft.get("cue", ""))
                data = {
                    "title": title[: Commitment._meta.get_field("title").max_length],
                    "made_by": made_by,
                    "made_on": made_on,
                    "kind": draft.get("kind") or Commitment.Kind.PROMISE,
                    "quote": quote,
                    "source_url": source_url,
                    "source_title": source_title,
                    "event": event,
                    "due_on": _draft_due(draft),
                    "owner": user,
                    "counterparts": [counterpart] if counterpart else [],
                    **_draft_money(draft),
                    **_draft_renews(draft, made_by, made_on),
                }
                commitment = commitment_create(user=user, data=data)
        except ValidationError as exc:
            skipped.append({"draft": draft, "reason": _validation_message(exc)})
            continue
        created.append(commitment)
    return created, skipped


def _draft_renews(draft: dict, made_by: Actor, made_on: date) -> dict:
    """The earlier pledge the analyst chose for the draft to renew: one of its maker's, made before."""
    renews_id = draft.get("renews")
    if not renews_id:
        return {}
    try:
        renews_id = int(renews_id)
        if not 0 < renews_id < 2**63:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"renews": _("“%(value)s” is not a pledge's number.") % {"value": renews_id}}) from None
    earlier = Commitment.objects.filter(pk=renews_id, made_by=made_by, made_on__lte=made_on).first()
    if earlier is None:
        raise ValidationError(
            {
                "renews": _("The pledge it should renew (#%(id)s) is not one of %(maker)s's earlier pledges.")
                % {"id": renews_id, "maker": made_by.name}
            }
        )
    return {"renews": earlier}


def _draft_money(draft: dict) -> dict:
    """The draft's amount, {"value", "currency"}, as the pledge's pledged amount; the pledge's rules check it."""
    amount = draft.get("amount")
    if not amount:
        return {}
    return {"pledged_amount": amount.get("value"), "pledged_currency": amount.get("currency") or ""}


def _draft_actor(draft: dict) -> Actor:
    actor_id = draft.get("actor_id")
    if actor_id:
        actor = Actor.objects.filter(pk=actor_id).first()
        if actor is None:
            raise ValidationError({"made_by": _("Actor #%(id)s does not exist.") % {"id": actor_id}})
        return actor
    name = " ".join(str(draft.get("actor") or "").split())
    if not name:
        raise ValidationError({"made_by": _("Who made this pledge? The draft names no actor.")})
    max_length = Actor._meta.get_field("name").max_length
    if len(name) > max_length:
        raise ValidationError(
            {"made_by": _("The actor's name is longer than %(limit)s characters.") % {"limit": max_length}}
        )
    actor, _created = Actor.objects.get_or_create(name=name, defaults={"kind": guess_actor_kind(name)})
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
        raise ValidationError(
            {"due_on": _("%(value)s is not a date; use YYYY-MM-DD.") % {"value": repr(due)}}
        ) from None


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(
            " ".join(messages)
            if field == "__all__"
            else _("%(field)s: %(messages)s") % {"field": field, "messages": " ".join(messages)}
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)
