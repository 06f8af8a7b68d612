"""An office's reply form (no login: the signed link is the credential), the files of replies, and the
pledge page's requests panel: asking an office for evidence, withdrawing, accepting or dismissing a reply.

The rules are tracker/evidence.py's; these views read input and show pages.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import evidence, languages, selectors, views
from .cache import UNAVAILABLE
from .emails import draft_scores_context
from .forms import add_service_errors
from .middleware import client_ip
from .models import Commitment, EvidenceRequest, Reply, ReplyFile
from .reply_forms import EvidenceRequestForm, ReplyAcceptForm, ReplyForm

ASK_PERMISSION = "tracker.add_evidencerequest"
WITHDRAW_PERMISSION = "tracker.change_evidencerequest"
REVIEW_PERMISSION = "tracker.change_reply"
VIEW_REQUESTS_PERMISSION = "tracker.view_evidencerequest"
VIEW_REPLY_PERMISSION = "tracker.view_reply"
# views.VIEW_PERMISSION: views imports this module, so it is not read from there at import time.
VIEW_PLEDGES_PERMISSION = "tracker.view_commitment"
ADD_CONTACT_PERMISSION = "tracker.add_contact"
RATE_WINDOW_SECONDS = 3600
# Whose replies are counted against a limit: the sender's address, or the link's.
ADDRESS, LINK = "address", "link"
MEGABYTE = 1024 * 1024
# The files' limit and room for the text, links and the form's own fields.
MAX_REPLY_BODY_BYTES = evidence.MAX_REPLY_FILES * evidence.MAX_REPLY_FILE_BYTES + MEGABYTE


# The reply form


class ReplyUploadLimit(FileUploadHandler):
    """Drops a file as soon as it passes the size limit, so that an oversize upload never lands whole
    in memory or on disk; the names of the dropped files become the form's error."""

    def __init__(self, request=None):
        super().__init__(request)
        self.too_large = []
        self.received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > evidence.MAX_REPLY_FILE_BYTES:
            self.too_large.append(self.file_name or _("A file"))
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers keep the file


# No login: the signed link is the credential. CSRF is checked inside, once
# the upload limit is in place: the check reads the body, and upload
# handlers cannot change after that.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def reply(request, token):
    if request.method == "POST":
        # Before anything reads the body (the CSRF check does): a flood from
        # one address, or a body no reply can need, costs no disk.
        wait = _rate_limit_wait(f"address:{client_ip(request)}", settings.REPLY_RATE_LIMIT_PER_HOUR)
        if wait:
            return _too_many(request, wait, ADDRESS)
        if _content_length(request) > MAX_REPLY_BODY_BYTES:
            limit_mb = evidence.MAX_REPLY_FILE_BYTES // MEGABYTE
            return _refused(
                request,
                _("This reply is too large: at most %(files)s files of %(size)s MB each. Nothing was saved.")
                % {"files": evidence.MAX_REPLY_FILES, "size": limit_mb},
                413,
            )
    limit = ReplyUploadLimit(request)
    request.upload_handlers.insert(0, limit)
    return _reply(request, token, limit)


