"""The project's URLs plus one trivial DRF view: the floor the API list is compared with."""

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns

TRIVIAL_URL = "/bench/trivial/"


class TrivialView(APIView):
    """Authentication, permission check and a tiny JSON body: all DRF costs that owe nothing to the data."""

    # The API's authentication classes (REST_FRAMEWORK settings); DjangoModelPermissions
    # needs a queryset and asks nothing of a read, so IsAuthenticated alone.
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


# The project's patterns are copied, not included: i18n_patterns (the public site) is
# only allowed in a root URLconf.
urlpatterns = [
    path("bench/trivial/", TrivialView.as_view(), name="bench-trivial"),
    *project_urlpatterns,
]
