"""The admin of contacts (an actor's offices), requests to them, and their replies.

Contacts are edited here. Requests are made on the pledge's page or through
the API, so that the email goes out, and replies come through the reply
form: here both are read, a request withdrawn and a reply dismissed, through
tracker.evidence. Accepting a reply needs the status its evidence shows, so
it is done on the pledge's page.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from tracker import evidence
from tracker.admin import ActorAdmin, ChangelistInputMixin, HistoryIdsMixin
from tracker.models import Actor, Contact, EvidenceRequest, Reply

ACCEPT_ON_THE_PLEDGE = _(
    "Accept a reply on its pledge's page, where you choose the status its evidence shows; dismiss it here or there."
)


@admin.register(Contact)
class ContactAdmin(ChangelistInputMixin, HistoryIdsMixin, SimpleHistoryAdmin):
    list_display = ("name", "actor", "email", "role", "language", "is_active")
    list_select_related = ("actor",)
    list_filter = ("is_active", "language")
    search_fields = ("name", "email", "role", "actor__name")
    autocomplete_fields = ("actor",)
    fields = ("actor", "name", "email", "role", "language", "is_active", "created_at")
    readonly_fields = ("created_at",)
    history_list_display = ("email", "is_active")


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ("name", "email", "role", "language", "is_active")
    extra = 0
    show_change_link = True
    verbose_name_plural = _("Contacts (the offices that answer for this actor)")

    def get_queryset(self, request):
        # Each row's label names the actor.
        return super().get_queryset(request).select_related("actor")


class ActorWithContactsAdmin(ActorAdmin):
    inlines = (*ActorAdmin.inlines, ContactInline)


# The actor's page lists its offices; ActorAdmin itself stays free of this module.
admin.site.unregister(Actor)
admin.site.register(Actor, ActorWithContactsAdmin)


class ReplyInline(admin.TabularInline):
    model = Reply
    fields = ("created_at", "state", "short_text", "reviewed_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description=pgettext_lazy("a reply from an office", "reply"))
    def short_text(self, obj):
        return Truncator(obj.text).chars(120)

    def get_queryset(self, request):
        # The change link's label names the request's office.
        return super().get_queryset(request).select_related("request__contact__actor", "reviewed_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EvidenceRequest)
class EvidenceRequestAdmin(ChangelistInputMixin, HistoryIdsMixin, SimpleHistoryAdmin):
    """Read-only: a request is made where its email goes out, and only withdrawn here."""

    list_display = ("created_at", "kind", "state", "contact", "subject", "reminders_sent", "requested_by")
    list_select_related = ("contact__actor", "commitment", "cycle", "requested_by")
    list_filter = ("state", "kind")
    search_fields = ("message", "contact__name", "contact__email", "commitment__title", "cycle__name")
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "state",
        "contact",
        "commitment",
        "cycle",
        "member",
        "message",
        "requested_by",
        "created_at",
        "reminders_sent",
        "answered_at",
        "closed_at",
    )
    readonly_fields = fields
    inlines = (ReplyInline,)
    actions = ("withdraw",)
    history_list_display = ("state", "reminders_sent")

    @admin.display(description=_("pledge or cycle"))
    def subject(self, obj):
        return obj.commitment or obj.cycle

    @admin.action(
        description=_("Withdraw (cancels the unsent emails; the reply link stops working)"), permissions=["withdraw"]
    )
    def withdraw(self, request, queryset):
        withdrawn = []
        for made in queryset.select_related("contact__actor", "commitment", "cycle"):
            try:
                withdrawn.append(evidence.evidence_request_withdraw(request=made, user=request.user))
            except ValidationError as exc:
                self.message_user(
                    request,
                    gettext("“%(request)s” was not withdrawn: %(errors)s")
                    % {"request": made, "errors": " ".join(exc.messages)},
                    messages.ERROR,
                )
        if withdrawn:
            count = len(withdrawn)
            self.message_user(
                request,
                ngettext("%(count)s request withdrawn.", "%(count)s requests withdrawn.", count) % {"count": count},
                messages.SUCCESS,
            )

    def has_withdraw_permission(self, request):
        return request.user.has_perm("tracker.change_evidencerequest")

    def has_add_permission(self, request):
        # Made on the pledge's page or through the API, which send the email.
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Reply)
class ReplyAdmin(ChangelistInputMixin, HistoryIdsMixin, SimpleHistoryAdmin):
    """Read-only: a reply comes through the reply form and is accepted on its pledge's page."""

    list_display = ("created_at", "contact", "about", "state", "short_text", "file_count", "reviewed_by")
    list_select_related = ("request__contact__actor", "request__commitment", "request__cycle", "reviewed_by")
    list_filter = ("state", "request__kind")
    search_fields = ("text", "request__contact__name", "request__contact__email", "request__commitment__title")
    date_hierarchy = "created_at"
    fields = (
        "request",
        "contact",
        "commitment",
        "state",
        "text",
        "link_list",
        "attachments",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "update",
        "review",
    )
    readonly_fields = fields
    actions = ("dismiss",)
    history_list_display = ("state", "reviewed_by")

    @admin.display(description=_("office"))
    def contact(self, obj):
        return obj.request.contact

    @admin.display(description=_("pledge or cycle"))
    def about(self, obj):
        return obj.request.commitment or obj.request.cycle

    @admin.display(description=pgettext_lazy("a reply from an office", "reply"))
    def short_text(self, obj):
        return Truncator(obj.text).chars(80)

    @admin.display(description=_("files"), ordering="file_count")
    def file_count(self, obj):
        return obj.file_count

    @admin.display(description=_("links"))
    def link_list(self, obj):
        # Checked as http(s) addresses when the reply came in; escaped here all the same.
        return format_html_join(
            "",
            '<div><a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a></div>',
            ((link, link) for link in obj.links),
        )

    @admin.display(description=_("files"))
    def attachments(self, obj):
        # Downloaded through the tracker's own view, as an attachment, by logged-in users only.
        return format_html_join(
            "",
            '<div><a href="{}">{}</a> ({}, {})</div>',
            (
                (
                    reverse("tracker:reply-file", args=[upload.pk]),
                    upload.original_name,
                    upload.content_type,
                    filesizeformat(upload.size),
                )
                for upload in obj.files.all()
            ),
        )

    @admin.display(description=_("accepting"))
    def review(self, obj):
        if obj.request.kind != EvidenceRequest.Kind.EVIDENCE:
            return gettext("A reply on draft scores is read beside the scores, on the cycle's page.")
        if obj.state != Reply.State.PENDING:
            return "-"
        return format_html(
            '{} <a href="{}#reply-{}">{}</a>',
            ACCEPT_ON_THE_PLEDGE,
            obj.request.commitment.get_absolute_url(),
            obj.pk,
            gettext("Open the pledge's page"),
        )

    @admin.action(description=_("Dismiss (kept on record, not as evidence)"), permissions=["review"])
    def dismiss(self, request, queryset):
        dismissed = 0
        for reply in queryset.select_related("request__contact__actor"):
            try:
                evidence.reply_dismiss(reply=reply, user=request.user)
                dismissed += 1
            except ValidationError as exc:
                self.message_user(
                    request,
                    gettext("“%(reply)s” was not dismissed: %(errors)s")
                    % {"reply": reply, "errors": " ".join(exc.messages)},
                    messages.ERROR,
                )
        if dismissed:
            self.message_user(
                request,
                ngettext("%(count)s reply dismissed.", "%(count)s replies dismissed.", dismissed)
                % {"count": dismissed},
                messages.SUCCESS,
            )

    def has_review_permission(self, request):
        return request.user.has_perm("tracker.change_reply")

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .select_related(
                "request__contact__actor", "request__commitment", "request__cycle", "commitment", "reviewed_by"
            )
        )
        return queryset.annotate(file_count=Count("files"))

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"subtitle": ACCEPT_ON_THE_PLEDGE, **(extra_context or {})})

    def has_add_permission(self, request):
        # Replies come through the reply form that the request's email links to.
        return False

    def has_change_permission(self, request, obj=None):
        return False
