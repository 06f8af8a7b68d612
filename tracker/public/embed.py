"""Embeddable cards and status badges of published pledges, for other sites to frame or show as images.

These are the only responses other sites may frame: every other page sends
X-Frame-Options DENY and CSP frame-ancestors 'none'. Framing is opened to
EMBED_ALLOWED_ORIGINS, read at each request so that a change of settings
needs no new decorator.
"""

import unicodedata
from functools import wraps

from csp.constants import NONE
from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from .. import languages, ratelimit
from .feeds import SITE_NAME
from .queries import public_commitment_or_none

# The board's colours (tracker.css), white text readable on each.
STATUS_COLOURS = {
    "announced": "#6e7781",
    "in_progress": "#0b5cad",
    "stalled": "#b35900",
    "partially_fulfilled": "#6f42c1",
    "fulfilled": "#1f7a3a",
    "broken": "#a4161a",
    "withdrawn": "#3d444d",
}
LABEL_COLOUR = "#3d444d"
BADGE_HEIGHT = 20
BADGE_PADDING = 6  # on each side of each text


def embeddable(view):
    """Let EMBED_ALLOWED_ORIGINS frame the view; ?lang=fr picks the language (else Accept-Language).

    Counted against the same per-address limit as the public pages; a found
    pledge is cacheable by anyone for PUBLIC_CACHE_SECONDS, like them.
    """

    def limited(request, *args, **kwargs):
        wait = ratelimit.client_wait_seconds(request, "public", limit=settings.PUBLIC_RATE_LIMIT_PER_MINUTE)
        if wait:
            return too_many_requests(wait)
        return view(request, *args, **kwargs)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        code = languages.supported(request.GET.get("lang"))
        if code:
            # Activated rather than overridden: LocaleMiddleware writes Content-Language after the view.
            translation.activate(code)
            request.LANGUAGE_CODE = code
        origins = list(settings.EMBED_ALLOWED_ORIGINS) or [NONE]
        response = csp_replace({"frame-ancestors": origins})(limited)(request, *args, **kwargs)
        # A missing pledge may be published in a minute: only a found one is kept by shared caches.
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
        return response

    return require_safe(xframe_options_exempt(wrapped))


def too_many_requests(wait: int) -> HttpResponse:
    # Plain text: it is shown inside another site's frame, or stands in for an image.
    response = HttpResponse(
        ngettext(
            "Too many requests from your address. Try again in %(seconds)d second.",
            "Too many requests from your address. Try again in %(seconds)d seconds.",
            wait,
        )
        % {"seconds": wait},
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(wait)
    # This client's refusal alone: never kept by a shared cache.
    add_never_cache_headers(response)
    return response


def _published(pk):
    commitment = public_commitment_or_none(pk)
    if commitment is None:
        raise Http404
    return commitment


@embeddable
def card(request, pk):
    commitment = public_commitment_or_none(pk)
    if commitment is None:
        # Inside another site's frame: a short page of its own rather than the site's 404 (which refuses framing).
        return render(request, "public/embed/not_found.html", {"site_name": SITE_NAME}, status=404)
    page_url = request.build_absolute_uri(reverse("public:commitment", args=[commitment.pk]))
    return render(
        request,
        "public/embed/card.html",
        {"commitment": commitment, "page_url": page_url, "site_name": SITE_NAME},
    )


def text_width(text: str) -> float:
    """An estimate of the text's width in pixels at 11px Verdana; the SVG stretches the text to it (textLength)."""
    width = 0.0
    for char in text:
        if unicodedata.combining(char):
            continue
        if unicodedata.east_asian_width(char) in ("W", "F"):
            width += 11
        elif char in "iljI.,:;!|'` ":
            width += 3.9
        elif char in "frt()[]{}/\\-":
            width += 4.9
        elif char in "mwMW@%":
            width += 10.5
        elif char.isupper():
            width += 7.6
        else:
            width += 6.8
    return round(width, 1)


def badge_context(status: str, status_label: str) -> dict:
    label = pgettext("badge", "pledge")
    label_text = text_width(label)
    status_text = text_width(status_label)
    label_width = round(label_text + 2 * BADGE_PADDING, 1)
    status_width = round(status_text + 2 * BADGE_PADDING, 1)
    return {
        "label": label,
        "status_label": status_label,
        "summary": _("%(label)s: %(status)s") % {"label": label, "status": status_label},
        "colour": STATUS_COLOURS.get(status, STATUS_COLOURS["announced"]),
        "label_colour": LABEL_COLOUR,
        "height": BADGE_HEIGHT,
        "width": round(label_width + status_width, 1),
        "label_width": label_width,
        "status_width": status_width,
        "label_text_width": label_text,
        "status_text_width": status_text,
        "label_x": round(label_width / 2, 1),
        "status_x": round(label_width + status_width / 2, 1),
    }


@embeddable
def badge(request, pk):
    commitment = _published(pk)
    context = badge_context(commitment.status, commitment.get_status_display())
    return render(request, "public/embed/badge.svg", context, content_type="image/svg+xml; charset=utf-8")
