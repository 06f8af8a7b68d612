from django.contrib.auth.signals import user_logged_in
from django.db.models import ProtectedError
from django.http import Http404, JsonResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from tracker import services
from tracker.article_fetch import MAX_REDIRECTS, FetchError, fetch_article
from tracker.extraction import MAX_TEXT_CHARS, ExtractionError, extract_pledges, text_too_long
from tracker.lockout import lockout_message
from tracker.models import Actor, Commitment, Event, ProgressUpdate, Topic
from tracker.selectors import (
    actors_for_extraction,
    board_summary,
    commitments_for_api,
    commitments_for_api_list,
    progress_updates_for_api,
)

from .filters import BoundedSearchFilter, CommitmentFilter, CommitmentListFilter
from .money import board_money
from .schema import ERROR_SCHEMA, VALIDATION_ERROR_SCHEMA
from .serializers import (
    ActorSerializer,
    BoardSerializer,
    CommitmentListSerializer,
    CommitmentSerializer,
    DraftSerializer,
    EventSerializer,
    ExtractRequestSerializer,
    ProgressUpdateSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    TopicSerializer,
    service_errors_as_400,
)

COMMITMENT_SEARCH_FIELDS = ["title", "description", "quote"]


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


@extend_schema(
    tags=["auth"],
    summary="Exchange a username and password for an API token",
    request=TokenRequestSerializer,
    responses={
        200: TokenSerializer,
        429: OpenApiResponse(ERROR_SCHEMA, description="Too many failed logins, or too many requests."),
    },
)
class TokenObtainView(ObtainAuthToken):
    """The same token every time for a user; a wrong password is a 400 (non_field_errors).

    Login throttling (django-axes, tracker/lockout.py) counts attempts here as
    on the login pages; one refused for a locked-out username and address, or
    address, gets a 429 saying so, without its password being checked.
    """

    authentication_classes = ()
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"
    # ObtainAuthToken names its own parsers; the project's refuse deep JSON.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            if getattr(request, "login_refused", False):
                return Response(
                    {"detail": lockout_message(request.login_lock)}, status=status.HTTP_429_TOO_MANY_REQUESTS
                )
            raise
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        # A login, as on the pages: axes clears the username's counted attempts
        # on this signal, without which every success would count towards a lockout.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response({"token": token.key})


