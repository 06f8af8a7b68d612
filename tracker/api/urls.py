from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter()
router.register("actors", views.ActorViewSet, basename="actor")
router.register("events", views.EventViewSet, basename="event")
router.register("topics", views.TopicViewSet, basename="topic")
router.register("commitments", views.CommitmentViewSet, basename="commitment")

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="token"),
    # str, not int: an id that is not a number is DRF's JSON 404, like the router's detail routes.
    path("commitments/<str:commitment_id>/updates/", views.CommitmentUpdatesView.as_view(), name="commitment-updates"),
    path("board/", views.BoardView.as_view(), name="board"),
    *router.urls,
]
