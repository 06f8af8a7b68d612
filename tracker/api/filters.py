import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter

from tracker import continuity, money
from tracker.filters import CommitmentFilterBase
from tracker.models import Actor, Event, Topic, overdue_condition

country_filter_validator = RegexValidator(r"^[A-Za-z]{2}$", "Enter a two-letter country code, such as KE or JP.")


class CountryField(forms.CharField):
    default_validators = [country_filter_validator]

    def clean(self, value):
        value = super().clean(value)
        return value.upper() if value else value


class CountryFilter(django_filters.CharFilter):
    field_class = CountryField


class StableOrderingFilter(django_filters.OrderingFilter):
    """The chosen ordering, then the id, so that pages never overlap or skip a row."""

    def filter(self, queryset, value):
        queryset = super().filter(queryset, value)
        if value:
            queryset = queryset.order_by(*queryset.query.order_by, "-id")
        return queryset


class CommitmentFilter(CommitmentFilterBase):
    """The filters of the pledge list and of the board summary; a bad value is a 400 naming it."""

    made_by = django_filters.ModelChoiceFilter(queryset=Actor.objects.all(), help_text="Id of the actor who pledged.")
    country = CountryFilter(
        field_name="made_by__country", help_text="Two-letter country code of the actor who pledged, such as KE."
    )
    event = django_filters.ModelChoiceFilter(queryset=Event.objects.all(), help_text="Id of the event.")
    topic = django_filters.ModelChoiceFilter(
        field_name="topics", queryset=Topic.objects.all(), help_text="Id of a topic the pledge is about."
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.all(), help_text="Id of the user responsible for following the pledge up."
    )
    overdue = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_overdue",
        help_text="true: open pledges whose next check, target date or a milestone's due date has passed (the milestone"
        " not done); false: all the others.",
    )
    has_money = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_has_money",
        help_text="true: pledges with a pledged amount or money committed or disbursed; false: all the others.",
    )
    renewing = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_renewing",
        help_text="true: pledges that renew an earlier pledge; false: all the others.",
    )
    renewed = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_renewed",
        help_text="true: pledges a later pledge renews; false: all the others.",
    )

    presentation = {
        "status": {"help_text": "One or more statuses (repeat the parameter: ?status=a&status=b)."},
        "due_before": {"help_text": "Target date on or before this day (YYYY-MM-DD)."},
        "due_after": {"help_text": "Target date on or after this day (YYYY-MM-DD)."},
    }

    def filter_overdue(self, queryset, name, value):
        overdue = overdue_condition(timezone.localdate())
        return queryset.filter(overdue) if value == "true" else queryset.exclude(overdue)

    def filter_has_money(self, queryset, name, value):
        return _either(queryset, money.money_condition(), value)

    def filter_renewing(self, queryset, name, value):
        return _either(queryset, Q(renews__isnull=False), value)

    def filter_renewed(self, queryset, name, value):
        return _either(queryset, Q(continuity.renewed_exists()), value)


def _either(queryset, condition, value):
    return queryset.filter(condition) if value == "true" else queryset.exclude(condition)


class CommitmentListFilter(CommitmentFilter):
    ordering = StableOrderingFilter(
        fields=["made_on", "due_on", "next_check_on", "updated_at", "created_at", "title", "status", "progress", "id"],
        help_text="Sort by a field, descending with a leading minus (-due_on); several separated by commas.",
    )


MAX_SEARCH_WORDS = 10
MAX_SEARCH_LENGTH = 200


class BoundedSearchFilter(SearchFilter):
    """DRF's search, refusing more words or characters than a person types.

    Each word adds a condition: a thousand of them overflow SQLite's
    expression depth, and a very long word its LIKE pattern limit; either
    would otherwise be a 500.
    """

    search_description = (
        "Words to look for, case-insensitive; every word must match "
        f"(at most {MAX_SEARCH_WORDS} words, {MAX_SEARCH_LENGTH} characters)."
    )

    def get_search_terms(self, request):
        if len(request.query_params.get(self.search_param, "")) > MAX_SEARCH_LENGTH:
            raise ValidationError({self.search_param: [f"Search for at most {MAX_SEARCH_LENGTH} characters."]})
        terms = super().get_search_terms(request)
        if len(terms) > MAX_SEARCH_WORDS:
            raise ValidationError({self.search_param: [f"Search for at most {MAX_SEARCH_WORDS} words."]})
        return terms
