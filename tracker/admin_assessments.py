"""The admin of assessment cycles, their pledges and criteria, scores and revisions.

Every write goes through tracker.assessments. A published cycle is frozen:
its page, pledges and scores are read-only here for everyone; corrections
are revisions with a reason, made on the cycle's own pages.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from tracker import assessments
from tracker.admin import ChangelistInputMixin, HistoryIdsMixin
from tracker.forms import add_service_errors
from tracker.models import AssessmentCycle, ComplianceScore, CycleCommitment, ScoreRevision

CRITERIA_WIDGET = forms.Textarea(attrs={"rows": 3, "cols": 32})


class AssessmentCycleForm(forms.ModelForm):
    class Meta:
        model = AssessmentCycle
        fields = ("name", "kind", "event", "period_start", "period_end", "previous")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "previous" in self.fields:
            interims = AssessmentCycle.objects.filter(kind=AssessmentCycle.Kind.INTERIM).order_by("name")
            if self.instance.pk:
                interims = interims.exclude(pk=self.instance.pk)
            self.fields["previous"].queryset = interims

    def _post_clean(self):
        super()._post_clean()
        # The service's own rule on which cycle may follow which, shown next to the field.
        try:
            assessments.cycle_validate_previous(self.instance)
        except ValidationError as exc:
            add_service_errors(self, exc)


class PledgeCriteriaForm(forms.ModelForm):
    class Meta:
        model = CycleCommitment
        fields = ("commitment", *assessments.CRITERIA_FIELDS)
        widgets = dict.fromkeys(assessments.CRITERIA_FIELDS, CRITERIA_WIDGET)


class FrozenWhenPublishedInline:
    """Nothing in a published cycle's pledges can be added, changed or removed."""

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and obj.is_published)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)


class CyclePledgesInline(FrozenWhenPublishedInline, admin.TabularInline):
    """The cycle's pledges: criteria edited in place, a pledge removed with its scores."""

    model = CycleCommitment
    form = PledgeCriteriaForm
    fields = ("position", "commitment", *assessments.CRITERIA_FIELDS)
    # The pledge of a row is fixed (remove it and add another); shown as text,
    # it costs no query per row, where a select would.
    readonly_fields = ("position", "commitment")
    extra = 0
    verbose_name = _("pledge")
    verbose_name_plural = _("Pledges and their criteria")

    def get_queryset(self, request):
        # The row's label, "<pledge> in <cycle>", reads both.
        return super().get_queryset(request).select_related("commitment", "cycle")

    def has_add_permission(self, request, obj=None):
        return False  # AddPledgesInline adds them

    def has_delete_permission(self, request, obj=None):
        # Taking a pledge out of a cycle is editing the cycle, not deleting a
        # record: Analysts may, until it is published.
        return self.has_change_permission(request, obj)


class AddPledgesFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if self.instance.pk is None:
            return
        present = set(self.instance.cycle_commitments.values_list("commitment_id", flat=True))
        for row in self.forms:
            commitment = row.cleaned_data.get("commitment") if row.has_changed() else None
            if commitment is not None and commitment.pk in present:
                row.add_error(
                    "commitment",
                    gettext("“%(pledge)s” is one of this cycle's pledges already.") % {"pledge": commitment},
                )


class AddPledgesInline(FrozenWhenPublishedInline, admin.TabularInline):
    model = CycleCommitment
    form = PledgeCriteriaForm
    formset = AddPledgesFormSet
    fields = ("commitment", *assessments.CRITERIA_FIELDS)
    autocomplete_fields = ("commitment",)
    extra = 3
    can_delete = False
    verbose_name = _("pledge to add")
    verbose_name_plural = _("Add pledges (added after those above, in this order)")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(AssessmentCycle)
