from django.urls import include, path

from . import views

app_name = "public"

# Served under each language's prefix: /en/public/, /fr/public/, /sw/public/.
urlpatterns = [
    path("", views.board, name="board"),
    path("commitments/<int:pk>/", views.commitment, name="commitment"),
    path("actors/<int:pk>/", views.actor, name="actor"),
    path("assessments/", views.cycles, name="cycles"),
    path("assessments/<int:pk>/", views.cycle, name="cycle"),
    path("", include("tracker.public.feed_urls")),
]
