"""The API of contacts (an actor's offices), requests to them for evidence, and their replies.

Requests are made and withdrawn, and replies accepted or dismissed, through
tracker.evidence, whose ValidationErrors, keyed by field, are the 400s.
Replies arrive through the signed reply form only: the API reads them and
reviews them, it does not create them. All of it is internal: every read
needs the view permission of its model.
"""

import django_filters
from django.db.models import Prefetch, ProtectedError
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tracker import evidence
from tracker.models import (
    Actor,
    AssessmentCycle,
    Commitment,
    Contact,
    EvidenceRequest,
    ProgressUpdate,
    Reply,
    ReplyFile,
    Status,
)

from .filters import BoundedSearchFilter
from .permissions import ModelPermissionsWithView
from .schema import ERROR_SCHEMA
from .serializers import FullCleanMixin, NestedPrimaryKeyField, service_errors_as_400
from .views import Conflict, ModelViewSet

CHANGE = "%(app_label)s.change_%(model_name)s"


class ActingIsAChange(ModelPermissionsWithView):
    """Withdrawing a request or reviewing a reply changes it: the change permission, not the add one POST implies."""

    perms_map = {**ModelPermissionsWithView.perms_map, "POST": [CHANGE]}


class CanRecordUpdates(permissions.BasePermission):
    """Accepting a reply records a progress update as the analyst."""

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or request.user.has_perm("tracker.add_progressupdate")


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    def filter_queryset(self, queryset):
        # As ModelViewSet: filters narrow lists, not a row's own address.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


# Serializers


class ContactSerializer(FullCleanMixin, serializers.ModelSerializer):
    actor = NestedPrimaryKeyField(
        queryset=Actor.objects.all(), help_text="The actor the office answers for; written as an id."
    )

    class Meta:
        model = Contact
        fields = ["id", "actor", "name", "email", "role", "language", "is_active", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"is_active": {"help_text": "Inactive contacts are not offered or written to."}}

    def validate_actor(self, actor):
        # The requests already sent to this office stay about the actor it answered for.
        contact = self.instance
        if contact is not None and actor != contact.actor and contact.requests.exists():
            raise serializers.ValidationError(
                "This office has been sent requests for its actor; add a new contact to the other actor instead."
            )
        return actor


class ReplyFileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", help_text="The file's name as the office sent it.")
    size = serializers.IntegerField(help_text="In bytes.")
    url = serializers.SerializerMethodField(
        help_text="Where a logged-in user downloads it (served as an attachment, never shown inline)."
    )

    class Meta:
        model = ReplyFile
        fields = ["id", "name", "content_type", "size", "url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, reply_file) -> str:
        path = reverse("tracker:reply-file", args=[reply_file.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ReplyContactSerializer(serializers.Serializer):
    # As NestedPrimaryKeyField reads a contact, which cannot follow request.contact.
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ReplySerializer(serializers.ModelSerializer):
    request = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The request it answers.")
    contact = ReplyContactSerializer(source="request.contact", read_only=True, help_text="The office that replied.")
    commitment = NestedPrimaryKeyField(
        read_only=True,
        allow_null=True,
        label_field="title",
        help_text="For draft scores: the pledge whose scores it answers; null for the scores as a whole, "
        "and for an evidence request (its pledge is the request's).",
    )
    links = serializers.ListField(child=serializers.CharField(), read_only=True)
    reviewed_by = NestedPrimaryKeyField(read_only=True, allow_null=True, label_field="username")
    update = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The progress update whose evidence it became, once accepted."
    )
    files = ReplyFileSerializer(many=True, read_only=True)

    class Meta:
        model = Reply
        fields = [
            "id",
            "request",
            "contact",
            "commitment",
            "text",
            "links",
            "files",
            "state",
            "created_at",
            "reviewed_by",
            "reviewed_at",
            "update",
        ]
        read_only_fields = fields


class EvidenceRequestSerializer(serializers.ModelSerializer):
    commitment = NestedPrimaryKeyField(
        read_only=True, allow_null=True, label_field="title", help_text="The pledge asked about (evidence)."
    )
    cycle = NestedPrimaryKeyField(
        read_only=True, allow_null=True, help_text="The assessment cycle whose draft scores were sent."
    )
    member = NestedPrimaryKeyField(read_only=True, allow_null=True, help_text="The member scored (draft scores).")
    contact = NestedPrimaryKeyField(read_only=True, help_text="The office asked.")
    requested_by = NestedPrimaryKeyField(read_only=True, allow_null=True, label_field="username")

    class Meta:
        model = EvidenceRequest
        fields = [
            "id",
            "kind",
            "commitment",
            "cycle",
            "member",
            "contact",
            "message",
            "state",
            "requested_by",
            "created_at",
            "answered_at",
            "reminders_sent",
            "closed_at",
        ]
        read_only_fields = fields


class EvidenceRequestDetailSerializer(EvidenceRequestSerializer):
    replies = ReplySerializer(many=True, read_only=True, help_text="Newest first.")

    class Meta(EvidenceRequestSerializer.Meta):
        fields = [*EvidenceRequestSerializer.Meta.fields, "replies"]
        read_only_fields = fields


class EvidenceRequestCreateSerializer(serializers.Serializer):
    commitment = NestedPrimaryKeyField(
        queryset=Commitment.objects.all(), label_field="title", help_text="The pledge to ask about; an id."
    )
    contact = NestedPrimaryKeyField(
        queryset=Contact.objects.all(),
        help_text="An active office of the pledge's maker or of one of its members; an id.",
    )
    # Blank allowed here so that the service's own message says what to write.
    message = serializers.CharField(
        allow_blank=True,
        help_text=f"What is asked, in a few lines (at most {evidence.MAX_MESSAGE_LENGTH} characters); "
        "the email quotes it.",
    )


class ReplyAcceptSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, help_text="The status the reply's evidence shows.")
    progress = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        help_text="Per cent; defaults to 100 for Fulfilled and to the current progress otherwise.",
    )
    note = serializers.CharField(
        allow_blank=True, required=False, help_text="The update's note; by default the reply's text, quoted."
    )
    evidence_url = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=ProgressUpdate._meta.get_field("evidence_url").max_length,
        help_text="The update's evidence link; by default the reply's first link, or else its place on the pledge.",
    )


