"""The import page's upload form: it reads the file's name and bytes; tracker/importing.py reads the rows."""

from django import forms
from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .forms import LabelledForm


class ImportUploadForm(LabelledForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or Windows-1252) or Excel (.xlsx), with the export's column names in the first row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    create_missing = forms.BooleanField(
        label=_("Create missing actors, events and topics"),
        required=False,
        help_text=_("Otherwise a row naming one that does not exist is an error."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refused before it is read into memory.
        if upload.size > settings.IMPORT_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(
                gettext("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
                % {
                    "size": formats.number_format(round(upload.size / 1024 / 1024, 1), decimal_pos=1),
                    "limit": settings.IMPORT_MAX_MB,
                }
            )
        return upload
