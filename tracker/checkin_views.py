"""The page behind a reminder's check-in links (tracker/checkin.py): GET shows, POST acts."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .checkin import Action, CheckinRefused, checkin_act, checkin_load, updated_meanwhile_message
from .forms import RecordUpdateForm, add_service_errors
from .models import Status

# What each link will do, said before the button.
CONSEQUENCES = {
    Action.NO_CHANGE: ngettext_lazy(
        "Record no change: the pledge stays %(status)s; the next check falls in %(days)s day.",
        "Record no change: the pledge stays %(status)s; the next check falls in %(days)s days.",
        "days",
    ),
    Action.STALLED: ngettext_lazy(
        "Record the pledge as %(stalled)s; the next check falls in %(days)s day.",
        "Record the pledge as %(stalled)s; the next check falls in %(days)s days.",
        "days",
    ),
    Action.PROGRESS: _("Record where the pledge stands now."),
}


# No login: the signed link is the credential, as a password-reset link is.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def checkin(request, token):
    try:
        check = checkin_load(token, user=request.user)
    except CheckinRefused as refused:
        return _refused(request, refused)
    commitment = check.commitment
    form = None
    if check.action == Action.PROGRESS:
        initial = {"status": check.expected_status, "progress": commitment.progress}
        initial["expected_status"] = check.expected_status
        form = RecordUpdateForm(request.POST if request.method == "POST" else None, initial=initial)
    context = {
        "check": check,
        "commitment": commitment,
        "form": form,
        "consequence": _consequence(check.action, commitment),
    }
    if request.method != "POST":
        return render(request, "tracker/checkin.html", context)

    if form is not None and not form.is_valid():
        return render(request, "tracker/checkin.html", context, status=400)
    try:
        update = checkin_act(check, data=form.cleaned_data if form is not None else None)
    except CheckinRefused as refused:
        return _refused(request, refused)
    except ValidationError as error:
        commitment.refresh_from_db(fields=["status"])
        if commitment.status != check.expected_status:
            # Someone recorded an update since the email: theirs stands.
            return _refused(request, CheckinRefused(updated_meanwhile_message(check), 409))
        if form is None:
            form = RecordUpdateForm()
        add_service_errors(form, error)
        context["form"] = form
        return render(request, "tracker/checkin.html", context, status=400)
    return render(request, "tracker/checkin_done.html", {"check": check, "commitment": commitment, "update": update})


def _consequence(action: str, commitment) -> str:
    return CONSEQUENCES[action] % {
        "status": commitment.get_status_display(),
        "stalled": Status.STALLED.label,
        "days": commitment.check_every_days,
    }


def _refused(request, refused: CheckinRefused):
    return render(request, "tracker/checkin_refused.html", {"message": refused.message}, status=refused.status)