# Filters


class ContactFilter(django_filters.FilterSet):
    actor = django_filters.ModelChoiceFilter(queryset=Actor.objects.all(), help_text="Id of the actor.")
    is_active = django_filters.BooleanFilter(help_text="true: active contacts only; false: inactive ones.")

    class Meta:
        model = Contact
        fields = ["actor", "is_active"]


class EvidenceRequestFilter(django_filters.FilterSet):
    commitment = django_filters.ModelChoiceFilter(queryset=Commitment.objects.all(), help_text="Id of a pledge.")
    cycle = django_filters.ModelChoiceFilter(
        queryset=AssessmentCycle.objects.all(), help_text="Id of an assessment cycle (draft scores)."
    )
    contact = django_filters.ModelChoiceFilter(queryset=Contact.objects.all(), help_text="Id of a contact.")
    state = django_filters.ChoiceFilter(choices=EvidenceRequest.State.choices)
    kind = django_filters.ChoiceFilter(choices=EvidenceRequest.Kind.choices)

    class Meta:
        model = EvidenceRequest
        fields = ["commitment", "cycle", "contact", "state", "kind"]


class ReplyFilter(django_filters.FilterSet):
    request = django_filters.ModelChoiceFilter(
        queryset=EvidenceRequest.objects.all(), help_text="Id of the request answered."
    )
    state = django_filters.ChoiceFilter(choices=Reply.State.choices)

    class Meta:
        model = Reply
        fields = ["request", "state"]


# Views


@extend_schema_view(
    list=extend_schema(summary="List contacts: the offices that answer for actors"),
    retrieve=extend_schema(summary="A contact"),
    create=extend_schema(
        summary="Add a contact to an actor",
        description="An email address appears once per actor. Language is en, fr or sw: the emails' language.",
    ),
    partial_update=extend_schema(
        summary="Change a contact",
        description=(
            "Deactivating one stops its emails, those already queued included. An office that has been sent "
            "requests keeps its actor."
        ),
    ),
    destroy=extend_schema(
        summary="Delete a contact (superusers)",
        responses={204: None, 409: OpenApiResponse(ERROR_SCHEMA, description="The contact has been sent requests.")},
    ),
)
class ContactViewSet(ModelViewSet):
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filter_backends = [DjangoFilterBackend, BoundedSearchFilter]
    filterset_class = ContactFilter
    search_fields = ["name", "email"]
    # No PUT: a PATCH changes what it names.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return Contact.objects.select_related("actor")

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as error:
            raise Conflict(
                "This contact has been sent requests, which keep it on record; mark it inactive instead."
            ) from error


