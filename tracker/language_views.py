from django.conf import settings
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import languages, services


@require_POST
def switch(request):
    """The language switcher: the page again, in the chosen language.

    A signed-in analyst's choice is saved in their preferences (their emails
    follow it); anyone else's in the language cookie, as Django's set_language
    does. A POST, so that a crawler following links changes nothing.
    """
    code = languages.supported(request.POST.get("language"))
    if code is None or code not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Choose one of the languages offered."))
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    # translate_url resolves the address in the active language: a public
    # address names its own (/fr/public/), which must be active to resolve.
    with translation.override(translation.get_language_from_path(next_url) or translation.get_language()):
        next_url = translate_url(next_url, code)
    response = HttpResponseRedirect(next_url)
    if request.user.is_authenticated:
        services.notification_preference_update(user=request.user, data={"language": code})
    languages.remember(request, code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
