"""The API of continuity: a pledge's maker's earlier pledges that read like it (tracker.continuity)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from tracker.continuity import similar_earlier_pledges
from tracker.models import Actor, Commitment

from .schema import VALIDATION_ERROR_SCHEMA
from .serializers import NamedRowSerializer, NestedPrimaryKeyField

MAX_QUOTE_LENGTH = 2000
# The largest bigint: an id past it is no row's, and would overflow the database's integer.
MAX_ID = 2**63 - 1


class SimilarQuerySerializer(serializers.Serializer):
    made_by = NestedPrimaryKeyField(queryset=Actor.objects.all(), help_text="Id of the actor making the pledge.")
    title = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    quote = serializers.CharField(required=False, allow_blank=True, max_length=MAX_QUOTE_LENGTH, default="")
    made_on = serializers.DateField(
        required=False, help_text="The day the pledge is made: only pledges made on or before it are offered."
    )
    exclude = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Id of a pledge to leave out: the one being edited."
    )


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="commitment.pk", read_only=True)
    title = serializers.CharField(source="commitment.title", read_only=True)
    made_on = serializers.DateField(source="commitment.made_on", read_only=True)
    event = NamedRowSerializer(source="commitment.event", read_only=True, allow_null=True)
    similarity = serializers.FloatField(read_only=True, help_text="From 0 to 1; 1 is the same words.")


class SimilarPledgesView(generics.GenericAPIView):
    queryset = Commitment.objects.all()  # reading pledges: their view permission
    serializer_class = SuggestionSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        operation_id="commitments_similar",
        summary="Earlier pledges of the same maker that read like this one, most alike first",
        description=(
            "For a pledge being recorded: the maker's pledges whose title and quote read most like the ones given, "
            "at most five, so that a renewal can be linked (`renews`) and a duplicate caught. Another maker's "
            "pledges are never offered. Title and quote together need a dozen characters or more to compare."
        ),
        parameters=[SimilarQuerySerializer],
        responses={
            200: SuggestionSerializer(many=True),
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA, description="made_by missing or unknown, or a bad parameter."
            ),
        },
    )
    def get(self, request):
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        suggestions = similar_earlier_pledges(
            made_by=data["made_by"],
            title=data["title"],
            quote=data["quote"],
            made_on=data.get("made_on"),
            exclude=data.get("exclude"),
        )
        return Response(SuggestionSerializer(suggestions, many=True).data)
