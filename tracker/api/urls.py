from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from . import assessments, continuity, evidence, milestones, money, public, views

app_name = "api"


class Router(DefaultRouter):
    # No ".json" suffix routes: a detail id is any path segment (dots
    # included), which the viewset answers, with a JSON 404 when it is no id.
    include_format_suffixes = False

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        return rf"(?P<{lookup_prefix}{viewset.lookup_url_kwarg or viewset.lookup_field}>[^/]+)"


router = Router()
router.register("actors", views.ActorViewSet, basename="actor")
router.register("events", views.EventViewSet, basename="event")
router.register("topics", views.TopicViewSet, basename="topic")
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("assessment-cycles", assessments.AssessmentCycleViewSet, basename="assessment-cycle")
router.register(
    r"assessment-cycles/(?P<cycle_id>[^/]+)/commitments",
    assessments.CycleCommitmentViewSet,
    basename="assessment-cycle-commitment",
)
router.register(
    r"assessment-cycles/(?P<cycle_id>[^/]+)/scores",
    assessments.ComplianceScoreViewSet,
    basename="assessment-cycle-score",
)
router.register("contacts", evidence.ContactViewSet, basename="contact")
router.register("evidence-requests", evidence.EvidenceRequestViewSet, basename="evidence-request")
router.register("replies", evidence.ReplyViewSet, basename="reply")
router.register("money-lines", money.MoneyLineViewSet, basename="money-line")
router.register("milestones", milestones.MilestoneViewSet, basename="milestone")
# Published pledges for anyone, without credentials (tracker/api/public.py).
router.register("public/commitments", public.PublicCommitmentViewSet, basename="public-commitment")

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="token"),
    # str, not int: an id that is not a number is DRF's JSON 404, like the router's detail routes.
    path("commitments/<str:commitment_id>/updates/", views.CommitmentUpdatesView.as_view(), name="commitment-updates"),
    path(
        "commitments/<str:commitment_id>/money-lines/",
        money.CommitmentMoneyLinesView.as_view(),
        name="commitment-money-lines",
    ),
    path(
        "commitments/<str:commitment_id>/milestones/",
        milestones.CommitmentMilestonesView.as_view(),
        name="commitment-milestones",
    ),
    # Before the router's commitments/<id>/, which would take "similar" for an id.
    path("commitments/similar/", continuity.SimilarPledgesView.as_view(), name="commitment-similar"),
    path("board/", views.BoardView.as_view(), name="board"),
    path("extract/", views.ExtractView.as_view(), name="extract"),
    *router.urls,
    # Anything else under /api/v1/ is a JSON 404 too, not Django's HTML page.
    re_path(r"^.*$", views.not_found),
]
