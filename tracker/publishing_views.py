from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .models import Commitment

PUBLISH_PERMISSION = "tracker.change_commitment"


@login_required
@require_POST
def commitment_publish(request, pk):
    """Publish a pledge on the public site (is_public=1), or withdraw it (is_public=0), from its page."""
    if not request.user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied(_("Only analysts publish pledges."))
    commitment = get_object_or_404(Commitment, pk=pk)
    choice = request.POST.get("is_public")
    if choice not in ("0", "1"):
        return HttpResponseBadRequest(
            _("Say whether to publish the pledge (is_public=1) or to withdraw it (is_public=0)."),
            content_type="text/plain; charset=utf-8",
        )
    public = choice == "1"
    services.commitment_update(commitment=commitment, user=request.user, data={"is_public": public})
    if public:
        messages.success(request, _("Published: anyone can now read this pledge on the public site."))
    else:
        messages.success(request, _("Withdrawn from the public site: its public page is gone."))
    return redirect(commitment.get_absolute_url())
