"""Reading environment variables once, failing loudly with the variable's name.

django-environ parses the URLs; these wrappers turn its assorted exceptions
(ValueError, KeyError, ImproperlyConfigured...) into one ImproperlyConfigured
that says which variable is wrong and what was expected, so that a typo in
production stops start-up with a readable message instead of a traceback deep
inside a database driver.

Raw values come from os.environ, not environ.Env.str: django-environ treats a
value starting with "$" as a reference to another variable, which would
silently change a SECRET_KEY or password that happens to start with one.
"""

import logging
import os
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql", "psql"}
EMAIL_SCHEMES = {"smtp", "smtps", "smtp+tls", "smtp+ssl", "consolemail", "filemail", "memorymail", "dummymail"}
REDIS_SCHEMES = {"redis", "rediss"}


def _fail(name, expected, value):
    raise ImproperlyConfigured(f"{name} is malformed: expected {expected}, got {value!r}.")


def _raw(name):
    return os.environ.get(name)


def read_bool(name, default):
    raw = _raw(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    _fail(name, "true or false", raw)


def read_int(name, default, *, minimum=None, maximum=None):
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        _fail(name, "a whole number", raw)
    if minimum is not None and value < minimum:
        _fail(name, f"a whole number of at least {minimum}", raw)
    if maximum is not None and value > maximum:
        _fail(name, f"a whole number of at most {maximum}", raw)
    return value


def read_str(name, default):
    raw = _raw(name)
    return default if raw is None else raw


def read_list(name, default):
    raw = _raw(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def _scheme(name, raw, schemes, expected):
    try:
        parts = urlsplit(raw)
    except ValueError:
        _fail(name, expected, raw)
    if parts.scheme not in schemes:
        _fail(name, expected, raw)
    return parts


def read_database(name, default):
    raw = read_str(name, default)
    expected = "a URL such as postgres://user:password@host:5432/name or sqlite:///path/to/db.sqlite3"
    parts = _scheme(name, raw, DATABASE_SCHEMES, expected)
    if parts.scheme != "sqlite":
        try:
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            _fail(name, expected, raw)
    # A database name is needed; the host may be empty (a local socket).
    if not parts.path.strip("/"):
        _fail(name, expected, raw)
    try:
        return environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several kinds
        raise ImproperlyConfigured(f"{name} is malformed: {exc}") from exc


def read_email(name):
    """The email backend settings for EMAIL_URL, or None when it is unset."""
    raw = _raw(name)
    if raw is None:
        return None
    expected = "a URL such as smtp://user:password@host:587 or smtp+tls://host:587"
    parts = _scheme(name, raw, EMAIL_SCHEMES, expected)
    if parts.scheme.startswith("smtp"):
        try:
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            _fail(name, expected, raw)
        if not parts.hostname:
            _fail(name, expected, raw)
    try:
        return environ.Env.email_url_config(raw)
    except Exception as exc:
        raise ImproperlyConfigured(f"{name} is malformed: {exc}") from exc


def read_redis(name):
    """The Redis URL, checked, or None when it is unset."""
    raw = _raw(name)
    if not raw:
        return None
    expected = "a URL such as redis://host:6379/0"
    parts = _scheme(name, raw, REDIS_SCHEMES, expected)
    try:
        parts.port  # noqa: B018
    except ValueError:
        _fail(name, expected, raw)
    if not parts.hostname:
        _fail(name, expected, raw)
    return raw


def read_web_url(name, default):
    """An absolute http(s) address without a trailing slash, such as SITE_URL."""
    raw = read_str(name, default)
    parts = _scheme(name, raw, {"http", "https"}, "an address such as https://tracker.example.org")
    if not parts.hostname:
        _fail(name, "an address such as https://tracker.example.org", raw)
    return raw.rstrip("/")


def read_log_level(name, default):
    raw = read_str(name, default).upper()
    if not isinstance(logging.getLevelName(raw), int):
        _fail(name, "one of DEBUG, INFO, WARNING, ERROR, CRITICAL", raw)
    return raw


def ensure_folder(name, path, *, writable=True):
    """Create a folder the settings point to, or say which variable is wrong."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"{name} points to {str(path)!r}, which cannot be created: {exc.strerror}.") from exc
    if writable and not os.access(path, os.W_OK):
        raise ImproperlyConfigured(f"{name} points to {str(path)!r}, which is not writable.")
    return path


THROTTLE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def read_throttle_rate(name, default):
    """A DRF throttle rate such as 60/min: a whole number of requests per second, minute, hour or day."""
    raw = read_str(name, default)
    count, _, period = raw.strip().partition("/")
    if not count.isdigit() or int(count) < 1 or period not in THROTTLE_PERIODS:
        _fail(name, "a rate such as 60/min (requests per s, min, hour or day)", raw)
    return f"{int(count)}/{period}"
