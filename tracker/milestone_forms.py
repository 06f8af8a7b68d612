"""The pledge page's milestone form: it reads input; the rules are tracker/milestones.py's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import LabelledForm
from .models import MAX_MILESTONE_WEIGHT, Milestone, lazy_interpolate


def _date_input():
    # ISO, the only format a date input reads, whatever the site's date format.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class MilestoneForm(LabelledForm):
    title = forms.CharField(
        label=_("Step"),
        max_length=Milestone._meta.get_field("title").max_length,
        help_text=_("Such as “Bill passed by parliament” or “First tranche paid”."),
    )
    due_on = forms.DateField(label=_("Due on"), widget=_date_input())
    # No bounds here: the service says what a weight may be, in its own words.
    weight = forms.IntegerField(
        label=_("Weight"),
        required=False,
        initial=1,
        help_text=lazy_interpolate(
            _("Its share of the pledge's progress against the other steps, 1 to %(max)s."),
            {"max": MAX_MILESTONE_WEIGHT},
        ),
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_MILESTONE_WEIGHT}),
    )
    done_on = forms.DateField(
        label=_("Done on"), required=False, help_text=_("Empty until the step is done."), widget=_date_input()
    )
    # Not labelled "Evidence URL": the pledge page's update form has a field of that name.
    evidence_url = forms.CharField(
        label=_("Evidence link"),
        required=False,
        max_length=Milestone._meta.get_field("evidence_url").max_length,
        help_text=_("A link showing the step done."),
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )

    @classmethod
    def for_milestone(cls, milestone, data=None):
        """The change form of one milestone, its fields named apart from the other milestones' and the add form's."""
        initial = {
            "title": milestone.title,
            "due_on": milestone.due_on,
            "weight": milestone.weight,
            "done_on": milestone.done_on,
            "evidence_url": milestone.evidence_url,
        }
        return cls(data, initial=initial, prefix=f"milestone-{milestone.pk}")
