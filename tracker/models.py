import secrets
import uuid
import zoneinfo
from datetime import date, timedelta
from decimal import Decimal

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def _interpolate(message, params):
    return str(message) % params


# A text with numbers filled in, translated when it is shown rather than when
# the module is imported: `gettext_lazy(...) % params` would translate at once.
lazy_interpolate = lazy(_interpolate, str)


def currency_validator(value):
    """An ISO 4217 currency code that exists (pycountry's list), in capitals."""
    if value and (value != value.upper() or pycountry.currencies.get(alpha_3=value) is None):
        raise ValidationError(
            _("%(value)s is not an ISO 4217 currency code; use one such as USD, EUR, JPY or KES."),
            params={"value": repr(value)},
        )


country_code_validator = RegexValidator(
    r"^[A-Z]{2}$", _("Enter a two-letter ISO 3166-1 country code in capitals, such as KE or JP.")
)

# Links are shown to readers as clickable: only web addresses, never
# javascript: or data: URLs.
web_url_validator = URLValidator(
    schemes=["http", "https"], message=_("Enter a web address starting with http:// or https://.")
)


class Actor(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        GOVERNMENT = "government", _("Government")
        ORGANISATION = "organisation", _("Organisation")
        COMPANY = "company", _("Company")

    name = models.CharField(_("name"), max_length=200, unique=True)
    # Translators: the type of an actor, a pledge, a reminder, a request or a money line (a column heading).
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERSON)
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        validators=[country_code_validator],
        help_text=_("ISO 3166-1 alpha-2 code, such as KE or JP."),
    )
    role = models.CharField(_("role"), max_length=200, blank=True, help_text=_("Such as Prime Minister of Japan."))
    aliases = models.TextField(
        _("aliases"),
        blank=True,
        help_text=_("Other names the actor goes by, one per line (Ishiba, Tokyo, the Prime Minister...)."),
    )

    class Meta:
        verbose_name = _("actor")
        verbose_name_plural = _("actors")
        ordering = ["name"]
        indexes = [
            # Board and admin filter on the pledge maker's country.
            models.Index(fields=["country"], name="actor_country"),
        ]

    def __str__(self):
        return self.name

    @property
    def alias_list(self):
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


# Dates the tracker accepts: the calendar feed, reminders and charts add days
# to them, and a year such as 9999 overflows Python's dates.
EARLIEST_DATE = date(1945, 1, 1)
LATEST_DATE = date(2200, 12, 31)
DATE_RANGE_TEXT = gettext_noop("Enter a date between %(earliest)s and %(latest)s.")
DATE_RANGE_YEARS = {"earliest": EARLIEST_DATE.year, "latest": LATEST_DATE.year}
# The English text, for code that compares with it; the validators show DATE_RANGE_ERROR, translated.
DATE_RANGE_MESSAGE = DATE_RANGE_TEXT % DATE_RANGE_YEARS
DATE_RANGE_ERROR = lazy_interpolate(_(DATE_RANGE_TEXT), DATE_RANGE_YEARS)
date_range_validators = [
    MinValueValidator(EARLIEST_DATE, DATE_RANGE_ERROR),
    MaxValueValidator(LATEST_DATE, DATE_RANGE_ERROR),
]


EVENT_ENDS_BEFORE_START = _("An event cannot end before it starts.")


class Event(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, validators=[country_code_validator])
    starts_on = models.DateField(_("starts on"), null=True, blank=True, validators=date_range_validators)
    ends_on = models.DateField(_("ends on"), null=True, blank=True, validators=date_range_validators)
    url = models.URLField(_("URL"), max_length=500, blank=True, validators=[web_url_validator])

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="event_ends_after_start",
                violation_error_message=EVENT_ENDS_BEFORE_START,
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # The constraint's rule, keyed by ends_on so that the admin and the
        # API show it next to the field rather than above the form.
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": EVENT_ENDS_BEFORE_START})


