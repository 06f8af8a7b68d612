"""Forms of the status board; the rules themselves are in tracker.services."""

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from tracker.models import Status

# progress_validate keys its errors by its own argument names, which are the
# names of these fields too; anything else goes above the form.
SERVICE_ERROR_FIELDS = frozenset({"status", "progress", "note", "evidence_url"})


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

    def add_service_errors(self, error: ValidationError):
        """Show a service's ValidationError next to the fields it names."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.message_dict.items():
            self.add_error(name if name in SERVICE_ERROR_FIELDS else None, messages)


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