class AssessmentCycleAdmin(ChangelistInputMixin, HistoryIdsMixin, SimpleHistoryAdmin):
    form = AssessmentCycleForm
    list_display = ("name", "kind", "state", "period", "event", "published_at")
    list_select_related = ("event",)
    list_filter = ("state", "kind", "event")
    search_fields = ("name",)
    autocomplete_fields = ("event",)
    readonly_fields = ("state", "published_at", "created_by", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "kind", "event", "period_start", "period_end", "previous")}),
        (
            pgettext_lazy("state of an assessment cycle", "State"),
            {"fields": ("state", "published_at", "created_by", "created_at")},
        ),
    )
    actions = ("move_to_review", "back_to_draft", "publish")
    history_list_display = ("state", "published_at")

    @admin.display(description=_("period"), ordering="period_end")
    def period(self, obj):
        return gettext("%(start)s to %(end)s") % {
            "start": date_format(obj.period_start),
            "end": date_format(obj.period_end),
        }

    def get_inlines(self, request, obj):
        if obj is None:
            return (AddPledgesInline,)
        return (CyclePledgesInline,) if obj.is_published else (CyclePledgesInline, AddPledgesInline)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_published)

    def save_model(self, request, obj, form, change):
        names = form.changed_data if change else form.cleaned_data
        data = {name: form.cleaned_data[name] for name in names if name in assessments.CYCLE_FIELDS}
        if change:
            if data:
                assessments.cycle_update(cycle=obj, user=request.user, data=data)
        else:
            obj.pk = assessments.cycle_create(user=request.user, data=data).pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        cycle = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        try:
            self._save_pledges(request, cycle, formset)
        except ValidationError as exc:
            # Published by someone else between loading the page and saving it.
            self.message_user(
                request,
                gettext("The pledges were not saved: %(errors)s") % {"errors": " ".join(exc.messages)},
                messages.ERROR,
            )

    def _save_pledges(self, request, cycle, formset):
        deleted = formset.deleted_forms if formset.can_delete else []
        for row in deleted:
            assessments.cycle_remove_commitment(cycle=cycle, commitment=row.instance.commitment, user=request.user)
            formset.deleted_objects.append(row.instance)
        for row in formset.initial_forms:
            changed = [name for name in row.changed_data if name in assessments.CRITERIA_FIELDS]
            if row in deleted or not changed:
                continue
            data = {name: row.cleaned_data[name] for name in changed}
            assessments.criteria_set(entry=row.instance, user=request.user, data=data)
            formset.changed_objects.append((row.instance, changed))
        new_rows = [row for row in formset.extra_forms if row.has_changed() and row.cleaned_data.get("commitment")]
        if not new_rows:
            return
        assessments.cycle_add_commitments(
            cycle=cycle, commitments=[row.cleaned_data["commitment"] for row in new_rows], user=request.user
        )
        entries = {
            entry.commitment_id: entry
            for entry in cycle.cycle_commitments.select_related("cycle", "commitment").filter(
                commitment__in=[row.cleaned_data["commitment"] for row in new_rows]
            )
        }
        for row in new_rows:
            entry = entries[row.cleaned_data["commitment"].pk]
            data = {name: row.cleaned_data[name] for name in assessments.CRITERIA_FIELDS if row.cleaned_data[name]}
            if data:
                assessments.criteria_set(entry=entry, user=request.user, data=data)
            formset.new_objects.append(entry)

    @admin.action(description=_("Move to review"), permissions=["change"])
    def move_to_review(self, request, queryset):
        for cycle in self._move(request, queryset, AssessmentCycle.State.REVIEW):
            self.message_user(
                request,
                gettext("“%(cycle)s” is in review. %(missing)s") % {"cycle": cycle, "missing": _missing_summary(cycle)},
                messages.SUCCESS,
            )

    @admin.action(description=_("Back to draft"), permissions=["change"])
    def back_to_draft(self, request, queryset):
        moved = self._move(request, queryset, AssessmentCycle.State.DRAFT)
        if moved:
            self.message_user(
                request, gettext("Back to draft: %(cycles)s.") % {"cycles": _names(moved)}, messages.SUCCESS
            )

    @admin.action(description=_("Publish (freezes the cycle)"), permissions=["change"])
    def publish(self, request, queryset):
        moved = self._move(request, queryset, AssessmentCycle.State.PUBLISHED)
        if moved:
            self.message_user(
                request, gettext("Published and frozen: %(cycles)s.") % {"cycles": _names(moved)}, messages.SUCCESS
            )

    def _move(self, request, queryset, state) -> list:
        moved = []
        for cycle in queryset:
            try:
                moved.append(assessments.cycle_move(cycle=cycle, state=state, user=request.user))
            except ValidationError as exc:
                self.message_user(
                    request,
                    gettext("“%(cycle)s” was not moved: %(errors)s")
                    % {"cycle": cycle, "errors": " ".join(exc.messages)},
                    messages.ERROR,
                )
        return moved


def _names(cycles) -> str:
    return ", ".join(f"“{cycle}”" for cycle in cycles)


