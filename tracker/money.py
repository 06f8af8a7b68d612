"""The money of a pledge: what it pledged, and the lines of money committed and disbursed under it.

Aid trackers (IATI's transaction types, AidData) keep pledged, committed and
disbursed apart; so does this. Every amount is in its own ISO 4217 currency
and is never converted: a total is per currency, and one that would mix
currencies is several totals. A disbursed total above the pledged amount is
allowed (pledges are often topped up) but flagged.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.continuity import event_renewals
from tracker.models import Commitment, MoneyLine, currency_validator, web_url_validator

LINE_FIELDS = ("kind", "amount", "currency", "on", "source_url", "note")
MAX_AMOUNT = Decimal("1" + "0" * 17)
CENT = Decimal("0.01")  # under the column's 18 digits before the point


# Commas only as thousands separators ("5,500,000"): "1,5" may mean one and a half; refused, never read as 15.
THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def _amount(value, field_name: str, errors: dict):
    try:
        if isinstance(value, Decimal):
            amount = value
        else:
            text = str(value).strip()
            if "," in text and not THOUSANDS.match(text):
                raise ValueError(text)
            amount = Decimal(text.replace(",", ""))
    except (InvalidOperation, ValueError):
        errors[field_name] = _("%(value)s is not an amount; write a number such as 5500000000.") % {
            "value": repr(str(value)[:40])
        }
        return None
    if not amount.is_finite() or amount <= 0:
        errors[field_name] = _("An amount is more than zero.")
    elif amount >= MAX_AMOUNT:
        errors[field_name] = _("That amount is too large to be real; check the number of zeros.")
    elif amount != amount.quantize(Decimal("0.01")):
        errors[field_name] = _("Give the amount to the cent at most.")
    return amount


def money_line_validate(*, commitment: Commitment, data: dict) -> dict:
    """Check a money line's fields against the rules; return them cleaned."""
    unknown = set(data) - set(LINE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    errors = {}
    for name in ("source_url", "note"):
        if "\x00" in str(data.get(name, "")):
            errors[name] = _("Null characters are not allowed.")
    kind = data.get("kind")
    if kind not in MoneyLine.Kind.values:
        errors["kind"] = _("%(kind)s is not a kind of money line; choose committed or disbursed.") % {
            "kind": repr(kind)
        }
    amount = _amount(data.get("amount"), "amount", errors)
    currency = str(data.get("currency") or "").strip().upper()
    try:
        if not currency:
            raise ValidationError(_("Give the currency's ISO 4217 code, such as USD, JPY or KES."))
        currency_validator(currency)
    except ValidationError as error:
        errors["currency"] = error.messages[0]
    on = data.get("on")
    if not isinstance(on, date):
        errors["on"] = _("Give the day the money was committed or disbursed.")
    elif on > timezone.localdate():
        errors["on"] = _("Money cannot have moved on a day still to come.")
    elif on < commitment.made_on:
        errors["on"] = _("Money under a pledge cannot have moved before the pledge was made.")
    source_url = str(data.get("source_url") or "").strip()
    if source_url and "source_url" not in errors:
        try:
            web_url_validator(source_url)
        except ValidationError as error:
            errors["source_url"] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "amount": amount,
        "currency": currency,
        "on": on,
        "source_url": source_url,
        "note": str(data.get("note") or "").strip(),
    }


def money_line_add(*, commitment: Commitment, user=None, data: dict) -> MoneyLine:
    fields = money_line_validate(commitment=commitment, data=data)
    line = MoneyLine(commitment=commitment, created_by=user, **fields)
    line.full_clean()
    line._history_user = user
    with transaction.atomic():
        line.save()
    return line


def money_line_update(*, line: MoneyLine, user=None, data: dict) -> MoneyLine:
    current = {name: getattr(line, name) for name in LINE_FIELDS}
    fields = money_line_validate(commitment=line.commitment, data={**current, **data})
    for name, value in fields.items():
        setattr(line, name, value)
    line.full_clean()
    line._history_user = user
    line.save()
    return line


def money_line_delete(*, line: MoneyLine, user=None) -> None:
    line._history_user = user
    line.delete()