class Topic(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Status(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    IN_PROGRESS = "in_progress", _("In progress")
    STALLED = "stalled", _("Stalled")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially fulfilled")
    FULFILLED = "fulfilled", _("Fulfilled")
    BROKEN = "broken", pgettext_lazy("pledge status", "Broken")
    WITHDRAWN = "withdrawn", pgettext_lazy("pledge status", "Withdrawn")

    @classmethod
    def terminal(cls):
        """No follow-ups are sent for these, and no further update is accepted."""
        return frozenset({cls.FULFILLED, cls.BROKEN, cls.WITHDRAWN})

    @classmethod
    def open(cls):
        return frozenset(cls.values) - cls.terminal()

    @property
    def is_terminal(self):
        return self in self.terminal()

    @property
    def compliance_score(self):
        """G7 Research Group style: +1 complied, 0 partial or in progress, -1 not complied."""
        return COMPLIANCE_SCORES.get(self)


COMPLIANCE_SCORES = {
    Status.FULFILLED: 1,
    Status.PARTIALLY_FULFILLED: 0,
    Status.IN_PROGRESS: 0,
    Status.STALLED: -1,
    Status.BROKEN: -1,
}

OPEN_STATUSES = sorted(Status.open())
MAX_CHECK_EVERY_DAYS = 3650  # ten years; also keeps date arithmetic far from year 9999


def overdue_condition(today):
    """Open, and past its check date, its target date or a milestone's: for filter(), exclude() and aggregates."""
    # status__in, not an exclusion of the closed ones: PostgreSQL matches it
    # to the partial index commitment_open_next_check.
    # The milestones as an uncorrelated IN: PostgreSQL reads them once into a hash (47 ms at 100,000 pledges and
    # 25,000 milestones), where a correlated EXISTS in an OR is probed pledge by pledge (380 ms).
    overdue_steps = Milestone.objects.filter(done_on__isnull=True, due_on__lt=today).values("commitment_id")
    return Q(status__in=OPEN_STATUSES) & (Q(next_check_on__lt=today) | Q(due_on__lt=today) | Q(pk__in=overdue_steps))


def milestone_overdue_exists(today):
    """Whether the outer pledge has a milestone past its due date and not done: an EXISTS for annotating a page."""
    return models.Exists(
        Milestone.objects.filter(commitment=models.OuterRef("pk"), done_on__isnull=True, due_on__lt=today)
    )


PLEDGED_PAIR_MESSAGE = _("A pledged amount needs its currency, and a currency its amount.")


# Kept at module level so that the services can write one history record for
# a change of fields and relations together (create_historical_record).
COMMITMENT_HISTORY = HistoricalRecords(
    verbose_name=_("historical pledge"),
    verbose_name_plural=_("historical pledges"),
    excluded_fields=["updated_at"],
    m2m_fields=["counterparts", "members", "topics", "watchers"],
)


class CommitmentQuerySet(models.QuerySet):
    def open(self):
        # filter(status__in=...), not exclude(...): PostgreSQL matches it to
        # the partial index commitment_open_next_check.
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today=None):
        """Open pledges whose check date or target date has passed."""
        return self.filter(overdue_condition(today or timezone.localdate()))


class Commitment(models.Model):
    class Kind(models.TextChoices):
        PROMISE = "promise", _("Promise")
        REVIEW = "review", pgettext_lazy("kind of pledge", "Review")
        INTENT = "intent", _("Statement of intent")
        AGREEMENT = "agreement", _("Agreement")
        TARGET = "target", _("Target")
        REQUEST = "request", pgettext_lazy("kind of pledge", "Request")

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    quote = models.TextField(_("quote"), blank=True, help_text=_("The pledge in the maker's own words, verbatim."))
    source_url = models.URLField(_("source URL"), max_length=500, blank=True, validators=[web_url_validator])
    source_title = models.CharField(_("source title"), max_length=300, blank=True)
    # The made_by, event and owner indexes are the composite ones in Meta.
    made_by = models.ForeignKey(
        Actor, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="commitments", db_index=False
    )
    counterparts = models.ManyToManyField(
        Actor, verbose_name=_("counterparts"), blank=True, related_name="commitments_received"
    )
    members = models.ManyToManyField(
        Actor,
        # Translators: the governments or bodies whose compliance with a pledge is assessed.
        verbose_name=_("members"),
        blank=True,
        related_name="commitments_bound",
        help_text=_("Whose compliance is assessed, such as each government a communique binds; none: the maker alone."),
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitments",
        db_index=False,
    )
    made_on = models.DateField(
        _("made on"), help_text=_("The day the pledge was made."), validators=date_range_validators
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PROMISE)
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="commitments")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ANNOUNCED)
    progress = models.PositiveSmallIntegerField(
        _("progress"), default=0, validators=[MaxValueValidator(100)], help_text=_("Per cent, 0 to 100.")
    )
    due_on = models.DateField(
        _("due"),
        null=True,
        blank=True,
        validators=date_range_validators,
        help_text=_("The target date, when the pledge has one."),
    )
    check_every_days = models.PositiveIntegerField(
        _("check every (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CHECK_EVERY_DAYS)],
        help_text=_("Days between progress checks."),
    )
    next_check_on = models.DateField(_("next check"), null=True, blank=True, validators=date_range_validators)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_commitments",
        db_index=False,
        help_text=_("The analyst responsible for following this pledge up."),
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("watchers"), blank=True, related_name="watched_commitments"
    )
    # The earlier pledge this one renews or follows up (TICAD 8's, renewed at TICAD 9).
    renews = models.ForeignKey(
        "self",
        # Translators: the earlier pledge that this one renews (a column heading).
        verbose_name=_("renews"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renewed_by",
        help_text=_("The earlier pledge this one renews or follows up."),
    )
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Shown on the public pages, without a login: its words, source, status and public updates."),
    )
    # Money the pledge names ("up to $5.5 billion"), in its own currency: never converted.
    pledged_amount = models.DecimalField(
        _("pledged amount"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    pledged_currency = models.CharField(
        _("pledged currency"),
        max_length=3,
        blank=True,
        validators=[currency_validator],
        help_text=_("ISO 4217 code, such as USD, JPY or KES."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CommitmentQuerySet.as_manager()
    # Counterparts, topics and watchers too: who was added or dropped is part
    # of the audit. The services write one record per change (COMMITMENT_HISTORY).
    history = COMMITMENT_HISTORY

    class Meta:
        # The app, its emails and its admin call them pledges.
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-made_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="commitment_progress_0_100",
                violation_error_message=_("Progress must be between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(check_every_days__gt=0) & Q(check_every_days__lte=MAX_CHECK_EVERY_DAYS),
                name="commitment_check_every_days_range",
                violation_error_message=lazy_interpolate(
                    _("Checks must be 1 to %(max)s days apart."), {"max": MAX_CHECK_EVERY_DAYS}
                ),
            ),
            models.CheckConstraint(
                condition=Q(pledged_amount__isnull=True, pledged_currency="")
                | (Q(pledged_amount__gt=0) & ~Q(pledged_currency="")),
                name="commitment_pledged_amount_currency",
                violation_error_message=PLEDGED_PAIR_MESSAGE,
            ),
        ]
        indexes = [
            # The public board's list: published pledges only, newest first.
            models.Index(fields=["-made_on", "-id"], name="commitment_public_made_on", condition=Q(is_public=True)),
            # The public board's filter choices: whether a maker or an event has a published pledge, without
            # reading through its unpublished ones.
            models.Index(fields=["made_by"], name="commitment_public_made_by", condition=Q(is_public=True)),
            models.Index(fields=["event"], name="commitment_public_event", condition=Q(is_public=True)),
            # The money totals per maker and per event: the pledges that name money, read from this index alone.
            models.Index(
                fields=["made_by", "event", "pledged_currency", "pledged_amount"],
                name="commitment_pledged",
                condition=Q(pledged_amount__isnull=False),
            ),
            # Board tiles (count per status) and the status filter.
            models.Index(fields=["status"], name="commitment_status"),
            # A list filtered by status in its own order (the API's, the board's by default):
            # the first page is read in order from here instead of walking every pledge by date.
            models.Index(fields=["status", "-made_on", "-id"], name="commitment_status_made_on"),
            # The follow-up sweep (followups.followups_queue_due) and the
            # board's overdue and due-soon lists scan open pledges by check date.
            models.Index(
                fields=["next_check_on"], condition=Q(status__in=OPEN_STATUSES), name="commitment_open_next_check"
            ),
            # The board's overdue count reads open pledges' two dates from this
            # index alone instead of the table (bench/).
            models.Index(
                fields=["due_on", "next_check_on"],
                condition=Q(status__in=OPEN_STATUSES),
                name="commitment_open_due_check",
            ),
            # Escalation when the target date passes, and the due-date filters.
            models.Index(fields=["due_on"], name="commitment_due_on"),
            # Filter by maker, and the compliance score per actor.
            models.Index(fields=["made_by", "status"], name="commitment_made_by_status"),
            # Filter by event, and the compliance score per event.
            models.Index(fields=["event", "status"], name="commitment_event_status"),
            # "Mine" on the board and each analyst's weekly digest.
            models.Index(fields=["owner", "next_check_on"], name="commitment_owner_next_check"),
            # The board's "recently updated" list.
            models.Index(fields=["-updated_at"], name="commitment_updated_at"),
            # The board's and the API's default order (Meta.ordering): a page of 50
            # is read from the index instead of sorting every pledge (bench/).
            models.Index(fields=["-made_on", "-id"], name="commitment_made_on_id"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("tracker:commitment-detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.made_on and self.made_on > timezone.localdate():
            errors["made_on"] = gettext("A pledge cannot be made in the future.")
        if self.renews_id is not None and self.pk is not None and self.renews_id == self.pk:
            errors["renews"] = gettext("A pledge cannot renew itself.")
        if self.due_on and self.made_on and self.due_on < self.made_on:
            errors["due_on"] = gettext("The target date cannot be before the day the pledge was made.")
        if self.pledged_amount is not None and not self.pledged_currency:
            errors["pledged_currency"] = PLEDGED_PAIR_MESSAGE
        elif self.pledged_currency and self.pledged_amount is None:
            errors["pledged_amount"] = PLEDGED_PAIR_MESSAGE
        if errors:
            raise ValidationError(errors)

    @property
    def is_terminal(self):
        return Status(self.status).is_terminal

    @property
    def compliance_score(self):
        return Status(self.status).compliance_score

    @property
    def is_overdue(self):
        if self.is_terminal:
            return False
        today = timezone.localdate()
        if any(day is not None and day < today for day in (self.next_check_on, self.due_on)):
            return True
        # Lists annotate it (selectors.with_milestone_overdue), so that a page of pledges is not a query each.
        milestone_overdue = getattr(self, "has_overdue_milestone", None)
        if milestone_overdue is None:
            milestone_overdue = self.milestones.overdue(today).exists()
        return milestone_overdue


class ProgressUpdate(models.Model):
    commitment = models.ForeignKey(
        Commitment, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="updates"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="progress_updates",
    )
    recorded_on = models.DateField(
        _("recorded on"),
        default=timezone.localdate,
        validators=date_range_validators,
        help_text=_("The day the progress was assessed."),
    )
    status_before = models.CharField(_("status before"), max_length=20, choices=Status.choices)
    status_after = models.CharField(_("status"), max_length=20, choices=Status.choices)
    progress = models.PositiveSmallIntegerField(_("progress"), validators=[MaxValueValidator(100)])
    note = models.TextField(_("note"), blank=True)
    note_is_internal = models.BooleanField(
        _("internal note"),
        default=True,
        help_text=_("An internal note is never shown on the public pages; the status, date and evidence link are."),
    )
    evidence_url = models.URLField(_("evidence URL"), max_length=500, blank=True, validators=[web_url_validator])
    # The reminder whose signed link recorded this update (tracker/checkin.py), if one did.
    via_followup = models.ForeignKey(
        "FollowUp",
        verbose_name=_("via follow-up"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-recorded_on", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="progressupdate_progress_0_100",
                violation_error_message=_("Progress must be between 0 and 100."),
            ),
        ]
        indexes = [
            # A pledge's timeline, newest first.
            models.Index(fields=["commitment", "-recorded_on"], name="progressupdate_timeline"),
            # The weekly digest's "status changes this week".
            models.Index(fields=["created_at"], name="progressupdate_created_at"),
        ]

    def __str__(self):
        return gettext("%(status)s (%(progress)s%%) on %(day)s") % {
            "status": self.get_status_after_display(),
            "progress": self.progress,
            "day": self.recorded_on,
        }

    @property
    def status_changed(self):
        return self.status_before != self.status_after


class FollowUpQuerySet(models.QuerySet):
    """The outbox's state changes, each written once (tracker/followups.py uses them)."""

    def claimable(self, now):
        """Pending and due for an attempt, or sending with an expired lease.

        An expired row that has had all its attempts is left out: its sends
        keep killing the sender, and followups_fail_exhausted fails it.
        """
        return self.filter(
            Q(state=FollowUp.State.PENDING, next_attempt_at__lte=now)
            | Q(state=FollowUp.State.SENDING, lease_until__lt=now, attempts__lt=settings.FOLLOWUP_MAX_ATTEMPTS)
        )

    def claim(self, now) -> int:
        """Take the claimable rows for sending, with a lease; returns how many this call took.

        A compare-and-set on SQLite and PostgreSQL alike: of two senders
        racing for a row, exactly one changes it. The raised `attempts`
        identifies the claim (held_by): after a takeover the earlier holder
        can no longer record an outcome.
        """
        return self.claimable(now).update(
            state=FollowUp.State.SENDING,
            lease_until=now + timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
        )

    def held_by(self, followups):
        """The rows of `followups` still held by the claims they were loaded under."""
        ids_by_attempts = {}
        for followup in followups:
            ids_by_attempts.setdefault(followup.attempts, []).append(followup.pk)
        # One term per attempt count, not per row: SQLite refuses a thousand ORs.
        held = Q(pk__in=[])
        for attempts, ids in ids_by_attempts.items():
            held |= Q(attempts=attempts, pk__in=ids)
        return self.filter(held, state=FollowUp.State.SENDING)

    def requeue(self, *, at, error=None, attempts=None) -> int:
        """Back to pending, to be woken by the first sweep after `at`; `error=None` keeps the last error."""
        changes = {
            "state": FollowUp.State.PENDING,
            "lease_until": None,
            "next_attempt_at": at,
            "woken_at": None,
            "updated_at": timezone.now(),
        }
        if error is not None:
            changes["last_error"] = error
        if attempts is not None:
            changes["attempts"] = attempts
        return self.update(**changes)

    def finish(self, state, *, error="", message_id="", now=None) -> int:
        """Close the rows as sent, failed or cancelled."""
        now = now or timezone.now()
        changes = {"state": state, "lease_until": None, "updated_at": now}
        if state == FollowUp.State.SENT:
            # last_error is kept: with attempts, it shows why delivery took retries.
            changes.update(sent_at=now, message_id=message_id)
        else:
            changes["last_error"] = error
        return self.update(**changes)


class FollowUp(models.Model):
    """One reminder email in the outbox; the row, not a broker message, is the truth."""

    class Kind(models.TextChoices):
        CHECKUP = "checkup", _("Check-up")
        ESCALATION = "escalation", _("Escalation")
        DIGEST = "digest", _("Weekly digest")
        # To an actor's office (a Contact), not to a user: tracker/evidence.py.
        REQUEST = "request", _("Request to an office")
        REQUEST_REMINDER = "request_reminder", _("Reminder to an office")
        MILESTONE = "milestone", _("Overdue milestone")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("state of a follow-up", "Pending")
        SENDING = "sending", pgettext_lazy("state of a follow-up", "Sending")
        SENT = "sent", pgettext_lazy("state of a follow-up", "Sent")
        FAILED = "failed", pgettext_lazy("state of a follow-up", "Failed")
        CANCELLED = "cancelled", pgettext_lazy("state of a follow-up", "Cancelled")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # SET_NULL, not CASCADE: a pledge deleted while its reminder is pending
    # leaves the row, which the send service then cancels.
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("pledge"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followups",
    )
    # A user, or for requests to an office its Contact (the constraint below: exactly one).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followups",
    )
    contact = models.ForeignKey(
        "Contact", verbose_name=_("contact"), on_delete=models.CASCADE, null=True, blank=True, related_name="followups"
    )
    request = models.ForeignKey(
        "EvidenceRequest",
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followups",
    )
    # The overdue milestone a reminder is about; SET_NULL as for the pledge, so that delivery cancels it.
    milestone = models.ForeignKey(
        "Milestone",
        verbose_name=_("milestone"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followups",
    )
    due_on = models.DateField(
        # Translators: the day a reminder email is due to be sent.
        _("due on"),
    )
    # Translators: an internal key that keeps the same reminder from being sent twice.
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    # Translators: where a reminder, a request, a reply or an import stands (a column heading).
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # Translators: the time until which a worker holds a reminder while sending it.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    # When the sweep last sent a wake-up message for this row: a row is woken
    # again only after the lease time, so a backlog does not flood the broker,
    # and a wake-up lost with the broker is made good.
    # Translators: when a worker was last asked to send this reminder.
    woken_at = models.DateTimeField(_("woken at"), null=True, blank=True)
    message_id = models.CharField(_("message ID"), max_length=300, blank=True)
    # A log line for the admin, in English like the mail server's errors it
    # quotes: written by a worker, which has no reader's language.
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # When the recipient answered through the email's check-in links: they work once.
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-due_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient__isnull=False, contact__isnull=True)
                | Q(recipient__isnull=True, contact__isnull=False, request__isnull=False),
                name="followup_one_recipient",
                violation_error_message=_("A follow-up goes to a user, or to an office about a request."),
            ),
        ]
        indexes = [
            # The sender's claim: pending rows whose next attempt has come.
            models.Index(fields=["state", "next_attempt_at"], name="followup_claimable"),
            # Re-claiming rows whose lease expired (a worker died mid-send).
            models.Index(fields=["lease_until"], condition=Q(state="sending"), name="followup_sending_lease"),
            # A pledge's follow-up history, and cancelling the stale ones.
            models.Index(fields=["commitment", "state"], name="followup_commitment_state"),
        ]

    def __str__(self):
        return self.dedupe_key

    @staticmethod
    def make_dedupe_key(kind, *, due_on, recipient_id, commitment_id=None, milestone_id=None):
        """The outbox's identity: one reminder per kind, subject, date and recipient.

        Digests are per user per ISO week; milestones' per milestone per due
        date; the others per pledge per date.
        """
        if kind == FollowUp.Kind.DIGEST:
            year, week, _weekday = due_on.isocalendar()
            return f"digest:{recipient_id}:{year}-W{week:02d}"
        if kind == FollowUp.Kind.MILESTONE:
            return f"milestone:{milestone_id}:{due_on.isoformat()}:{recipient_id}"
        return f"{kind}:{commitment_id}:{due_on.isoformat()}:{recipient_id}"


def _new_calendar_token():
    return secrets.token_urlsafe(24)


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone; use a name such as Africa/Nairobi."),
            params={"value": repr(value)},
        )


class Language(models.TextChoices):
    """The languages the tracker writes in."""

    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")
    SWAHILI = "sw", _("Swahili")


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    reminders_enabled = models.BooleanField(_("check-up and escalation emails"), default=True)
    digest_enabled = models.BooleanField(_("weekly digest"), default=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    calendar_token = models.CharField(_("calendar token"), max_length=64, unique=True, default=_new_calendar_token)
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text=_("The language of the pages and of the emails you receive."),
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return gettext("Notification preferences of %(user)s") % {"user": self.user}

    def wants(self, kind):
        if kind == FollowUp.Kind.DIGEST:
            return self.digest_enabled
        return self.reminders_enabled


class SummaryVersion(models.Model):
    """One row whose token changes whenever pledges, actors or events change.

    The board's numbers over every pledge are cached under this token
    (tracker/board_cache.py): a new token retires them in every process at
    once, since each reads the token from the database.
    """

    id = models.PositiveSmallIntegerField(_("ID"), primary_key=True, default=1)
    # Translators: a random code that changes whenever the board's numbers must be counted again.
    token = models.UUIDField(_("token"), default=uuid.uuid4)

    class Meta:
        verbose_name = _("summary version")
        verbose_name_plural = _("summary versions")

    def __str__(self):
        return f"Summary version {self.token}"


class Score(models.IntegerChoices):
    """A member's compliance with a pledge over a cycle, in the G7 Research Group's manner."""

    FULL = 1, _("+1 Full compliance")
    PARTIAL = 0, _("0 Partial or in progress")
    NONE = -1, _("-1 No compliance")

    __empty__ = _("Not assessed")


class AssessmentCycle(models.Model):
    """A dated assessment of chosen pledges: criteria written for each, every member scored, then published."""

    class Kind(models.TextChoices):
        INTERIM = "interim", pgettext_lazy("kind of assessment cycle", "Interim")
        FINAL = "final", pgettext_lazy("kind of assessment cycle", "Final")

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("state of an assessment cycle", "Draft")
        REVIEW = "review", pgettext_lazy("state of an assessment cycle", "In review")
        PUBLISHED = "published", pgettext_lazy("state of an assessment cycle", "Published")

    name = models.CharField(
        _("name"), max_length=200, unique=True, help_text=_("Such as TICAD 9 interim, February 2026.")
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessment_cycles",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INTERIM)
    period_start = models.DateField(_("period start"), validators=date_range_validators)
    period_end = models.DateField(_("period end"), validators=date_range_validators)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The interim cycle a final one was copied from: the report shows the change since.
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followed_by",
        help_text=_("The interim cycle this final one follows; its report shows the change since."),
    )
    commitments = models.ManyToManyField(
        Commitment, verbose_name=_("pledges"), through="CycleCommitment", related_name="assessment_cycles"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(
        verbose_name=_("historical assessment cycle"), verbose_name_plural=_("historical assessment cycles")
    )

    class Meta:
        verbose_name = _("assessment cycle")
        verbose_name_plural = _("assessment cycles")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="assessmentcycle_period_order",
                violation_error_message=_("A cycle's period cannot end before it starts."),
            ),
        ]
        indexes = [
            # The board's "latest published cycle".
            models.Index(fields=["state", "-published_at"], name="cycle_state_published"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("tracker:cycle-detail", args=[self.pk])

    def clean(self):
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": gettext("A cycle's period cannot end before it starts.")})

    @property
    def is_published(self):
        return self.state == self.State.PUBLISHED


class CycleCommitment(models.Model):
    """A pledge chosen for a cycle, with its written criteria; what the report shows of it is frozen at publishing."""

    cycle = models.ForeignKey(
        AssessmentCycle, verbose_name=_("cycle"), on_delete=models.CASCADE, related_name="cycle_commitments"
    )
    # PROTECT: a published report must not lose a row because a pledge was deleted.
    commitment = models.ForeignKey(
        Commitment, verbose_name=_("pledge"), on_delete=models.PROTECT, related_name="cycle_entries"
    )
    # Translators: the place of a pledge in a cycle's list.
    position = models.PositiveIntegerField(_("position"), default=0)
    criteria_full = models.TextField(_("criteria for +1"), blank=True, help_text=_("What counts as full compliance."))
    criteria_partial = models.TextField(
        _("criteria for 0"), blank=True, help_text=_("What counts as partial compliance or work in progress.")
    )
    criteria_none = models.TextField(_("criteria for -1"), blank=True, help_text=_("What counts as no compliance."))
    # The pledge as it stood when the cycle was published; empty until then.
    published_title = models.CharField(_("published title"), max_length=300, blank=True)
    # Translators: the pledge's maker as it stood when the cycle was published.
    published_maker = models.CharField(_("published maker"), max_length=200, blank=True)
    published_status = models.CharField(_("published status"), max_length=20, choices=Status.choices, blank=True)
    published_progress = models.PositiveSmallIntegerField(_("published progress"), null=True, blank=True)
    published_topics = models.JSONField(_("published topics"), default=list, blank=True)
    history = HistoricalRecords(
        verbose_name=_("historical pledge in a cycle"), verbose_name_plural=_("historical pledges in cycles")
    )

    class Meta:
        verbose_name = _("pledge in a cycle")
        verbose_name_plural = _("pledges in cycles")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "commitment"], name="cyclecommitment_unique"),
        ]

    def __str__(self):
        return gettext("%(pledge)s in %(cycle)s") % {"pledge": self.commitment, "cycle": self.cycle}


class ComplianceScore(models.Model):
    """One cell of a cycle: a member's score on a pledge, with its rationale and evidence."""

    cycle = models.ForeignKey(AssessmentCycle, verbose_name=_("cycle"), on_delete=models.CASCADE, related_name="scores")
    commitment = models.ForeignKey(
        Commitment, verbose_name=_("pledge"), on_delete=models.PROTECT, related_name="compliance_scores"
    )
    member = models.ForeignKey(
        Actor, verbose_name=_("member"), on_delete=models.PROTECT, related_name="compliance_scores"
    )
    score = models.SmallIntegerField(_("score"), choices=Score.choices, null=True, blank=True)
    rationale = models.TextField(_("rationale"), blank=True)
    # Web addresses, one per item (assessments.score_validate checks each).
    evidence_urls = models.JSONField(_("evidence links"), default=list, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scored by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    history = HistoricalRecords(
        verbose_name=_("historical compliance score"), verbose_name_plural=_("historical compliance scores")
    )

    class Meta:
        verbose_name = _("compliance score")
        verbose_name_plural = _("compliance scores")
        ordering = ["cycle", "commitment", "member"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "commitment", "member"], name="compliancescore_unique"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=-1, score__lte=1),
                name="compliancescore_score_range",
                violation_error_message=_("A score is -1, 0 or +1, or not assessed."),
            ),
        ]

    def __str__(self):
        return gettext("%(member)s on %(pledge)s in %(cycle)s") % {
            "member": self.member,
            "pledge": self.commitment,
            "cycle": self.cycle,
        }


