"""Forms of the assessment pages; the rules themselves are in tracker.assessments."""

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from tracker.assessments import CRITERIA_FIELDS, evidence_urls_parse
from tracker.evidence import DRAFT_SCORES_MESSAGE, MAX_MESSAGE_LENGTH
from tracker.forms import DATE_INPUT_FORMAT, LabelledForm
from tracker.models import Actor, AssessmentCycle, Commitment, CycleCommitment, Event, Score

SCORE_CHOICES = [("", Score.__empty__)] + [(value, label) for value, label in Score.choices if value is not None]
# A service's errors on these are about the whole row or the cycle, not one input.
ROW_ERRORS = ("cycle", "commitment", "member")


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format=DATE_INPUT_FORMAT)


def score_field(**attrs):
    return forms.TypedChoiceField(
        label=_("Score"),
        choices=SCORE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select(attrs=attrs),
    )


def rationale_field(rows=3, **attrs):
    return forms.CharField(
        label=_("Rationale"), required=False, strip=True, widget=forms.Textarea(attrs={"rows": rows, **attrs})
    )


EVIDENCE_HELP = _("One web address per line.")


def evidence_field(rows=2, help_text=EVIDENCE_HELP, **attrs):
    return forms.CharField(
        label=_("Evidence links"),
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "inputmode": "url", **attrs}),
    )


class CycleForm(LabelledForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=AssessmentCycle._meta.get_field("name").max_length,
        help_text=_("Such as TICAD 9 interim, February 2026."),
    )
    event = forms.ModelChoiceField(
        label=_("Event"), queryset=Event.objects.order_by("name"), required=False, empty_label=_("No event")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=AssessmentCycle.Kind.choices)
    period_start = forms.DateField(label=_("Period starts"), widget=_date_input())
    period_end = forms.DateField(label=_("Period ends"), widget=_date_input())
    previous = forms.ModelChoiceField(
        label=_("Follows the interim cycle"),
        queryset=AssessmentCycle.objects.filter(kind=AssessmentCycle.Kind.INTERIM).order_by("name"),
        required=False,
        empty_label=pgettext_lazy("no interim cycle", "None"),
        help_text=_("For a final cycle: its report shows the change since that interim one."),
    )


class CopyToFinalForm(LabelledForm):
    name = CycleForm.base_fields["name"]
    period_start = CycleForm.base_fields["period_start"]
    period_end = CycleForm.base_fields["period_end"]


class AddPledgesForm(forms.Form):
    """The pledges ticked on the picking page."""

    commitments = forms.ModelMultipleChoiceField(
        queryset=Commitment.objects.all(),
        error_messages={"required": _("Tick at least one pledge to add.")},
    )


class RemovePledgeForm(forms.Form):
    commitment = forms.ModelChoiceField(queryset=Commitment.objects.none())

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commitment"].queryset = cycle.commitments.all()


class CriteriaForm(LabelledForm):
    criteria_full = forms.CharField(
        label=_("Criteria for +1"),
        required=False,
        help_text=CycleCommitment._meta.get_field("criteria_full").help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    criteria_partial = forms.CharField(
        label=_("Criteria for 0"),
        required=False,
        help_text=CycleCommitment._meta.get_field("criteria_partial").help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    criteria_none = forms.CharField(
        label=_("Criteria for -1"),
        required=False,
        help_text=CycleCommitment._meta.get_field("criteria_none").help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @classmethod
    def for_entry(cls, entry, data=None):
        initial = {name: getattr(entry, name) for name in CRITERIA_FIELDS}
        return cls(data, initial=initial, prefix=f"criteria{entry.commitment_id}")


class RowScoresForm(LabelledForm):
    """One pledge's cells, a score, rationale and evidence per member.

    Its inputs sit in the grid's cells, outside the `<form>` element, which
    they name through their `form` attribute: one form per row of a table.
    """

    def __init__(self, data=None, *, commitment_id, members, cells, **kwargs):
        self.form_id = f"row-{commitment_id}"
        self.members = members
        initial = {}
        super().__init__(data, prefix=f"row{commitment_id}", **kwargs)
        for member in members:
            self.fields[f"score_{member.pk}"] = score_field(form=self.form_id)
            self.fields[f"rationale_{member.pk}"] = rationale_field(form=self.form_id)
            # The grid's label says "one per line": a help text in every cell would crowd it.
            self.fields[f"evidence_{member.pk}"] = evidence_field(help_text="", form=self.form_id)
            cell = cells.get(member.pk)
            if cell is not None:
                initial[f"score_{member.pk}"] = "" if cell.score is None else cell.score
                initial[f"rationale_{member.pk}"] = cell.rationale
                initial[f"evidence_{member.pk}"] = "\n".join(cell.evidence_urls)
        self.initial = initial

    def cell_fields(self, member):
        return (self[f"score_{member.pk}"], self[f"rationale_{member.pk}"], self[f"evidence_{member.pk}"])

    def cell_values(self, member) -> tuple:
        """(score, rationale, evidence links) as the form gives them for a member."""
        data = self.cleaned_data
        return (
            data[f"score_{member.pk}"],
            data[f"rationale_{member.pk}"],
            evidence_urls_parse(data[f"evidence_{member.pk}"]),
        )

    def add_cell_errors(self, member, error):
        """A service's ValidationError about one cell, next to that cell's inputs."""
        for name, messages in error.message_dict.items():
            if name in ROW_ERRORS:
                self.add_error(
                    None,
                    [
                        gettext("%(member)s: %(message)s") % {"member": member.name, "message": message}
                        for message in messages
                    ],
                )
            else:
                field = {"score": "score", "rationale": "rationale", "evidence_urls": "evidence"}.get(name)
                self.add_error(f"{field}_{member.pk}" if field else None, messages)


class ReviseScoreForm(LabelledForm):
    score = score_field()
    rationale = rationale_field(rows=4)
    evidence = evidence_field(rows=3)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The report shows it beside the corrected score."),
        error_messages={"required": _("Say why the published score is corrected; the report shows it.")},
    )

    @classmethod
    def for_score(cls, score, data=None):
        initial = {
            "score": "" if score.score is None else score.score,
            "rationale": score.rationale,
            "evidence": "\n".join(score.evidence_urls),
        }
        return cls(data, initial=initial)


class MembersForm(LabelledForm):
    members = forms.ModelMultipleChoiceField(
        label=_("Assessed members"),
        queryset=Actor.objects.order_by("name"),
        required=False,
        help_text=_(
            "Whose compliance assessments score, such as each government a communique binds. "
            "None chosen: the maker alone."
        ),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    @classmethod
    def for_commitment(cls, commitment, data=None):
        return cls(data, initial={"members": [actor.pk for actor in commitment.members.all()]})


class DraftScoresForm(LabelledForm):
    message = forms.CharField(
        label=_("Message"),
        initial=DRAFT_SCORES_MESSAGE,
        required=False,
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Each office's email opens with it, above its member's draft scores."),
    )
