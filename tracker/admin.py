from datetime import date

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin

from tracker import bulk, continuity, followups, importing, milestones, money, selectors, services
from tracker.forms import add_service_errors
from tracker.models import (
    DATE_RANGE_ERROR,
    EARLIEST_DATE,
    LATEST_DATE,
    Actor,
    Commitment,
    Event,
    FollowUp,
    Milestone,
    MoneyLine,
    NotificationPreference,
    ProgressUpdate,
    Topic,
)

# progress_validate keys its errors by the service's argument names.
UPDATE_ERROR_FIELDS = {"status": "status_after"}


class ChangelistInputMixin:
    """A list page answers 400, not 500, to a hand-made address or form it cannot read.

    Django computes the end of a date-hierarchy year, month or day
    (?made_on__year=9999) outside its own error handling, and filters an
    action's rows by the posted ids as they come.
    """

    def changelist_view(self, request, extra_context=None):
        problem = _date_hierarchy_problem(request.GET, self.date_hierarchy) if self.date_hierarchy else None
        if problem is None and "action" in request.POST:
            selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            if not all(_is_id(self.model, value) for value in selected):
                problem = gettext("The rows chosen for the action are not all ids of rows.")
        if problem:
            return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
        return super().changelist_view(request, extra_context)


def _date_hierarchy_problem(params, field: str) -> str | None:
    parts = {part: params.get(f"{field}__{part}") for part in ("year", "month", "day")}
    if parts["year"] is None:
        return None  # Django ignores a month or a day without a year
    given = "&".join(f"{field}__{part}={value}" for part, value in parts.items() if value is not None)
    try:
        chosen = date(int(parts["year"]), int(parts["month"] or 1), int(parts["day"] or 1))
    except (ValueError, OverflowError):
        return gettext("%(given)s is not a date.") % {"given": given}
    if not EARLIEST_DATE <= chosen <= LATEST_DATE:
        return gettext("%(field)s: %(error)s") % {"field": given, "error": DATE_RANGE_ERROR}
    return None


class HistoryIdsMixin:
    """django-simple-history's pages: a 404, not a 500, for an id that is no id; "Revert" only for those who may change.

    simple_history lets anyone who may view the history post its "Revert"
    form, and asks about the old version (which may predate publishing); the
    record as it is now decides.
    """

    def history_view(self, request, object_id, extra_context=None):
        _id_or_404(self.model, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _id_or_404(self.model, object_id)
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        _id_or_404(history.model, version_id)
        if request.method == "POST":
            current = self.get_object(request, object_id)
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


def _is_id(model, value) -> bool:
    """Whether `value` (from a URL or a form) can be the primary key of a `model` row, in the database's range too."""
    field = model._meta.pk
    try:
        pk = field.to_python(unquote(value))
    except ValidationError:
        return False
    if not isinstance(pk, int):
        return True
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    return (low is None or low <= pk) and (high is None or pk <= high)


def _id_or_404(model, value):
    if not _is_id(model, value):
        raise Http404(gettext("No %(name)s has the id %(id)s.") % {"name": model._meta.verbose_name, "id": repr(value)})


class NamedImportMixin(ImportExportMixin):
    """Import and export in the admin, from and to CSV and XLSX, rows matched by name."""

    formats = [base_formats.CSV, base_formats.XLSX]


@admin.register(Actor)
class ActorAdmin(ChangelistInputMixin, NamedImportMixin, admin.ModelAdmin):
    resource_classes = [importing.ActorResource]
    list_display = ("name", "kind", "country", "role")
    list_filter = ("kind", "country")
    search_fields = ("name", "aliases", "role")


@admin.register(Event)
class EventAdmin(ChangelistInputMixin, NamedImportMixin, admin.ModelAdmin):
    resource_classes = [importing.EventResource]
    list_display = ("name", "location", "country", "starts_on", "ends_on")
    list_filter = ("country",)
    search_fields = ("name", "location")
    date_hierarchy = "starts_on"


@admin.register(Topic)
class TopicAdmin(ChangelistInputMixin, NamedImportMixin, admin.ModelAdmin):
    resource_classes = [importing.TopicResource]
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", _("Overdue")), ("no", _("Not overdue")))

    def queryset(self, request, queryset):
        overdue = Commitment.objects.overdue()
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue.values("pk"))
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue.values("pk"))
        return queryset


