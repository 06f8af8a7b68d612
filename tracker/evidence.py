"""Requests to an actor's office: evidence on a pledge, or a right of reply on draft scores.

An analyst asks one of the offices (Contacts) of a pledge's maker or members
for evidence; in review, a cycle's draft scores go to each member's office.
The email goes through the outbox (FollowUp kinds REQUEST and
REQUEST_REMINDER, with the same guarantees as reminders) and carries a
signed link to a reply form that needs no login. A reply waits on the
pledge's timeline until an analyst accepts it as the evidence of an update
or dismisses it. A request not answered gets at most two reminders,
EVIDENCE_REMINDER_DAYS apart, and is then marked unanswered.

States: sent -> answered (a reply came), unanswered (the reminders went
unheeded; a late reply still answers it), withdrawn (by an analyst).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tracker import emails
from tracker.assessment_report import cycle_report
from tracker.assessments import commitment_members
from tracker.models import (
    AssessmentCycle,
    Commitment,
    Contact,
    EvidenceRequest,
    FollowUp,
    ProgressUpdate,
    Reply,
    ReplyFile,
    reply_file_name,
    web_url_validator,
)

REPLY_SALT = "tracker.reply"
MAX_MESSAGE_LENGTH = 2000
MAX_REPLY_LENGTH = 10_000
MAX_REPLY_LINKS = 10
MAX_LINK_LENGTH = ProgressUpdate._meta.get_field("evidence_url").max_length
MAX_REPLY_FILES = 3
MAX_REPLY_FILE_BYTES = 10 * 1024 * 1024
MAX_REMINDERS = 2
OPEN_STATES = (EvidenceRequest.State.SENT, EvidenceRequest.State.UNANSWERED)
# What draft_scores_send writes when given no message (the page's form starts from it).
DRAFT_SCORES_MESSAGE = gettext_lazy(
    "These are our draft scores for your government's compliance, with the criteria and our reasons. "
    "Before we publish, you may reply with corrections, comments or evidence."
)

# What a file must begin with to be taken as the type it claims: the name
# and the browser's Content-Type are the sender's to choose, the bytes are not.
FILE_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def _refuse_null_characters(fields: dict) -> None:
    errors = {name: _("Null characters are not allowed.") for name, value in fields.items() if "\x00" in str(value)}
    if errors:
        raise ValidationError(errors)


# Asking


def contacts_for_commitment(commitment: Commitment):
    """The active offices of a pledge's maker and members, the ones an analyst may ask."""
    actors = [commitment.made_by_id, *commitment.members.values_list("pk", flat=True)]
    return Contact.objects.filter(actor_id__in=actors, is_active=True).select_related("actor")


def evidence_request_send(*, commitment: Commitment, contact: Contact, message: str, user=None) -> EvidenceRequest:
    """Ask an office of the pledge's maker or members for evidence; the email goes out through the outbox."""
    message = (message or "").strip()
    _refuse_null_characters({"message": message})
    errors = {}
    if not contacts_for_commitment(commitment).filter(pk=contact.pk).exists():
        errors["contact"] = _(
            "%(office)s is not an active office of this pledge's maker or members; "
            "add the office to the actor first, or choose another."
        ) % {"office": contact}
    if not message:
        errors["message"] = _("Write what you are asking for; the email quotes it.")
    elif len(message) > MAX_MESSAGE_LENGTH:
        errors["message"] = _("Keep the message under %(limit)s characters (%(length)s now).") % {
            "limit": MAX_MESSAGE_LENGTH,
            "length": len(message),
        }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request = EvidenceRequest(
            kind=EvidenceRequest.Kind.EVIDENCE, commitment=commitment, contact=contact, message=message
        )
        request.requested_by = user
        request._history_user = user
        request.save()
        _queue(request, FollowUp.Kind.REQUEST, number=0)
    return request


def draft_scores_send(*, cycle: AssessmentCycle, user=None, message: str = "") -> list[EvidenceRequest]:
    """Send the active offices of each member with a scored cell their draft scores, in review; returns the requests.

    Each office is asked once per cycle: one already asked (whatever became
    of the request but a withdrawal) is not asked again.
    """
    message = (message or "").strip() or str(DRAFT_SCORES_MESSAGE)
    _refuse_null_characters({"message": message})
    if len(message) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            {"message": _("Keep the message under %(limit)s characters.") % {"limit": MAX_MESSAGE_LENGTH}}
        )
    created = []
    with transaction.atomic():
        # Locked: two sends at once ask each office once, and none goes out after publishing.
        locked = AssessmentCycle.objects.select_for_update().get(pk=cycle.pk)
        if locked.state != AssessmentCycle.State.REVIEW:
            raise ValidationError({"cycle": _("Draft scores are sent for reply while the cycle is in review.")})
        members = {row.actor.pk for row in cycle_report(locked).members if row.scored}
        already = EvidenceRequest.objects.filter(cycle=locked, kind=EvidenceRequest.Kind.DRAFT_SCORES).exclude(
            state=EvidenceRequest.State.WITHDRAWN
        )
        contacts = Contact.objects.filter(actor_id__in=members, is_active=True).exclude(
            pk__in=already.values("contact_id")
        )
        for contact in contacts:
            request = EvidenceRequest(
                kind=EvidenceRequest.Kind.DRAFT_SCORES,
                cycle=locked,
                member_id=contact.actor_id,
                contact=contact,
                message=message,
                requested_by=user,
            )
            request._history_user = user
            request.save()
            _queue(request, FollowUp.Kind.REQUEST, number=0)
            created.append(request)
    return created


