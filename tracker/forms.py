"""Forms of the status board; the rules themselves are in tracker.services."""

import datetime
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from tracker.extraction import MAX_TEXT_CHARS, PROPOSE_THRESHOLD, text_too_long
from tracker.models import Actor, Commitment, Event, Status, web_url_validator


def add_service_errors(form, error: ValidationError, *, renamed=None):
    """Show a service's ValidationError next to the fields it names, the rest above the form.

    Services key their errors by their argument names; `renamed` maps those
    that differ from the form's field names. An error on a hidden field
    would not be seen, so it goes above the form too.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    renamed = renamed or {}
    for name, messages in error.message_dict.items():
        name = renamed.get(name, name)
        shown = name in form.fields and not form.fields[name].widget.is_hidden
        form.add_error(name if shown else None, messages)


class LabelledForm(forms.Form):
    """Labels exactly as written ("Status", not "Status:"), for people and for tests finding fields by label."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RecordUpdateForm(LabelledForm):
    status = forms.ChoiceField(label="Status", choices=Status.choices)
    progress = forms.IntegerField(
        label="Progress",
        min_value=0,
        max_value=100,
        required=False,
        help_text="Per cent, 0 to 100. Leave empty to keep the current progress.",
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence_url = forms.CharField(
        label="Evidence URL",
        required=False,
        max_length=500,
        help_text="A link showing the progress; needed to mark a pledge fulfilled or broken.",
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    # The status the analyst saw: an update recorded by someone else since
    # makes this one a form error instead of silently undoing theirs.
    expected_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)

    @classmethod
    def for_commitment(cls, commitment, data=None):
        initial = {"status": commitment.status, "progress": commitment.progress, "expected_status": commitment.status}
        return cls(data, initial=initial)


def time_zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class PreferencesForm(LabelledForm):
    reminders_enabled = forms.BooleanField(
        label="Check-up and escalation emails",
        required=False,
        help_text="An email when a pledge you own is due for a check, or overdue.",
    )
    digest_enabled = forms.BooleanField(
        label="Weekly digest", required=False, help_text="One email a week about the pledges you follow."
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices)


# The /extract/ page: an article in (step 1), its draft pledges out as one
# form each (step 2). Each draft form posts 13 fields; 60 drafts keep a page
# well under Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000), past which the
# whole submission would be refused.
MAX_DRAFTS_SHOWN = 60
DATE_INPUT_FORMAT = "%Y-%m-%d"


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format=DATE_INPUT_FORMAT)


class ArticleSourceForm(LabelledForm):
    """Where the article came from; step 2 carries these as hidden fields."""

    source_url = forms.URLField(
        label="Source URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[web_url_validator],
        help_text="The article's address, kept on every pledge created from it.",
    )
    event = forms.ModelChoiceField(
        label="Event",
        queryset=Event.objects.order_by("name"),
        required=False,
        empty_label="No event",
    )
    article_date = forms.DateField(
        label="Article date",
        required=False,
        widget=_date_input(),
        help_text="Relative deadlines (“within three years”) count from it, and the pledges are dated to it. "
        "Default: today.",
    )

    def __init__(self, *args, hidden=False, **kwargs):
        super().__init__(*args, **kwargs)
        if hidden:
            for field in self.fields.values():
                field.widget = field.hidden_widget()

    @classmethod
    def hidden_for(cls, source: dict):
        """The step-1 choices, as the hidden fields of the drafts' form."""
        return cls(initial=source, hidden=True)


class ExtractArticleForm(ArticleSourceForm):
    text = forms.CharField(
        label="Article text",
        widget=forms.Textarea(attrs={"rows": 14}),
        error_messages={"required": "The text is empty: paste the article's text."},
        help_text=f"Plain text, up to {MAX_TEXT_CHARS:,} characters.",
    )

    field_order = ["text", "source_url", "event", "article_date"]

    def clean_text(self):
        text = self.cleaned_data["text"]
        if text_too_long(text):
            raise ValidationError(
                "The text is too long: %(length)s characters; the limit is %(limit)s characters. "
                "Paste the article in parts.",
                code="max_length",
                params={"length": f"{len(text):,}", "limit": f"{MAX_TEXT_CHARS:,}"},
            )
        return text


