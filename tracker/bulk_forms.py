"""The board's bulk-edit form: which pledges (ticked, the page, or all matching the board's filters) and what change."""

import re
from functools import cached_property

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from tracker import selectors, services
from tracker.bulk import BulkAction
from tracker.filters import CommitmentFilter, ListSelect
from tracker.forms import LabelledForm, grouped, grouped_lazy
from tracker.models import Commitment, Topic, lazy_interpolate
from tracker.templatetags.tracker_tags import person

# One bulk edit changes at most this many pledges: each is its own update
# with its own history record, all in one transaction and one request.
MAX_PLEDGES = 10_000
# The board's query string: its longest filter (search) is 200 characters.
FILTERS_MAX_LENGTH = 4_000
PLEDGE_ID = re.compile(r"[0-9]{1,19}")
MAX_PLEDGE_ID = 2**63 - 1

# The field holding each action's argument.
ARGUMENT = {
    BulkAction.ASSIGN_OWNER: "owner",
    BulkAction.ADD_TOPIC: "topic",
    BulkAction.REMOVE_TOPIC: "topic",
    BulkAction.ADD_WATCHER: "watcher",
    BulkAction.POSTPONE: "days",
    # Publishing takes no argument: the action says which way.
    BulkAction.PUBLISH: None,
    BulkAction.UNPUBLISH: None,
}
MISSING_ARGUMENT = {
    "owner": _("Choose the owner to assign."),
    "topic": _("Choose the topic."),
    "watcher": _("Choose the watcher to add."),
    "days": _("Enter the number of days to postpone the next check by."),
}
# Why a chosen pledge is left as it is: "Left unchanged: 2 of the 5 chosen pledges, already with this owner."
# The page and the board's message write it after "pledge(s)" or "every chosen pledge is", hence the context.
UNCHANGED = {
    BulkAction.ASSIGN_OWNER: pgettext_lazy("why bulk-edited pledges are left unchanged", "already with this owner"),
    BulkAction.ADD_TOPIC: pgettext_lazy("why bulk-edited pledges are left unchanged", "already with this topic"),
    BulkAction.REMOVE_TOPIC: pgettext_lazy("why bulk-edited pledges are left unchanged", "without this topic"),
    BulkAction.ADD_WATCHER: pgettext_lazy(
        "why bulk-edited pledges are left unchanged", "already watched by this person"
    ),
    BulkAction.POSTPONE: pgettext_lazy("why bulk-edited pledges are left unchanged", "closed, with no next check"),
    BulkAction.PUBLISH: pgettext_lazy("why bulk-edited pledges are left unchanged", "already public"),
    BulkAction.UNPUBLISH: pgettext_lazy("why bulk-edited pledges are left unchanged", "not public"),
}


def _pledges(count) -> str:
    return ngettext("%(count)s pledge", "%(count)s pledges", count) % {"count": grouped(count)}


def _days(count) -> str:
    return ngettext("%(count)s day", "%(count)s days", count) % {"count": grouped(count)}


