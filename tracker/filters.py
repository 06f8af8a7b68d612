"""The status board's filters: the query string of `/` and of `/commitments.csv`."""

import copy

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tracker import continuity, money, selectors
from tracker.models import Commitment, Status

SEARCH_MAX_LENGTH = 200
TRUE_VALUES = frozenset({"true", "1", "on", "yes"})
FALSE_VALUES = frozenset({"false", "0", "off", "no", ""})


class FlagCheckbox(forms.CheckboxInput):
    """A checkbox that hands the raw value to its field, so that `overdue=nope` is an error, not True."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: str(value).lower() in TRUE_VALUES)

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class ListSelect(forms.Select):
    """A `<select>` that writes its options in its own template rather than including one template per option.

    The same HTML as Django's; the board's actor, event, topic and owner
    lists run to hundreds of options, and an include each was a quarter of
    the board's rendering time (bench/). Options carry no attributes but
    `selected` (`Select.option_inherits_attrs` is False). The template is in
    tracker/templates/, where the default form renderer looks.
    """

    template_name = "tracker/widgets/select.html"


class FlagField(forms.Field):
    widget = FlagCheckbox
    default_error_messages = {"invalid": _("Use true or false.")}

    def to_python(self, value):
        if value is None or value is False:
            return False
        if value is True:
            return True
        value = str(value).strip().lower()
        if value in TRUE_VALUES:
            return True
        if value in FALSE_VALUES:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class FlagFilter(django_filters.Filter):
    field_class = FlagField


class SortFilter(django_filters.OrderingFilter):
    """Whitelisted sorting; empty dates last on every database, and the id breaks ties for paging."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        name = self.param_map[param[1:] if descending else param]
        expression = F(name)
        return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        tiebreak = "-id" if value[0].startswith("-") else "id"
        return qs.order_by(*ordering, tiebreak)


class CommitmentFilterBase(django_filters.FilterSet):
    """The filters the board and the API share: the same names, values and meaning in both query strings.

    How each is shown is the subclass's own, in `presentation`: filter name
    to its label and form field arguments (the board's labels and widgets,
    the API's help texts for its OpenAPI document).
    """

    # A column of the pledge itself: no join, so no DISTINCT.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    kind = django_filters.ChoiceFilter(choices=Commitment.Kind.choices)
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    presentation: dict[str, dict] = {}

    class Meta:
        model = Commitment
        fields = []

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        for name, options in cls.presentation.items():
            options = dict(options)
            shown = filters[name] = copy.deepcopy(filters[name])
            shown.label = options.pop("label", None)
            shown.extra.update(options)
        return filters

    def status_tiles(self, counts: dict) -> list[dict]:
        """A tile per status with its count in `counts`, `current` when the filter asks for that status alone."""
        chosen = (self.form.cleaned_data.get("status") or []) if self.is_bound else []
        return [
            {
                "status": status.value,
                "label": status.label,
                "count": counts[status.value],
                "current": chosen == [status.value],
            }
            for status in Status
        ]


# The shared filters as a page's form shows them: the analysts' board and the public one.
PAGE_PRESENTATION = {
    "status": {"label": _("Status"), "widget": forms.CheckboxSelectMultiple},
    "kind": {"label": _("Kind"), "empty_label": _("Any kind"), "widget": ListSelect},
    "due_after": {"label": _("Due on or after"), "widget": forms.DateInput(attrs={"type": "date"})},
    "due_before": {"label": _("Due on or before"), "widget": forms.DateInput(attrs={"type": "date"})},
}


class BoardFilterForm(forms.Form):
    # The shared filters among the board's own, in the order the page shows them.
    field_order = [
        "q",
        "status",
        "made_by",
        "country",
        "event",
        "topic",
        "kind",
        "owner",
        "mine",
        "overdue",
        "has_money",
        "renewing",
        "renewed",
        "due_after",
        "due_before",
        "sort",
    ]


