"""What the API reads and writes.

Related rows read nested as {"id", "name"} (users as {"id", "username"}) and
are written as ids. Pledges and progress updates are written through
tracker.services, so the API follows the same rules as the board and the admin.
"""

import copy
from collections.abc import Mapping
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.settings import api_settings

from tracker.milestones import suggested_progress
from tracker.models import Actor, Commitment, Event, Milestone, ProgressUpdate, Status, Topic
from tracker.money import commitment_money


@contextmanager
def service_errors_as_400():
    """A service's ValidationError (keyed by model field) becomes DRF's field-keyed 400."""
    try:
        yield
    except DjangoValidationError as error:
        raise serializers.ValidationError(field_errors(error)) from error


def field_errors(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


MAX_RELATED_IDS = 100


class BoundedManyRelatedField(serializers.ManyRelatedField):
    """A list of ids, at most MAX_RELATED_IDS: each is looked up, so the list is kept to what a person sends."""

    default_error_messages = {"too_many": f"Give at most {MAX_RELATED_IDS}."}

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > MAX_RELATED_IDS:
            self.fail("too_many")
        return super().to_internal_value(data)


class NestedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """Reads as {"id": 3, "name": "..."}, writes as the id alone (3)."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update((key, value) for key, value in kwargs.items() if key in MANY_RELATION_KWARGS)
        return BoundedManyRelatedField(**list_kwargs)

    def __init__(self, *, label_field="name", **kwargs):
        self.label_field = label_field
        super().__init__(**kwargs)

    def use_pk_only_optimization(self):
        return False

    def to_internal_value(self, data):
        # Only whole numbers: 1.5 or "1e3" would otherwise be coerced to some id.
        if isinstance(data, bool) or not (isinstance(data, int) or (isinstance(data, str) and data.isascii())):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and not data.isdigit():
            self.fail("incorrect_type", data_type="str")
        return super().to_internal_value(data)

    def to_representation(self, value):
        return {"id": value.pk, self.label_field: getattr(value, self.label_field)}

    def get_choices(self, cutoff=None):
        # The browsable API's forms offer choices keyed by what is written: the id.
        queryset = self.get_queryset()
        if queryset is None:
            return {}
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {item.pk: self.display_value(item) for item in queryset}


class FullCleanMixin:
    """Run the model's own validation (constraints included) so a bad row is a 400, not a database error."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        with service_errors_as_400():
            # Uniqueness is checked by the serializer's own validators already.
            candidate.full_clean(validate_unique=False)
        return attrs


class ActorSerializer(FullCleanMixin, serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ["id", "name", "kind", "country", "role", "aliases"]


class EventSerializer(FullCleanMixin, serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "name", "location", "country", "starts_on", "ends_on", "url"]


class TopicSerializer(FullCleanMixin, serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["id", "name", "slug"]


def _users():
    return get_user_model().objects.all()


class CurrencyMoneySerializer(serializers.Serializer):
    """One currency's money: amounts in different currencies are never added up or converted."""

    # No max_digits: a sum over many pledges may have more digits than any one amount.
    currency = serializers.CharField(read_only=True, help_text="ISO 4217 code.")
    pledged = serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True)
    committed = serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True)
    disbursed = serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True)
    over_pledged = serializers.BooleanField(
        read_only=True, help_text="More disbursed than pledged: allowed, and flagged."
    )


class PledgeMilestoneSerializer(serializers.ModelSerializer):
    """A milestone as its pledge shows it; written at /commitments/<id>/milestones/ and /milestones/<id>/."""

    evidence_url = serializers.CharField(read_only=True, help_text='A web address showing it was done, or "".')
    is_overdue = serializers.BooleanField(read_only=True, help_text="Not done, and past its due date.")

    class Meta:
        model = Milestone
        fields = ["id", "title", "due_on", "weight", "done_on", "evidence_url", "is_overdue"]
        read_only_fields = fields


READ_ONLY_BY_SERVICE = {
    "status": "Record a progress update (POST to this pledge's updates/) to change the status.",
    "progress": "Record a progress update (POST to this pledge's updates/) to change the progress.",
}