class ProgressUpdateForm(forms.ModelForm):
    """An update as an analyst records it; validated by services.progress_validate."""

    # The status the analyst saw: an update recorded by someone else since
    # makes this one a form error instead of silently undoing theirs.
    status_seen = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProgressUpdate
        fields = ("recorded_on", "status_after", "progress", "note", "note_is_internal", "evidence_url")
        widgets = {"note": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Blank progress keeps the pledge's current progress (100 when fulfilled).
        if "progress" in self.fields:  # absent on the view-only page
            self.fields["progress"].required = False
        # "Changed" means changed from what the page showed, not from what
        # the pledge is now: an untouched row must stay untouched.
        for name in ("status_after", "progress"):
            if name in self.fields:
                self.fields[name].show_hidden_initial = True

    def has_changed(self):
        # The internal-note box alone records nothing: it qualifies a note.
        return any(name in self.changed_data for name in self.Meta.fields if name != "note_is_internal")

    def commitment_for_validation(self):
        return self.instance.commitment

    def clean(self):
        cleaned = super().clean()
        if self.errors or not self.instance._state.adding:
            return cleaned
        try:
            cleaned["progress"] = services.progress_validate(
                commitment=self.commitment_for_validation(),
                status=cleaned.get("status_after"),
                progress=cleaned.get("progress"),
                evidence_url=cleaned.get("evidence_url") or "",
                recorded_on=cleaned.get("recorded_on"),
                expected_status=cleaned.get("status_seen") or None,
            )
        except ValidationError as exc:
            add_service_errors(self, exc, renamed=UPDATE_ERROR_FIELDS)
        return cleaned

    def record(self, *, commitment, author):
        data = self.cleaned_data
        return services.progress_record(
            commitment=commitment,
            author=author,
            status=data["status_after"],
            progress=data["progress"],
            note=data.get("note") or "",
            note_is_internal=data.get("note_is_internal", True),
            evidence_url=data.get("evidence_url") or "",
            recorded_on=data.get("recorded_on"),
            expected_status=data.get("status_seen") or None,
        )


class ProgressUpdateFormSet(BaseInlineFormSet):
    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and instance.pk:
            # The blank row starts from where the pledge stands, so an
            # untouched row is "unchanged" and records nothing.
            kwargs.setdefault(
                "initial",
                [
                    {
                        "status_after": instance.status,
                        "status_seen": instance.status,
                        "progress": instance.progress,
                        "recorded_on": timezone.localdate(),
                    }
                ],
            )
        super().__init__(*args, instance=instance, **kwargs)


class ProgressUpdateInline(admin.TabularInline):
    model = ProgressUpdate
    form = ProgressUpdateForm
    formset = ProgressUpdateFormSet
    fields = (
        "recorded_on",
        "status_before",
        "status_after",
        "progress",
        "note",
        "note_is_internal",
        "evidence_url",
        "author",
    )
    readonly_fields = ("status_before", "author")
    extra = 1
    can_delete = False
    verbose_name = _("progress update")
    verbose_name_plural = _("Timeline (record an update in the blank row)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_change_permission(self, request, obj=None):
        # The timeline is append-only: past updates are shown, never edited.
        return False

    def get_max_num(self, request, obj=None, **kwargs):
        # One blank row: updates are recorded one at a time, each against
        # the status the analyst saw.
        return obj.updates.count() + 1 if obj else 0


def followup_addressee(followup):
    """A user, or for a request to an office its contact."""
    return followup.recipient or followup.contact


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    fields = ("kind", "to", "due_on", "state", "attempts", "sent_at", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("Follow-ups (reminder emails)")

    @admin.display(description=pgettext_lazy("addressee of a follow-up", "to"))
    def to(self, obj):
        return followup_addressee(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recipient", "contact__actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PledgePartForm(forms.ModelForm):
    """A money line or a milestone as an analyst enters it, checked by its service's `validate` before saving."""

    pledge = None  # the inline's pledge, as the page is about to save it (PledgePartFormSet)
    fields_checked = ()
    validate = None  # money.money_line_validate or milestones.milestone_validate

    def part_commitment(self):
        """The pledge the row is part of: the inline's pledge."""
        return self.pledge

    def clean(self):
        cleaned = super().clean()
        commitment = self.part_commitment()
        if self.errors or commitment is None or cleaned.get("DELETE"):
            return cleaned
        try:
            type(self).validate(commitment=commitment, data={name: cleaned.get(name) for name in self.fields_checked})
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned


class PledgePartFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # The pledge as the page is about to save it: a line or a step may not predate its made_on.
        form.pledge = self.instance
        return form


class MoneyLineForm(PledgePartForm):
    fields_checked = money.LINE_FIELDS
    validate = money.money_line_validate

    class Meta:
        model = MoneyLine
        fields = money.LINE_FIELDS
        widgets = {"note": forms.Textarea(attrs={"rows": 2, "cols": 30})}

    def clean_currency(self):
        # Codes are kept in capitals; "usd" is what was meant.
        return (self.cleaned_data.get("currency") or "").strip().upper()


class MoneyLineInline(admin.TabularInline):
    model = MoneyLine
    form = MoneyLineForm
    formset = PledgePartFormSet
    fields = (*money.LINE_FIELDS, "created_by")
    readonly_fields = ("created_by",)
    extra = 1
    verbose_name_plural = _("Money committed and disbursed (never converted: each line in its own currency)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    def has_delete_permission(self, request, obj=None):
        # Deleting a line corrects an entry: Analysts, who may change lines, may.
        return self.has_change_permission(request, obj)


class MilestoneForm(PledgePartForm):
    fields_checked = milestones.FIELDS
    validate = milestones.milestone_validate

    class Meta:
        model = Milestone
        fields = milestones.FIELDS


class MilestoneInline(admin.TabularInline):
    model = Milestone
    form = MilestoneForm
    formset = PledgePartFormSet
    fields = (*milestones.FIELDS, "overdue", "created_by")
    readonly_fields = ("overdue", "created_by")
    extra = 1
    verbose_name_plural = _("Milestones (mark one done by giving the day it was done)")

    @admin.display(description=_("overdue"))
    def overdue(self, obj):
        # The blank row has no due date yet.
        return gettext("Overdue") if obj.pk is not None and obj.is_overdue else ""

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    def has_delete_permission(self, request, obj=None):
        # As for money lines: deleting a step corrects an entry, which Analysts, who may change steps, may.
        return self.has_change_permission(request, obj)


class CommitmentActionForm(ActionForm):
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        label=_("Owner"),
        help_text=_("For “Assign owner”."),
    )
    # Checked by PostponeForm in the action itself: a bad value here would
    # make the admin drop the action with a vague "No action selected".
    days = forms.CharField(
        required=False, label=_("Days"), widget=forms.NumberInput(attrs={"min": 1, "style": "width: 5em"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offered: the people who may own a pledge. Accepted: any active user,
        # for the same reason as `days`; commitments_assign_owner then names
        # the one it refuses.
        may_own = selectors.users_who_may_view_pledges().order_by("username")
        self.fields["owner"].widget.choices = [("", "---------"), *((user.pk, str(user)) for user in may_own)]


class CommitmentAdminForm(forms.ModelForm):
    """Owners and watchers are offered among the people who may view pledges.

    Those the pledge names already are kept, even once they have lost access,
    so that the rest of the pledge stays editable; the owner field says so.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        may_view = selectors.users_who_may_view_pledges().values("pk")
        users = get_user_model().objects.order_by("username")
        if "owner" in self.fields:
            self.fields["owner"].queryset = users.filter(Q(pk__in=may_view) | Q(pk=self.instance.owner_id))
            owner = self.instance.owner if self.instance.owner_id else None
            if owner is not None and not selectors.users_who_may_view_pledges().filter(pk=owner.pk).exists():
                self.fields["owner"].help_text = gettext(
                    "%(user)s can no longer view pledges and gets no reminders: choose an owner who can."
                ) % {"user": owner.get_username()}
        if "watchers" in self.fields:
            watching = self.instance.watchers.values("pk") if self.instance.pk else []
            self.fields["watchers"].queryset = users.filter(Q(pk__in=may_view) | Q(pk__in=watching))

    def clean_pledged_currency(self):
        # Codes are kept in capitals; "usd" is what was meant.
        return (self.cleaned_data.get("pledged_currency") or "").strip().upper()

    def _post_clean(self):
        super()._post_clean()
        # The service's rules on which pledge this one may renew, and on a day that moved past what happened
        # under it, shown next to the fields.
        if "renews" in self.fields and not self.has_error("renews"):
            try:
                continuity.renews_validate(self.instance, self.instance.renews)
            except ValidationError as exc:
                add_service_errors(self, exc)
        if self.instance.pk and "made_on" in self.changed_data and not self.has_error("made_on"):
            try:
                services.commitment_entries_validate(self.instance)
            except ValidationError as exc:
                add_service_errors(self, exc)


class PeopleWhoMayViewPledgesMixin:
    """The autocomplete of a pledge's owner and watchers: only people who may view pledges."""

    url_name = "%s:tracker_commitment_people_autocomplete"


class OwnerSelect(PeopleWhoMayViewPledgesMixin, AutocompleteSelect):
    pass


class WatchersSelect(PeopleWhoMayViewPledgesMixin, AutocompleteSelectMultiple):
    pass


class PeopleAutocompleteView(AutocompleteJsonView):
    def process_request(self, request):
        term, model_admin, source_field, to_field_name = super().process_request(request)
        if source_field.model is not Commitment or source_field.name not in ("owner", "watchers"):
            raise PermissionDenied
        return term, model_admin, source_field, to_field_name

    def get_queryset(self):
        return super().get_queryset().filter(pk__in=selectors.users_who_may_view_pledges().values("pk"))


class PostponeForm(forms.Form):
    days = forms.IntegerField(
        min_value=1,
        max_value=services.MAX_POSTPONE_DAYS,
        error_messages={"required": _("Enter the number of days in the “Days” box.")},
    )


# A change to these may make the pledge read like earlier ones.
SIMILARITY_FIELDS = {"title", "quote", "made_by", "made_on"}


@admin.register(Commitment)
class CommitmentAdmin(ChangelistInputMixin, HistoryIdsMixin, SimpleHistoryAdmin):
    # Pledges are imported on the analysts' import page, with its preview and
    # the services' rules; the list links to it.
    change_list_template = "admin/tracker/commitment/change_list.html"
    # The event is a filter, not a column, and progress shares the status
    # column: nine columns do not fit beside the navigation and filter
    # sidebars at 1,366 px.
    list_display = (
        "title",
        "made_by",
        "status_and_progress",
        "next_check_on",
        "due_on",
        "owner",
        "overdue",
    )
    list_select_related = ("made_by", "event", "owner")
    list_filter = (
        "status",
        "kind",
        "event",
        ("made_by__country", admin.AllValuesFieldListFilter),
        "owner",
        "topics",
        OverdueFilter,
        "is_public",
    )
    search_fields = ("title", "description", "quote")
    date_hierarchy = "made_on"
    autocomplete_fields = ("made_by", "counterparts", "members", "event", "owner", "watchers", "renews")
    filter_horizontal = ("topics",)
    readonly_fields = ("status", "progress", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "kind", "made_by", "counterparts", "members", "event", "made_on", "topics")}),
        (_("Words and source"), {"fields": ("quote", "description", "source_url", "source_title")}),
        (_("Public site"), {"fields": ("is_public",)}),
        (_("Money and continuity"), {"fields": ("pledged_amount", "pledged_currency", "renews")}),
        (
            _("Follow-up"),
            {"fields": ("status", "progress", "due_on", "check_every_days", "next_check_on", "owner", "watchers")},
        ),
        (
            pgettext_lazy("when a pledge was created and updated", "Record"),
            {"fields": ("created_at", "updated_at"), "classes": ("collapse",)},
        ),
    )
    form = CommitmentAdminForm
    action_form = CommitmentActionForm
    actions = ("assign_owner", "postpone_next_check", "publish", "unpublish")
    history_list_display = ("status", "progress", "next_check_on", "owner")

    @admin.display(description=_("status, progress"), ordering="status")
    def status_and_progress(self, obj):
        return gettext("%(status)s, %(progress)s%%") % {"status": obj.get_status_display(), "progress": obj.progress}

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue

    def get_queryset(self, request):
        # `overdue` counts overdue milestones: annotated, so that the list is not a query per pledge.
        return selectors.with_milestone_overdue(super().get_queryset(request))

    def get_urls(self):
        view = PeopleAutocompleteView.as_view(admin_site=self.admin_site)
        people = path(
            "people-autocomplete/", self.admin_site.admin_view(view), name="tracker_commitment_people_autocomplete"
        )
        return [people, *super().get_urls()]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["widget"] = OwnerSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "watchers":
            kwargs["widget"] = WatchersSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_inlines(self, request, obj):
        # Updates, money lines and milestones need an existing pledge: the add page records the pledge only.
        return (ProgressUpdateInline, MoneyLineInline, MilestoneInline, FollowUpInline) if obj else ()

    def get_changeform_initial_data(self, request):
        return {
            "owner": request.user.pk,
            "made_on": timezone.localdate(),
            **super().get_changeform_initial_data(request),
        }

    def save_model(self, request, obj, form, change):
        fields = services.COMMITMENT_FIELDS + services.COMMITMENT_M2M_FIELDS
        # On change, only what the analyst changed: the rest may have moved
        # since the page was loaded (an update sets the next check).
        names = form.changed_data if change else form.cleaned_data
        data = {name: form.cleaned_data[name] for name in names if name in fields}
        if change:
            services.commitment_update(commitment=obj, user=request.user, data=data)
        else:
            created = services.commitment_create(user=request.user, data=data)
            obj.pk = created.pk
            obj.refresh_from_db()
        if obj.renews_id is None and (not change or set(form.changed_data) & SIMILARITY_FIELDS):
            self._suggest_renewed(request, obj)

    def _suggest_renewed(self, request, obj):
        """The maker's earlier pledges that read alike, linked, so that a renewal gets linked or a duplicate seen."""
        suggestions = continuity.similar_earlier_pledges(
            made_by=obj.made_by_id, title=obj.title, quote=obj.quote, made_on=obj.made_on, exclude=obj
        )
        if not suggestions:
            return
        links = format_html_join(
            "; ",
            '<a href="{}">{}</a> ({})',
            (
                (
                    reverse("admin:tracker_commitment_change", args=[found.commitment.pk]),
                    found.commitment.title,
                    gettext("%(where_and_when)s, %(similarity)s%% alike")
                    % {
                        "where_and_when": ", ".join(
                            str(part)
                            for part in (found.commitment.event, date_format(found.commitment.made_on))
                            if part
                        ),
                        "similarity": round(found.similarity * 100),
                    },
                )
                for found in suggestions
            ),
        )
        # As Django's admin writes its own messages: format_html escapes the values, not the translated text.
        self.message_user(
            request,
            format_html(
                gettext("Earlier pledges of {maker} read alike: {links}. If it renews one of these, set Renews."),
                maker=obj.made_by,
                links=links,
            ),
            messages.INFO,
        )

    def save_related(self, request, form, formsets, change):
        # The service has saved the many-to-many fields already.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is MoneyLine:
            return self._save_money_lines(request, form.instance, formset)
        if formset.model is Milestone:
            return self._save_milestones(request, form.instance, formset)
        if formset.model is not ProgressUpdate:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for update_form in formset.extra_forms:
            if not update_form.has_changed():
                continue
            try:
                formset.new_objects.append(update_form.record(commitment=form.instance, author=request.user))
            except ValidationError as exc:
                # Another analyst's update landed between validation and save.
                self.message_user(
                    request,
                    gettext("The update was not recorded: %(errors)s") % {"errors": " ".join(exc.messages)},
                    messages.ERROR,
                )

    def _save_money_lines(self, request, commitment, formset):
        # The rows were checked by MoneyLineForm.clean; saving goes through the same service.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = formset.deleted_forms if formset.can_delete else []
        try:
            for row in deleted:
                if row.instance.pk is not None:
                    money.money_line_delete(line=row.instance, user=request.user)
                    formset.deleted_objects.append(row.instance)
            for row in formset.initial_forms:
                changed = [name for name in row.changed_data if name in money.LINE_FIELDS]
                if row in deleted or not changed:
                    continue
                row.instance.commitment = commitment
                data = {name: row.cleaned_data[name] for name in changed}
                money.money_line_update(line=row.instance, user=request.user, data=data)
                formset.changed_objects.append((row.instance, changed))
            for row in formset.extra_forms:
                if row in deleted or not row.has_changed():
                    continue
                data = {name: row.cleaned_data[name] for name in money.LINE_FIELDS}
                formset.new_objects.append(money.money_line_add(commitment=commitment, user=request.user, data=data))
        except ValidationError as exc:
            self.message_user(
                request,
                gettext("The money lines were not all saved: %(errors)s") % {"errors": " ".join(exc.messages)},
                messages.ERROR,
            )

    def _save_milestones(self, request, commitment, formset):
        # The rows were checked by MilestoneForm.clean; saving goes through the same service.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = formset.deleted_forms if formset.can_delete else []
        try:
            for row in deleted:
                if row.instance.pk is not None:
                    milestones.milestone_delete(milestone=row.instance, user=request.user)
                    formset.deleted_objects.append(row.instance)
            for row in formset.initial_forms:
                changed = [name for name in row.changed_data if name in milestones.FIELDS]
                if row in deleted or not changed:
                    continue
                row.instance.commitment = commitment
                data = {name: row.cleaned_data[name] for name in changed}
                milestones.milestone_update(milestone=row.instance, user=request.user, data=data)
                formset.changed_objects.append((row.instance, changed))
            for row in formset.extra_forms:
                if row in deleted or not row.has_changed():
                    continue
                data = {name: row.cleaned_data[name] for name in milestones.FIELDS}
                formset.new_objects.append(
                    milestones.milestone_add(commitment=commitment, user=request.user, data=data)
                )
        except ValidationError as exc:
            self.message_user(
                request,
                gettext("The milestones were not all saved: %(errors)s") % {"errors": " ".join(exc.messages)},
                messages.ERROR,
            )

    @admin.action(description=_("Assign owner to selected pledges"), permissions=["change"])
    def assign_owner(self, request, queryset):
        form = CommitmentActionForm(request.POST)
        form.fields["action"].choices = self.get_action_choices(request)
        if not form.is_valid() or not form.cleaned_data.get("owner"):
            self.message_user(request, gettext("Choose the owner to assign in the “Owner” box."), messages.ERROR)
            return
        owner = form.cleaned_data["owner"]
        try:
            changed = services.commitments_assign_owner(commitments=queryset, owner=owner, user=request.user)
        except ValidationError as exc:
            self.message_user(
                request, gettext("Owner not assigned: %(errors)s") % {"errors": " ".join(exc.messages)}, messages.ERROR
            )
            return
        text = ngettext(
            "%(owner)s now owns %(count)s more pledge.", "%(owner)s now owns %(count)s more pledges.", changed
        ) % {"owner": owner, "count": changed}
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(description=_("Postpone next check of selected pledges by N days"), permissions=["change"])
    def postpone_next_check(self, request, queryset):
        form = PostponeForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request,
                gettext("Nothing postponed: %(errors)s") % {"errors": " ".join(form.errors["days"])},
                messages.ERROR,
            )
            return
        try:
            moved = services.commitments_postpone(
                commitments=queryset, days=form.cleaned_data["days"], user=request.user
            )
        except ValidationError as exc:
            self.message_user(
                request, gettext("Nothing postponed: %(errors)s") % {"errors": " ".join(exc.messages)}, messages.ERROR
            )
            return
        skipped = queryset.count() - moved
        days = form.cleaned_data["days"]
        text = ngettext(
            "Postponed the next check of %(count)s pledge by %(days)s.",
            "Postponed the next check of %(count)s pledges by %(days)s.",
            moved,
        ) % {"count": moved, "days": ngettext("%(count)s day", "%(count)s days", days) % {"count": days}}
        if skipped:
            left_alone = ngettext(
                "%(count)s closed pledge has no next check and was left alone.",
                "%(count)s closed pledges have no next check and were left alone.",
                skipped,
            ) % {"count": skipped}
            text = f"{text} {left_alone}"
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(description=_("Publish selected pledges on the public site"), permissions=["change"])
    def publish(self, request, queryset):
        changed = bulk.commitments_set_public(commitments=queryset, public=True, user=request.user)
        text = ngettext(
            "%(count)s pledge published on the public site.",
            "%(count)s pledges published on the public site.",
            changed,
        ) % {"count": changed}
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(description=_("Withdraw selected pledges from the public site"), permissions=["change"])
    def unpublish(self, request, queryset):
        changed = bulk.commitments_set_public(commitments=queryset, public=False, user=request.user)
        text = ngettext(
            "%(count)s pledge withdrawn from the public site.",
            "%(count)s pledges withdrawn from the public site.",
            changed,
        ) % {"count": changed}
        self.message_user(request, text, messages.SUCCESS)


class ProgressUpdateAdminForm(ProgressUpdateForm):
    class Meta(ProgressUpdateForm.Meta):
        fields = ("commitment", *ProgressUpdateForm.Meta.fields)

    def commitment_for_validation(self):
        return self.cleaned_data.get("commitment")

    def clean(self):
        if not self.cleaned_data.get("commitment"):
            return self.cleaned_data
        return super().clean()


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(ChangelistInputMixin, admin.ModelAdmin):
    form = ProgressUpdateAdminForm
    list_display = ("commitment", "recorded_on", "status_before", "status_after", "progress", "author", "created_at")
    list_select_related = ("commitment", "author")
    list_filter = ("status_after", "recorded_on")
    search_fields = ("commitment__title", "note")
    date_hierarchy = "recorded_on"
    autocomplete_fields = ("commitment",)
    readonly_fields = ("status_before", "author", "created_at")

    def has_change_permission(self, request, obj=None):
        # The timeline is append-only; corrections are new updates.
        return False

    def save_model(self, request, obj, form, change):
        try:
            update = form.record(commitment=form.cleaned_data["commitment"], author=request.user)
        except ValidationError as exc:
            # Another analyst's update landed between validation and save.
            self.message_user(
                request,
                gettext("The update was not recorded: %(errors)s") % {"errors": " ".join(exc.messages)},
                messages.ERROR,
            )
            return
        obj.pk = update.pk
        obj.refresh_from_db()

    def log_addition(self, request, obj, message):
        if obj.pk is not None:
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return HttpResponseRedirect(reverse("admin:tracker_progressupdate_changelist"))
        return super().response_add(request, obj, post_url_continue)


@admin.register(FollowUp)
class FollowUpAdmin(ChangelistInputMixin, admin.ModelAdmin):
    list_display = ("dedupe_key", "kind", "to", "commitment", "due_on", "state", "attempts", "sent_at", "error")
    list_select_related = ("recipient", "contact__actor", "commitment")
    list_filter = ("state", "kind", "due_on", "sent_at")
    search_fields = (
        "dedupe_key",
        "recipient__username",
        "recipient__email",
        "contact__email",
        "contact__name",
        "commitment__title",
    )
    date_hierarchy = "due_on"
    readonly_fields = [field.name for field in FollowUp._meta.fields]
    actions = ["retry"]

    @admin.display(description=_("last error"))
    def error(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.display(description=pgettext_lazy("addressee of a follow-up", "to"))
    def to(self, obj):
        return followup_addressee(obj)

    @admin.action(description=_("Retry the selected failed follow-ups"), permissions=["retry"])
    def retry(self, request, queryset):
        count = followups.followups_retry(followups=queryset)
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext(
                "%(count)s follow-up queued again; the next sweep sends it.",
                "%(count)s follow-ups queued again; the next sweep sends them.",
                count,
            )
            % {"count": count},
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)s follow-up not retried: only failed follow-ups can be retried.",
                    "%(count)s follow-ups not retried: only failed follow-ups can be retried.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    def has_retry_permission(self, request):
        # Retrying is an operator's decision about the outbox: superusers only,
        # since follow-ups are otherwise written by the services alone.
        return request.user.is_superuser

    def has_add_permission(self, request):
        # Reminders are written by the services that make them due.
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ChangelistInputMixin, admin.ModelAdmin):
    list_display = ("user", "reminders_enabled", "digest_enabled", "time_zone")
    list_select_related = ("user",)
    list_filter = ("reminders_enabled", "digest_enabled")
    search_fields = ("user__username", "user__email")
    autocomplete_fields = ("user",)

    # The calendar token alone opens its owner's feed, anonymously: only the
    # owner and superusers may see it, read-only.
    def _shows_calendar_token(self, request, obj):
        return request.user.is_superuser or (obj is not None and obj.user_id == request.user.pk)

    def get_readonly_fields(self, request, obj=None):
        return ("calendar_token",) if self._shows_calendar_token(request, obj) else ()

    def get_exclude(self, request, obj=None):
        return () if self._shows_calendar_token(request, obj) else ("calendar_token",)

    def lookup_allowed(self, lookup, value, request=None):
        # A ?calendar_token__startswith= filter would reveal it a character at a time.
        if lookup.startswith("calendar_token") and not (request and request.user.is_superuser):
            return False
        return super().lookup_allowed(lookup, value, request)


class ChosenPledgeMixin:
    """For a money line's or a milestone's own admin page, where the pledge is a field rather than the inline's."""

    def part_commitment(self):
        # Chosen on the add page, fixed on the change page.
        if "commitment" in self.fields:
            return self.cleaned_data.get("commitment")
        return self.instance.commitment


class MoneyLineAdminForm(ChosenPledgeMixin, MoneyLineForm):
    class Meta(MoneyLineForm.Meta):
        fields = ("commitment", *money.LINE_FIELDS)


@admin.register(MoneyLine)
class MoneyLineAdmin(ChangelistInputMixin, HistoryIdsMixin, SimpleHistoryAdmin):
    form = MoneyLineAdminForm
    list_display = ("commitment", "kind", "amount", "currency", "on", "created_by")
    list_select_related = ("commitment", "created_by")
    list_filter = ("kind", "currency")
    search_fields = ("commitment__title", "note")
    date_hierarchy = "on"
    autocomplete_fields = ("commitment",)
    readonly_fields = ("created_by", "created_at")
    history_list_display = ("kind", "amount", "currency", "on")

    def get_readonly_fields(self, request, obj=None):
        # A line stays under its pledge: one entered under the wrong pledge is deleted and entered again.
        return (*self.readonly_fields, "commitment") if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # Deleting a line corrects an entry: Analysts, who may change lines, may.
        return self.has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in money.LINE_FIELDS}
            money.money_line_update(line=obj, user=request.user, data=data)
        else:
            data = {name: form.cleaned_data[name] for name in money.LINE_FIELDS}
            created = money.money_line_add(commitment=form.cleaned_data["commitment"], user=request.user, data=data)
            obj.pk = created.pk
            obj.refresh_from_db()

    def delete_model(self, request, obj):
        money.money_line_delete(line=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for line in queryset:
            money.money_line_delete(line=line, user=request.user)


class MilestoneStateFilter(admin.SimpleListFilter):
    title = pgettext_lazy("state of a milestone", "state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (
            ("done", pgettext_lazy("milestone", "Done")),
            ("overdue", _("Overdue")),
            ("upcoming", _("Not done, not yet due")),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "done":
            return queryset.filter(done_on__isnull=False)
        if self.value() == "overdue":
            return queryset.overdue(today)
        if self.value() == "upcoming":
            return queryset.filter(done_on__isnull=True, due_on__gte=today)
        return queryset


class MilestoneAdminForm(ChosenPledgeMixin, MilestoneForm):
    class Meta(MilestoneForm.Meta):
        fields = ("commitment", *milestones.FIELDS)


@admin.register(Milestone)
class MilestoneAdmin(ChangelistInputMixin, HistoryIdsMixin, SimpleHistoryAdmin):
    form = MilestoneAdminForm
    list_display = ("title", "pledge", "due_on", "weight", "done_on", "overdue")
    list_select_related = ("commitment",)
    list_filter = (MilestoneStateFilter,)
    search_fields = ("title", "commitment__title")
    date_hierarchy = "due_on"
    autocomplete_fields = ("commitment",)
    readonly_fields = ("created_by", "created_at")
    history_list_display = ("title", "due_on", "weight", "done_on")

    @admin.display(description=_("pledge"), ordering="commitment__title")
    def pledge(self, obj):
        return obj.commitment

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue

    def get_readonly_fields(self, request, obj=None):
        # A step stays under its pledge: one entered under the wrong pledge is deleted and entered again.
        return (*self.readonly_fields, "commitment") if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # As for money lines: deleting a step corrects an entry, which Analysts, who may change steps, may.
        return self.has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in milestones.FIELDS}
            milestones.milestone_update(milestone=obj, user=request.user, data=data)
        else:
            data = {name: form.cleaned_data[name] for name in milestones.FIELDS}
            created = milestones.milestone_add(commitment=form.cleaned_data["commitment"], user=request.user, data=data)
            obj.pk = created.pk
            obj.refresh_from_db()

    def delete_model(self, request, obj):
        milestones.milestone_delete(milestone=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for milestone in queryset:
            milestones.milestone_delete(milestone=milestone, user=request.user)


# Registers the assessment and evidence admins, which build on the mixins above.
from tracker import admin_assessments, admin_evidence  # noqa: E402, F401