class CommitmentFilter(CommitmentFilterBase):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("Words from the title, description or quote."),
    )
    made_by = django_filters.ChoiceFilter(label=_("Actor (made by)"), empty_label=_("Any actor"), widget=ListSelect)
    country = django_filters.ChoiceFilter(
        field_name="made_by__country",
        label=_("Country of maker"),
        empty_label=pgettext_lazy("any country", "Any"),
        widget=ListSelect,
    )
    event = django_filters.ChoiceFilter(label=_("Event"), empty_label=_("Any event"), widget=ListSelect)
    topic = django_filters.ChoiceFilter(
        field_name="topics", label=_("Topic"), empty_label=_("Any topic"), widget=ListSelect
    )
    owner = django_filters.ChoiceFilter(label=_("Owner"), empty_label=_("Anyone"), widget=ListSelect)
    mine = FlagFilter(label=_("Only pledges I own"), method="filter_mine")
    overdue = FlagFilter(label=_("Only overdue"), method="filter_overdue")
    # The API's name for the same filter.
    has_money = FlagFilter(label=_("With money"), method="filter_has_money")
    # The API's names for the same filters.
    renewing = FlagFilter(label=_("Only pledges renewing an earlier one"), method="filter_renewing")
    renewed = FlagFilter(label=_("Only pledges a later one renews"), method="filter_renewed")
    sort = SortFilter(
        label=_("Sort by"),
        empty_label=_("Most recently made"),
        fields=(
            ("next_check_on", "next_check_on"),
            ("due_on", "due_on"),
            ("made_on", "made_on"),
            ("updated_at", "updated_at"),
            ("title", "title"),
            ("status", "status"),
            ("progress", "progress"),
            ("made_by__name", "made_by"),
        ),
        field_labels={
            "next_check_on": _("Next check, soonest first"),
            "-next_check_on": _("Next check, latest first"),
            "due_on": _("Due, soonest first"),
            "-due_on": _("Due, latest first"),
            "made_on": _("Made, oldest first"),
            "-made_on": _("Made, newest first"),
            "updated_at": _("Updated, oldest first"),
            "-updated_at": _("Updated, newest first"),
            "title": _("Title, A to Z"),
            "-title": _("Title, Z to A"),
            "status": _("Status, A to Z"),
            "-status": _("Status, Z to A"),
            "progress": _("Progress, least first"),
            "-progress": _("Progress, most first"),
            "made_by": _("Actor, A to Z"),
            "-made_by": _("Actor, Z to A"),
        },
    )

    presentation = PAGE_PRESENTATION

    class Meta(CommitmentFilterBase.Meta):
        form = BoardFilterForm

    def __init__(self, data=None, *args, today=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.today = today or timezone.localdate()
        choices = selectors.board_filter_choices()
        self.filters["made_by"].extra["choices"] = choices["actors"]
        self.filters["country"].extra["choices"] = [(code, code) for code in choices["countries"]]
        self.filters["event"].extra["choices"] = choices["events"]
        self.filters["topic"].extra["choices"] = choices["topics"]
        self.filters["owner"].extra["choices"] = choices["owners"]
        # Read in the same query, for the board's bulk edits.
        self.people_choices = choices["persons"]
        self.form.label_suffix = ""

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value) | Q(quote__icontains=value))

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none()
        return queryset.filter(owner=user)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(self.today) if value else queryset

    def filter_has_money(self, queryset, name, value):
        return money.with_money(queryset) if value else queryset

    def filter_renewing(self, queryset, name, value):
        return queryset.filter(renews__isnull=False) if value else queryset

    def filter_renewed(self, queryset, name, value):
        return queryset.filter(continuity.renewed_exists()) if value else queryset

    @property
    def is_filtered(self):
        return self.is_bound and any(
            value not in (None, "", [], False) for name, value in self.form.cleaned_data.items() if name != "sort"
        )
