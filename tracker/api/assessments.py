"""The API of assessment cycles: cycles, their pledges and criteria, scores, review and publishing, the report.

Every write goes through tracker.assessments, whose ValidationErrors, keyed
by field, are the 400s. Reads are a fixed number of queries however many
pledges, members or cells a cycle has.
"""

import django_filters
from django.db.models import Prefetch
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tracker import assessments
from tracker.assessment_report import cycle_report, report_as_dict
from tracker.assessments import MAX_EVIDENCE_LINKS, commitment_members
from tracker.models import (
    Actor,
    AssessmentCycle,
    Commitment,
    ComplianceScore,
    CycleCommitment,
    Event,
    Score,
    ScoreRevision,
    Status,
)

from .permissions import ModelPermissionsWithView
from .serializers import NestedPrimaryKeyField, service_errors_as_400
from .views import ModelViewSet

SCORE_CHOICES = [(value, label) for value, label in Score.choices if value is not None]
CHANGE = "%(app_label)s.change_%(model_name)s"


def _path_id(value: str) -> str:
    # At most 18 digits: a bigint, and nothing int() refuses for length.
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise Http404
    return value


class MoveIsAChange(ModelPermissionsWithView):
    """Moving a cycle between states changes it: the change permission, not the add one that POST implies."""

    perms_map = {**ModelPermissionsWithView.perms_map, "POST": [CHANGE]}


class RemovalIsAChange(ModelPermissionsWithView):
    """Taking a pledge out of a draft cycle is editing the cycle, which Analysts may do; deleting is not
    granted to them, and the removed criteria and scores stay in the history."""

    perms_map = {**ModelPermissionsWithView.perms_map, "DELETE": [CHANGE]}


# Serializers


class AssessmentCycleSerializer(serializers.ModelSerializer):
    event = NestedPrimaryKeyField(
        queryset=Event.objects.all(),
        allow_null=True,
        required=False,
        help_text="The summit assessed; written as an id.",
    )
    previous = NestedPrimaryKeyField(
        queryset=AssessmentCycle.objects.all(),
        allow_null=True,
        required=False,
        help_text="The interim cycle a final one follows (its report shows the change since); written as an id.",
    )
    created_by = NestedPrimaryKeyField(read_only=True, allow_null=True, label_field="username")

    class Meta:
        model = AssessmentCycle
        fields = [
            "id",
            "name",
            "event",
            "kind",
            "period_start",
            "period_end",
            "previous",
            "state",
            "published_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["state", "published_at", "created_at"]

    def validate(self, attrs):
        # A read-only field is otherwise dropped in silence; say how to change it instead.
        current = self.instance.state if self.instance is not None else AssessmentCycle.State.DRAFT
        if "state" in self.initial_data and str(self.initial_data["state"]) != current:
            raise serializers.ValidationError({"state": ["Move a cycle with a POST to its state/ address."]})
        return super().validate(attrs)


class CellRefSerializer(serializers.Serializer):
    commitment = serializers.IntegerField(help_text="The pledge's id.")
    member = serializers.IntegerField(help_text="The member's (an actor's) id.")


class PledgeIdSerializer(serializers.Serializer):
    commitment = serializers.IntegerField(help_text="The pledge's id.")


class MissingSerializer(serializers.Serializer):
    pledges = serializers.IntegerField(help_text="Pledges in the cycle.")
    not_assessed = CellRefSerializer(many=True, help_text="Cells with no score yet.")
    no_rationale = CellRefSerializer(many=True, help_text="Scored cells without a rationale.")
    no_criteria = PledgeIdSerializer(many=True, help_text="Pledges missing a criterion for +1, 0 or -1.")
    complete = serializers.BooleanField(help_text="True when nothing is missing.")


class CycleMovedSerializer(AssessmentCycleSerializer):
    missing = MissingSerializer(
        read_only=True, allow_null=True, help_text="What is still missing, when the cycle is in review; else null."
    )

    class Meta(AssessmentCycleSerializer.Meta):
        fields = [*AssessmentCycleSerializer.Meta.fields, "missing"]


def missing_as_dict(cycle: AssessmentCycle) -> dict:
    missing = assessments.cycle_missing(cycle)
    return {
        "pledges": missing["pledges"],
        "not_assessed": [{"commitment": c.pk, "member": m.pk} for c, m in missing["not_assessed"]],
        "no_rationale": [{"commitment": c.pk, "member": m.pk} for c, m in missing["no_rationale"]],
        "no_criteria": [{"commitment": c.pk} for c in missing["no_criteria"]],
        "complete": missing["complete"],
    }


class CycleMoveSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=AssessmentCycle.State.choices,
        help_text="draft -> review, review -> draft, review -> published; published is final.",
    )


class CopyToFinalSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="The final cycle's name.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    event = NestedPrimaryKeyField(
        queryset=Event.objects.all(),
        allow_null=True,
        required=False,
        help_text="Written as an id; the interim cycle's event if omitted.",
    )


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PublishedPledgeSerializer(serializers.Serializer):
    title = serializers.CharField()
    maker = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    progress = serializers.IntegerField(allow_null=True)
    topics = serializers.ListField(child=serializers.CharField())


class CycleCommitmentSerializer(serializers.ModelSerializer):
    commitment = NestedPrimaryKeyField(read_only=True, label_field="title")
    members = serializers.SerializerMethodField(
        help_text="Whose compliance is scored: the pledge's members as they stand, or its maker alone."
    )
    published = serializers.SerializerMethodField(
        help_text="The pledge as it stood when the cycle was published, which the report shows; null until then."
    )

    class Meta:
        model = CycleCommitment
        fields = [
            "commitment",
            "position",
            "members",
            "criteria_full",
            "criteria_partial",
            "criteria_none",
            "published",
        ]
        read_only_fields = ["position"]

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, entry):
        return [{"id": actor.pk, "name": actor.name} for actor in commitment_members(entry.commitment)]

    @extend_schema_field(PublishedPledgeSerializer(allow_null=True))
    def get_published(self, entry):
        if not entry.cycle.is_published:
            return None
        return {
            "title": entry.published_title,
            "maker": entry.published_maker,
            "status": entry.published_status,
            "progress": entry.published_progress,
            "topics": entry.published_topics,
        }


class AddCommitmentsSerializer(serializers.Serializer):
    commitments = NestedPrimaryKeyField(
        queryset=Commitment.objects.all(),
        label_field="title",
        many=True,
        allow_empty=False,
        help_text="Ids of the pledges to add, after those the cycle has; pledges already in it are left as they are.",
    )


class AddedSerializer(serializers.Serializer):
    added = serializers.IntegerField(help_text="How many of the pledges were new to the cycle.")


class ScoreRevisionSerializer(serializers.ModelSerializer):
    score_before = serializers.IntegerField(read_only=True, allow_null=True, help_text="-1, 0, +1, or null.")
    score_after = serializers.IntegerField(read_only=True, allow_null=True, help_text="-1, 0, +1, or null.")
    revised_by = NestedPrimaryKeyField(read_only=True, allow_null=True, label_field="username")

    class Meta:
        model = ScoreRevision
        fields = [
            "id",
            "score_before",
            "score_after",
            "rationale_before",
            "rationale_after",
            "reason",
            "revised_by",
            "revised_at",
        ]
        read_only_fields = fields


class ScoreFieldsMixin(serializers.Serializer):
    score = serializers.ChoiceField(
        choices=SCORE_CHOICES,
        allow_null=True,
        required=False,
        help_text="+1 full compliance, 0 partial or in progress, -1 no compliance; null: not assessed.",
    )
    rationale = serializers.CharField(
        allow_blank=True, required=False, help_text="Why this score; needed for +1 and -1."
    )
    evidence_urls = serializers.ListField(
        child=serializers.CharField(max_length=2000),
        max_length=MAX_EVIDENCE_LINKS,
        required=False,
        help_text="Web addresses (http or https); +1 and -1 need at least one.",
    )


class ComplianceScoreSerializer(ScoreFieldsMixin, serializers.ModelSerializer):
    commitment = NestedPrimaryKeyField(
        queryset=Commitment.objects.all(), label_field="title", help_text="One of the cycle's pledges; an id."
    )
    member = NestedPrimaryKeyField(
        queryset=Actor.objects.all(), help_text="One of the pledge's members (its maker if it names none); an id."
    )
    scored_by = NestedPrimaryKeyField(read_only=True, allow_null=True, label_field="username")
    revisions = ScoreRevisionSerializer(
        many=True, read_only=True, help_text="Corrections made after publishing, oldest first."
    )

    class Meta:
        model = ComplianceScore
        fields = [
            "id",
            "commitment",
            "member",
            "score",
            "rationale",
            "evidence_urls",
            "scored_by",
            "scored_at",
            "revisions",
        ]
        read_only_fields = ["scored_at"]
        # The cell's uniqueness is score_set's upsert, not a refusal.
        validators = []


class ScoreChangeSerializer(ScoreFieldsMixin):
    reason = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text="Only for a published cycle: why the score is corrected. The change is recorded as a revision.",
    )