class ModelViewSet(viewsets.ModelViewSet):
    def filter_queryset(self, queryset):
        # Filters and search narrow lists; a row's own address ignores them
        # (DRF would otherwise apply them to it, as the schema does not say).
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class ActorViewSet(ModelViewSet):
    queryset = Actor.objects.all()
    serializer_class = ActorSerializer
    filter_backends = [BoundedSearchFilter]
    search_fields = ["name", "aliases", "role"]

    @extend_schema(
        responses={204: None, 409: OpenApiResponse(ERROR_SCHEMA, description="The actor has pledges or scores.")}
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as error:
            raise Conflict(
                "This actor has pledges or compliance scores on record; delete or reassign them first."
            ) from error


class EventViewSet(ModelViewSet):
    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filter_backends = [BoundedSearchFilter]
    search_fields = ["name", "location"]


class TopicViewSet(ModelViewSet):
    queryset = Topic.objects.all()
    serializer_class = TopicSerializer
    filter_backends = [BoundedSearchFilter]
    search_fields = ["name", "slug"]


@extend_schema_view(
    list=extend_schema(summary="List pledges, filtered, searched and ordered"),
    create=extend_schema(summary="Record a new pledge (it starts as Announced)"),
    update=extend_schema(summary="Change a pledge's fields (not its status or progress)"),
    partial_update=extend_schema(summary="Change some of a pledge's fields (not its status or progress)"),
)
class CommitmentViewSet(ModelViewSet):
    serializer_class = CommitmentSerializer
    queryset = Commitment.objects.all()
    filter_backends = [DjangoFilterBackend, BoundedSearchFilter]
    filterset_class = CommitmentListFilter
    search_fields = COMMITMENT_SEARCH_FIELDS

    def get_queryset(self):
        if self.action == "list":
            return commitments_for_api_list()
        if self.action == "retrieve":
            # Its milestones and the progress they suggest, in one query however many there are.
            return commitments_for_api().prefetch_related("milestones")
        return commitments_for_api()

    def get_serializer_class(self):
        return CommitmentListSerializer if self.action == "list" else CommitmentSerializer

    def perform_create(self, serializer):
        with service_errors_as_400():
            serializer.instance = services.commitment_create(user=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer):
        with service_errors_as_400():
            services.commitment_update(
                commitment=serializer.instance, user=self.request.user, data=serializer.validated_data
            )

    @extend_schema(
        responses={204: None, 409: OpenApiResponse(ERROR_SCHEMA, description="The pledge is in an assessment cycle.")}
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as error:
            raise Conflict(
                "This pledge is in an assessment cycle; take it out of the cycle first "
                "(a published cycle keeps it for good)."
            ) from error


COMMITMENT_ID = OpenApiParameter("commitment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The pledge.")


@extend_schema_view(
    get=extend_schema(summary="A pledge's timeline of progress updates, newest first", parameters=[COMMITMENT_ID]),
    post=extend_schema(
        summary="Record a progress update: moves the pledge's status and progress and schedules its next check",
        description=(
            "The same rules as the board: no update to a closed pledge, Fulfilled and Broken need an evidence "
            "link, Fulfilled means 100%, no going back to Announced, no date in the future or before the "
            "pledge. Send expected_status to be refused if someone else's update got there first."
        ),
        parameters=[COMMITMENT_ID],
    ),
)
class CommitmentUpdatesView(generics.ListCreateAPIView):
    serializer_class = ProgressUpdateSerializer
    queryset = ProgressUpdate.objects.all()

    def get_commitment(self):
        return generics.get_object_or_404(Commitment.objects.all(), pk=self.kwargs["commitment_id"])

    def get_queryset(self):
        # Lazy: the permission check reads the model from it before the pledge is looked up.
        commitment_id = self.kwargs["commitment_id"]
        # At most 18 digits: a bigint, and nothing int() refuses for length.
        if not (commitment_id.isascii() and commitment_id.isdigit() and len(commitment_id) <= 18):
            raise Http404
        return progress_updates_for_api(commitment_id=commitment_id)

    def list(self, request, *args, **kwargs):
        self.get_commitment()  # an unknown pledge is a 404, not an empty timeline
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        self.commitment = self.get_commitment()  # a 404 before any 400 about the body
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        with service_errors_as_400():
            serializer.instance = services.progress_record(
                commitment=self.commitment,
                author=self.request.user,
                status=data["status_after"],
                progress=data.get("progress"),
                note=data.get("note", ""),
                note_is_internal=data.get("note_is_internal", True),
                evidence_url=data.get("evidence_url", ""),
                recorded_on=data.get("recorded_on"),
                expected_status=data.get("expected_status"),
            )


@extend_schema(
    summary="The board's summary: counts per status, overdue, due soon, compliance and money per actor and event",
    description=(
        "Takes the same filters as the pledge list, to summarise a subset. Money is totalled per currency, "
        "never converted: an actor with pledges in dollars and in yen has two totals."
    ),
    responses={200: BoardSerializer},
)
class BoardView(generics.GenericAPIView):
    queryset = Commitment.objects.all()
    serializer_class = BoardSerializer
    filter_backends = [DjangoFilterBackend, BoundedSearchFilter]
    filterset_class = CommitmentFilter
    search_fields = COMMITMENT_SEARCH_FIELDS
    pagination_class = None
    summarises_filtered_list = True  # tracker.api.schema documents the filters

    def get(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        # Unfiltered, the numbers over every pledge come from a cache (tracker.board_cache).
        summary = board_summary(queryset=queryset, cached=not request.query_params, money=True)
        summary.update(board_money(summary))
        return Response(BoardSerializer(summary).data)


class CanCreatePledges(permissions.BasePermission):
    """Drafting pledges is the first step of adding them: the analysts' right to add pledges."""

    def has_permission(self, request, view):
        return request.user.has_perm("tracker.add_commitment")


class TextTooLong(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_long"


@extend_schema(
    tags=["extract"],
    summary="Draft pledges from an article's text or its address",
    description=(
        "Finds the sentences that pledge something and returns them as drafts: who pledged (matched against "
        "known actors and their aliases), to whom, the kind, the deadline, the amount, the cue words and a "
        "confidence. Nothing is saved. Another language or junk gives an empty list. "
        f"At most {MAX_TEXT_CHARS:,} characters. "
        "With `url` instead of `text`, the page is fetched (http or https, public addresses only, at most "
        f"{MAX_REDIRECTS} redirects, HTML only, a size limit) and its article text read; its date is the "
        "default `date`, and each draft's `source` gives the page's address, title and date."
    ),
    request=ExtractRequestSerializer,
    responses={
        200: DraftSerializer(many=True),
        400: OpenApiResponse(
            VALIDATION_ERROR_SCHEMA,
            description=(
                "The text is empty, both text and url are given, or the date is not a date; or the page at `url` "
                "gave no article (unreachable, refused, too large, not HTML, an HTTP error, no article text), "
                "said under `url`."
            ),
        ),
        413: OpenApiResponse(
            VALIDATION_ERROR_SCHEMA, description=f"The text is longer than {MAX_TEXT_CHARS:,} characters."
        ),
    },
)
class ExtractView(generics.GenericAPIView):
    permission_classes = [permissions.IsAuthenticated, CanCreatePledges]
    queryset = Commitment.objects.none()  # nothing is read or saved; for the schema's sake
    serializer_class = ExtractRequestSerializer
    pagination_class = None

    def post(self, request):
        serializer = ExtractRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text = serializer.validated_data["text"]
        url = serializer.validated_data["url"].strip()
        article_date = serializer.validated_data.get("date")
        source = None
        if url:
            try:
                article = fetch_article(url)
            except FetchError as error:
                raise ValidationError({"url": [error.message]}) from None
            text = article.text
            article_date = article_date or article.date
            source = {"url": article.url, "title": article.title, "date": article.date and article.date.isoformat()}
        elif text_too_long(text):
            raise TextTooLong(
                {"text": [f"The text is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}."]}
            )
        elif not text.strip():
            raise ValidationError({"text": ["text is empty"]})
        try:
            drafts = extract_pledges(text, article_date=article_date, actors=actors_for_extraction())
        except ExtractionError as error:
            raise ValidationError({"url" if url else "text": [str(error)]}) from None
        return Response([{**draft.to_dict(), "source": source} for draft in drafts])


def not_found(request, *args, **kwargs):
    return JsonResponse({"detail": "Not found."}, status=404)
