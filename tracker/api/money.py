"""The API of a pledge's money lines, and the board's money and renewals.

Lines are added, changed and deleted through tracker.money, whose
ValidationErrors, keyed by field, are the 400s. Amounts are decimals written
as strings and are never converted: every total is per currency.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, serializers, viewsets

from tracker import money
from tracker.models import Commitment, Event, MoneyLine

from .permissions import ModelPermissionsWithView
from .serializers import NestedPrimaryKeyField, service_errors_as_400


def _path_id(value: str) -> str:
    # At most 18 digits: a bigint, and nothing int() refuses for length.
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise Http404
    return value


class MoneyLineSerializer(serializers.ModelSerializer):
    # Shapes only; the rules (amount above zero, a known currency, no day to come) are tracker.money's.
    commitment = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The pledge the money moved under.")
    kind = serializers.ChoiceField(
        choices=MoneyLine.Kind.choices, help_text="Committed (agreed, signed) or disbursed (paid)."
    )
    amount = serializers.DecimalField(
        max_digits=20, decimal_places=2, help_text="More than zero, to the cent at most; in `currency`."
    )
    currency = serializers.CharField(
        max_length=3, help_text="ISO 4217 code, such as USD, JPY or KES; written in any case, stored in capitals."
    )
    on = serializers.DateField(
        help_text="The day the money was committed or disbursed: not to come, and not before the pledge."
    )
    source_url = serializers.CharField(
        max_length=500, allow_blank=True, required=False, help_text="A web address (http or https) showing it."
    )
    note = serializers.CharField(allow_blank=True, required=False)
    created_by = NestedPrimaryKeyField(read_only=True, allow_null=True, label_field="username")

    class Meta:
        model = MoneyLine
        fields = [
            "id",
            "commitment",
            "kind",
            "amount",
            "currency",
            "on",
            "source_url",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class DeletingIsAChange(ModelPermissionsWithView):
    """Deleting a line corrects an entry: the change permission, which Analysts have, not the delete one."""

    perms_map = {**ModelPermissionsWithView.perms_map, "DELETE": ["%(app_label)s.change_%(model_name)s"]}


COMMITMENT_ID = OpenApiParameter("commitment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The pledge.")
LINE_RULES = (
    "Amounts are more than zero, to the cent; the currency is an ISO 4217 code; the day is neither to come nor "
    "before the pledge was made. More disbursed than pledged is allowed, and flagged in the pledge's `money`."
)


@extend_schema_view(
    get=extend_schema(
        summary="A pledge's money lines: committed and disbursed, oldest first", parameters=[COMMITMENT_ID]
    ),
    post=extend_schema(
        summary="Record money committed or disbursed under a pledge", description=LINE_RULES, parameters=[COMMITMENT_ID]
    ),
)
class CommitmentMoneyLinesView(generics.ListCreateAPIView):
    serializer_class = MoneyLineSerializer
    queryset = MoneyLine.objects.all()

    def get_commitment(self) -> Commitment:
        return generics.get_object_or_404(Commitment.objects.all(), pk=_path_id(self.kwargs["commitment_id"]))

    def get_queryset(self):
        # Lazy: the permission check reads the model from it before the pledge is looked up.
        return MoneyLine.objects.filter(commitment_id=_path_id(self.kwargs["commitment_id"])).select_related(
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
            serializer.instance = money.money_line_add(
                commitment=self.commitment, user=self.request.user, data=serializer.validated_data
            )


@extend_schema_view(
    retrieve=extend_schema(summary="One money line"),
    partial_update=extend_schema(summary="Correct a money line", description=LINE_RULES),
    destroy=extend_schema(
        summary="Delete a money line entered in error",
        description="Needs the permission to change money lines, as it corrects an entry; its history is kept.",
    ),
)
class MoneyLineViewSet(
    mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    queryset = MoneyLine.objects.select_related("commitment", "created_by")
    serializer_class = MoneyLineSerializer
    permission_classes = [permissions.IsAuthenticated, DeletingIsAChange]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        # A number past a bigint would reach the database (an overflow, not a 404).
        _path_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        return super().get_object()

    def perform_update(self, serializer):
        with service_errors_as_400():
            money.money_line_update(line=serializer.instance, user=self.request.user, data=serializer.validated_data)

    def perform_destroy(self, instance):
        money.money_line_delete(line=instance, user=self.request.user)


# The board


def board_money(summary: dict) -> dict:
    """Money per maker and per event, per currency, and per event its renewals of the previous event's pledges.

    From the numbers of `board_summary(money=True)`. Names come from its
    compliance tables, which hold every maker and event with pledges in the
    set; only a previous event outside it costs a query.
    """
    actor_names = {row["id"]: row["name"] for row in summary["compliance_by_actor"]}
    event_names = {row["id"]: row["name"] for row in summary["compliance_by_event"]}
    renewals = summary["renewals"]
    missing = {pk for row in renewals.values() for pk in (row.event_id, row.previous_id)} - event_names.keys()
    if missing:
        event_names |= dict(Event.objects.filter(pk__in=missing).values_list("pk", "name"))
    return {
        "money_by_actor": _money_rows(summary["money_totals"]["made_by"], actor_names),
        "money_by_event": _money_rows(summary["money_totals"]["event"], event_names),
        "renewals_by_event": sorted(
            (
                {
                    "event": {"id": row.event_id, "name": event_names.get(row.event_id, "")},
                    "previous_event": {"id": row.previous_id, "name": event_names.get(row.previous_id, "")},
                    "previous_pledges": row.previous_pledges,
                    "renewed": row.renewed,
                    "fulfilled": row.fulfilled,
                    "dropped": row.dropped,
                }
                for row in renewals.values()
            ),
            key=lambda row: (row["event"]["name"], row["event"]["id"]),
        ),
    }


def _money_rows(totals: dict, names: dict) -> list[dict]:
    # Pledges of no event have no row, as in the compliance tables.
    rows = [
        {"id": pk, "name": names.get(pk, ""), "money": by_currency}
        for pk, by_currency in totals.items()
        if pk is not None
    ]
    return sorted(rows, key=lambda row: (row["name"], row["id"]))
