from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse

NULL_CHARACTER_MESSAGE = "The address holds a null character (%00), which no filter accepts."


class RejectNullCharactersMiddleware:
    """Answer 400 to a query string holding a NUL character.

    Forms already refuse NUL in posted text, but a filter value in the query
    string reaches the database as it is, and PostgreSQL refuses NUL in text
    with an error that would otherwise be a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            if request.path.startswith("/api/"):
                # API clients are promised JSON errors, like DRF's own 400s.
                return JsonResponse({"detail": NULL_CHARACTER_MESSAGE}, status=400)
            return HttpResponseBadRequest(NULL_CHARACTER_MESSAGE)
        return self.get_response(request)


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
