"""The API of a pledge's milestones: listed and added under the pledge, changed, marked done and deleted on their own.

Milestones are added, changed and deleted through tracker.milestones, whose
ValidationErrors, keyed by field, are the 400s. The serializer reads shapes
only (a date is a date, a weight a whole number), and refuses fields it does
not know rather than dropping them in silence.
"""

from collections.abc import Mapping

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, serializers, viewsets

from tracker import milestones
from tracker.models import MAX_MILESTONE_WEIGHT, Commitment, Milestone

from .money import COMMITMENT_ID, DeletingIsAChange, _path_id
from .schema import VALIDATION_ERROR_SCHEMA
from .serializers import NestedPrimaryKeyField, service_errors_as_400

# The browsable API's HTML forms post Django's CSRF token with the fields.
NOT_A_FIELD = {"csrfmiddlewaretoken"}


class MilestoneSerializer(serializers.ModelSerializer):
    # Shapes only; the rules (a title, due not before the pledge, done not to come, weights 1 to 100, a web
    # address) are tracker.milestones'.
    commitment = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The pledge the step belongs to.")
    title = serializers.CharField(
        allow_blank=True, help_text="What the step is, such as “Bill passed by parliament”; at most 300 characters."
    )
    due_on = serializers.DateField(help_text="The day the step is due: not before the pledge was made.")
    weight = serializers.IntegerField(
        required=False,
        help_text=f"Its share of the pledge's progress against the other steps: 1 to {MAX_MILESTONE_WEIGHT}; 1 if "
        "omitted.",
    )
    done_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The day the step was done (not to come, not before the pledge); null while it is not.",
    )
    evidence_url = serializers.CharField(
        max_length=500,
        allow_blank=True,
        required=False,
        help_text="A web address (http or https) showing it was done.",
    )
    is_overdue = serializers.BooleanField(read_only=True, help_text="Not done, and past its due date.")
    created_by = NestedPrimaryKeyField(read_only=True, allow_null=True, label_field="username")

    class Meta:
        model = Milestone
        fields = [
            "id",
            "commitment",
            "title",
            "due_on",
            "weight",
            "done_on",
            "evidence_url",
            "is_overdue",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def to_internal_value(self, data):
        # DRF drops unknown keys; a misspelt "done" would otherwise be a 200 that marked nothing done.
        known = {*self.fields, *NOT_A_FIELD}
        names = data.keys() if isinstance(data, Mapping) else ()
        unknown = {name: ["There is no such field."] for name in names if name not in known}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                raise serializers.ValidationError({**unknown, **error.detail}) from error
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


MILESTONE_RULES = (
    "A title is needed; the due day is not before the pledge was made; the done day (null while not done) is "
    f"neither to come nor before the pledge; the weight is a whole number from 1 to {MAX_MILESTONE_WEIGHT}; the "
    "evidence is an http or https address. Fields the milestone does not have are refused, not ignored."
)
BAD_MILESTONE = OpenApiResponse(
    VALIDATION_ERROR_SCHEMA, description="A rule broken or a field unknown, with a message per field."
)


@extend_schema_view(
    get=extend_schema(summary="A pledge's milestones, by due date", parameters=[COMMITMENT_ID]),
    post=extend_schema(
        summary="Add a milestone to a pledge",
        description=MILESTONE_RULES,
        parameters=[COMMITMENT_ID],
        responses={201: MilestoneSerializer, 400: BAD_MILESTONE},
    ),
)
class CommitmentMilestonesView(generics.ListCreateAPIView):
    serializer_class = MilestoneSerializer
    queryset = Milestone.objects.all()

    def get_commitment(self) -> Commitment:
        return generics.get_object_or_404(Commitment.objects.all(), pk=_path_id(self.kwargs["commitment_id"]))

    def get_queryset(self):
        # Lazy: the permission check reads the model from it before the pledge is looked up.
        return Milestone.objects.filter(commitment_id=_path_id(self.kwargs["commitment_id"])).select_related(
            "created_by"
        )

    def list(self, request, *args, **kwargs):
        self.get_commitment()  # an unknown pledge is a 404, not an empty list
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        self.commitment = self.get_commitment()  # a 404 before any 400 about the body
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        with service_errors_as_400():
            serializer.instance = milestones.milestone_add(
                commitment=self.commitment, user=self.request.user, data=serializer.validated_data
            )


@extend_schema_view(
    retrieve=extend_schema(summary="One milestone"),
    partial_update=extend_schema(
        summary="Change a milestone, or mark it done (done_on, with evidence_url)",
        description=MILESTONE_RULES + " Moving the due date or marking it done cancels its unsent reminders.",
        responses={200: MilestoneSerializer, 400: BAD_MILESTONE},
    ),
    destroy=extend_schema(
        summary="Delete a milestone",
        description="Needs the permission to change milestones, as money lines do; its history is kept and its "
        "unsent reminders are cancelled.",
    ),
)
class MilestoneViewSet(
    mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    queryset = Milestone.objects.select_related("commitment", "created_by")
    serializer_class = MilestoneSerializer
    permission_classes = [permissions.IsAuthenticated, DeletingIsAChange]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        # A number past a bigint would reach the database (an overflow, not a 404).
        _path_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        return super().get_object()

    def perform_update(self, serializer):
        with service_errors_as_400():
            milestones.milestone_update(
                milestone=serializer.instance, user=self.request.user, data=serializer.validated_data
            )

    def perform_destroy(self, instance):
        milestones.milestone_delete(milestone=instance, user=self.request.user)
