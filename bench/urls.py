"""The project's URLs plus one trivial DRF view: the floor the API list is compared with."""

from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

TRIVIAL_URL = "/bench/trivial/"


class TrivialView(APIView):
    """Authentication, permission check and a tiny JSON body: all DRF costs that owe nothing to the data."""

    # The API's authentication classes (REST_FRAMEWORK settings); DjangoModelPermissions
    # needs a queryset and asks nothing of a read, so IsAuthenticated alone.
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/trivial/", TrivialView.as_view(), name="bench-trivial"),
    path("", include("config.urls")),
]