def evidence_request_withdraw(*, request: EvidenceRequest, user=None) -> EvidenceRequest:
    """Withdraw a request not yet answered: its unsent emails are cancelled and its link stops working."""
    with transaction.atomic():
        locked = EvidenceRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state not in OPEN_STATES:
            raise ValidationError(
                {"state": _("This request is %(state)s; it stays so.") % {"state": locked.get_state_display().lower()}}
            )
        locked.state = EvidenceRequest.State.WITHDRAWN
        locked.closed_at = timezone.now()
        locked._history_user = user
        locked.save(update_fields=["state", "closed_at"])
        _cancel_unsent(locked, "the request was withdrawn")
    request.state, request.closed_at = locked.state, locked.closed_at
    return request


def _queue(request: EvidenceRequest, kind: str, *, number: int) -> None:
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                kind=kind,
                commitment_id=request.commitment_id,
                contact_id=request.contact_id,
                request=request,
                due_on=timezone.localdate(),
                dedupe_key=f"{kind}:{request.pk}:{number}",
            )
        ],
        ignore_conflicts=True,
    )


def _cancel_unsent(request: EvidenceRequest, reason: str) -> int:
    return FollowUp.objects.filter(request=request, state__in=[FollowUp.State.PENDING, FollowUp.State.SENDING]).finish(
        FollowUp.State.CANCELLED, error=reason
    )


def requests_queue_due(*, now=None) -> int:
    """The sweep's part: reminders of unanswered requests, then marking those past their reminders unanswered.

    A request's reminder n (1 or 2) is due n x EVIDENCE_REMINDER_DAYS after
    it was made; the request is unanswered once another period has passed
    after the last. Returns how many reminders were queued.
    """
    now = now or timezone.now()
    period = timedelta(days=settings.EVIDENCE_REMINDER_DAYS)
    queued = 0
    waiting = EvidenceRequest.objects.filter(state=EvidenceRequest.State.SENT, created_at__lte=now - period)
    fields = ("id", "created_at", "reminders_sent", "commitment_id", "contact_id")
    for request in waiting.only(*fields):
        due = (now - request.created_at) // period
        if request.reminders_sent < min(due, MAX_REMINDERS):
            number = request.reminders_sent + 1
            with transaction.atomic():
                # Counted once even when two sweeps race: the update is conditional.
                if EvidenceRequest.objects.filter(pk=request.pk, reminders_sent=request.reminders_sent).update(
                    reminders_sent=number
                ):
                    _queue(request, FollowUp.Kind.REQUEST_REMINDER, number=number)
                    queued += 1
        elif request.reminders_sent >= MAX_REMINDERS and due > MAX_REMINDERS:
            EvidenceRequest.objects.filter(pk=request.pk, state=EvidenceRequest.State.SENT).update(
                state=EvidenceRequest.State.UNANSWERED, closed_at=now
            )
    return queued


def request_obsolete_reason(followup: FollowUp) -> str:
    """Why a request's email should no longer go out ("" when it should)."""
    request, contact = followup.request, followup.contact
    if request is None:
        return "the request was deleted"
    if request.state == EvidenceRequest.State.WITHDRAWN:
        return "the request was withdrawn"
    if followup.kind == FollowUp.Kind.REQUEST_REMINDER and request.state != EvidenceRequest.State.SENT:
        return "the request was answered"
    if not contact.is_active:
        return "the office is no longer an active contact"
    if request.kind == EvidenceRequest.Kind.EVIDENCE and request.commitment_id is None:
        return "the pledge was deleted"
    return ""


# The reply link


@dataclass
class ReplyRefused(Exception):
    message: str
    status: int


def reply_token(request: EvidenceRequest) -> str:
    # The request's id only: nothing personal is readable in the link.
    return signing.dumps({"r": request.pk}, salt=REPLY_SALT)


def reply_url(request: EvidenceRequest) -> str:
    return emails.absolute_url(reverse("tracker:reply", args=[reply_token(request)]))


