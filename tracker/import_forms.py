"""The import page's upload form: it reads the file's name and bytes; tracker/importing.py reads the rows."""

from django import forms
from django.conf import settings

from .forms import LabelledForm


class ImportUploadForm(LabelledForm):
    file = forms.FileField(
        label="File",
        help_text="CSV (UTF-8 or Windows-1252) or Excel (.xlsx), with the export's column names in the first row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    create_missing = forms.BooleanField(
        label="Create missing actors, events and topics",
        required=False,
        help_text="Otherwise a row naming one that does not exist is an error.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refused before it is read into memory.
        if upload.size > settings.IMPORT_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is {settings.IMPORT_MAX_MB} MB. "
                "Split it into smaller files."
            )
        return upload