class PledgeIdsField(forms.Field):
    """Pledge ids from repeated inputs: whole numbers, at most MAX_PLEDGES of them, each once."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("“%(value)s” is not a pledge's number."),
        "too_many": lazy_interpolate(_("Change at most %(max)s pledges at once."), {"max": grouped_lazy(MAX_PLEDGES)}),
    }

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        # Counted before each is read: the bound is what keeps the work bounded.
        if len(value) > MAX_PLEDGES:
            raise ValidationError(self.error_messages["too_many"], code="too_many")
        ids = []
        for raw in value:
            text = str(raw).strip()
            if not PLEDGE_ID.fullmatch(text) or not 0 < int(text) <= MAX_PLEDGE_ID:
                raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": text[:30]})
            ids.append(int(text))
        return list(dict.fromkeys(ids))


class PersonChoiceField(forms.ModelChoiceField):
    """Any active user is accepted, so that one who may not view pledges is refused by name (bulk.py)."""

    default_error_messages = {"invalid_choice": _("No active user of the tracker has this number.")}

    def __init__(self, **kwargs):
        super().__init__(queryset=get_user_model().objects.filter(is_active=True), widget=ListSelect, **kwargs)

    def label_from_instance(self, obj):
        return person(obj)


class BulkEditForm(LabelledForm):
    """The board's bulk edit: the board posts it, the confirmation page posts it again with `confirm`.

    `commitments` (cleaned) is the chosen pledges, `chosen` how many they
    are. With `all`, they are the pledges the board's filters (`filters`, its
    query string) match now, read by the board's own CommitmentFilter.
    """

    ids = PledgeIdsField(required=False, label=_("Ticked pledges"))
    page_ids = PledgeIdsField(required=False, label=_("Pledges on the page"))
    all_on_page = forms.BooleanField(required=False, label=_("All pledges on this page"))
    all = forms.BooleanField(required=False, label=_("All pledges matching the filters"))
    filters = forms.CharField(
        required=False, strip=False, max_length=FILTERS_MAX_LENGTH, label=_("Filters"), widget=forms.HiddenInput
    )
    action = forms.ChoiceField(
        label=pgettext_lazy("bulk edit", "Change"),
        choices=[("", _("Choose a change")), *BulkAction.choices],
        error_messages={"required": _("Choose the change to make.")},
        widget=ListSelect,
    )
    owner = PersonChoiceField(required=False, label=_("Owner to assign"), empty_label=_("Choose an owner"))
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.all(),
        required=False,
        label=_("Topic to add or remove"),
        empty_label=_("Choose a topic"),
        widget=ListSelect,
        error_messages={"invalid_choice": _("There is no topic with this number.")},
    )
    watcher = PersonChoiceField(required=False, label=_("Watcher to add"), empty_label=_("Choose a person"))
    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=services.MAX_POSTPONE_DAYS,
        label=_("Days to postpone by"),
        widget=forms.NumberInput(attrs={"min": 1, "max": services.MAX_POSTPONE_DAYS}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, request, topic_choices=None, people_choices=None, **kwargs):
        # Its own ids: the board's filter form has an owner and a topic too.
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(data, **kwargs)
        self.request = request
        # Offered: the people who may own or watch a pledge, read once for
        # both lists and only if a list is shown.
        for name in ("owner", "watcher"):
            empty = ("", self.fields[name].empty_label)
            self.fields[name].widget.choices = lambda empty=empty: [empty, *self._people]
        if people_choices is not None:
            self._people = people_choices
        if topic_choices is not None:
            self.fields["topic"].widget.choices = [("", self.fields["topic"].empty_label), *topic_choices]

    @cached_property
    def _people(self):
        people = selectors.users_who_may_view_pledges().order_by("username")
        return [(str(user.pk), person(user)) for user in people]

    def clean_filters(self):
        text = self.cleaned_data["filters"].removeprefix("?")
        try:
            return QueryDict(text)
        except SuspiciousOperation:  # more fields than Django reads from one request
            raise ValidationError(gettext("The board's filters could not be read.")) from None

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action:
            name = ARGUMENT[action]
            if name and name not in self.errors and data.get(name) is None:
                self.add_error(name, MISSING_ARGUMENT[name])
        if not any(name in self.errors for name in ("ids", "page_ids", "filters")):
            self._clean_selection(data)
        return data

    def _clean_selection(self, data):
        if data.get("all"):
            filterset = CommitmentFilter(
                data["filters"] or None,
                queryset=Commitment.objects.all(),
                request=self.request,
                today=timezone.localdate(),
            )
            if filterset.is_bound and not filterset.is_valid():
                self.add_error(
                    None, gettext("The board's filters could not be read; go back to the board and apply them again.")
                )
                return
            chosen = Commitment.objects.filter(pk__in=filterset.qs.order_by().values("pk"))
            count = chosen.count()
            if not count:
                self.add_error(None, gettext("No pledge matches these filters."))
        else:
            ids = list(dict.fromkeys([*data["ids"], *(data["page_ids"] if data.get("all_on_page") else [])]))
            if not ids:
                self.add_error(
                    None, gettext("Tick at least one pledge, or choose all on the page or all matching the filters.")
                )
                return
            chosen = Commitment.objects.filter(pk__in=ids)
            count = chosen.count()
            if count < len(ids):
                gone = len(ids) - count
                self.add_error(
                    None,
                    ngettext(
                        "%(count)s pledge of those chosen no longer exists: go back to the board and choose again.",
                        "%(count)s pledges of those chosen no longer exist: go back to the board and choose again.",
                        gone,
                    )
                    % {"count": grouped(gone)},
                )
            data["ids"] = ids
        if count > MAX_PLEDGES:
            self.add_error(
                None,
                gettext("These are %(count)s pledges; change at most %(max)s at once.")
                % {"count": grouped(count), "max": grouped(MAX_PLEDGES)},
            )
        data["commitments"], data["chosen"] = chosen, count

    @property
    def argument(self):
        """The chosen action's argument, cleaned: a user, a topic, a number of days, or whether to publish."""
        action = self.cleaned_data["action"]
        name = ARGUMENT[action]
        return self.cleaned_data[name] if name else action == BulkAction.PUBLISH

    def selection_fields(self):
        """(name, value) of the hidden inputs that choose the same pledges again."""
        data = self.cleaned_data
        fields = [("filters", data["filters"].urlencode())]
        if data.get("all"):
            return [*fields, ("all", "1")]
        return [*fields, *(("ids", pk) for pk in data["ids"])]

    def confirm_fields(self):
        """(name, value) of the hidden inputs that make the same change once more, confirmed."""
        name = ARGUMENT[self.cleaned_data["action"]]
        argument = [(name, getattr(self.argument, "pk", self.argument))] if name else []
        return [*self.selection_fields(), ("action", self.cleaned_data["action"]), *argument, ("confirm", "1")]

    def board_url(self):
        """The board with the filters it was posted from (and its page), for going back."""
        filters = self.cleaned_data.get("filters") if hasattr(self, "cleaned_data") else None
        query = filters.urlencode() if filters else ""
        return reverse("tracker:board") + (f"?{query}" if query else "")

    def description(self):
        """What the change does, as a sentence."""
        action, value = self.cleaned_data["action"], self.argument
        return {
            BulkAction.ASSIGN_OWNER: lambda: gettext("Assign %(person)s as the owner.") % {"person": person(value)},
            BulkAction.ADD_TOPIC: lambda: gettext("Add the topic “%(topic)s”.") % {"topic": value},
            BulkAction.REMOVE_TOPIC: lambda: gettext("Remove the topic “%(topic)s”.") % {"topic": value},
            BulkAction.ADD_WATCHER: lambda: gettext("Add %(person)s as a watcher.") % {"person": person(value)},
            BulkAction.POSTPONE: lambda: (
                ngettext(
                    "Postpone the next check by %(count)s day.", "Postpone the next check by %(count)s days.", value
                )
                % {"count": grouped(value)}
            ),
            BulkAction.PUBLISH: lambda: gettext("Publish on the public site: anyone can read them without a login."),
            BulkAction.UNPUBLISH: lambda: gettext("Withdraw from the public site: their public pages will be gone."),
        }[action]()

    def unchanged_reason(self):
        return UNCHANGED[self.cleaned_data["action"]]

    def done_message(self, changed):
        """What changed, for the board's message once the change is made."""
        action, value = self.cleaned_data["action"], self.argument
        count = grouped(changed)
        return {
            BulkAction.ASSIGN_OWNER: lambda: (
                ngettext(
                    "%(person)s now owns %(count)s more pledge.", "%(person)s now owns %(count)s more pledges.", changed
                )
                % {"person": person(value), "count": count}
            ),
            BulkAction.ADD_TOPIC: lambda: (
                ngettext(
                    "Topic “%(topic)s” added to %(count)s pledge.",
                    "Topic “%(topic)s” added to %(count)s pledges.",
                    changed,
                )
                % {"topic": value, "count": count}
            ),
            BulkAction.REMOVE_TOPIC: lambda: (
                ngettext(
                    "Topic “%(topic)s” removed from %(count)s pledge.",
                    "Topic “%(topic)s” removed from %(count)s pledges.",
                    changed,
                )
                % {"topic": value, "count": count}
            ),
            BulkAction.ADD_WATCHER: lambda: (
                ngettext(
                    "%(person)s now watches %(count)s more pledge.",
                    "%(person)s now watches %(count)s more pledges.",
                    changed,
                )
                % {"person": person(value), "count": count}
            ),
            # Two counts, each with its own plural: the sentence takes both as phrases.
            BulkAction.POSTPONE: lambda: (
                gettext("Next check postponed by %(days)s on %(pledges)s.")
                % {"days": _days(value), "pledges": _pledges(changed)}
            ),
            BulkAction.PUBLISH: lambda: (
                ngettext(
                    "%(count)s pledge published on the public site.",
                    "%(count)s pledges published on the public site.",
                    changed,
                )
                % {"count": count}
            ),
            BulkAction.UNPUBLISH: lambda: (
                ngettext(
                    "%(count)s pledge withdrawn from the public site.",
                    "%(count)s pledges withdrawn from the public site.",
                    changed,
                )
                % {"count": count}
            ),
        }[action]()