@dataclass
class CurrencyMoney:
    """One currency's money of a pledge, or of a group of pledges."""

    currency: str
    pledged: Decimal = Decimal(0)
    committed: Decimal = Decimal(0)
    disbursed: Decimal = Decimal(0)
    pledges: int = 0

    @property
    def over_pledged(self) -> bool:
        """More disbursed than pledged: allowed, and flagged."""
        return self.pledged > 0 and self.disbursed > self.pledged

    def share(self, name: str) -> int:
        """`name`'s part of the largest of the three, in per cent, for a bar."""
        largest = max(self.pledged, self.committed, self.disbursed)
        return int(getattr(self, name) * 100 / largest) if largest else 0


@dataclass
class PledgeMoney:
    by_currency: list = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.by_currency)


def commitment_money(commitment: Commitment, lines=None) -> PledgeMoney:
    """A pledge's money per currency: pledged, committed and disbursed side by side.

    `lines` are the pledge's lines when the caller has them (a prefetch).
    """
    lines = list(commitment.money_lines.all() if lines is None else lines)
    totals = {}
    if commitment.pledged_amount is not None:
        totals[commitment.pledged_currency] = CurrencyMoney(
            commitment.pledged_currency, pledged=commitment.pledged_amount, pledges=1
        )
    for line in lines:
        money = totals.setdefault(line.currency, CurrencyMoney(line.currency))
        setattr(money, line.kind, getattr(money, line.kind) + line.amount)
    return PledgeMoney(sorted(totals.values(), key=lambda money: money.currency))


def with_money(queryset):
    """Pledges that carry money: a pledged amount, or at least one money line."""
    # Exists rather than a join to the lines: a join would need DISTINCT,
    # which the board's GROUP BY counts would not survive.
    return queryset.filter(money_condition())


def money_condition() -> Q:
    """A pledged amount, or a money line: for filter() and exclude() alike."""
    return Q(pledged_amount__isnull=False) | Q(Exists(MoneyLine.objects.filter(commitment=OuterRef("pk"))))


GROUPS = ("made_by", "event")


def money_totals(queryset) -> dict:
    """Pledged, committed and disbursed per maker and per event, per currency, in one query.

    Returns {"made_by": {actor id: [CurrencyMoney, ...]}, "event": {event id: [...]}}.
    A UNION ALL of two GROUP BYs on maker and event together, folded here
    into both tables: the pledged amounts (read from the partial index
    commitment_pledged on PostgreSQL) and the lines of those pledges.
    """
    pledged = (
        queryset.filter(pledged_amount__isnull=False)
        .order_by()
        .annotate(maker=F("made_by_id"), at=F("event_id"), money_kind=Value("pledged"), code=F("pledged_currency"))
        .values_list("maker", "at", "money_kind", "code")
        .annotate(total=Sum("pledged_amount"), count=Count("*"))
    )
    lines = (
        MoneyLine.objects.filter(commitment__in=queryset.order_by().values("pk"))
        .order_by()
        .annotate(
            maker=F("commitment__made_by_id"), at=F("commitment__event_id"), money_kind=F("kind"), code=F("currency")
        )
        .values_list("maker", "at", "money_kind", "code")
        .annotate(total=Sum("amount"), count=Count("*"))
    )
    totals = {by: defaultdict(dict) for by in GROUPS}
    for maker, event, kind, currency, total, count in pledged.union(lines, all=True):
        # str() first: SQLite sums decimals as floats.
        amount = Decimal(str(total)).quantize(CENT)
        for by, group in (("made_by", maker), ("event", event)):
            money = totals[by][group].setdefault(currency, CurrencyMoney(currency))
            setattr(money, kind, getattr(money, kind) + amount)
            if kind == "pledged":
                money.pledges += count
    return {
        by: {group: sorted(found.values(), key=lambda m: m.currency) for group, found in groups.items()}
        for by, groups in totals.items()
    }


def board_money(queryset) -> dict:
    """The board's money and continuity numbers over `queryset`: totals per maker and per event, per currency, and
    per event what became of the previous event's pledges (continuity.event_renewals); two or three queries."""
    return {"money_totals": money_totals(queryset), "renewals": event_renewals(queryset)}
