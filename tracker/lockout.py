"""Login lockout that holds across web processes: django-axes, counting before the password check.

django-axes reads the failure count before checking a password and writes it
after: requests that arrive together all read the same count, and a burst
of them (three gunicorn workers, several threads each) gets far more than
LOGIN_FAILURE_LIMIT guesses. Here each attempt first adds itself to its
AccessAttempt row with one atomic UPDATE, committed at once, and only then
reads the totals; the k-th concurrent attempt sees at least k, so no more
than the limit reach the password check, in any number of processes. The
row that counts is the one axes keeps (the admin lists and clears it), in
the database rather than a cache, so that lockouts need no Redis and
survive its outage.

A success resets the username's rows, as axes does; a failure is already
counted. Beside the username-and-address limit, LOGIN_ADDRESS_FAILURE_LIMIT
caps failures from one address across all usernames (password spraying):
axes takes several lockout parameters but one limit for all of them.

The counts assume autocommit (no ATOMIC_REQUESTS): inside a transaction an
attempt's own increment would stay invisible to the others until commit.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_cool_off_iso8601, get_failure_limit, get_query_str
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import F, Sum, Value
from django.db.models.functions import Concat
from django.shortcuts import render
from django.utils.translation import ngettext

USER = "user"
ADDRESS = "address"

_SEPARATOR = "\n---------\n"


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message(reason: str) -> str:
    """The API's words for a lockout (the pages use the lockout template)."""
    minutes = lockout_minutes()
    if reason == USER:
        message = ngettext(
            "Too many failed logins for this user from this address; try again in %(minutes)s minute.",
            "Too many failed logins for this user from this address; try again in %(minutes)s minutes.",
            minutes,
        )
    else:
        message = ngettext(
            "Too many failed logins from this address; try again in %(minutes)s minute.",
            "Too many failed logins from this address; try again in %(minutes)s minutes.",
            minutes,
        )
    return message % {"minutes": minutes}


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler, with each attempt counted before its password is checked."""

    def is_allowed(self, request, credentials=None) -> bool:
        # Called by axes' authentication backend, first, before any password check.
        if settings.AXES_ONLY_ADMIN_SITE and not self.is_admin_request(request):
            return True
        if self.is_blacklisted(request, credentials):
            return False
        if self.is_whitelisted(request, credentials):
            return True
        self._count_attempt(request, credentials)
        request.login_counted = True
        reason = self._exceeded(request, credentials, allowed_failures=0) if settings.AXES_LOCK_OUT_AT_FAILURE else None
        if reason:
            request.login_lock = reason
            request.login_refused = True
            return False
        return True

    def is_locked(self, request, credentials=None) -> bool:
        return self.lock_reason(request, credentials) is not None

    def lock_reason(self, request, credentials=None) -> str | None:
        """USER or ADDRESS when the next attempt would be refused, else None; counts nothing."""
        if not settings.AXES_LOCK_OUT_AT_FAILURE:
            return None
        return self._exceeded(request, credentials, allowed_failures=1)

    def address_failures(self, request) -> int:
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is None or not getattr(request, "login_counted", False):
            # Not counted beforehand (a whitelisted address, or a caller other
            # than axes' backend): axes counts it its own way.
            return super().user_login_failed(sender, credentials, request, **kwargs)
        request.axes_failures_since_start = self.get_failures(request, credentials)
        reason = getattr(request, "login_lock", None) or self.lock_reason(request, credentials)
        if reason:
            request.login_lock = reason
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def _exceeded(self, request, credentials, *, allowed_failures: int) -> str | None:
        # allowed_failures=0: the attempt is counted already and may go on only
        # if the count is within the limit; 1: the next attempt would be refused.
        if self.get_failures(request, credentials) + allowed_failures > get_failure_limit(request, credentials):
            return USER
        if self.address_failures(request) + allowed_failures > settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return ADDRESS
        return None

    def _count_attempt(self, request, credentials) -> None:
        self.clean_expired_user_attempts(request, credentials)
        key = {
            "username": get_client_username(request, credentials),
            "ip_address": request.axes_ip_address,
            "user_agent": request.axes_user_agent,
        }
        get_data = get_query_str(request.GET).replace("\0", "0x00")
        post_data = get_query_str(request.POST).replace("\0", "0x00")
        details = {
            "http_accept": request.axes_http_accept,
            "path_info": request.axes_path_info,
            "attempt_time": request.axes_attempt_time,
        }
        # A row deleted between the two statements (its time ran out, or a
        # success reset it) is created again.
        for _ in range(3):
            attempt, created = AccessAttempt.objects.get_or_create(
                **key, defaults={**details, "get_data": get_data, "post_data": post_data, "failures_since_start": 1}
            )
            if created:
                return
            if AccessAttempt.objects.filter(pk=attempt.pk).update(
                **details,
                failures_since_start=F("failures_since_start") + 1,
                get_data=Concat("get_data", Value(_SEPARATOR + get_data)),
                post_data=Concat("post_data", Value(_SEPARATOR + post_data)),
            ):
                return


def lockout_response(request, original_response=None, credentials=None):
    """axes' lockout page (AXES_LOCKOUT_TEMPLATE), naming the limit that was reached."""
    address = getattr(request, "login_lock", None) == ADDRESS
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": settings.LOGIN_ADDRESS_FAILURE_LIMIT if address else get_failure_limit(request, credentials),
        "address_locked": address,
        "username": get_client_username(request, credentials) or "",
        "cooloff_timedelta": cool_off,
        "cooloff_time": get_cool_off_iso8601(cool_off) if cool_off else None,
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)
