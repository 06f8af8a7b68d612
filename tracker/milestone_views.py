"""Milestones on the pledge page: its milestones panel, the progress they suggest, and their forms.

The rules are tracker/milestones.py's; these views read input, call them,
and show the result. The suggested progress is only offered: the analyst
records progress through the update form, as ever.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import milestones, views
from .forms import add_service_errors
from .milestone_forms import MilestoneForm
from .models import Milestone

ADD_PERMISSION = "tracker.add_milestone"
# Marking a step done or deleting it is a change of the pledge's plan, as editing it is: one permission for all.
CHANGE_PERMISSION = "tracker.change_milestone"
ADD_FORM_PREFIX = "milestone"


def milestone_panel(request, commitment, *, add_form=None, row_forms=None) -> dict:
    """The pledge's milestones in due order with the state of each, the progress they suggest, and the forms the
    user may use. No query when the pledge's milestones are prefetched (views.commitment_for_page).

    `add_form` and `row_forms` ({milestone id: form}) are bound forms that
    failed, shown again with their errors.
    """
    user = request.user
    can_change = user.has_perm(CHANGE_PERMISSION)
    row_forms = row_forms or {}
    steps = sorted(commitment.milestones.all(), key=lambda milestone: (milestone.due_on, milestone.pk))
    rows = [
        {
            "milestone": milestone,
            "state": _state(milestone),
            "form": (row_forms.get(milestone.pk) or MilestoneForm.for_milestone(milestone)) if can_change else None,
            "failed": milestone.pk in row_forms,
        }
        for milestone in steps
    ]
    done_weight = sum(milestone.weight for milestone in steps if milestone.done_on is not None)
    total_weight = sum(milestone.weight for milestone in steps)
    return {
        "rows": rows,
        "suggested": milestones.suggested_progress(steps),
        "done_weight": done_weight,
        "total_weight": total_weight,
        "add_form": (add_form or MilestoneForm(prefix=ADD_FORM_PREFIX)) if user.has_perm(ADD_PERMISSION) else None,
        "can_change": can_change,
    }


def _state(milestone) -> str:
    if milestone.done_on is not None:
        return "done"
    return "overdue" if milestone.is_overdue else "upcoming"


def _commitment(pk):
    return get_object_or_404(views.commitment_for_page(), pk=pk)


def _render_pledge(request, commitment, *, status, **milestone_forms):
    form = None
    if request.user.has_perm(views.RECORD_UPDATE_PERMISSION):
        form = views.RecordUpdateForm.for_commitment(commitment)
    return views._render_detail(request, commitment, form, status=status, milestone_forms=milestone_forms)


def _milestones_anchor(commitment) -> str:
    return f"{commitment.get_absolute_url()}#milestones"


def _require(user, permission: str, message: str) -> None:
    if not (user.has_perm(views.VIEW_PERMISSION) and user.has_perm(permission)):
        raise PermissionDenied(message)


@login_required
@require_POST
def milestone_add(request, pk):
    _require(request.user, ADD_PERMISSION, _("Only analysts add milestones."))
    commitment = _commitment(pk)
    form = MilestoneForm(request.POST, prefix=ADD_FORM_PREFIX)
    if form.is_valid():
        try:
            milestone = milestones.milestone_add(commitment=commitment, user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Milestone “%(title)s” added.") % {"title": milestone.title})
            return redirect(_milestones_anchor(commitment))
    return _render_pledge(request, commitment, status=400, add_form=form)


@login_required
@require_POST
def milestone_change(request, pk):
    _require(request.user, CHANGE_PERMISSION, _("Only analysts change milestones."))
    milestone = get_object_or_404(Milestone.objects.select_related("commitment"), pk=pk)
    was_done = milestone.done_on is not None
    form = MilestoneForm.for_milestone(milestone, data=request.POST)
    if form.is_valid():
        try:
            milestones.milestone_update(milestone=milestone, user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            done_now = milestone.done_on is not None and not was_done
            done = _("Milestone “%(title)s” marked done.") if done_now else _("Milestone “%(title)s” saved.")
            messages.success(request, done % {"title": milestone.title})
            return redirect(_milestones_anchor(milestone.commitment))
    return _render_pledge(request, _commitment(milestone.commitment_id), status=400, row_forms={milestone.pk: form})


@login_required
@require_POST
def milestone_delete(request, pk):
    _require(request.user, CHANGE_PERMISSION, _("Only analysts delete milestones."))
    milestone = get_object_or_404(Milestone.objects.select_related("commitment"), pk=pk)
    commitment, title = milestone.commitment, milestone.title
    milestones.milestone_delete(milestone=milestone, user=request.user)
    messages.success(request, _("Milestone “%(title)s” deleted.") % {"title": title})
    return redirect(_milestones_anchor(commitment))
