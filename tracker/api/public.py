"""The public API: published pledges, read by anyone without credentials.

Only what the public pages show: no owner, watchers, check dates, follow-ups
or internal notes. Requests carry no authentication at all (no session, so no
CSRF), and are counted per address under their own throttle scope, "public".
"""

import django_filters
from django import forms
from django.db.models import Prefetch
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.throttling import ScopedRateThrottle

from tracker.filters import CommitmentFilterBase
from tracker.models import Actor, Commitment, Status, Topic
from tracker.public.queries import PUBLIC_COMMITMENT_FIELDS, public_commitments, public_note, public_updates

from .filters import BoundedSearchFilter, CommitmentFilter, CountryFilter

# The largest id a bigint column holds: a larger number is a 400, not a query.
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class IdFilter(django_filters.Filter):
    """A row's id; one that does not exist (or has no public pledge) gives an empty list, not an error.

    Unlike the analysts' API, an unknown id is no 400: that would tell who is on record without a public pledge.
    """

    field_class = IdField

    def __init__(self, *, help_text, **kwargs):
        super().__init__(**kwargs)
        extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": help_text})(self)


class PublicCommitmentFilter(CommitmentFilterBase):
    made_by = IdFilter(field_name="made_by_id", help_text="Id of the actor who pledged.")
    member = IdFilter(
        field_name="members", help_text="Id of an actor whose compliance is assessed (a member of the pledge)."
    )
    country = CountryFilter(
        field_name="made_by__country", help_text="Two-letter country code of the actor who pledged, such as KE."
    )
    event = IdFilter(field_name="event_id", help_text="Id of the event.")
    topic = IdFilter(field_name="topics", help_text="Id of a topic the pledge is about.")

    # The shared filters documented in the analysts' API's words.
    presentation = CommitmentFilter.presentation


class PublicNamedSerializer(serializers.Serializer):
    """An actor, event or topic as {id, name}."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PublicTimelineEntrySerializer(serializers.Serializer):
    """A progress update as the public sees it: never its author, and its note only when not internal."""

    id = serializers.IntegerField(read_only=True)
    recorded_on = serializers.DateField(read_only=True, help_text="The day the progress was assessed.")
    status_before = serializers.ChoiceField(choices=Status.choices, read_only=True)
    status = serializers.ChoiceField(
        choices=Status.choices, source="status_after", read_only=True, help_text="The status it moved to."
    )
    status_display = serializers.CharField(
        source="get_status_after_display", read_only=True, help_text="The status's name in the request's language."
    )
    status_changed = serializers.BooleanField(read_only=True)
    progress = serializers.IntegerField(read_only=True, help_text="Per cent, 0 to 100.")
    note = serializers.SerializerMethodField(help_text='The note, when it is public; else "".')
    evidence_url = serializers.CharField(read_only=True, help_text='A web address showing the progress, or "".')

    def get_note(self, update) -> str:
        return public_note(update)


class PublicCommitmentSerializer(serializers.ModelSerializer):
    made_by = PublicNamedSerializer(read_only=True, help_text="The actor who pledged.")
    counterparts = PublicNamedSerializer(
        source="counterpart_list", many=True, read_only=True, help_text="Actors the pledge was made to."
    )
    members = PublicNamedSerializer(
        source="member_list",
        many=True,
        read_only=True,
        help_text="Actors whose compliance is assessed; empty means the maker alone.",
    )
    event = PublicNamedSerializer(read_only=True, allow_null=True, help_text="The event where it was made.")
    topics = PublicNamedSerializer(source="topic_list", many=True, read_only=True)
    kind_display = serializers.CharField(
        source="get_kind_display", read_only=True, help_text="The kind's name in the request's language."
    )
    status_display = serializers.CharField(
        source="get_status_display", read_only=True, help_text="The status's name in the request's language."
    )
    source_url = serializers.CharField(read_only=True, help_text='The source\'s web address, or "".')
    pledged_amount = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The money the pledge names, in pledged_currency; null when it names none.",
    )
    pledged_currency = serializers.CharField(read_only=True, help_text='ISO 4217 code of the pledged amount, or "".')
    url = serializers.SerializerMethodField(help_text="The pledge's public page, in the request's language.")

    class Meta:
        model = Commitment
        # The pledge's public columns, then its related rows by name, the display names and its public page.
        fields = [
            *PUBLIC_COMMITMENT_FIELDS,
            "members",
            "counterparts",
            "topics",
            "kind_display",
            "status_display",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, commitment) -> str:
        path = reverse("public:commitment", args=[commitment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class PublicCommitmentDetailSerializer(PublicCommitmentSerializer):
    timeline = PublicTimelineEntrySerializer(
        source="public_timeline",
        many=True,
        read_only=True,
        help_text="Status changes, evidence links and public notes, newest first.",
    )

    class Meta(PublicCommitmentSerializer.Meta):
        fields = [*PublicCommitmentSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


def public_commitments_for_api(*, timeline: bool = False):
    """Published pledges with their public columns and related rows: one query each, however many pledges."""
    named = ("id", "name")
    queryset = (
        public_commitments()
        .select_related("made_by", "event")
        .only(
            *PUBLIC_COMMITMENT_FIELDS, *(f"{related}__{field}" for related in ("made_by", "event") for field in named)
        )
        .prefetch_related(
            Prefetch("counterparts", queryset=Actor.objects.only(*named), to_attr="counterpart_list"),
            Prefetch("members", queryset=Actor.objects.only(*named), to_attr="member_list"),
            Prefetch("topics", queryset=Topic.objects.only(*named), to_attr="topic_list"),
        )
    )
    if timeline:
        queryset = queryset.prefetch_related(Prefetch("updates", queryset=public_updates(), to_attr="public_timeline"))
    return queryset


PUBLIC_DESCRIPTION = (
    "Published pledges only, for anyone: no credentials are read (send none). Names of statuses and kinds "
    "follow the Accept-Language header (en, fr, sw); codes stay English. Requests are limited per address."
)


@extend_schema_view(
    list=extend_schema(
        tags=["public"],
        summary="List published pledges, filtered and searched",
        description=PUBLIC_DESCRIPTION,
    ),
    retrieve=extend_schema(
        tags=["public"],
        summary="A published pledge with its public timeline",
        description=PUBLIC_DESCRIPTION + " An unpublished pledge is not found (404).",
    ),
)
class PublicCommitmentViewSet(viewsets.ReadOnlyModelViewSet):
    authentication_classes = []
    permission_classes = [AllowAny]
    # JSON only: the browsable API's page writes a CSRF token, which sets a cookie on a public answer.
    renderer_classes = [JSONRenderer]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    filter_backends = [DjangoFilterBackend, BoundedSearchFilter]
    filterset_class = PublicCommitmentFilter
    search_fields = ["title", "description", "quote"]

    def get_queryset(self):
        return public_commitments_for_api(timeline=self.action == "retrieve")

    def get_serializer_class(self):
        return PublicCommitmentDetailSerializer if self.action == "retrieve" else PublicCommitmentSerializer

    def filter_queryset(self, queryset):
        # Filters narrow the list; a pledge's own address ignores them.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)