class DraftForm(LabelledForm):
    """One draft pledge to confirm: what an analyst may edit, and the draft's own facts as hidden fields."""

    selected = forms.BooleanField(label="Create this pledge", required=False)
    title = forms.CharField(label="Title", max_length=Commitment._meta.get_field("title").max_length, required=False)
    actor = forms.CharField(
        label="Made by",
        max_length=Actor._meta.get_field("name").max_length,
        required=False,
    )
    kind = forms.ChoiceField(label="Kind", choices=Commitment.Kind.choices)
    due = forms.DateField(label="Due date", required=False, widget=_date_input())

    text = forms.CharField(widget=forms.HiddenInput, error_messages={"required": "The draft has no sentence."})
    actor_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    # The name actor_id stands for: a name changed by hand no longer means that actor.
    matched_actor = forms.CharField(widget=forms.HiddenInput, required=False)
    counterpart = forms.CharField(widget=forms.HiddenInput, required=False)
    counterpart_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    cue = forms.CharField(widget=forms.HiddenInput, required=False)
    amount = forms.CharField(widget=forms.HiddenInput, required=False)
    confidence = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=0, max_value=1)

    @staticmethod
    def initial_for(draft) -> dict:
        """A tracker.extraction.Draft as this form's initial data."""
        return {
            "selected": draft.confidence >= PROPOSE_THRESHOLD,
            "title": draft.title,
            "actor": draft.actor,
            "kind": draft.kind,
            "due": datetime.date.fromisoformat(draft.due) if draft.due else None,
            "text": draft.text,
            "actor_id": draft.actor_id,
            "matched_actor": draft.actor if draft.actor_id else "",
            "counterpart": draft.counterpart,
            "counterpart_id": draft.counterpart_id,
            "cue": draft.cue,
            "amount": draft.amount["text"] if draft.amount else "",
            "confidence": draft.confidence,
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("selected"):
            if not cleaned.get("title"):
                self.add_error("title", "Give the pledge a title, or untick it.")
            if not cleaned.get("actor"):
                self.add_error("actor", "Name who made the pledge, or untick it.")
        return cleaned

    def errors_not_next_to_a_field(self) -> list[str]:
        """Errors of the hidden fields and of the form as a whole, named, to show above the draft."""
        errors = list(self.non_field_errors())
        for field in self.hidden_fields():
            errors.extend(f"{field.name.replace('_', ' ').capitalize()}: {error}" for error in field.errors)
        return errors

    def draft(self) -> dict:
        """The confirmed draft, as services.commitments_create_from_drafts takes it."""
        data = self.cleaned_data
        actor = " ".join(data["actor"].split())
        still_matched = data["actor_id"] and actor == " ".join(data["matched_actor"].split())
        return {
            "text": data["text"],
            "title": data["title"],
            "actor": actor,
            "actor_id": data["actor_id"] if still_matched else None,
            "counterpart": data["counterpart"],
            "counterpart_id": data["counterpart_id"],
            "kind": data["kind"],
            "due": data["due"],
            "cue": data["cue"],
        }


class BaseDraftFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not any(form.cleaned_data.get("selected") for form in self.forms):
            raise ValidationError("Select at least one draft to create.", code="nothing_selected")

    def selected_drafts(self) -> list[dict]:
        return [form.draft() for form in self.forms if form.cleaned_data.get("selected")]


DraftFormSet = forms.formset_factory(
    DraftForm,
    formset=BaseDraftFormSet,
    extra=0,
    max_num=MAX_DRAFTS_SHOWN,
    absolute_max=MAX_DRAFTS_SHOWN,
    validate_max=True,
)
