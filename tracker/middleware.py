from itertools import chain

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import languages

# Translated when answered, in the language LocaleMiddleware chose (it runs first).
# xgettext:no-python-format
NULL_CHARACTER_MESSAGE = gettext_noop("The address holds a null character (%00), which no filter accepts.")
NULL_HEADER_MESSAGE = gettext_noop("A header or cookie holds a null character, which HTTP does not allow.")


class RejectNullCharactersMiddleware:
    """Answer 400 to a query string, header or cookie holding a NUL character.

    Forms and serializers already refuse NUL in posted text, but a filter
    value in the query string, a session cookie, an API token or a user agent
    (recorded for a failed login) reaches the database as it is, and
    PostgreSQL refuses NUL in text with an error that would otherwise be a 500.
    RFC 9110 (section 5.5) lets a server reject a header holding NUL.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _null_character_problem(request)
        if problem is None:
            return self.get_response(request)
        message = _(problem)
        if request.path.startswith("/api/"):
            # API clients are promised JSON errors, like DRF's own 400s.
            return JsonResponse({"detail": message}, status=400)
        return HttpResponseBadRequest(message)


def _null_character_problem(request) -> str | None:
    if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
        return NULL_CHARACTER_MESSAGE
    headers = (str(value) for key, value in request.META.items() if key.startswith("HTTP_"))
    # A cookie's quoted "\000" decodes to NUL, so cookies are checked decoded too.
    if any("\x00" in value for value in chain(headers, request.COOKIES.values())):
        return NULL_HEADER_MESSAGE
    return None


class PermissionsPolicyMiddleware:
    """Turn off browser features the tracker never uses, for every response."""

    POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.POLICY)
        return response


def client_ip(request) -> str:
    """The address a request came from, as far as the configured proxies vouch for it (TRUSTED_PROXIES)."""
    if settings.TRUSTED_PROXIES:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= settings.TRUSTED_PROXIES:
            return hops[-settings.TRUSTED_PROXIES]
    return request.META.get("REMOTE_ADDR", "")


class UserLanguageMiddleware:
    """A signed-in analyst's pages in the language of their preferences.

    The language is in the session (tracker.languages.remember), so this
    reads no table. The public pages (whose address names the language) and
    requests without a session cookie are left to LocaleMiddleware: reading
    the session would add `Vary: Cookie` to pages meant for shared caches.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            and translation.get_language_from_path(request.path_info) is None
        ):
            code = languages.supported(request.session.get(languages.SESSION_KEY))
            if code:
                translation.activate(code)
                request.LANGUAGE_CODE = code
        return self.get_response(request)
