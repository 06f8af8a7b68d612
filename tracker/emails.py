"""Every email the tracker sends, rendered from a template triplet.

`templates/emails/<name>_subject.txt`, `<name>.txt` and `<name>.html`; links
are absolute (SITE_URL), since the reader is in a mail client, not on the site.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from . import checkin, evidence, languages, selectors
from .assessment_report import cycle_report
from .models import Commitment, FollowUp


class NothingToSend(Exception):
    """The email would be empty (a digest with nothing due and nothing changed)."""


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def message_id_for(dedupe_key: str) -> str:
    """A Message-ID that is the same every time the same reminder is sent.

    A crash after the SMTP server accepted a message and before the row was
    marked sent makes the next attempt resend it; with the same Message-ID
    mail clients show it once.
    """
    local_part = dedupe_key.replace(":", ".")
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    if ":" in domain:
        domain = f"[{domain}]"  # an IPv6 address is a domain literal in RFC 5322
    return f"<{local_part}@{domain}>"


def render(name: str, context: dict) -> tuple[str, str, str]:
    """Subject (one line), plain text and HTML of the email `name`."""
    subject = render_to_string(f"emails/{name}_subject.txt", context)
    subject = " ".join(subject.split())  # no newline may reach the header
    text = render_to_string(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    return subject, text, html


def commitment_context(commitment: Commitment, *, last_updates: dict | None = None) -> dict:
    """What every email says about a pledge.

    `last_updates` (selectors.latest_updates, by pledge id) saves the query
    for the last update when the caller has loaded it with others.
    """
    detail_url = absolute_url(commitment.get_absolute_url())
    if last_updates is None:
        last_update = commitment.updates.select_related("author").first()
    else:
        last_update = last_updates.get(commitment.pk)
    return {
        "commitment": commitment,
        "last_update": last_update,
        "detail_url": detail_url,
        "update_url": f"{detail_url}#record-update",
    }


def followup_message(
    followup: FollowUp, *, connection=None, last_updates: dict | None = None
) -> EmailMultiAlternatives:
    """The email of one outbox row, ready to send.

    Alone, it reads the row's pledge (with maker, event and owner) and its
    last update. A caller that sends a batch (followups.Delivery)
    loads those for every row at once and passes `last_updates`: the row's
    `commitment` is then taken as loaded, with its maker, event and owner.
    """
    if followup.contact_id is not None:
        return request_message(followup, connection=connection)
    with translation.override(languages.of_user(followup.recipient)):
        return _followup_message(followup, connection=connection, last_updates=last_updates)


def _followup_message(followup: FollowUp, *, connection, last_updates: dict | None) -> EmailMultiAlternatives:
    preferences_url = absolute_url(reverse("tracker:preferences"))
    context = {
        "followup": followup,
        "recipient": followup.recipient,
        "preferences_url": preferences_url,
        "site_url": settings.SITE_URL,
        "escalate_days": settings.FOLLOWUP_ESCALATE_DAYS,
        "today": timezone.localdate(),
    }
    if followup.kind == FollowUp.Kind.DIGEST:
        context.update(digest_context(followup.recipient, today=followup.due_on))
    else:
        if last_updates is None:
            commitment = Commitment.objects.select_related("made_by", "event", "owner").get(pk=followup.commitment_id)
        else:
            commitment = followup.commitment
        context.update(commitment_context(commitment, last_updates=last_updates))
        if followup.kind == FollowUp.Kind.MILESTONE:
            # No check-in links: a step is marked done on the pledge page, with its evidence.
            context["milestone"] = followup.milestone
            context["milestones_url"] = f"{context['detail_url']}#milestones"
        else:
            context["target_passed"] = commitment.due_on is not None and commitment.due_on == followup.due_on
            last_update = context["last_update"]
            context["checkin"] = checkin.checkin_urls(
                followup, status=commitment.status, last_update_id=last_update.pk if last_update else None
            )
            context["checkin_days"] = settings.CHECKIN_LINK_DAYS
    subject, text, html = render(followup.kind, context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[followup.recipient.email],
        connection=connection,
        headers={
            "Message-ID": message_id_for(followup.dedupe_key),
            "List-Unsubscribe": f"<{preferences_url}>",
            "X-Tracker-Followup": followup.dedupe_key,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def request_message(followup: FollowUp, *, connection=None) -> EmailMultiAlternatives:
    """A request to an office (evidence, or draft scores for reply) or its reminder, with the signed reply link.

    It says what the tracker knows publicly of the pledge (words, maker,
    source) and never who follows it inside.
    """
    request, contact = followup.request, followup.contact
    with translation.override(languages.supported(contact.language) or languages.default()):
        return _request_message(followup, request, contact, connection=connection)


def _request_message(followup: FollowUp, request, contact, *, connection) -> EmailMultiAlternatives:
    context = {
        "followup": followup,
        "request": request,
        "contact": contact,
        "reminder": followup.kind == FollowUp.Kind.REQUEST_REMINDER,
        "reply_url": evidence.reply_url(request),
        "reply_days": settings.REPLY_LINK_DAYS,
        "requested_by": request.requested_by,
    }
    if request.kind == request.Kind.DRAFT_SCORES:
        context.update(draft_scores_context(request))
        name = "draft_scores"
    else:
        context["commitment"] = Commitment.objects.select_related("made_by", "event").get(pk=request.commitment_id)
        name = "request"
    subject, text, html = render(name, context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[contact.email],
        connection=connection,
        headers={"Message-ID": message_id_for(followup.dedupe_key), "X-Tracker-Followup": followup.dedupe_key},
    )
    message.attach_alternative(html, "text/html")
    return message


def draft_scores_context(request) -> dict:
    """The member's draft cells of the cycle: each pledge's criteria, its score and the rationale."""
    report = cycle_report(request.cycle)
    rows = []
    for row in report.pledges:
        cell = next((cell for cell in row.cells if cell.member.pk == request.member_id), None)
        if cell is not None:
            rows.append({"pledge": row, "cell": cell})
    return {"cycle": request.cycle, "member": request.member, "rows": rows}


def digest_context(user, *, today) -> dict:
    """The week of one analyst: due and overdue pledges, the status changes of the last seven days, and the
    requests to offices that went unanswered."""
    watched = selectors.commitments_watched_by(user)
    overdue = list(selectors.commitments_for_display(selectors.commitments_overdue(today=today, queryset=watched)))
    overdue_ids = {commitment.pk for commitment in overdue}
    due = [
        commitment
        for commitment in selectors.commitments_for_display(
            selectors.commitments_due_soon(today=today, days=7, queryset=watched)
        )
        if commitment.pk not in overdue_ids
    ]
    end = timezone.now()
    changes = list(selectors.status_changes_between(start=end - timedelta(days=7), end=end, commitments=watched))
    unanswered = _unanswered_requests(watched)
    if not (overdue or due or changes or unanswered):
        raise NothingToSend("nothing due, overdue or changed this week")
    return {
        "overdue": overdue,
        "due": due,
        "changes": changes,
        "unanswered": unanswered,
        "board_url": absolute_url("/"),
    }


def _unanswered_requests(commitments) -> list[dict]:
    """[{"commitment", "requests"}] for the pledges with unanswered requests to offices, in one or two queries."""
    by_pledge = evidence.requests_unanswered_for(commitments)
    if not by_pledge:
        return []
    pledges = Commitment.objects.select_related("made_by").filter(pk__in=list(by_pledge)).order_by("title", "pk")
    return [{"commitment": commitment, "requests": by_pledge[commitment.pk]} for commitment in pledges]
