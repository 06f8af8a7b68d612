from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .selectors import services_health


@never_cache
@require_GET
def healthz(request):
    """Database and broker reachability for load balancers and compose; no login (no data in it)."""
    health = services_health()
    return JsonResponse(health, status=200 if health["database"]["ok"] else 503)
