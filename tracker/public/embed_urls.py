# Embeddable cards and status badges: the only routes other sites may frame.
from django.urls import path

from . import embed

app_name = "embed"

urlpatterns = [
    path("commitments/<int:pk>/", embed.card, name="card"),
    path("commitments/<int:pk>/badge.svg", embed.badge, name="badge"),
]