def _in_the_offices_language(request, contact) -> None:
    """The page in the language of the office's emails, unless the reader chose another with the switcher."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    code = languages.supported(contact.language)
    if code:
        translation.activate(code)
        request.LANGUAGE_CODE = code


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_protect
def _reply(request, token, limit):
    try:
        evidence_request = evidence.reply_load(token)
    except evidence.ReplyRefused as refused:
        return _refused(request, refused.message, refused.status)
    _in_the_offices_language(request, evidence_request.contact)
    context = _reply_context(evidence_request)
    pledges = [(row["pledge"].commitment_id, row["pledge"].title) for row in context.get("rows", ())]
    if request.method != "POST":
        _show_form(context, ReplyForm(pledges=pledges))
        return render(request, "tracker/reply/reply.html", context)

    wait = _rate_limit_wait(f"link:{evidence_request.pk}", settings.REPLY_RATE_LIMIT_PER_LINK)
    if wait:
        return _too_many(request, wait, LINK)
    form = ReplyForm(request.POST, request.FILES, pledges=pledges)
    _show_form(context, form)
    for name in limit.too_large:
        form.add_error(
            "files",
            _("%(name)s is larger than %(size)s MB.")
            % {"name": name[:100], "size": evidence.MAX_REPLY_FILE_BYTES // MEGABYTE},
        )
    if not form.is_valid():
        return render(request, "tracker/reply/reply.html", context, status=400)
    try:
        _submit(evidence_request, form)
    except ValidationError as error:
        add_service_errors(form, error)
        return render(request, "tracker/reply/reply.html", context, status=400)
    context["file_count"] = len(form.cleaned_data["files"])
    return render(request, "tracker/reply/thanks.html", context)


def _reply_context(evidence_request: EvidenceRequest) -> dict:
    context = {
        "evidence_request": evidence_request,
        "contact": evidence_request.contact,
    }
    if evidence_request.kind == EvidenceRequest.Kind.DRAFT_SCORES:
        context.update(draft_scores_context(evidence_request))
    else:
        context["commitment"] = evidence_request.commitment
    return context


def _show_form(context: dict, form: ReplyForm) -> None:
    context["form"] = form
    # For draft scores each pledge's comment box goes beside its scores.
    for row in context.get("rows", ()):
        row["comment"] = form[form.pledge_fields[row["pledge"].commitment_id]]


def _submit(evidence_request: EvidenceRequest, form: ReplyForm) -> list[Reply]:
    """One reply per comment on a pledge, and the general one (with the files); all or none.

    The general reply goes last: it alone stores files, and evidence.reply_submit
    removes them itself when it fails, while a failure after it would leave
    them behind a rolled-back row.
    """
    data = form.cleaned_data
    pledge_texts = form.pledge_texts()
    general = bool(data["text"].strip() or data["links"].strip() or data["files"])
    replies = []
    with transaction.atomic():
        if pledge_texts:
            commitments = Commitment.objects.in_bulk([pk for pk, _ in pledge_texts])
            for pk, text in pledge_texts:
                try:
                    replies.append(
                        evidence.reply_submit(request=evidence_request, text=text, commitment=commitments.get(pk))
                    )
                except ValidationError as error:
                    raise ValidationError({f"pledge_{pk}": error.messages}) from None
        if general or not pledge_texts:
            replies.append(
                evidence.reply_submit(
                    request=evidence_request, text=data["text"], links=data["links"], files=data["files"]
                )
            )
    return replies


def _rate_limit_wait(scope: str, limit: int) -> int:
    """Seconds until the reply form takes another reply in `scope` (0: now), counting this one.

    Fixed windows of an hour in the cache: add() then incr() are atomic in
    Redis and in memory, so concurrent replies are all counted. With Redis
    down the form is not limited, as the API's throttles are not.
    """
    now = int(time.time())
    window = now // RATE_WINDOW_SECONDS
    key = f"reply-rate:{scope}:{window}"
    try:
        cache.add(key, 0, timeout=RATE_WINDOW_SECONDS + 60)
        hits = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): a new window began.
        cache.add(key, 1, timeout=RATE_WINDOW_SECONDS + 60)
        hits = 1
    except UNAVAILABLE:
        return 0
    if hits <= limit:
        return 0
    return (window + 1) * RATE_WINDOW_SECONDS - now


def _too_many(request, wait: int, scope: str):
    """The refusal of a reply over the hour's limit for the sender's address (ADDRESS) or for the link (LINK)."""
    again = timezone.localtime() + timedelta(seconds=wait)
    minutes = max(1, -(-wait // 60))
    if scope == ADDRESS:
        message = ngettext(
            "Too many replies from your address this hour. Try again after %(time)s %(zone)s "
            "(in %(minutes)s minute); nothing was saved.",
            "Too many replies from your address this hour. Try again after %(time)s %(zone)s "
            "(in %(minutes)s minutes); nothing was saved.",
            minutes,
        )
    else:
        message = ngettext(
            "Too many replies through this link this hour. Try again after %(time)s %(zone)s "
            "(in %(minutes)s minute); nothing was saved.",
            "Too many replies through this link this hour. Try again after %(time)s %(zone)s "
            "(in %(minutes)s minutes); nothing was saved.",
            minutes,
        )
    message %= {"time": formats.time_format(again), "zone": again.tzname(), "minutes": minutes}
    response = _refused(request, message, 429)
    response["Retry-After"] = str(wait)
    return response


def _refused(request, message: str, status: int):
    return render(request, "tracker/reply/refused.html", {"message": message, "status": status}, status=status)


# The files of replies


@login_required
@permission_required([VIEW_REPLY_PERMISSION, VIEW_PLEDGES_PERMISSION], raise_exception=True)
@never_cache
@require_safe
def reply_file(request, pk):
    """A reply's file, always as a download: a sender's file is never shown inline on the site's origin."""
    attachment = get_object_or_404(ReplyFile, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    content_type = attachment.content_type if attachment.content_type in evidence.FILE_SIGNATURES else None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Opened anyway (a browser told to show it), it runs no script and has no origin.
    response["Content-Security-Policy"] = "sandbox"
    return response


# The pledge page's requests panel


def requests_panel(request, commitment: Commitment, *, request_form=None, accept_forms=None) -> dict:
    """The requests of a pledge with their replies, and the forms the user may use, in at most six queries.

    `request_form` and `accept_forms` ({reply id: form}) are bound forms
    that failed, shown again with their errors.
    """
    user = request.user
    can_ask = user.has_perm(ASK_PERMISSION)
    can_review = user.has_perm(REVIEW_PERMISSION) and user.has_perm(views.RECORD_UPDATE_PERMISSION)
    accept_forms = accept_forms or {}
    replies = Reply.objects.select_related("reviewed_by", "update").prefetch_related("files")
    requests = list(
        commitment.evidence_requests.select_related("contact__actor", "requested_by")
        .prefetch_related(Prefetch("replies", queryset=replies.order_by("created_at", "id")))
        .order_by("-created_at", "-id")
    )
    rows = []
    for evidence_request in requests:
        reply_rows = []
        for item in evidence_request.replies.all():
            form = None
            if can_review and item.state == Reply.State.PENDING:
                form = accept_forms.get(item.pk) or ReplyAcceptForm.for_reply(item, commitment)
            reply_rows.append({"reply": item, "accept_form": form})
        rows.append(
            {
                "request": evidence_request,
                "replies": reply_rows,
                "can_withdraw": evidence_request.state in evidence.OPEN_STATES and user.has_perm(WITHDRAW_PERMISSION),
            }
        )
    contacts = evidence.contacts_for_commitment(commitment)
    has_contacts = contacts.exists()
    if can_ask and has_contacts and request_form is None:
        request_form = EvidenceRequestForm(contacts=contacts)
    add_contact_url = ""
    if user.has_perm(ADD_CONTACT_PERMISSION):
        add_contact_url = f"{reverse('admin:tracker_contact_add')}?actor={commitment.made_by_id}"
    return {
        "rows": rows,
        "has_contacts": has_contacts,
        "request_form": request_form if can_ask else None,
        "add_contact_url": add_contact_url,
    }


def _commitment(pk):
    return get_object_or_404(selectors.commitment_for_detail().prefetch_related("members"), pk=pk)


def _render_pledge(request, commitment, *, status, **panel_forms):
    form = None
    if request.user.has_perm(views.RECORD_UPDATE_PERMISSION):
        form = views.RecordUpdateForm.for_commitment(commitment)
    return views._render_detail(request, commitment, form, status=status, panel_forms=panel_forms)


def _requests_anchor(commitment) -> str:
    return f"{commitment.get_absolute_url()}#requests"


@login_required
@require_POST
def commitment_request(request, pk):
    if not request.user.has_perm(ASK_PERMISSION):
        raise PermissionDenied(_("Only analysts ask offices for evidence."))
    commitment = _commitment(pk)
    form = EvidenceRequestForm(request.POST, contacts=evidence.contacts_for_commitment(commitment))
    if form.is_valid():
        try:
            sent = evidence.evidence_request_send(
                commitment=commitment,
                contact=form.cleaned_data["contact"],
                message=form.cleaned_data["message"],
                user=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Request to %(office)s queued: the email goes out in a moment.") % {"office": sent.contact}
            )
            return redirect(_requests_anchor(commitment))
    return _render_pledge(request, commitment, status=400, request_form=form)


@login_required
@require_POST
def request_withdraw(request, pk):
    if not request.user.has_perm(WITHDRAW_PERMISSION):
        raise PermissionDenied(_("Only analysts withdraw requests."))
    evidence_request = get_object_or_404(EvidenceRequest.objects.select_related("contact"), pk=pk)
    try:
        evidence.evidence_request_withdraw(request=evidence_request, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Request to %(office)s withdrawn: its link no longer works.") % {"office": evidence_request.contact},
        )
    return redirect(_request_page(evidence_request))


def _request_page(evidence_request: EvidenceRequest) -> str:
    if evidence_request.commitment_id is not None:
        return f"{reverse('tracker:commitment-detail', args=[evidence_request.commitment_id])}#requests"
    return reverse("tracker:cycle-detail", args=[evidence_request.cycle_id])


@login_required
@require_POST
def reply_accept(request, pk):
    if not (request.user.has_perm(REVIEW_PERMISSION) and request.user.has_perm(views.RECORD_UPDATE_PERMISSION)):
        raise PermissionDenied(_("Only analysts accept replies as evidence."))
    item = get_object_or_404(Reply.objects.select_related("request__contact"), pk=pk)
    if item.request.commitment_id is None:
        messages.error(request, _("A reply on draft scores is read beside the scores, not accepted."))
        return redirect(_request_page(item.request))
    commitment = _commitment(item.request.commitment_id)
    item.request.commitment = commitment
    form = ReplyAcceptForm.for_reply(item, commitment, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            evidence.reply_accept(
                reply=item,
                user=request.user,
                status=data["status"],
                progress=data["progress"],
                note=data["note"],
                evidence_url=data["evidence_url"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Reply from %(office)s accepted: recorded as an update.") % {"office": item.request.contact},
            )
            return redirect(f"{commitment.get_absolute_url()}#timeline")
    return _render_pledge(request, commitment, status=400, accept_forms={item.pk: form})


@login_required
@require_POST
def reply_dismiss(request, pk):
    if not request.user.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied(_("Only analysts dismiss replies."))
    item = get_object_or_404(Reply.objects.select_related("request__contact"), pk=pk)
    try:
        evidence.reply_dismiss(reply=item, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Reply from %(office)s dismissed.") % {"office": item.request.contact})
    if item.request.commitment_id is not None:
        return redirect(f"{reverse('tracker:commitment-detail', args=[item.request.commitment_id])}#reply-{item.pk}")
    return redirect(_request_page(item.request))