# The report's JSON (tracker.assessment_report.report_as_dict), for the schema.


class ReportCycleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AssessmentCycle.Kind.choices)
    state = serializers.ChoiceField(choices=AssessmentCycle.State.choices)
    event = serializers.IntegerField(allow_null=True)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    published_at = serializers.DateTimeField(allow_null=True)
    previous = serializers.IntegerField(allow_null=True, help_text="The interim cycle the change is measured from.")


def _average(help_text="Mean score, -1 to +1; null when nothing is scored."):
    return serializers.FloatField(allow_null=True, help_text=help_text)


def _percentage():
    return serializers.FloatField(allow_null=True, help_text="(mean + 1) / 2 x 100.")


def _change():
    return serializers.FloatField(
        allow_null=True, help_text="Change of the average since the previous cycle; null without one."
    )


class ReportSummarySerializer(serializers.Serializer):
    pledges = serializers.IntegerField()
    members = serializers.IntegerField()
    cells = serializers.IntegerField(help_text="Member x pledge cells, scored or not.")
    scored = serializers.IntegerField()
    not_assessed = serializers.IntegerField()
    average = _average()
    percentage = _percentage()


class ReportMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True, help_text="1 is best; ties share a rank; null with no score.")
    cells = serializers.IntegerField()
    scored = serializers.IntegerField()
    average = _average()
    percentage = _percentage()
    change = _change()


class ReportCellSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    member_name = serializers.CharField()
    score = serializers.IntegerField(allow_null=True)
    rationale = serializers.CharField(allow_blank=True)
    evidence_urls = serializers.ListField(child=serializers.CharField())


class ReportPledgeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    maker = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    progress = serializers.IntegerField()
    topics = serializers.ListField(child=serializers.CharField())
    criteria_full = serializers.CharField(allow_blank=True)
    criteria_partial = serializers.CharField(allow_blank=True)
    criteria_none = serializers.CharField(allow_blank=True)
    average = _average()
    percentage = _percentage()
    change = _change()
    scores = ReportCellSerializer(many=True)


class ReportTopicSerializer(serializers.Serializer):
    name = serializers.CharField()
    pledges = serializers.IntegerField()
    scored = serializers.IntegerField()
    average = _average()
    percentage = _percentage()


class ReportRevisionSerializer(serializers.Serializer):
    pledge = serializers.IntegerField()
    member = serializers.IntegerField()
    member_name = serializers.CharField()
    score_before = serializers.IntegerField(allow_null=True)
    score_after = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    revised_by = serializers.CharField(allow_null=True)
    revised_at = serializers.DateTimeField()


class ReportSerializer(serializers.Serializer):
    cycle = ReportCycleSerializer()
    summary = ReportSummarySerializer()
    members = ReportMemberSerializer(many=True, help_text="Ranked by average, best first; unscored members last.")
    pledges = ReportPledgeSerializer(many=True, help_text="In the cycle's order.")
    topics = ReportTopicSerializer(many=True)
    revisions = ReportRevisionSerializer(many=True, help_text="Corrections after publishing, oldest first.")


# Views


class CycleFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=AssessmentCycle.State.choices)
    kind = django_filters.ChoiceFilter(choices=AssessmentCycle.Kind.choices)
    event = django_filters.ModelChoiceFilter(queryset=Event.objects.all(), help_text="Id of the event assessed.")

    class Meta:
        model = AssessmentCycle
        fields = ["state", "kind", "event"]


PUBLISHED_IS_FROZEN = "A published cycle is frozen: this is a 400 naming `cycle`."


