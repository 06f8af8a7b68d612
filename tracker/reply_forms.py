"""Forms of the reply page (an office answering a request) and of the pledge page's requests panel.

They only read input; the rules (what a reply may hold, who may be asked)
are tracker/evidence.py's.
"""

from django import forms
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from . import evidence
from .forms import LabelledForm
from .models import Status, lazy_interpolate

ACCEPTED_FILE_TYPES = "application/pdf,image/*"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input: a list, each checked as Django checks one (named, not empty)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(upload, initial) for upload in uploads]


class ReplyForm(LabelledForm):
    text = forms.CharField(
        label=_("Your reply"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": evidence.MAX_REPLY_LENGTH}),
    )
    links = forms.CharField(
        label=_("Links"),
        required=False,
        help_text=lazy_interpolate(
            _("Web addresses of the evidence, one per line (at most %(max)s)."), {"max": evidence.MAX_REPLY_LINKS}
        ),
        widget=forms.Textarea(attrs={"rows": 3, "inputmode": "url"}),
    )
    files = MultipleFileField(
        label=_("Files"),
        required=False,
        help_text=lazy_interpolate(
            _("At most %(files)s files, %(megabytes)s MB each, PDF or image (PNG, JPEG, GIF or WebP)."),
            {"files": evidence.MAX_REPLY_FILES, "megabytes": evidence.MAX_REPLY_FILE_BYTES // (1024 * 1024)},
        ),
        widget=MultipleFileInput(attrs={"accept": ACCEPTED_FILE_TYPES}),
    )

    def __init__(self, *args, pledges=(), **kwargs):
        """`pledges`: (id, title) of the pledges whose draft scores may each get a comment of their own."""
        super().__init__(*args, **kwargs)
        self.pledge_fields = {}
        for pk, title in pledges:
            name = f"pledge_{pk}"
            self.fields[name] = forms.CharField(
                label=gettext("Your comment on the score for “%(title)s”") % {"title": title},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3, "maxlength": evidence.MAX_REPLY_LENGTH}),
            )
            self.pledge_fields[pk] = name

    def pledge_texts(self) -> list[tuple]:
        """(pledge id, text) for each comment on a pledge that was written."""
        texts = ((pk, self.cleaned_data.get(name, "").strip()) for pk, name in self.pledge_fields.items())
        return [(pk, text) for pk, text in texts if text]


class EvidenceRequestForm(LabelledForm):
    contact = forms.ModelChoiceField(label=_("Office"), queryset=None, empty_label=None)
    message = forms.CharField(
        label=_("Message"),
        help_text=_("What you ask for, in a few lines: the email quotes it, with the pledge's words and source."),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": evidence.MAX_MESSAGE_LENGTH}),
    )

    def __init__(self, *args, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts
        self.fields["contact"].label_from_instance = contact_label


def contact_label(contact) -> str:
    role = f", {contact.role}" if contact.role else ""
    return f"{contact.name}{role} ({contact.actor.name})"


class ReplyAcceptForm(LabelledForm):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    progress = forms.IntegerField(
        label=_("Progress"), min_value=0, max_value=100, required=False, help_text=_("Per cent, 0 to 100.")
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence_url = forms.CharField(
        label=_("Evidence URL"),
        required=False,
        max_length=500,
        help_text=_("By default the reply's first link, or else the reply's place on this page."),
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )

    @classmethod
    def for_reply(cls, reply, commitment, data=None):
        initial = {
            "status": commitment.status,
            "progress": commitment.progress,
            # A draft of the update's note, in the analyst's language; they may edit it before recording.
            "note": (
                pgettext("the note an accepted reply suggests", "Reply from %(office)s: %(text)s")
                % {"office": reply.request.contact, "text": reply.text}
            )[:2000],
            "evidence_url": reply.links[0] if reply.links else evidence.reply_evidence_url(reply),
        }
        return cls(data, initial=initial, prefix=f"accept-{reply.pk}")