class CommitmentSerializer(serializers.ModelSerializer):
    made_by = NestedPrimaryKeyField(queryset=Actor.objects.all(), help_text="The actor who pledged; written as an id.")
    counterparts = NestedPrimaryKeyField(
        queryset=Actor.objects.all(),
        many=True,
        required=False,
        help_text="Actors the pledge was made to; written as ids.",
    )
    members = NestedPrimaryKeyField(
        queryset=Actor.objects.all(),
        many=True,
        required=False,
        help_text="Actors whose compliance is assessed; empty means the maker alone. Written as ids.",
    )
    event = NestedPrimaryKeyField(
        queryset=Event.objects.all(),
        allow_null=True,
        required=False,
        help_text="The event where it was made; written as an id.",
    )
    topics = NestedPrimaryKeyField(queryset=Topic.objects.all(), many=True, required=False)
    owner = NestedPrimaryKeyField(
        queryset=_users(),
        label_field="username",
        allow_null=True,
        required=False,
        help_text="The user responsible for following it up; written as an id.",
    )
    watchers = NestedPrimaryKeyField(queryset=_users(), label_field="username", many=True, required=False)
    is_overdue = serializers.BooleanField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The pledge's page on the status board.")
    compliance_score = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="+1 fulfilled, 0 partial or in progress, -1 stalled or broken."
    )
    pledged_amount = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        min_value=Decimal("0.01"),
        allow_null=True,
        required=False,
        help_text="The money the pledge names, in pledged_currency; the two are given together or not at all.",
    )
    pledged_currency = serializers.CharField(
        max_length=3,
        allow_blank=True,
        allow_null=True,
        required=False,
        help_text="ISO 4217 code of the pledged amount, such as USD, JPY or KES; stored in capitals.",
    )
    renews = NestedPrimaryKeyField(
        queryset=Commitment.objects.all(),
        label_field="title",
        allow_null=True,
        required=False,
        help_text="The earlier pledge this one renews or follows up; written as an id.",
    )
    renewed_by = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the later pledges that renew this one, latest first."
    )
    money = serializers.SerializerMethodField(
        help_text="Pledged, committed and disbursed per currency (never converted or added across currencies)."
    )
    milestones = PledgeMilestoneSerializer(many=True, read_only=True, help_text="The pledge's steps, by due date.")
    suggested_progress = serializers.SerializerMethodField(
        help_text="The progress in per cent that the done milestones' share of the weights suggests; null without "
        "milestones. The pledge's own progress changes only through a progress update."
    )

    class Meta:
        model = Commitment
        fields = [
            "id",
            "title",
            "description",
            "quote",
            "source_url",
            "source_title",
            "made_by",
            "counterparts",
            "members",
            "event",
            "made_on",
            "kind",
            "topics",
            "status",
            "progress",
            "due_on",
            "check_every_days",
            "next_check_on",
            "owner",
            "watchers",
            "is_public",
            "pledged_amount",
            "pledged_currency",
            "money",
            "renews",
            "renewed_by",
            "milestones",
            "suggested_progress",
            "is_overdue",
            "compliance_score",
            "url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "progress", "created_at", "updated_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, commitment) -> str:
        path = commitment.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else settings.SITE_URL.rstrip("/") + path

    @extend_schema_field(CurrencyMoneySerializer(many=True))
    def get_money(self, commitment) -> list:
        # One query for the pledge's lines: the detail shows one pledge.
        return CurrencyMoneySerializer(commitment_money(commitment).by_currency, many=True).data

    @extend_schema_field(serializers.IntegerField(min_value=0, max_value=100, allow_null=True))
    def get_suggested_progress(self, commitment) -> int | None:
        # The milestones come from the detail's prefetch, which `milestones` reads too.
        return suggested_progress(commitment.milestones.all())

    def validate_pledged_currency(self, value):
        # No currency is "", as the model keeps it; the service checks the code and writes it in capitals.
        return value or ""

    def validate(self, attrs):
        # Read-only fields are otherwise dropped in silence; a client trying
        # to change them is told how instead.
        errors = {}
        for name, message in READ_ONLY_BY_SERVICE.items():
            if name not in self.initial_data:
                continue
            current = (
                getattr(self.instance, name) if self.instance is not None else Commitment._meta.get_field(name).default
            )
            if str(self.initial_data[name]) != str(current):
                errors[name] = [message]
        if errors:
            raise serializers.ValidationError(errors)
        return super().validate(attrs)


class ProgressUpdateSerializer(serializers.ModelSerializer):
    author = NestedPrimaryKeyField(read_only=True, label_field="username")
    status = serializers.ChoiceField(choices=Status.choices, source="status_after", help_text="The status it moves to.")
    progress = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        help_text="Per cent; defaults to 100 for Fulfilled and to the current progress otherwise.",
    )
    recorded_on = serializers.DateField(
        required=False, help_text="The day the progress was assessed; today if omitted."
    )
    expected_status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        write_only=True,
        help_text="The status the client last saw; if another update changed it since, the update is refused.",
    )

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "commitment",
            "author",
            "recorded_on",
            "status_before",
            "status",
            "progress",
            "note",
            "note_is_internal",
            "evidence_url",
            "expected_status",
            "created_at",
        ]
        read_only_fields = ["commitment", "status_before", "created_at"]
        extra_kwargs = {"evidence_url": {"help_text": "Needed for Fulfilled and Broken."}}


