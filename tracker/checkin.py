"""Check-in from the reminder itself: signed, expiring, single-use links in check-up and escalation emails.

A link names an outbox row (the email), an action and the status the email
showed; django.core.signing makes it tamper-proof and dates it. Following it
shows a page with one button: mail scanners fetch links, so a GET never
changes anything, and only the POST acts. The link is the credential, like a
password-reset link: a logged-out recipient may act through it, as the
email's recipient and only while they may still record updates, the pledge
is open and the email has not been answered already.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker import emails
from tracker.models import Commitment, FollowUp, ProgressUpdate, Status

SALT = "tracker.checkin"
RECORD_PERMISSION = "tracker.add_progressupdate"
PROGRESS_FIELDS = ("status", "progress", "note", "evidence_url")


class Action:
    NO_CHANGE = "no-change"
    STALLED = "stalled"
    PROGRESS = "progress"

    ALL = (NO_CHANGE, STALLED, PROGRESS)


class CheckinRefused(Exception):
    """A link that cannot act: the page says why, with an HTTP status in the 4xx range."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class CheckIn:
    followup: FollowUp
    action: str
    expected_status: str
    # The pledge's last update when the email was written (0: none).
    last_update_id: int = 0

    @property
    def commitment(self):
        return self.followup.commitment

    @property
    def recipient(self):
        return self.followup.recipient

    @property
    def followup_status_label(self):
        """The status the email showed."""
        return Status(self.expected_status).label


def checkin_token(followup: FollowUp, action: str, *, status: str, last_update_id: int | None = None) -> str:
    # Ids and a status code only: nothing personal is readable in the link.
    return signing.dumps({"f": followup.pk, "a": action, "s": status, "u": last_update_id or 0}, salt=SALT)


def checkin_urls(followup: FollowUp, *, status: str, last_update_id: int | None = None) -> dict:
    """Absolute links for each action, by action, for the email of `followup` showing `status` and its last update."""
    return {
        action.replace("-", "_"): emails.absolute_url(
            reverse(
                "tracker:checkin",
                args=[checkin_token(followup, action, status=status, last_update_id=last_update_id)],
            )
        )
        for action in Action.ALL
    }


def checkin_load(token: str, *, user=None) -> CheckIn:
    """The check-in a link stands for, or CheckinRefused saying why it cannot act.

    `user` is whoever is logged in on the browser that follows the link: a
    different account than the email's recipient is refused.
    """
    max_age = timedelta(days=settings.CHECKIN_LINK_DAYS)
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise CheckinRefused(
            ngettext(
                "This link has expired: check-in links work for %(days)s day. "
                "Open the pledge on the tracker to record an update.",
                "This link has expired: check-in links work for %(days)s days. "
                "Open the pledge on the tracker to record an update.",
                settings.CHECKIN_LINK_DAYS,
            )
            % {"days": settings.CHECKIN_LINK_DAYS},
            410,
        ) from None
    except signing.BadSignature:
        raise CheckinRefused(_("This link is not valid: it may have been cut short or altered."), 400) from None
    try:
        followup_id, action, expected = int(payload["f"]), payload["a"], payload["s"]
        last_update_id = int(payload.get("u", 0))
    except (AttributeError, KeyError, TypeError, ValueError):
        raise CheckinRefused(_("This link is not valid: it may have been cut short or altered."), 400) from None
    if action not in Action.ALL or expected not in Status.values:
        raise CheckinRefused(_("This link is not valid: it may have been cut short or altered."), 400)
    followup = (
        FollowUp.objects.select_related("recipient", "commitment__made_by", "commitment__event")
        .filter(pk=followup_id, kind__in=[FollowUp.Kind.CHECKUP, FollowUp.Kind.ESCALATION])
        .first()
    )
    if followup is None or followup.commitment is None:
        raise CheckinRefused(_("The reminder or the pledge this link was for no longer exists."), 404)
    checkin = CheckIn(followup=followup, action=action, expected_status=expected, last_update_id=last_update_id)
    _refuse_if_unusable(checkin, user=user)
    return checkin


def updated_meanwhile_message(checkin: CheckIn) -> str:
    checkin.commitment.refresh_from_db(fields=["status", "progress"])
    return _(
        "Another update was recorded since this email: the pledge is now %(status)s, %(progress)s%% done. "
        "Nothing was changed; open the pledge to see its timeline."
    ) % {"status": checkin.commitment.get_status_display(), "progress": checkin.commitment.progress}


def _refuse_if_unusable(checkin: CheckIn, *, user=None) -> None:
    followup, recipient = checkin.followup, checkin.followup.recipient
    if user is not None and user.is_authenticated and user.pk != recipient.pk:
        raise CheckinRefused(
            _(
                "This link was sent to someone else. Log out to use it as its recipient, "
                "or record your update on the pledge's page."
            ),
            403,
        )
    if followup.checked_in_at is not None:
        answered = timezone.localtime(followup.checked_in_at)
        raise CheckinRefused(
            _(
                "This email was already answered on %(day)s at %(time)s; "
                "each link works once. The pledge's timeline shows the update."
            )
            % {"day": formats.date_format(answered), "time": formats.time_format(answered)},
            409,
        )
    if not recipient.is_active or not recipient.has_perm(RECORD_PERMISSION):
        raise CheckinRefused(_("Your account may no longer record progress updates, so this link cannot act."), 403)
    if Status(checkin.commitment.status).is_terminal:
        raise CheckinRefused(
            _("This pledge has been closed as %(status)s; no further update can be recorded.")
            % {"status": checkin.commitment.get_status_display()},
            409,
        )


def checkin_act(checkin: CheckIn, *, data: dict | None = None) -> ProgressUpdate:
    """Record the link's update as the email's recipient; the link is spent only if it is recorded.

    `data` is the update form's (status, progress, note, evidence_url) for the
    "record progress" link; the other two links need none. The status the
    email showed is the expected status: an update recorded meanwhile by
    someone else makes progress_record refuse (ValidationError on `status`)
    rather than overwrite it.
    """
    # Imported here: services imports the outbox, whose emails carry these links.
    from tracker.services import progress_record

    followup = checkin.followup
    if checkin.action == Action.NO_CHANGE:
        fields = {"status": checkin.expected_status, "note": _("No change since the last check.")}
    elif checkin.action == Action.STALLED:
        fields = {"status": Status.STALLED}
    else:
        fields = {name: value for name, value in (data or {}).items() if name in PROGRESS_FIELDS}
        fields.setdefault("status", checkin.expected_status)
    with transaction.atomic():
        # Compare-and-set: of two posts of the same link (a double click, two
        # tabs), one spends it; the other is refused as already answered.
        spent = FollowUp.objects.filter(pk=followup.pk, checked_in_at__isnull=True).update(checked_in_at=timezone.now())
        if not spent:
            followup.refresh_from_db(fields=["checked_in_at"])
            _refuse_if_unusable(checkin)
        # The status alone misses an update that kept it (60% in progress after
        # 30%): the last update must still be the one the email showed.
        Commitment.objects.select_for_update().filter(pk=checkin.commitment.pk).exists()
        last = ProgressUpdate.objects.filter(commitment=checkin.commitment).first()
        if (last.pk if last else 0) != checkin.last_update_id:
            raise CheckinRefused(updated_meanwhile_message(checkin), 409)
        return progress_record(
            commitment=checkin.commitment,
            author=followup.recipient,
            expected_status=checkin.expected_status,
            via_followup=followup,
            **fields,
        )
