"""Forms of the status board; the rules themselves are in tracker.services."""

import datetime
import zoneinfo
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from tracker.continuity import SUGGESTIONS as MAX_SUGGESTIONS
from tracker.continuity import Suggestion
from tracker.extraction import MAX_TEXT_CHARS, PROPOSE_THRESHOLD, text_too_long
from tracker.milestones import suggested_progress
from tracker.models import (
    PLEDGED_PAIR_MESSAGE,
    Actor,
    Commitment,
    Event,
    Status,
    currency_validator,
    lazy_interpolate,
    web_url_validator,
)
from tracker.money import MAX_AMOUNT


def grouped(number) -> str:
    """A number with the language's thousands separators: 200,000 in English, 200 000 in French."""
    return formats.number_format(number, force_grouping=True)


# For texts made at import and shown later, in the language of the moment.
grouped_lazy = lazy(grouped, str)


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
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    progress = forms.IntegerField(
        label=_("Progress"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Per cent, 0 to 100. Leave empty to keep the current progress."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # Unticked (and absent) keeps the note internal: nothing is published by omission.
    publish_note = forms.BooleanField(
        label=_("Show the note on the public page"),
        required=False,
        help_text=_(
            "Left unticked, the note stays internal; the status, date and evidence link of a published "
            "pledge are public either way."
        ),
    )
    evidence_url = forms.CharField(
        label=_("Evidence URL"),
        required=False,
        max_length=500,
        help_text=_("A link showing the progress; needed to mark a pledge fulfilled or broken."),
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    # The status the analyst saw: an update recorded by someone else since
    # makes this one a form error instead of silently undoing theirs.
    expected_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)

    @classmethod
    def for_commitment(cls, commitment, data=None):
        """The update form of a pledge. The progress its milestones suggest is offered as the progress field's
        placeholder only: the value stays the current progress, and the analyst decides."""
        initial = {"status": commitment.status, "progress": commitment.progress, "expected_status": commitment.status}
        form = cls(data, initial=initial)
        suggested = suggested_progress(commitment.milestones.all())
        if suggested is not None:
            form.fields["progress"].widget.attrs["placeholder"] = str(suggested)
        return form


def time_zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class PreferencesForm(LabelledForm):
    reminders_enabled = forms.BooleanField(
        label=_("Check-up and escalation emails"),
        required=False,
        help_text=_("An email when a pledge you own is due for a check, or overdue."),
    )
    digest_enabled = forms.BooleanField(
        label=_("Weekly digest"), required=False, help_text=_("One email a week about the pledges you follow.")
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    # The languages by their own names (settings.LANGUAGES), as a reader looks for theirs.
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("The language of these pages and of the emails you receive."),
    )


# The /extract/ page: an article in (step 1), its draft pledges out as one
# form each (step 2). Each draft form posts 13 fields; 60 drafts keep a page
# well under Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000), past which the
# whole submission would be refused.
MAX_DRAFTS_SHOWN = 60
# In English; shown translated (gettext_noop marks it for the catalogue).
NOT_A_RENEWAL = gettext_noop("None of them: a new pledge")
MAX_ID = 2**63 - 1  # a bigint; a larger number would not reach the database
DATE_INPUT_FORMAT = "%Y-%m-%d"


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format=DATE_INPUT_FORMAT)


class ArticleSourceForm(LabelledForm):
    """Where the article came from; step 2 carries these as hidden fields."""

    source_url = forms.URLField(
        label=_("Source URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[web_url_validator],
        help_text=_("The article's address, kept on every pledge created from it."),
    )
    # Filled in from a fetched page's title; carried to step 2 only.
    source_title = forms.CharField(
        label=_("Source title"), required=False, max_length=Commitment._meta.get_field("source_title").max_length
    )
    event = forms.ModelChoiceField(
        label=_("Event"),
        queryset=Event.objects.order_by("name"),
        required=False,
        empty_label=_("No event"),
    )
    article_date = forms.DateField(
        label=_("Article date"),
        required=False,
        widget=_date_input(),
        help_text=_(
            "Relative deadlines (“within three years”) count from it, and the pledges are dated to it. Default: today."
        ),
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
    """Step 1: the article's link or its text (one of them), and where it came from.

    A link is fetched by the view (tracker.article_fetch), not here: its
    failures are shown on this field like any other error.
    """

    url = forms.URLField(
        label=_("Link to the article"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[web_url_validator],
        help_text=_("The page is read for its text, title and date. Or leave this empty and paste the text below."),
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    text = forms.CharField(
        label=_("Article text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=lazy_interpolate(
            _("Plain text, up to %(limit)s characters."), {"limit": grouped_lazy(MAX_TEXT_CHARS)}
        ),
    )
    source_title = None  # the page's title, known only once a link is fetched

    field_order = ["url", "text", "source_url", "event", "article_date"]

    def clean_text(self):
        text = self.cleaned_data["text"]
        if text_too_long(text):
            raise ValidationError(
                gettext(
                    "The text is too long: %(length)s characters; the limit is %(limit)s characters. "
                    "Paste the article in parts."
                ),
                code="max_length",
                params={"length": grouped(len(text)), "limit": grouped(MAX_TEXT_CHARS)},
            )
        return text

    def clean(self):
        cleaned = super().clean()
        url, text = cleaned.get("url"), cleaned.get("text")
        if url and text:
            # Neither is dropped silently: the analyst says which article is meant.
            self.add_error("url", _("Give the article's link or paste its text, not both: empty one of them."))
        elif not url and not text and "url" not in self.errors and "text" not in self.errors:
            self.add_error(
                "text", ValidationError(_("The text is empty: paste the article's text or give its link."), "required")
            )
        return cleaned


class DraftForm(LabelledForm):
    """One draft pledge to confirm: what an analyst may edit, and the draft's own facts as hidden fields."""

    selected = forms.BooleanField(label=_("Create this pledge"), required=False)
    title = forms.CharField(label=_("Title"), max_length=Commitment._meta.get_field("title").max_length, required=False)
    actor = forms.CharField(
        label=_("Made by"),
        max_length=Actor._meta.get_field("name").max_length,
        required=False,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Commitment.Kind.choices)
    due = forms.DateField(label=_("Due date"), required=False, widget=_date_input())

    text = forms.CharField(widget=forms.HiddenInput, error_messages={"required": _("The draft has no sentence.")})
    actor_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    # The name actor_id stands for: a name changed by hand no longer means that actor.
    matched_actor = forms.CharField(widget=forms.HiddenInput, required=False)
    counterpart = forms.CharField(widget=forms.HiddenInput, required=False)
    counterpart_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    cue = forms.CharField(widget=forms.HiddenInput, required=False)
    # The amount the sentence names, read by the extraction; the analyst may correct it or clear it.
    pledged_amount = forms.DecimalField(
        label=_("Pledged amount"),
        required=False,
        max_digits=20,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    pledged_currency = forms.CharField(
        label=_("Currency"), required=False, max_length=3, help_text=_("Such as USD or JPY.")
    )
    confidence = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=0, max_value=1)
    # The maker's earlier pledges that read alike, as "id:similarity" pairs: found once
    # when the drafts are shown, carried to the create step, where the service checks the choice.
    suggested = forms.CharField(widget=forms.HiddenInput, required=False)
    renews = forms.TypedChoiceField(
        label=_("Renews"),
        choices=[("", _(NOT_A_RENEWAL))],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the earlier pledges shown, or none.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestions = []

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
            "pledged_amount": _draft_amount(draft.amount),
            "pledged_currency": draft.amount["currency"] if _draft_amount(draft.amount) is not None else "",
            "confidence": draft.confidence,
        }

    @staticmethod
    def suggested_value(suggestions) -> str:
        return " ".join(f"{item.commitment.pk}:{item.similarity}" for item in suggestions)

    def suggested_pairs(self) -> list[tuple[int, float]]:
        """The (pledge id, similarity) pairs this draft was shown with; malformed ones left out."""
        value = self.data.get(self.add_prefix("suggested")) if self.is_bound else self.initial.get("suggested")
        pairs = []
        for item in str(value or "").split()[:MAX_SUGGESTIONS]:
            pk, _colon, similarity = item.partition(":")
            try:
                pairs.append((int(pk), max(0.0, min(1.0, float(similarity)))))
            except ValueError:
                continue
        return [(pk, similarity) for pk, similarity in pairs if 0 < pk <= MAX_ID]

    def set_suggestions(self, suggestions):
        """Offer these earlier pledges (continuity.Suggestion) as what this draft may renew."""
        self.suggestions = list(suggestions)
        self.fields["renews"].choices = [
            *(
                (
                    item.commitment.pk,
                    gettext("%(title)s (%(day)s, %(similarity)s%%)")
                    % {
                        "title": item.commitment.title,
                        "day": date_format(item.commitment.made_on),
                        "similarity": round(item.similarity * 100),
                    },
                )
                for item in self.suggestions
            ),
            ("", gettext(NOT_A_RENEWAL)),
        ]

    def suggestions_maker(self):
        return self.suggestions[0].commitment.made_by if self.suggestions else None

    def clean_pledged_currency(self):
        currency = self.cleaned_data["pledged_currency"].strip().upper()
        if currency:
            currency_validator(currency)
        return currency

    def clean(self):
        cleaned = super().clean()
        amount, currency = cleaned.get("pledged_amount"), cleaned.get("pledged_currency")
        if amount is not None and currency == "":
            self.add_error("pledged_currency", PLEDGED_PAIR_MESSAGE)
        elif currency and "pledged_amount" not in self.errors and amount is None:
            self.add_error("pledged_amount", PLEDGED_PAIR_MESSAGE)
        if cleaned.get("selected"):
            if not cleaned.get("title"):
                self.add_error("title", gettext("Give the pledge a title, or untick it."))
            if not cleaned.get("actor"):
                self.add_error("actor", gettext("Name who made the pledge, or untick it."))
        return cleaned

    def errors_not_next_to_a_field(self) -> list[str]:
        """Errors of the hidden fields and of the form as a whole, named, to show above the draft."""
        errors = list(self.non_field_errors())
        for field in self.hidden_fields():
            # Hidden fields have no label: their name says which one it was.
            name = field.name.replace("_", " ").capitalize()
            errors.extend(gettext("%(field)s: %(error)s") % {"field": name, "error": error} for error in field.errors)
        if not self.suggestions:
            # The choice of earlier pledges is only shown when there are some.
            errors.extend(gettext("Renews: %(error)s") % {"error": error} for error in self["renews"].errors)
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
            "renews": data.get("renews"),
            "amount": {"value": data["pledged_amount"], "currency": data["pledged_currency"]}
            if data.get("pledged_amount") is not None
            else None,
        }


def _draft_amount(amount) -> Decimal | None:
    """The extraction's amount as the form's value: to the cent, and only in a currency the tracker knows."""
    if not amount or not amount.get("currency"):
        return None
    try:
        currency_validator(amount["currency"])
        value = Decimal(str(amount["value"])).quantize(Decimal("0.01"))
    except (ValidationError, InvalidOperation, KeyError, TypeError, ValueError):
        return None
    return value if value.is_finite() and 0 < value < MAX_AMOUNT else None


class BaseDraftFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not any(form.cleaned_data.get("selected") for form in self.forms):
            raise ValidationError(gettext("Select at least one draft to create."), code="nothing_selected")

    def selected_drafts(self) -> list[dict]:
        return [form.draft() for form in self.forms if form.cleaned_data.get("selected")]

    def load_suggestions(self):
        """Each draft's suggestions again, from the ids it carries, in one query for all the drafts."""
        pairs = {form: form.suggested_pairs() for form in self.forms}
        ids = {pk for found in pairs.values() for pk, _similarity in found}
        pledges = Commitment.objects.select_related("made_by").in_bulk(ids) if ids else {}
        for form, found in pairs.items():
            form.set_suggestions(Suggestion(pledges[pk], similarity) for pk, similarity in found if pk in pledges)


DraftFormSet = forms.formset_factory(
    DraftForm,
    formset=BaseDraftFormSet,
    extra=0,
    max_num=MAX_DRAFTS_SHOWN,
    absolute_max=MAX_DRAFTS_SHOWN,
    validate_max=True,
)