class BoardItemSerializer(serializers.ModelSerializer):
    made_by = NestedPrimaryKeyField(read_only=True)

    class Meta:
        model = Commitment
        fields = ["id", "title", "made_by", "status", "progress", "next_check_on", "due_on"]


StatusCountsSerializer = type(
    "StatusCountsSerializer",
    (serializers.Serializer,),
    {status: serializers.IntegerField(read_only=True) for status in Status.values},
)


class ComplianceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    mean = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Mean compliance score from -1 to +1; null when none is scored."
    )
    scored = serializers.IntegerField(read_only=True, help_text="Pledges with a score (not announced or withdrawn).")
    total = serializers.IntegerField(read_only=True)


class TotalMoneySerializer(CurrencyMoneySerializer):
    pledges = serializers.IntegerField(read_only=True, help_text="Pledges with a pledged amount in this currency.")


class GroupMoneySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    money = TotalMoneySerializer(many=True, read_only=True, help_text="One entry per currency.")


class NamedRowSerializer(serializers.Serializer):
    """An actor or an event, as {id, name}."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class EventRenewalsSerializer(serializers.Serializer):
    event = NamedRowSerializer(read_only=True)
    previous_event = NamedRowSerializer(
        read_only=True, help_text="The event most of the pledges this event's pledges renew were made at."
    )
    previous_pledges = serializers.IntegerField(read_only=True, help_text="All the previous event's pledges.")
    renewed = serializers.IntegerField(read_only=True, help_text="Of those, the ones a later pledge renews.")
    fulfilled = serializers.IntegerField(read_only=True, help_text="Fulfilled, and not renewed.")
    dropped = serializers.IntegerField(read_only=True, help_text="Neither renewed nor fulfilled.")


class BoardSerializer(serializers.Serializer):
    today = serializers.DateField(read_only=True)
    counts = StatusCountsSerializer(read_only=True, help_text="Pledges per status.")
    total = serializers.IntegerField(read_only=True)
    overdue_count = serializers.IntegerField(read_only=True)
    overdue = BoardItemSerializer(many=True, read_only=True, help_text="The 20 most overdue open pledges.")
    due_soon = BoardItemSerializer(many=True, read_only=True, help_text="Open pledges to check in the next 14 days.")
    recently_updated = BoardItemSerializer(many=True, read_only=True, help_text="The 20 most recently changed.")
    compliance_by_actor = ComplianceSerializer(many=True, read_only=True)
    compliance_by_event = ComplianceSerializer(many=True, read_only=True)
    money_by_actor = GroupMoneySerializer(
        many=True, read_only=True, help_text="Money of the pledges per maker, per currency; makers with money only."
    )
    money_by_event = GroupMoneySerializer(
        many=True, read_only=True, help_text="Money of the pledges per event, per currency; events with money only."
    )
    renewals_by_event = EventRenewalsSerializer(
        many=True,
        read_only=True,
        help_text="Per event whose pledges renew earlier ones: what became of the previous event's pledges.",
    )


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as the header `Authorization: Token <token>`.")


class ExtractRequestSerializer(serializers.Serializer):
    """The article's text or its url, one of them."""

    # Not trimmed and blank allowed, so that the view can say "text is empty" itself.
    text = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        trim_whitespace=False,
        help_text="The article's text. Send it or url, not both.",
    )
    url = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=500,
        help_text=(
            "The article's address (http or https), instead of its text: the page is fetched and its text and "
            "date are read from it. Send it or text, not both."
        ),
    )
    date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=(
            "The article's date (YYYY-MM-DD): relative deadlines count from it. "
            "Default: the fetched page's date, else today."
        ),
    )

    def to_internal_value(self, data):
        # Neither given: "text" is required, reported together with the other fields' errors.
        neither = isinstance(data, Mapping) and "text" not in data and "url" not in data
        required = {"text": [ErrorDetail(self.fields["text"].error_messages["required"], code="required")]}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if neither and isinstance(error.detail, dict):
                raise serializers.ValidationError({**required, **error.detail}) from None
            raise
        if neither:
            raise serializers.ValidationError(required)
        return values

    def validate(self, attrs):
        if attrs["text"].strip() and attrs["url"].strip():
            # Neither is dropped silently: the client says which article is meant.
            raise serializers.ValidationError({"url": [gettext("Send the article's text or its url, not both.")]})
        return attrs


class AmountSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="As written, such as $5.5 billion.")
    value = serializers.FloatField()
    currency = serializers.CharField(allow_blank=True)


class DraftSourceSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="The page's address, after redirects.")
    title = serializers.CharField(allow_blank=True, help_text="The article's title, as the page gives it.")
    date = serializers.DateField(allow_null=True, help_text="The article's date, as the page gives it.")


class DraftSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The sentence holding the pledge.")
    actor = serializers.CharField(allow_blank=True, help_text="Who pledged, as named in the text.")
    actor_id = serializers.IntegerField(allow_null=True, help_text="The known actor it matched, if any.")
    counterpart = serializers.CharField(allow_blank=True)
    counterpart_id = serializers.IntegerField(allow_null=True)
    kind = serializers.ChoiceField(choices=Commitment.Kind.choices)
    due = serializers.DateField(allow_null=True, help_text="The deadline the text gives, if any.")
    amount = AmountSerializer(allow_null=True)
    cue = serializers.CharField(help_text="The words that made it a pledge.")
    confidence = serializers.FloatField(min_value=0, max_value=1)
    title = serializers.CharField(help_text="A suggested short title.")
    source = DraftSourceSerializer(
        allow_null=True, help_text="The fetched page the draft comes from, when `url` was sent; null for `text`."
    )


# On each pledge's own address only: each would cost a list one more query per page.
DETAIL_ONLY_FIELDS = ("watchers", "members", "money", "renewed_by", "milestones", "suggested_progress")


# Formatting as the fields above do it (the API's date settings), for the list's own to_representation.
_as_date = serializers.DateField().to_representation
_as_amount = CommitmentSerializer._declared_fields["pledged_amount"].to_representation
# Any id that cannot be mistaken for another part of an address (see CommitmentListSerializer.address_of).
_SAMPLE_ID = 918273645546372819


def _named(row, label_field="name"):
    return None if row is None else {"id": row.pk, label_field: getattr(row, label_field)}


class CommitmentListSerializer(CommitmentSerializer):
    """A pledge in a list: everything but its watchers, members, money lines, renewals and milestones (on the
    pledge's own address), so that a page is five queries."""

    class Meta(CommitmentSerializer.Meta):
        fields = [name for name in CommitmentSerializer.Meta.fields if name not in DETAIL_ONLY_FIELDS]

    @cached_property
    def address_of(self):
        """The pledge's `url` from its id: reverse() once for the page instead of once a row."""
        head, _, tail = self.get_url(Commitment(pk=_SAMPLE_ID)).partition(str(_SAMPLE_ID))
        return lambda pk: f"{head}{pk}{tail}"

    @cached_property
    def as_datetime(self):
        """DateTimeField's output in the current time zone, looked up once for the page instead of twice a row."""
        return serializers.DateTimeField(default_timezone=timezone.get_current_timezone()).to_representation

    def to_representation(self, commitment):
        # The same keys and values as the fields give (tests/test_api.py compares the two), written out: DRF's
        # walk through the fields, a reverse() a row included, took six times as long for a page of 50. The
        # fields above still describe the list in the OpenAPI schema.
        as_datetime = self.as_datetime
        return {
            "id": commitment.pk,
            "title": commitment.title,
            "description": commitment.description,
            "quote": commitment.quote,
            "source_url": commitment.source_url,
            "source_title": commitment.source_title,
            "made_by": _named(commitment.made_by),
            "counterparts": [_named(actor) for actor in commitment.counterpart_list],
            "event": _named(commitment.event),
            "made_on": _as_date(commitment.made_on),
            "kind": commitment.kind,
            "topics": [_named(topic) for topic in commitment.topic_list],
            "status": commitment.status,
            "progress": commitment.progress,
            "due_on": _as_date(commitment.due_on),
            "check_every_days": commitment.check_every_days,
            "next_check_on": _as_date(commitment.next_check_on),
            "owner": _named(commitment.owner, "username"),
            "is_public": commitment.is_public,
            "pledged_amount": None if commitment.pledged_amount is None else _as_amount(commitment.pledged_amount),
            "pledged_currency": commitment.pledged_currency,
            "renews": _named(commitment.renews, "title"),
            "is_overdue": commitment.is_overdue,
            "compliance_score": commitment.compliance_score,
            "url": self.address_of(commitment.pk),
            "created_at": as_datetime(commitment.created_at),
            "updated_at": as_datetime(commitment.updated_at),
        }
