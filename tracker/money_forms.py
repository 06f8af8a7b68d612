"""The pledge page's money line form: it reads input; the rules are tracker/money.py's."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .forms import LabelledForm
from .models import MoneyLine


class MoneyLineForm(LabelledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=MoneyLine.Kind.choices)
    # Text, not a number field: the service reads "1,250,000.50" as well as
    # "1250000.50", and says what is wrong with anything else.
    amount = forms.CharField(
        label=_("Amount"),
        max_length=40,
        # Translators: keep the numbers as written: an amount is read with a full stop before the cents and
        # commas between thousands, whatever the language.
        help_text=_("In units of the currency, such as 5500000000 or 1,250,000.50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        help_text=_("ISO 4217 code, such as USD, JPY or KES."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "size": 4}),
    )
    on = forms.DateField(
        label=_("Date"),
        help_text=_("The day the money was committed or paid."),
        # ISO, the only format a date input reads, whatever the site's date format.
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    source_url = forms.CharField(
        label=_("Source URL"),
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    # Not labelled "Note": the pledge page's update form has a field of that name.
    note = forms.CharField(
        label=pgettext_lazy("money line", "Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    @classmethod
    def for_line(cls, line, data=None):
        """The change form of one line, its fields named apart from the other lines' and the add form's."""
        initial = {
            "kind": line.kind,
            "amount": f"{line.amount:f}".removesuffix(".00"),
            "currency": line.currency,
            "on": line.on,
            "source_url": line.source_url,
            "note": line.note,
        }
        return cls(data, initial=initial, prefix=f"line-{line.pk}")