class ScoreRevision(models.Model):
    """A correction to a published cycle's score: who, when, why, and what it was before."""

    score = models.ForeignKey(
        ComplianceScore, verbose_name=_("score"), on_delete=models.CASCADE, related_name="revisions"
    )
    score_before = models.SmallIntegerField(_("score before"), choices=Score.choices, null=True, blank=True)
    score_after = models.SmallIntegerField(_("score after"), choices=Score.choices, null=True, blank=True)
    rationale_before = models.TextField(_("rationale before"), blank=True)
    rationale_after = models.TextField(_("rationale after"), blank=True)
    reason = models.TextField(
        _("reason"),
    )
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revised by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revised_at = models.DateTimeField(_("revised at"), default=timezone.now)

    class Meta:
        verbose_name = _("score revision")
        verbose_name_plural = _("score revisions")
        ordering = ["revised_at", "id"]

    def __str__(self):
        return gettext("Revision of %(score)s on %(day)s") % {"score": self.score, "day": f"{self.revised_at:%Y-%m-%d}"}


class Contact(models.Model):
    """An actor's office that answers for it: asked for evidence, given a right of reply."""

    actor = models.ForeignKey(Actor, verbose_name=_("actor"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(
        _("name"), max_length=200, help_text=_("The office or person, such as Ministry of Foreign Affairs.")
    )
    email = models.EmailField(
        _("email"),
    )
    role = models.CharField(
        _("role"), max_length=200, blank=True, help_text=_("Such as Press office or Desk officer for Kenya.")
    )
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive contacts are not offered or written to.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(verbose_name=_("historical contact"), verbose_name_plural=_("historical contacts"))

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["actor__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["actor", "email"], name="contact_actor_email_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.actor})"


class EvidenceRequest(models.Model):
    """A question to an actor's office, answered through a signed reply form: evidence on a pledge, or draft scores."""

    class Kind(models.TextChoices):
        EVIDENCE = "evidence", _("Evidence on a pledge")
        DRAFT_SCORES = "draft_scores", _("Right of reply on draft scores")

    class State(models.TextChoices):
        SENT = "sent", pgettext_lazy("state of a request to an office", "Sent")
        ANSWERED = "answered", pgettext_lazy("state of a request to an office", "Answered")
        UNANSWERED = "unanswered", pgettext_lazy("state of a request to an office", "Unanswered")
        WITHDRAWN = "withdrawn", pgettext_lazy("state of a request to an office", "Withdrawn")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EVIDENCE)
    # The pledge asked about; for draft scores, the cycle and the member scored.
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("pledge"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence_requests",
    )
    cycle = models.ForeignKey(
        AssessmentCycle,
        verbose_name=_("cycle"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reply_requests",
    )
    member = models.ForeignKey(
        Actor, verbose_name=_("member"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.PROTECT, related_name="requests")
    message = models.TextField(_("message"), help_text=_("What is asked, in a few lines; the email quotes it."))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.SENT)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    closed_at = models.DateTimeField(
        _("closed at"), null=True, blank=True, help_text=_("When it was withdrawn or marked unanswered.")
    )
    history = HistoricalRecords(
        verbose_name=_("historical request to an office"), verbose_name_plural=_("historical requests to offices")
    )

    class Meta:
        verbose_name = _("request to an office")
        verbose_name_plural = _("requests to offices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="evidence", commitment__isnull=False)
                | Q(kind="draft_scores", cycle__isnull=False, member__isnull=False),
                name="evidencerequest_subject",
                violation_error_message=_("An evidence request names a pledge; draft scores a cycle and a member."),
            ),
        ]
        indexes = [
            # The sweep's reminders: requests still waiting for an answer.
            models.Index(fields=["state", "created_at"], name="evidencerequest_state"),
        ]

    def __str__(self):
        subject = self.commitment or self.cycle
        return gettext("%(kind)s to %(contact)s about %(subject)s") % {
            "kind": self.get_kind_display(),
            "contact": self.contact,
            "subject": subject,
        }