@extend_schema_view(
    list=extend_schema(summary="List assessment cycles, latest period first"),
    retrieve=extend_schema(summary="An assessment cycle"),
    create=extend_schema(
        summary="Create an assessment cycle (it starts as a draft)",
        description="A final cycle may name the interim cycle it follows as `previous`.",
    ),
    partial_update=extend_schema(
        summary="Change a cycle's name, event, kind, period or previous cycle",
        description=f"Not its state (see state/). {PUBLISHED_IS_FROZEN}",
    ),
)
class AssessmentCycleViewSet(ModelViewSet):
    queryset = AssessmentCycle.objects.all()
    serializer_class = AssessmentCycleSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CycleFilter
    # No PUT (a PATCH changes what it names) and no DELETE: a cycle is kept.
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return AssessmentCycle.objects.select_related("event", "previous", "created_by")

    def perform_create(self, serializer):
        with service_errors_as_400():
            serializer.instance = assessments.cycle_create(user=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer):
        with service_errors_as_400():
            serializer.instance = assessments.cycle_update(
                cycle=serializer.instance, user=self.request.user, data=serializer.validated_data
            )

    @extend_schema(
        summary="Move a cycle: to review, back to draft, or publish it",
        description=(
            "draft -> review, review -> draft, review -> published. Review locks nothing; the answer lists what "
            "is missing (cells not assessed, scores without a rationale, pledges without criteria). Publishing "
            "freezes the cycle: each pledge's title, maker, status, progress and topics as they stand, its "
            "criteria and every cell; afterwards a score changes only by a revision with a reason."
        ),
        request=CycleMoveSerializer,
        responses={200: CycleMovedSerializer},
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, MoveIsAChange])
    def state(self, request, pk=None):
        cycle = self.get_object()
        serializer = CycleMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors_as_400():
            assessments.cycle_move(cycle=cycle, state=serializer.validated_data["state"], user=request.user)
        cycle.missing = missing_as_dict(cycle) if cycle.state == AssessmentCycle.State.REVIEW else None
        return Response(CycleMovedSerializer(cycle, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Start the final cycle from an interim one: its pledges, in order, and their criteria; no scores",
        description="The new cycle is a draft whose `previous` is this interim cycle.",
        request=CopyToFinalSerializer,
        responses={201: AssessmentCycleSerializer},
    )
    @action(detail=True, methods=["post"], url_path="copy-to-final")
    def copy_to_final(self, request, pk=None):
        cycle = self.get_object()
        serializer = CopyToFinalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors_as_400():
            final = assessments.cycle_copy_to_final(cycle=cycle, user=request.user, data=serializer.validated_data)
        return Response(
            AssessmentCycleSerializer(final, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="The cycle's report: averages per member (ranked), per pledge and per topic, and the revisions",
        description=(
            "Averages in the G7 Research Group's manner: the mean of the scores (-1..+1), and as a percentage "
            "(mean + 1) / 2 x 100; cells not assessed count as cells, never as scores. A published cycle "
            "reports what was frozen at publishing, with later revisions applied and listed; a final cycle "
            "gives each member's and pledge's change since its interim cycle."
        ),
        responses={200: ReportSerializer},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def report(self, request, pk=None):
        return Response(report_as_dict(cycle_report(self.get_object())))


CYCLE_ID = OpenApiParameter("cycle_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The assessment cycle.")
ENTRY_COMMITMENT_ID = OpenApiParameter(
    "commitment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The pledge (its id, not the entry's)."
)


class CycleChildViewSet(viewsets.GenericViewSet):
    """Rows under assessment-cycles/<cycle_id>/; an unknown cycle is a 404."""

    def filter_queryset(self, queryset):
        # As ModelViewSet: filters narrow lists, not a row's own address.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_cycle(self) -> AssessmentCycle:
        if not hasattr(self, "_cycle"):
            self._cycle = generics.get_object_or_404(AssessmentCycle.objects.all(), pk=self.cycle_id())
        return self._cycle

    def cycle_id(self) -> str:
        return _path_id(self.kwargs["cycle_id"])

    def get_object(self):
        # The row's id too: a number past a bigint would reach the database (an overflow, not a 404).
        _path_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        return super().get_object()

    def list(self, request, *args, **kwargs):
        self.get_cycle()  # an unknown cycle is a 404, not an empty list
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(summary="The cycle's pledges, in order, with their members and criteria"),
    retrieve=extend_schema(summary="One pledge of the cycle", parameters=[ENTRY_COMMITMENT_ID]),
    partial_update=extend_schema(
        summary="Write a pledge's criteria for +1, 0 and -1 in this cycle",
        description="A published cycle is frozen: this is a 400 naming `criteria_full`.",
        parameters=[ENTRY_COMMITMENT_ID],
    ),
    destroy=extend_schema(
        summary="Take a pledge out of the cycle, with its criteria and scores",
        description=(
            "Needs the permission to change pledges in cycles. A published cycle is frozen: this is a 400 "
            "naming `commitment`."
        ),
        parameters=[ENTRY_COMMITMENT_ID],
        responses={204: None},
    ),
)
@extend_schema(parameters=[CYCLE_ID])
class CycleCommitmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, CycleChildViewSet
):
    queryset = CycleCommitment.objects.all()
    serializer_class = CycleCommitmentSerializer
    permission_classes = [permissions.IsAuthenticated, RemovalIsAChange]
    lookup_field = "commitment_id"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            CycleCommitment.objects.filter(cycle_id=self.cycle_id())
            .select_related("cycle", "commitment__made_by")
            .prefetch_related(Prefetch("commitment__members", queryset=Actor.objects.only("id", "name")))
        )

    @extend_schema(
        summary="Add pledges to the cycle",
        description="Each goes after those the cycle has, with empty criteria. A published cycle takes no pledges.",
        request=AddCommitmentsSerializer,
        responses={200: AddedSerializer, 201: AddedSerializer},
    )
    def create(self, request, *args, **kwargs):
        cycle = self.get_cycle()
        serializer = AddCommitmentsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors_as_400():
            added = assessments.cycle_add_commitments(
                cycle=cycle, commitments=serializer.validated_data["commitments"], user=request.user
            )
        return Response({"added": added}, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)

    def perform_update(self, serializer):
        with service_errors_as_400():
            assessments.criteria_set(entry=serializer.instance, user=self.request.user, data=serializer.validated_data)

    def destroy(self, request, *args, **kwargs):
        entry = self.get_object()
        with service_errors_as_400():
            assessments.cycle_remove_commitment(cycle=entry.cycle, commitment=entry.commitment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScoreFilter(django_filters.FilterSet):
    commitment = django_filters.ModelChoiceFilter(queryset=Commitment.objects.all(), help_text="Id of a pledge.")
    member = django_filters.ModelChoiceFilter(queryset=Actor.objects.all(), help_text="Id of a member.")

    class Meta:
        model = ComplianceScore
        fields = ["commitment", "member"]


@extend_schema_view(
    list=extend_schema(summary="The cycle's scores, each with its revisions"),
    retrieve=extend_schema(summary="One score"),
    create=extend_schema(
        summary="Score a member on one of the cycle's pledges",
        description=(
            "Sets the cell for (commitment, member): creates it (201) or, when the cell exists, replaces its "
            "score, rationale and evidence with those sent (200; what is omitted is cleared). +1 and -1 need a "
            f"rationale and at least one evidence link. {PUBLISHED_IS_FROZEN}"
        ),
        request=ComplianceScoreSerializer,
        responses={200: ComplianceScoreSerializer, 201: ComplianceScoreSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a score; on a published cycle, revise it giving a reason",
        description=(
            "While the cycle is not published, changes the fields sent. On a published cycle a change without "
            "`reason` is a 400 naming `cycle`; with a `reason` it is a revision: the score changes, and who, "
            "when, why and what it was before are kept and shown in `revisions` and in the report. A `reason` "
            "on a cycle that is not published is a 400 naming `cycle`."
        ),
        request=ScoreChangeSerializer,
        responses={200: ComplianceScoreSerializer},
    ),
)
@extend_schema(parameters=[CYCLE_ID])
class ComplianceScoreViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    CycleChildViewSet,
):
    queryset = ComplianceScore.objects.all()
    serializer_class = ComplianceScoreSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ScoreFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            ComplianceScore.objects.filter(cycle_id=self.cycle_id())
            .select_related("commitment", "member", "scored_by")
            .prefetch_related(Prefetch("revisions", queryset=ScoreRevision.objects.select_related("revised_by")))
            .order_by("commitment_id", "member__name", "id")
        )

    def get_serializer_class(self):
        return ScoreChangeSerializer if self.action == "partial_update" else ComplianceScoreSerializer

    def create(self, request, *args, **kwargs):
        cycle = self.get_cycle()
        serializer = ComplianceScoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = ComplianceScore.objects.filter(
            cycle=cycle, commitment=data["commitment"], member=data["member"]
        ).exists()
        with service_errors_as_400():
            cell = assessments.score_set(
                cycle=cycle,
                commitment=data["commitment"],
                member=data["member"],
                score=data.get("score"),
                rationale=data.get("rationale", ""),
                evidence_urls=data.get("evidence_urls", []),
                user=request.user,
            )
        return Response(self.read(cell.pk), status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        cell = self.get_object()
        serializer = ScoreChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with service_errors_as_400():
            if "reason" in data:
                reason = data.pop("reason")
                assessments.score_revise(score=cell, user=request.user, data=data, reason=reason)
            else:
                assessments.score_set(
                    cycle=self.get_cycle(),
                    commitment=cell.commitment,
                    member=cell.member,
                    score=data.get("score", cell.score),
                    rationale=data.get("rationale", cell.rationale),
                    evidence_urls=data.get("evidence_urls", cell.evidence_urls),
                    user=request.user,
                )
        return Response(self.read(cell.pk))

    def read(self, pk) -> dict:
        return ComplianceScoreSerializer(self.get_queryset().get(pk=pk), context=self.get_serializer_context()).data
