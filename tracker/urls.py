from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "tracker"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # TEMPORARY (replaced by the board branch's views at merge).
    path(
        "commitments/<int:pk>/",
        RedirectView.as_view(pattern_name="admin:tracker_commitment_change"),
        name="commitment-detail",
    ),
    path("preferences/", RedirectView.as_view(pattern_name="admin:index"), name="preferences"),
]
