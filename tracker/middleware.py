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