def reply_load(token: str) -> EvidenceRequest:
    """The request a reply link stands for, or ReplyRefused saying why it cannot be answered."""
    try:
        payload = signing.loads(token, salt=REPLY_SALT, max_age=timedelta(days=settings.REPLY_LINK_DAYS))
        request_id = int(payload["r"])
    except signing.SignatureExpired:
        raise ReplyRefused(
            ngettext(
                "This link has expired: reply links work for %(days)s day. "
                "Answer the email instead, and we will send a new link.",
                "This link has expired: reply links work for %(days)s days. "
                "Answer the email instead, and we will send a new link.",
                settings.REPLY_LINK_DAYS,
            )
            % {"days": settings.REPLY_LINK_DAYS},
            410,
        ) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ReplyRefused(_("This link is not valid: it may have been cut short or altered."), 400) from None
    request = (
        EvidenceRequest.objects.select_related("contact__actor", "commitment__made_by", "cycle", "member")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise ReplyRefused(_("The request this link was for no longer exists."), 404)
    if request.state == EvidenceRequest.State.WITHDRAWN:
        raise ReplyRefused(_("This request has been withdrawn; no reply is needed."), 410)
    if request.kind == EvidenceRequest.Kind.DRAFT_SCORES and request.cycle.is_published:
        raise ReplyRefused(_("This assessment has been published; replies to its draft scores are closed."), 410)
    return request


# Replying


def reply_validate(*, text: str, links, files) -> tuple[str, list[str], list[tuple]]:
    """Check a reply; return its text, links and (file, content type) pairs."""
    text = (text or "").strip()
    if isinstance(links, str):
        links = links.splitlines()
    links = [str(link).strip() for link in links or () if str(link).strip()]
    files = list(files or ())
    _refuse_null_characters({"text": text, "links": " ".join(links)})
    errors = {}
    if not text and not links and not files:
        errors["text"] = _("Write your reply, or give a link or a file.")
    elif len(text) > MAX_REPLY_LENGTH:
        errors["text"] = _("Keep the reply under %(limit)s characters (%(length)s now).") % {
            "limit": MAX_REPLY_LENGTH,
            "length": len(text),
        }
    if len(links) > MAX_REPLY_LINKS:
        errors["links"] = _("Give at most %(limit)s links.") % {"limit": MAX_REPLY_LINKS}
    else:
        for link in links:
            try:
                web_url_validator(link)
            except ValidationError:
                errors["links"] = _("%(link)s is not a web address starting with http:// or https://.") % {
                    "link": repr(link[:100])
                }
                break
            # A link may become an update's evidence link, which has this length.
            if len(link) > MAX_LINK_LENGTH:
                errors["links"] = _("Keep each link under %(limit)s characters.") % {"limit": MAX_LINK_LENGTH}
                break
    typed, file_errors = [], []
    if len(files) > MAX_REPLY_FILES:
        file_errors.append(_("Attach at most %(limit)s files.") % {"limit": MAX_REPLY_FILES})
    for upload in files[:MAX_REPLY_FILES]:
        name = (upload.name or "file")[:100]
        if upload.size > MAX_REPLY_FILE_BYTES:
            file_errors.append(
                _("%(name)s is larger than %(size)s MB.")
                % {"name": name, "size": MAX_REPLY_FILE_BYTES // (1024 * 1024)}
            )
            continue
        content_type = file_type(upload)
        if content_type is None:
            file_errors.append(_("%(name)s is not a PDF or an image (PNG, JPEG, GIF or WebP).") % {"name": name})
        else:
            typed.append((upload, content_type))
    if file_errors:
        errors["files"] = file_errors
    if errors:
        raise ValidationError(errors)
    return text, links, typed


def file_type(upload) -> str | None:
    """The file's type read from its first bytes, or None when it is not one the form takes."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, signatures in FILE_SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            if content_type == "image/webp" and head[8:12] != b"WEBP":
                continue
            return content_type
    return None


def reply_submit(
    *, request: EvidenceRequest, text: str = "", links=(), files=(), commitment: Commitment | None = None
) -> Reply:
    """Record an office's reply; it answers the request and stops its reminders.

    `commitment`, for draft scores, names the pledge whose cell the reply
    answers (it must be one of the cycle's).
    """
    text, links, typed = reply_validate(text=text, links=links, files=files)
    if request.kind == EvidenceRequest.Kind.DRAFT_SCORES and commitment is not None:
        in_cycle = request.cycle.cycle_commitments.filter(commitment=commitment).exists()
        if not in_cycle or request.member not in commitment_members(commitment):
            raise ValidationError({"commitment": _("That pledge is not one of this assessment's scores of yours.")})
    elif request.kind == EvidenceRequest.Kind.EVIDENCE:
        commitment = None
    saved = []
    try:
        with transaction.atomic():
            locked = EvidenceRequest.objects.select_for_update().get(pk=request.pk)
            if locked.state == EvidenceRequest.State.WITHDRAWN:
                raise ValidationError({"text": _("This request has been withdrawn; no reply is needed.")})
            reply = Reply(request=locked, commitment=commitment, text=text, links=links)
            # No user made it: the audit history names the link that did.
            reply._change_reason = f"reply link of request {locked.pk}"
            reply.save()
            for upload, content_type in typed:
                name = default_storage.save(reply_file_name(None, upload.name), upload)
                saved.append(name)
                ReplyFile.objects.create(
                    reply=reply,
                    file=name,
                    original_name=_display_name(upload.name),
                    content_type=content_type,
                    size=upload.size,
                )
            if locked.state != EvidenceRequest.State.ANSWERED:
                locked.state = EvidenceRequest.State.ANSWERED
                locked.answered_at = timezone.now()
                locked.save(update_fields=["state", "answered_at"])
            _cancel_unsent_reminders(locked)
    except BaseException:
        # The rows are rolled back; the files written for them must go too.
        for name in saved:
            default_storage.delete(name)
        raise
    request.state, request.answered_at = locked.state, locked.answered_at
    return reply


def _display_name(name: str) -> str:
    """The sender's file name, for showing only: no path, no control characters, at most 100 characters."""
    name = (name or "file").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable() and char not in "\"'<>")
    return name[:100] or "file"


def _cancel_unsent_reminders(request: EvidenceRequest) -> int:
    return FollowUp.objects.filter(
        request=request,
        kind=FollowUp.Kind.REQUEST_REMINDER,
        state__in=[FollowUp.State.PENDING, FollowUp.State.SENDING],
    ).finish(FollowUp.State.CANCELLED, error="the request was answered")


# Reviewing a reply


def reply_accept(
    *, reply: Reply, user, status: str, progress: int | None = None, note: str = "", evidence_url: str = ""
):
    """Accept an evidence reply: it becomes the evidence of a progress update recorded by `user`.

    The update's evidence link is `evidence_url`, by default the reply's
    first link or else the reply's page on the pledge, and its note quotes
    the reply unless the analyst writes one.
    """
    from tracker.services import progress_record  # services imports the outbox, which imports this

    with transaction.atomic():
        locked = Reply.objects.select_for_update().select_related("request__contact").get(pk=reply.pk)
        if locked.state != Reply.State.PENDING:
            raise ValidationError(
                {"state": _("This reply is already %(state)s.") % {"state": locked.get_state_display().lower()}}
            )
        request = locked.request
        if request.kind != EvidenceRequest.Kind.EVIDENCE:
            raise ValidationError({"state": _("A reply on draft scores is read beside the scores, not accepted.")})
        if not evidence_url:
            evidence_url = locked.links[0] if locked.links else reply_evidence_url(locked)
        quoted = _("Reply from %(office)s: %(text)s") % {"office": request.contact, "text": locked.text}
        note = (note or "").strip() or quoted[:2000]
        update = progress_record(
            commitment=request.commitment,
            author=user,
            status=status,
            progress=progress,
            note=note,
            evidence_url=evidence_url,
        )
        locked.state, locked.update = Reply.State.ACCEPTED, update
        locked.reviewed_by, locked.reviewed_at = user, timezone.now()
        locked._history_user = user
        locked.save(update_fields=["state", "update", "reviewed_by", "reviewed_at"])
    reply.state, reply.update = locked.state, update
    return update


def reply_dismiss(*, reply: Reply, user) -> Reply:
    with transaction.atomic():
        locked = Reply.objects.select_for_update().get(pk=reply.pk)
        if locked.state != Reply.State.PENDING:
            raise ValidationError(
                {"state": _("This reply is already %(state)s.") % {"state": locked.get_state_display().lower()}}
            )
        locked.state = Reply.State.DISMISSED
        locked.reviewed_by, locked.reviewed_at = user, timezone.now()
        locked._history_user = user
        locked.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    reply.state = locked.state
    return reply


def reply_evidence_url(reply: Reply) -> str:
    """Where analysts read a reply: its place on the pledge's page."""
    commitment = reply.request.commitment
    return emails.absolute_url(f"{commitment.get_absolute_url()}#reply-{reply.pk}")


def requests_unanswered_for(commitments) -> dict:
    """Unanswered evidence requests of these pledges, by pledge id, in one query (the owner's digest)."""
    found = {}
    rows = EvidenceRequest.objects.filter(
        Q(commitment__in=commitments), state=EvidenceRequest.State.UNANSWERED
    ).select_related("contact__actor", "commitment__made_by")
    for request in rows:
        found.setdefault(request.commitment_id, []).append(request)
    return found
