"""Money and continuity on the pages: the pledge page's money panel and its lines' forms, its renewal chain, and
the board's money and renewals panels.

The rules are tracker/money.py's and tracker/continuity.py's; these views
read input, call them, and write amounts for people. An amount is never
converted: each is written with its own currency code, and every total is
per currency.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import continuity, money, views
from .forms import add_service_errors
from .models import MoneyLine
from .money_forms import MoneyLineForm

ADD_PERMISSION = "tracker.add_moneyline"
# Deleting a line is a correction of an entry, as changing it is: one permission for both.
CHANGE_PERMISSION = "tracker.change_moneyline"
ADD_FORM_PREFIX = "money"
PARTS = (
    ("pledged", gettext_lazy("Pledged")),
    ("committed", gettext_lazy("Committed")),
    ("disbursed", gettext_lazy("Disbursed")),
)
# The board's money tables list at most this many actors and events each.
BOARD_GROUPS = 20


def amount_text(amount, currency: str) -> str:
    """An amount as people read it: 5500000000.00 USD is "5,500,000,000 USD"; cents only when there are some.

    The separators are the language's: "5 500 000 000 USD" in French.
    """
    cents = Decimal(amount).quantize(Decimal("0.01"))
    decimals = 0 if cents == cents.to_integral_value() else 2
    return f"{formats.number_format(cents, decimal_pos=decimals, force_grouping=True)} {currency}"


def currency_rows(by_currency) -> list[dict]:
    """CurrencyMoney rows as the templates show them: each part's amount in words and its bar's share."""
    return [
        {
            "currency": money_in.currency,
            "over_pledged": money_in.over_pledged,
            "parts": [
                {
                    "name": name,
                    "label": label,
                    "amount": amount_text(getattr(money_in, name), money_in.currency),
                    "share": money_in.share(name),
                }
                for name, label in PARTS
            ],
        }
        for money_in in by_currency
    ]


# The pledge page


def money_panel(request, commitment, *, add_form=None, line_forms=None) -> dict:
    """The pledge's money per currency, its lines, and the forms the user may use, in one query.

    `add_form` and `line_forms` ({line id: form}) are bound forms that
    failed, shown again with their errors.
    """
    user = request.user
    can_change = user.has_perm(CHANGE_PERMISSION)
    line_forms = line_forms or {}
    lines = list(commitment.money_lines.select_related("created_by"))
    rows = [
        {
            "line": line,
            "amount": amount_text(line.amount, line.currency),
            "form": (line_forms.get(line.pk) or MoneyLineForm.for_line(line)) if can_change else None,
            "failed": line.pk in line_forms,
        }
        for line in lines
    ]
    pledged = ""
    if commitment.pledged_amount is not None:
        pledged = amount_text(commitment.pledged_amount, commitment.pledged_currency)
    # The pledge's own currency first, the others in alphabetical order.
    by_currency = sorted(
        money.commitment_money(commitment, lines).by_currency,
        key=lambda money_in: money_in.currency != commitment.pledged_currency,
    )
    return {
        "pledged": pledged,
        "by_currency": currency_rows(by_currency),
        "rows": rows,
        "add_form": (add_form or MoneyLineForm(prefix=ADD_FORM_PREFIX)) if user.has_perm(ADD_PERMISSION) else None,
        "can_change": can_change,
    }


def renewal_panel(commitment) -> dict:
    """The renewal chain around a pledge: the one it renews, those renewing it, and the whole chain in order."""
    chain = continuity.renewal_chain(commitment)
    return {
        "renews": chain["earlier"][-1] if chain["earlier"] else None,
        "renewed_by": [pledge for pledge in chain["later"] if pledge.renews_id == commitment.pk],
        "chain": [*chain["earlier"], commitment, *chain["later"]],
        "linked": bool(chain["earlier"] or chain["later"]),
    }


def _commitment(pk):
    return get_object_or_404(views.commitment_for_page(), pk=pk)


def _render_pledge(request, commitment, *, status, **money_forms):
    form = None
    if request.user.has_perm(views.RECORD_UPDATE_PERMISSION):
        form = views.RecordUpdateForm.for_commitment(commitment)
    return views._render_detail(request, commitment, form, status=status, money_forms=money_forms)


def _money_anchor(commitment) -> str:
    return f"{commitment.get_absolute_url()}#money"


def _require(user, permission: str, message: str) -> None:
    if not (user.has_perm(views.VIEW_PERMISSION) and user.has_perm(permission)):
        raise PermissionDenied(message)


@login_required
@require_POST
def money_line_add(request, pk):
    _require(request.user, ADD_PERMISSION, _("Only analysts record money."))
    commitment = _commitment(pk)
    form = MoneyLineForm(request.POST, prefix=ADD_FORM_PREFIX)
    if form.is_valid():
        try:
            line = money.money_line_add(commitment=commitment, user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(kind)s: %(amount)s recorded.")
                % {"kind": line.get_kind_display(), "amount": amount_text(line.amount, line.currency)},
            )
            return redirect(_money_anchor(commitment))
    return _render_pledge(request, commitment, status=400, add_form=form)


@login_required
@require_POST
def money_line_change(request, pk):
    _require(request.user, CHANGE_PERMISSION, _("Only analysts correct money lines."))
    line = get_object_or_404(MoneyLine.objects.select_related("commitment"), pk=pk)
    form = MoneyLineForm.for_line(line, data=request.POST)
    if form.is_valid():
        try:
            money.money_line_update(line=line, user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(kind)s line corrected.") % {"kind": line.get_kind_display()})
            return redirect(_money_anchor(line.commitment))
    return _render_pledge(request, _commitment(line.commitment_id), status=400, line_forms={line.pk: form})


@login_required
@require_POST
def money_line_delete(request, pk):
    _require(request.user, CHANGE_PERMISSION, _("Only analysts delete money lines."))
    line = get_object_or_404(MoneyLine.objects.select_related("commitment"), pk=pk)
    deleted = _("%(kind)s: %(amount)s on %(day)s deleted.") % {
        "kind": line.get_kind_display(),
        "amount": amount_text(line.amount, line.currency),
        "day": formats.date_format(line.on),
    }
    money.money_line_delete(line=line, user=request.user)
    messages.success(request, deleted)
    return redirect(_money_anchor(line.commitment))


# The board


def board_panels(summary: dict, *, actor_names: dict, event_names: dict) -> dict:
    """The board's money per actor and per event, and what became of each event's previous event's pledges.

    From the numbers of `selectors.board_summary(money=True)`, so no query
    here; `actor_names` and `event_names` map ids to names.
    """
    renewals = summary["renewals"]
    renewal_rows = [
        {
            "event_id": row.event_id,
            "event": event_names.get(row.event_id, ""),
            "previous_id": row.previous_id,
            "previous": event_names.get(row.previous_id, ""),
            "previous_pledges": row.previous_pledges,
            "renewed": row.renewed,
            "fulfilled": row.fulfilled,
            "dropped": row.dropped,
        }
        for row in renewals.values()
    ]
    renewal_rows.sort(key=lambda row: (row["event"].casefold(), row["event_id"]))
    by_actor = _money_groups(summary["money_totals"]["made_by"], actor_names)
    by_event = _money_groups(summary["money_totals"]["event"], event_names)
    return {
        "money_tables": [
            {
                "id": "money-actor",
                "heading": _("Per actor"),
                "name_heading": _("Actor"),
                "filter": "made_by",
                **by_actor,
            },
            {
                "id": "money-event",
                "heading": _("Per event"),
                "name_heading": _("Event"),
                "filter": "event",
                **by_event,
            },
        ],
        "event_renewals": renewal_rows,
    }


def _money_groups(totals: dict, names: dict) -> dict:
    """The groups with most pledged pledges first, at most BOARD_GROUPS; each with its rows per currency."""
    no_event = _("No event")
    groups = [
        {
            "id": group_id,
            "name": names.get(group_id, "") if group_id is not None else no_event,
            "pledges": sum(money_in.pledges for money_in in by_currency),
            "currencies": currency_rows(by_currency),
        }
        for group_id, by_currency in totals.items()
    ]
    groups.sort(key=lambda group: (-group["pledges"], group["name"].casefold(), group["id"] or 0))
    return {"rows": groups[:BOARD_GROUPS], "others": max(len(groups) - BOARD_GROUPS, 0)}