@extend_schema_view(
    list=extend_schema(summary="List requests to offices: for evidence on a pledge, or a reply on draft scores"),
    retrieve=extend_schema(summary="A request, with its replies and their files"),
)
class EvidenceRequestViewSet(ReadViewSet):
    queryset = EvidenceRequest.objects.all()
    serializer_class = EvidenceRequestSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EvidenceRequestFilter

    def get_queryset(self):
        queryset = EvidenceRequest.objects.select_related("commitment", "cycle", "member", "contact", "requested_by")
        if self.action == "list":
            return queryset
        replies = Reply.objects.select_related("commitment", "reviewed_by").prefetch_related("files")
        return queryset.prefetch_related(Prefetch("replies", queryset=replies))

    def get_serializer_class(self):
        return EvidenceRequestSerializer if self.action == "list" else EvidenceRequestDetailSerializer

    @extend_schema(
        summary="Ask an office for evidence on a pledge; the email goes out through the outbox",
        description=(
            "The office must be an active contact of the pledge's maker or of one of its members. The email "
            "quotes the message and links to a reply form that needs no login; an unanswered request gets at "
            f"most {evidence.MAX_REMINDERS} reminders, EVIDENCE_REMINDER_DAYS apart, and is then marked "
            "unanswered. Draft scores are sent from their assessment cycle, not here."
        ),
        request=EvidenceRequestCreateSerializer,
        responses={201: EvidenceRequestDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = EvidenceRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors_as_400():
            made = evidence.evidence_request_send(
                commitment=data["commitment"], contact=data["contact"], message=data["message"], user=request.user
            )
        return Response(self.read(made.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Withdraw a request not yet answered",
        description=(
            "Its unsent emails are cancelled and its reply link stops working. A request answered or withdrawn "
            "already is a 400 naming `state`. Needs the permission to change requests."
        ),
        request=None,
        responses={200: EvidenceRequestDetailSerializer},
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, ActingIsAChange])
    def withdraw(self, request, pk=None):
        made = self.get_object()
        with service_errors_as_400():
            evidence.evidence_request_withdraw(request=made, user=request.user)
        return Response(self.read(made.pk))

    def read(self, pk) -> dict:
        return EvidenceRequestDetailSerializer(
            self.get_queryset().get(pk=pk), context=self.get_serializer_context()
        ).data


@extend_schema_view(
    list=extend_schema(
        summary="List replies from offices, newest first",
        description="Replies come through the reply form the request's email links to; none is created here.",
    ),
    retrieve=extend_schema(summary="A reply, with its files' download addresses"),
)
class ReplyViewSet(ReadViewSet):
    queryset = Reply.objects.all()
    serializer_class = ReplySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReplyFilter

    def get_queryset(self):
        return Reply.objects.select_related("request__contact", "commitment", "reviewed_by").prefetch_related("files")

    @extend_schema(
        summary="Accept a reply as evidence: records a progress update on the request's pledge",
        description=(
            "The update moves the pledge to `status` under the same rules as any update (Fulfilled and Broken "
            "need evidence, no going back to Announced...); its evidence link is `evidence_url`, by default the "
            "reply's first link or else the reply's place on the pledge. Only a reply waiting for review, to a "
            "request for evidence, can be accepted: otherwise a 400 naming `state`. Needs the permissions to "
            "change replies and to record updates."
        ),
        request=ReplyAcceptSerializer,
        responses={200: ReplySerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, ActingIsAChange, CanRecordUpdates],
    )
    def accept(self, request, pk=None):
        reply = self.get_object()
        serializer = ReplyAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors_as_400():
            evidence.reply_accept(
                reply=reply,
                user=request.user,
                status=data["status"],
                progress=data.get("progress"),
                note=data.get("note", ""),
                evidence_url=data.get("evidence_url", ""),
            )
        return Response(self.read(reply.pk))

    @extend_schema(
        summary="Dismiss a reply: it stays on record, not as evidence",
        description="Only a reply waiting for review can be dismissed: otherwise a 400 naming `state`.",
        request=None,
        responses={200: ReplySerializer},
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, ActingIsAChange])
    def dismiss(self, request, pk=None):
        reply = self.get_object()
        with service_errors_as_400():
            evidence.reply_dismiss(reply=reply, user=request.user)
        return Response(self.read(reply.pk))

    def read(self, pk) -> dict:
        return ReplySerializer(self.get_queryset().get(pk=pk), context=self.get_serializer_context()).data
