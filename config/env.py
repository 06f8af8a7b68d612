"""Reading environment variables once, failing loudly with the variable's name.

django-environ parses the values; these wrappers turn its assorted exceptions
(ValueError, KeyError, ImproperlyConfigured...) into one ImproperlyConfigured
that says which variable is wrong and what was expected, so that a typo in
production stops start-up with a readable message instead of a traceback deep
inside a database driver.
"""

from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql", "psql"}
EMAIL_SCHEMES = {"smtp", "smtps", "smtp+tls", "smtp+ssl", "consolemail", "filemail", "memorymail", "dummymail"}
REDIS_SCHEMES = {"redis", "rediss"}


def _fail(name, expected, value):
    raise ImproperlyConfigured(f"{name} is malformed: expected {expected}, got {value!r}.")


def read_bool(name, default):
    raw = env.str(name, default=None)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    _fail(name, "true or false", raw)


def read_int(name, default, *, minimum=None):
    raw = env.str(name, default=None)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        _fail(name, "a whole number", raw)
    if minimum is not None and value < minimum:
        _fail(name, f"a whole number of at least {minimum}", raw)
    return value


def read_str(name, default):
    return env.str(name, default=default)


def read_list(name, default):
    raw = env.str(name, default=None)
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
    raw = env.str(name, default=default)
    expected = "a URL such as postgres://user:password@host:5432/name or sqlite:///path/to/db.sqlite3"
    parts = _scheme(name, raw, DATABASE_SCHEMES, expected)
    if parts.scheme != "sqlite":
        try:
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            _fail(name, expected, raw)
        if not parts.hostname or not parts.path.strip("/"):
            _fail(name, expected, raw)
    elif not parts.path.strip("/"):
        _fail(name, expected, raw)
    try:
        return environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several kinds
        raise ImproperlyConfigured(f"{name} is malformed: {exc}") from exc


def read_email(name):
    """The email backend settings for EMAIL_URL, or None when it is unset."""
    raw = env.str(name, default=None)
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
    raw = env.str(name, default=None)
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