def _missing_summary(cycle) -> str:
    missing = assessments.cycle_missing(cycle)
    if missing["complete"]:
        return gettext("Every cell is assessed with a rationale, and every pledge has its criteria.")
    counts = {key: len(missing[key]) for key in ("not_assessed", "no_rationale", "no_criteria")}
    parts = []
    if counts["not_assessed"]:
        parts.append(
            ngettext("%(count)s cell not assessed", "%(count)s cells not assessed", counts["not_assessed"])
            % {"count": counts["not_assessed"]}
        )
    if counts["no_rationale"]:
        parts.append(
            ngettext(
                "%(count)s score without a rationale", "%(count)s scores without a rationale", counts["no_rationale"]
            )
            % {"count": counts["no_rationale"]}
        )
    if counts["no_criteria"]:
        parts.append(
            ngettext(
                "%(count)s pledge without all three criteria",
                "%(count)s pledges without all three criteria",
                counts["no_criteria"],
            )
            % {"count": counts["no_criteria"]}
        )
    return gettext("Missing: %(items)s.") % {"items": ", ".join(parts)}


class ComplianceScoreForm(forms.ModelForm):
    """A cell as an analyst scores it; validated by assessments.score_validate."""

    evidence_urls = forms.CharField(
        label=_("Evidence links"),
        required=False,
        help_text=_("One web address per line; +1 and -1 need at least one."),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "inputmode": "url"}),
    )

    class Meta:
        model = ComplianceScore
        fields = ("cycle", "commitment", "member", "score", "rationale", "evidence_urls")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["evidence_urls"] = "\n".join(self.instance.evidence_urls)
        if "cycle" in self.fields:
            self.fields["cycle"].queryset = AssessmentCycle.objects.exclude(state=AssessmentCycle.State.PUBLISHED)

    def clean_evidence_urls(self):
        return assessments.evidence_urls_parse(self.cleaned_data["evidence_urls"])

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        cell = self.cell_keys()
        if None in cell.values():
            return cleaned
        try:
            cleaned["evidence_urls"] = assessments.score_validate(
                **cell,
                score=cleaned.get("score"),
                rationale=cleaned.get("rationale") or "",
                evidence_urls=cleaned.get("evidence_urls") or [],
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned

    def cell_keys(self) -> dict:
        """The cycle, pledge and member: chosen on the add page, fixed on the change page."""
        return {
            name: self.cleaned_data.get(name) if name in self.fields else getattr(self.instance, name)
            for name in ("cycle", "commitment", "member")
        }


@admin.register(ComplianceScore)
class ComplianceScoreAdmin(ChangelistInputMixin, HistoryIdsMixin, SimpleHistoryAdmin):
    form = ComplianceScoreForm
    list_display = ("cycle", "commitment", "member", "score", "scored_by", "scored_at")
    list_select_related = ("cycle", "commitment", "member", "scored_by")
    list_filter = ("cycle", "member", "score")
    search_fields = ("commitment__title", "member__name", "rationale")
    autocomplete_fields = ("commitment", "member")
    history_list_display = ("score", "scored_by")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("scored_by", "scored_at")
        return ("cycle", "commitment", "member", "scored_by", "scored_at")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.cycle.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.cycle.is_published)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            cell = assessments.score_set(
                **form.cell_keys(),
                score=data.get("score"),
                rationale=data.get("rationale") or "",
                evidence_urls=data.get("evidence_urls") or [],
                user=request.user,
            )
        except ValidationError as exc:
            # The cycle was published between validation and saving.
            self.message_user(
                request,
                gettext("The score was not saved: %(errors)s") % {"errors": " ".join(exc.messages)},
                messages.ERROR,
            )
            return
        obj.pk = cell.pk
        obj.refresh_from_db()

    def log_addition(self, request, obj, message):
        if obj.pk is not None:
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return HttpResponseRedirect(reverse("admin:tracker_compliancescore_changelist"))
        return super().response_add(request, obj, post_url_continue)


@admin.register(ScoreRevision)
class ScoreRevisionAdmin(ChangelistInputMixin, admin.ModelAdmin):
    """Corrections to published scores: a record, never edited here."""

    list_display = ("revised_at", "revised_by", "cell", "score_before", "score_after", "short_reason")
    list_select_related = ("revised_by", "score__cycle", "score__commitment", "score__member")
    list_filter = ("score__cycle",)
    search_fields = ("reason", "score__commitment__title", "score__member__name")
    date_hierarchy = "revised_at"
    fields = (
        "score",
        "revised_by",
        "revised_at",
        "score_before",
        "score_after",
        "rationale_before",
        "rationale_after",
        "reason",
    )
    readonly_fields = fields

    @admin.display(description=_("cell"), ordering="score")
    def cell(self, obj):
        return str(obj.score)

    @admin.display(description=_("reason"))
    def short_reason(self, obj):
        return Truncator(obj.reason).chars(80)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("revised_by", "score__cycle", "score__commitment", "score__member")
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