class Reply(models.Model):
    """An office's answer through the reply form: waits for an analyst to accept it as evidence or dismiss it."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        ACCEPTED = "accepted", _("Accepted as evidence")
        DISMISSED = "dismissed", _("Dismissed")

    request = models.ForeignKey(
        EvidenceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="replies"
    )
    # For draft scores: the pledge whose cell the reply answers (none: the scores as a whole).
    commitment = models.ForeignKey(
        Commitment, verbose_name=_("pledge"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.TextField(
        _("text"),
    )
    links = models.JSONField(_("links"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # The update whose evidence an accepted reply became.
    update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("progress update"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords(verbose_name=_("historical reply"), verbose_name_plural=_("historical replies"))

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return gettext("Reply from %(contact)s on %(day)s") % {
            "contact": self.request.contact,
            "day": f"{self.created_at:%Y-%m-%d}",
        }


def reply_file_name(instance, filename):
    """A generated name: nothing the sender chose reaches the file system."""
    return f"replies/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class ReplyFile(models.Model):
    reply = models.ForeignKey(Reply, verbose_name=_("reply"), on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=reply_file_name, max_length=200)
    # As the sender named it, shown and offered as the download's name only.
    original_name = models.CharField(_("original name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(
        # Translators: the size of an uploaded file, in bytes.
        _("size"),
    )

    class Meta:
        verbose_name = _("reply file")
        verbose_name_plural = _("reply files")

    def __str__(self):
        return self.original_name


class MoneyLine(models.Model):
    """Money that moved under a pledge: committed (agreed, signed) or disbursed (paid), as aid trackers count it."""

    class Kind(models.TextChoices):
        COMMITTED = "committed", pgettext_lazy("money", "Committed")
        DISBURSED = "disbursed", pgettext_lazy("money", "Disbursed")

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="money_lines"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount"), max_digits=20, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(
        _("currency"), max_length=3, validators=[currency_validator], help_text=_("ISO 4217 code.")
    )
    on = models.DateField(_("date"), validators=date_range_validators)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True, validators=[web_url_validator])
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(
        verbose_name=_("historical money line"), verbose_name_plural=_("historical money lines")
    )

    class Meta:
        verbose_name = _("money line")
        verbose_name_plural = _("money lines")
        ordering = ["on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="moneyline_amount_positive",
                violation_error_message=_("Amounts are positive."),
            ),
        ]
        indexes = [
            # Totals per actor and per event: the lines of the pledges, by currency.
            models.Index(fields=["commitment", "kind", "currency"], name="moneyline_commitment_kind"),
        ]

    def __str__(self):
        return gettext("%(kind)s %(amount)s %(currency)s on %(day)s") % {
            "kind": self.get_kind_display(),
            "amount": self.amount,
            "currency": self.currency,
            "day": self.on,
        }


class MilestoneQuerySet(models.QuerySet):
    def overdue(self, today=None):
        """Not done, and past the due date."""
        return self.filter(done_on__isnull=True, due_on__lt=today or timezone.localdate())


MAX_MILESTONE_WEIGHT = 100


class Milestone(models.Model):
    """A step of a pledge (a law passed, a first tranche paid), with its weight in the pledge's progress."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("title"), max_length=300)
    due_on = models.DateField(_("due"), validators=date_range_validators)
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_MILESTONE_WEIGHT)],
        help_text=lazy_interpolate(
            _("Its share of the pledge's progress, against the other milestones (1 to %(max)s)."),
            {"max": MAX_MILESTONE_WEIGHT},
        ),
    )
    done_on = models.DateField(
        pgettext_lazy("milestone", "done"), null=True, blank=True, validators=date_range_validators
    )
    evidence_url = models.URLField(_("evidence URL"), max_length=500, blank=True, validators=[web_url_validator])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(verbose_name=_("historical milestone"), verbose_name_plural=_("historical milestones"))

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=MAX_MILESTONE_WEIGHT),
                name="milestone_weight_range",
                violation_error_message=lazy_interpolate(_("A weight is 1 to %(max)s."), {"max": MAX_MILESTONE_WEIGHT}),
            ),
        ]
        indexes = [
            # The board's overdue count and the reminders: milestones not done, by due date.
            models.Index(fields=["commitment", "due_on"], name="milestone_open_due", condition=Q(done_on__isnull=True)),
        ]

    def __str__(self):
        return self.title

    @property
    def is_overdue(self):
        return self.done_on is None and self.due_on < timezone.localdate()


class ImportJob(models.Model):
    """One uploaded file of pledges: checked (the preview), then imported whole or not at all.

    The file is kept in the row, so that a worker on another machine can read
    it; its report is the preview, then the result.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", _("Excel (XLSX)")

    class State(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Not imported")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("file format"), max_length=4, choices=Format.choices)
    data = models.BinaryField(
        # Translators: the content of an uploaded file.
        _("data"),
    )
    create_missing = models.BooleanField(
        # Translators: whether importing a file creates the actors, events and topics it names that do not exist yet.
        _("create missing"),
        default=False,
        help_text=_("Create the actors, events and topics the file names that do not exist yet."),
    )
    # Translators: the number of rows in an imported file.
    rows = models.PositiveIntegerField(_("rows"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.CHECKING)
    # Translators: what checking or importing a file found.
    report = models.JSONField(_("report"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_by_user")]

    def __str__(self):
        return self.file_name

    def get_absolute_url(self):
        return reverse("tracker:import-detail", args=[self.pk])

    @property
    def is_running(self):
        return self.state in (self.State.CHECKING, self.State.IMPORTING)
