"""Bulk edits from the board: choose pledges and a change, see how many pledges it changes, then confirm.

The changes go through tracker.bulk (and the services it calls); a change
that a rule refuses comes back as a form error on a 400 page, and nothing
has changed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import bulk
from .bulk import BulkAction
from .bulk_forms import BulkEditForm
from .forms import add_service_errors

BULK_PERMISSION = "tracker.change_commitment"
# The confirmation names this many of the pledges that change, and counts the rest.
TITLES_SHOWN = 20
# The services name people's fields in the plural (the pledge's watchers); the form adds one.
SERVICE_FIELDS = {"watchers": "watcher"}
# Whole sentences rather than bulk_forms' reasons in one: a translation words each its own way.
NOTHING_CHANGED = {
    BulkAction.ASSIGN_OWNER: _("No pledge changed: every chosen pledge is already with this owner."),
    BulkAction.ADD_TOPIC: _("No pledge changed: every chosen pledge is already with this topic."),
    BulkAction.REMOVE_TOPIC: _("No pledge changed: every chosen pledge is without this topic."),
    BulkAction.ADD_WATCHER: _("No pledge changed: every chosen pledge is already watched by this person."),
    BulkAction.POSTPONE: _("No pledge changed: every chosen pledge is closed, with no next check."),
    BulkAction.PUBLISH: _("No pledge changed: every chosen pledge is already public."),
    BulkAction.UNPUBLISH: _("No pledge changed: every chosen pledge is not public."),
}


@login_required
@permission_required(BULK_PERMISSION, raise_exception=True)
@require_POST
def commitments_bulk(request):
    """First post: the confirmation, with how many pledges change. With `confirm`: the change, then the board."""
    form = BulkEditForm(request.POST, request=request)
    if not form.is_valid():
        return _render(request, form, status=400)
    data = form.cleaned_data
    try:
        bulk.bulk_change_validate(action=data["action"], value=form.argument)
        if data["confirm"]:
            changed = bulk.commitments_bulk_change(
                commitments=data["commitments"], action=data["action"], value=form.argument, user=request.user
            )
    except ValidationError as error:
        add_service_errors(form, error, renamed=SERVICE_FIELDS)
        return _render(request, form, status=400)
    if data["confirm"]:
        if changed:
            messages.success(request, form.done_message(changed))
        else:
            nothing = NOTHING_CHANGED.get(data["action"])
            if nothing is None:
                nothing = _("No pledge changed: every chosen pledge is %(reason)s.") % {
                    "reason": form.unchanged_reason()
                }
            messages.info(request, nothing)
        return redirect(form.board_url())

    changing = bulk.commitments_to_change(commitments=data["commitments"], action=data["action"], value=form.argument)
    count = changing.count()
    titles = list(changing.order_by("title", "pk").values_list("title", flat=True)[:TITLES_SHOWN]) if count else []
    return _render(
        request,
        form,
        preview={
            "count": count,
            "titles": titles,
            "more": count - len(titles),
            "unchanged": data["chosen"] - count,
        },
    )


def _render(request, form, *, preview=None, status=200):
    # After an error the change can be corrected here when the pledges were
    # read: a wrong owner or number of days, not a stale or empty selection.
    correctable = preview is None and "commitments" in form.cleaned_data and not form.non_field_errors()
    context = {"form": form, "preview": preview, "correctable": correctable, "board_url": form.board_url()}
    return render(request, "tracker/bulk_confirm.html", context, status=status)
