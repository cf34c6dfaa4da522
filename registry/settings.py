"""Settings for the registry: one file, every deployment knob from the environment.

With nothing set you get the embedded default: SQLite under var/ (WAL, IMMEDIATE
transactions), Celery tasks queued on a SQLite broker under var/ for the worker with
embedded beat that `make run` starts (eager only in tests), email written to var/mail/,
uploads under var/media/, a secret key generated once into var/secret_key.
With DATABASE_URL and REDIS_URL: PostgreSQL, Redis as Celery broker and cache,
and a separate worker and beat (`make worker`, `make beat`).

A value that cannot be read (DEBUG=ture, EMAIL_PORT=abc) stops start-up with
ImproperlyConfigured rather than meaning a default. Secrets may instead be given as
files (SECRET_KEY_FILE, DATABASE_URL_FILE, ...: Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from registry.logs import LOG_FORMATS, configure_structlog, log_format_from, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool = False) -> bool:
    """1/0, true/false, yes/no, on/off (any case); unset or empty is the default; anything else fails."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off")


def env_int(name: str, default: int) -> int:
    """A decimal integer; unset or empty is the default; anything else fails."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or read from the file named by NAME_FILE (stripped); never both.

    An unreadable or empty file fails rather than falling back to the default (an empty
    DATABASE_URL would silently mean SQLite). Error messages never contain the secret.
    """
    file_var = f"{name}_FILE"
    value = os.environ.get(name, "")
    path = os.environ.get(file_var, "")
    if not path:
        return value or default
    if value:
        raise ImproperlyConfigured(f"both {name} and {file_var} are set; set only one of them")
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ImproperlyConfigured(f"{file_var}={path!r} cannot be read: {reason}") from None
    if not secret:
        raise ImproperlyConfigured(f"{file_var}={path!r} is empty")
    return secret


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_list_secret(name: str) -> list[str]:
    """A list of secrets (comma- or line-separated) from NAME or the file named by NAME_FILE."""
    return [item.strip() for item in env_secret(name).replace("\n", ",").split(",") if item.strip()]


VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY (or SECRET_KEY_FILE) from the environment, else generated once and kept in var/secret_key."""
    if key := env_secret("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)

# Keys published somewhere (an old compose default, Django's startproject prefix, the
# usual placeholders): anyone could sign sessions and password-reset links with them.
_KNOWN_DEFAULT_KEYS = frozenset({"change-me", "changeme", "secret", "secret-key", "secret_key", "insecure"})
if not DEBUG and (
    SECRET_KEY.strip().lower() in _KNOWN_DEFAULT_KEYS
    or SECRET_KEY.lower().startswith(("change-me", "changeme", "django-insecure-"))
):
    raise ImproperlyConfigured(
        "SECRET_KEY is a published default or placeholder; set a random one, e.g. "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))' (or unset it to have one generated)"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

DATABASE_URL = env_secret("DATABASE_URL")
REDIS_URL = env_secret("REDIS_URL")
# The cache (throttling, sessions-free state) may live in another Redis database than the broker.
REDIS_CACHE_URL = env_secret("REDIS_CACHE_URL", REDIS_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "complaints",
]

MIDDLEWARE = [
    # First: a request id bound to every log line of the request (and returned in
    # X-Request-ID), one "request" log line and the HTTP metrics (registry/middleware.py).
    "registry.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # NUL in a header or cookie: 400 before the session (or an API key) is looked up with it.
    "complaints.middleware.HeaderNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # Signing in or out (also a staff session ending, below) drops the anonymous complaints
    # this browser unlocked (complaints/web/privacy.py).
    "complaints.web.privacy.ComplainantPrivacyMiddleware",
    # Staff logins last STAFF_SESSION_AGE_SECONDS (and, if set, end when idle), not two weeks.
    "complaints.staff_sessions.StaffSessionMiddleware",
    # /admin/ (and, with TWO_FACTOR_REVIEWERS, the staff pages) only after the second factor.
    "complaints.web.two_factor.SecondFactorMiddleware",
    # NUL in query strings and forms, JSON limits on /api/, 503 while the database is down,
    # 507 when uploads find the disk full (after Locale: the pages speak the site's language).
    "complaints.middleware.RobustnessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"
ASGI_APPLICATION = "registry.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    # DB_POOLER=transaction: DATABASE_URL points at PgBouncer in transaction-pooling mode
    # (docker-compose.yml, docs/operations.md), where consecutive transactions of one client
    # connection may run on different server connections. Nothing may then outlive a
    # transaction on the server: no prepared statements (psycopg prepares a query run
    # prepare_threshold times; None never does, whatever OPTIONS or server_side_binding
    # ask for) and no server-side cursors (QuerySet.iterator() would DECLARE ... WITH HOLD
    # outside a transaction and FETCH on another server connection).
    DB_POOLER = env_str("DB_POOLER", "").strip().lower()
    if DB_POOLER not in {"", "none", "session", "transaction"}:
        raise ImproperlyConfigured(f"DB_POOLER={DB_POOLER!r}: use transaction (PgBouncer pool_mode), session or none")
    if DB_POOLER == "transaction":
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            "OPTIONS": {
                # Writers queue on the lock at BEGIN instead of failing mid-transaction
                # with "database is locked"; WAL lets readers run beside the writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "registry.cache.ResilientRedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "registry",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth ---------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Login throttling without permanent lockout: a lock needs the same username AND ip,
# and lifts by itself, so nobody can lock observers out on election day.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Each login's IP and browser string (attempts, access and failure logs) is kept this
# many days, then deleted by the daily housekeeping task.
AXES_LOG_RETENTION_DAYS = env_int("AXES_LOG_RETENTION_DAYS", 30)

# Staff two-factor authentication (TOTP app + single-use backup codes, django-otp); see
# docs/security.md. What needs a session verified by the second factor:
#   "identity": accounts with the identity permission, to see who filed (web, API by session);
#   "admin": Django staff and superusers, for the whole admin;
#   "staff": every reviewer, coordinator and admin, for every staff page (TWO_FACTOR_REVIEWERS).
# API-key clients are machine clients and are not asked (the key is their credential).
TWO_FACTOR_REVIEWERS = env_bool("TWO_FACTOR_REVIEWERS", False)
TWO_FACTOR_REQUIRED_FOR = ["identity", "admin", *(["staff"] if TWO_FACTOR_REVIEWERS else [])]
TWO_FACTOR_BACKUP_CODES = 10
# A wrong code makes the device wait FACTOR * 2**(failures - 1) seconds before the next try.
OTP_TOTP_THROTTLE_FACTOR = env_int("OTP_TOTP_THROTTLE_FACTOR", 1)
OTP_STATIC_THROTTLE_FACTOR = env_int("OTP_STATIC_THROTTLE_FACTOR", 1)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Complaint registry")

# --- Security -----------------------------------------------------------------
SECURE_COOKIES = env_bool("SECURE_COOKIES", bool(DATABASE_URL))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Staff (reviewers, coordinators, admins) are signed out this long after their login;
# STAFF_SESSION_IDLE_SECONDS > 0 also signs them out after that long unused. Other
# accounts keep SESSION_COOKIE_AGE (complaints/staff_sessions.py).
STAFF_SESSION_AGE_SECONDS = env_int("STAFF_SESSION_AGE_SECONDS", 8 * 3600)
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 0)
# An anonymous filer's receipt (code and secret) waits for the receipt page in a signed cookie
# for at most this long; a complaint unlocked with code + secret stays open until the browser
# closes, and never longer than UNLOCK_MAX_AGE_HOURS (docs/security.md).
RECEIPT_TTL_SECONDS = env_int("RECEIPT_TTL_SECONDS", 600)
UNLOCK_MAX_AGE_HOURS = env_int("UNLOCK_MAX_AGE_HOURS", 12)
# Files attached to a filing form sent back with an error (without JavaScript) are held on
# the server this long for the form's next submission, then deleted (docs/limits-and-errors.md).
HELD_UPLOAD_TTL_MINUTES = env_int("HELD_UPLOAD_TTL_MINUTES", 60)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("SECURE_PROXY_SSL", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- i18n ---------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "ru")
LANGUAGES = [("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "complaints" / "locale"]
# Date and number formats for Kazakh, which Django does not ship (complaints/formats/kk/).
FORMAT_MODULE_PATH = ["complaints.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Almaty")
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"  # never served directly: evidence goes through a permission check
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Evidence, decision and reply files, generated documents: through Django's storage API only
# (docs/storage.md). The local folder MEDIA_ROOT by default; an S3-compatible bucket when
# S3_BUCKET is set, so several web nodes share the files. Objects are private (no ACL: the
# bucket's default, never public-read) and every download is streamed by the app after the
# permission check; nothing links to the bucket.
S3_BUCKET = env_str("S3_BUCKET")
if S3_BUCKET:
    DEFAULT_STORAGE: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,  # unset: AWS itself
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_secret("AWS_ACCESS_KEY_ID") or None,  # unset: boto3's own chain (role, profile)
            "secret_key": env_secret("AWS_SECRET_ACCESS_KEY") or None,
            "location": env_str("S3_PREFIX").strip("/"),
            "addressing_style": env_str("S3_ADDRESSING_STYLE") or None,  # "path" for most self-hosted servers
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("S3_URL_EXPIRE_SECONDS", 60),
            "file_overwrite": False,
            # Reading a whole object (exports, verify_audit) spools past this to a temporary file
            # instead of holding it in memory (django-storages' default keeps it all in memory).
            "max_memory_size": 8 * 2**20,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    # WhiteNoise's hashed, compressed files once `collectstatic` ran; before that (or for a
    # file added since) plain names, served from the apps: never a 500 for a missing manifest.
    "staticfiles": {"BACKEND": "registry.staticfiles.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
FILE_UPLOAD_HANDLERS = [
    "complaints.uploads.HashingMemoryUploadHandler",
    "complaints.uploads.HashingTemporaryUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o640
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 50 * 1024 * 1024)
# Images are decoded in full before they are accepted; more pixels than this is refused
# (a decompression bomb: a few kilobytes that claim 30,000 x 30,000 pixels). 100 Mpx takes
# any phone photo but the 200 Mpx modes; raise it for those.
EVIDENCE_MAX_IMAGE_PIXELS = env_int("EVIDENCE_MAX_IMAGE_PIXELS", 100_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)

# --- Email --------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", EMAIL_BACKEND)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "registry@localhost")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# --- Celery -------------------------------------------------------------------
# At-least-once delivery: a task is acknowledged only after it ran, and is
# redelivered if the worker dies; tasks are idempotent (see notifications/).
# Without REDIS_URL (the embedded default) the broker is a SQLite file under VAR_DIR,
# through kombu's SQLAlchemy transport: no server to install, and `make run` starts a
# real worker with embedded beat beside the web server, so tasks run off the request
# thread on the same code paths as the full stack. CELERY_BROKER_URL picks another
# serverless transport (e.g. "filesystem://", folders under VAR_DIR/broker/).
EMBEDDED_BROKER_URL = f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
CELERY_BROKER_URL = REDIS_URL or env_secret("CELERY_BROKER_URL") or EMBEDDED_BROKER_URL
# No results are kept by default (tasks record their outcome in the database);
# the integration tests point this at Redis to round-trip a task's return value.
CELERY_RESULT_BACKEND = env_secret("CELERY_RESULT_BACKEND") or None
# Never eager outside tests: tests/conftest.py turns it on for the unit tests.
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
# Must stay above the longest task, or Redis redelivers a task still running.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
if CELERY_BROKER_URL.startswith(("sqla+", "sqlalchemy+")):
    # kombu passes these to sqlalchemy.create_engine (an unknown key would fail there):
    # wait up to 30 s for SQLite's write lock rather than fail a publish.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 30}}
elif CELERY_BROKER_URL.startswith("filesystem:"):
    _BROKER_DIR = VAR_DIR / "broker"
    for _folder in ("queue", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "control_folder": str(_BROKER_DIR / "control"),
        "polling_interval": 0.1,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep reconnecting after a Redis restart however long it takes: no manual step.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Tasks running when the broker connection drops are cancelled and redelivered
# (they are idempotent); the Celery 6 default, and it silences the 5.x warning.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Celery closes every database connection before and after each task unless this is set
# (a new PostgreSQL connection per task: ~10 ms); reuse them, recycling every 2*N tasks.
# Tasks still drop a broken or CONN_MAX_AGE-expired connection first (close_old_connections).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 500)
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env_int("CELERY_SOFT_SHUTDOWN_TIMEOUT", 10)
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True
CELERY_TIMEZONE = TIME_ZONE
# Every module that defines tasks; the worker imports these at start-up to register them.
CELERY_IMPORTS = ["complaints.tasks", "complaints.notifications.tasks", "registry.celery"]
# One queue per channel, each with a worker pool of its own (docker-compose.yml, `make
# worker WORKER_QUEUES=...`): a slow webhook receiver can't hold up an email. Periodic
# work (sweeps, SLA checks, digests) goes to "default". A worker started without -Q
# consumes every queue listed here.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES: dict[str, dict[str, str]] = {"default": {}, "mail": {}, "webhooks": {}, "messengers": {}}
CELERY_TASK_ROUTES = {
    "complaints.notifications.tasks.deliver_email_message": {"queue": "mail"},
    "complaints.notifications.tasks.deliver_outbox_message": {"queue": "webhooks"},
    # Telegram (and SMS) messages to filers, and the bot's received updates.
    "complaints.notifications.tasks.deliver_messenger_message": {"queue": "messengers"},
    "complaints.tasks.telegram_update_process": {"queue": "messengers"},
}
# Beat's record of when each entry last ran (`celery beat`, or the worker's embedded `-B`).
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sla-check": {"task": "complaints.tasks.sla_check", "schedule": float(env_int("SLA_CHECK_SECONDS", 60))},
    "case-deadlines": {"task": "complaints.tasks.case_deadlines_check", "schedule": 300.0},
    "outbox-sweep": {
        "task": "complaints.notifications.tasks.outbox_sweep",
        "schedule": float(env_int("OUTBOX_SWEEP_SECONDS", 5)),
    },
    "coordinator-digest": {
        "task": "complaints.notifications.tasks.coordinator_digest",
        # Daily at DIGEST_HOUR local time (CELERY_TIMEZONE).
        "schedule": crontab(hour=env_int("DIGEST_HOUR", 8), minute=0),
    },
    "housekeeping": {"task": "complaints.tasks.housekeeping", "schedule": crontab(hour=3, minute=30)},
    # Telegram updates received but not processed (their task was lost): queued again.
    "telegram-updates-sweep": {"task": "complaints.tasks.telegram_updates_sweep", "schedule": 30.0},
    # Stripped copies of evidence still pending (their task was lost, or files from before migration 0017).
    "evidence-copies-sweep": {
        "task": "complaints.tasks.evidence_copies_sweep",
        "schedule": float(env_int("EVIDENCE_COPY_SWEEP_SECONDS", 300)),
    },
    # Held uploads of filing forms left unsent are deleted soon after they expire, not once a day.
    "held-uploads-sweep": {"task": "complaints.tasks.held_uploads_sweep", "schedule": 900.0},
    # Hourly signed audit checkpoint (skipped when no chain moved); milestones: `manage.py audit_checkpoint`.
    "audit-checkpoint": {
        "task": "complaints.tasks.audit_checkpoint",
        "schedule": crontab(minute=env_int("AUDIT_CHECKPOINT_MINUTE", 0)),
    },
}
if CELERY_BROKER_URL.startswith(("sqla+", "sqlalchemy+")):
    # The SQLAlchemy transport keeps consumed messages (invisible): delete them hourly.
    CELERY_BEAT_SCHEDULE["broker-purge"] = {
        "task": "registry.celery.purge_consumed_broker_messages",
        "schedule": 3600.0,
    }

# --- Domain -------------------------------------------------------------------
# Audit checkpoints are signed with this Ed25519 key (PEM, or a 32-byte seed in hex/base64),
# from the environment or AUDIT_SIGNING_KEY_FILE; it must live outside the database and
# its backups. Unset (the embedded default, tests), a key file is generated at
# AUDIT_SIGNING_KEY_PATH on first use, with a warning. Retired keys' public halves (PEM
# files) keep old checkpoints verifiable: AUDIT_TRUSTED_PUBLIC_KEY_FILES=a.pem,b.pem.
AUDIT_SIGNING_KEY = env_secret("AUDIT_SIGNING_KEY")
AUDIT_SIGNING_KEY_PATH = Path(env_str("AUDIT_SIGNING_KEY_PATH", str(VAR_DIR / "audit-signing-key.pem")))
AUDIT_TRUSTED_PUBLIC_KEY_FILES = env_list("AUDIT_TRUSTED_PUBLIC_KEY_FILES")
# Where each checkpoint's public file is written (also served at /audit/checkpoints/<n>.json).
AUDIT_CHECKPOINT_DIR = Path(env_str("AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "checkpoints")))
# Reporter identity (name, email, phone) is encrypted at rest with these Fernet keys, newest
# first (comma- or line-separated; from the environment or FIELD_ENCRYPTION_KEYS_FILE);
# older keys only decrypt until `manage.py rotate_field_keys` has re-encrypted every row.
# FIELD_HASH_KEY keys the HMAC-SHA256 lookup hashes (email_hash). Unset (development, the
# embedded default, tests), each is derived from SECRET_KEY and `check --deploy` warns:
# production sets both (docs/security.md, "Protection at rest").
FIELD_ENCRYPTION_KEYS = env_list_secret("FIELD_ENCRYPTION_KEYS")
FIELD_HASH_KEY = env_secret("FIELD_HASH_KEY")
# SLA per severity, in minutes. Urgent: 100 minutes, the target of India's cVIGIL.
SLA_MINUTES = {
    1: env_int("SLA_LOW_MINUTES", 7 * 24 * 60),
    2: env_int("SLA_MEDIUM_MINUTES", 3 * 24 * 60),
    3: env_int("SLA_HIGH_MINUTES", 24 * 60),
    4: env_int("SLA_URGENT_MINUTES", 100),
}
SLA_DUE_SOON_MINUTES = env_int("SLA_DUE_SOON_MINUTES", 60)
# Housekeeping: how long disposable records are kept. Complaints, evidence, audit events and
# outbox rows are never purged.
IDEMPOTENCY_KEEP_HOURS = env_int("IDEMPOTENCY_KEEP_HOURS", 72)
WEBHOOK_DELIVERY_LOG_KEEP_DAYS = env_int("WEBHOOK_DELIVERY_LOG_KEEP_DAYS", 90)
# Outbox retry schedule (seconds after the previous attempt), then dead-letter.
OUTBOX_RETRY_SCHEDULE = [
    int(x) for x in env_list("OUTBOX_RETRY_SCHEDULE", "0,5,300,1800,7200,18000,36000,50400,72000,86400")
]
# A worker holds a row this long while sending it; after that (worker killed) the
# sweeper hands it out again. Must exceed the slowest send (webhook or SMTP timeout).
OUTBOX_CLAIM_SECONDS = env_int("OUTBOX_CLAIM_SECONDS", 60)
# A row the sweeper queued is reserved for that task this long, so a backlog is not
# queued again every sweep; a task lost with Redis frees the row when it runs out.
OUTBOX_DISPATCH_LEASE_SECONDS = env_int("OUTBOX_DISPATCH_LEASE_SECONDS", 120)
# New-complaint alerts to reviewers are collected this long into one email per reviewer.
OUTBOX_BATCH_SECONDS = env_int("OUTBOX_BATCH_SECONDS", 180)
# Attempts a webhook gets while its receiver answers 4xx (other than 408/410/429)
# or a redirect: a configuration error that rarely fixes itself, so dead-letter early.
OUTBOX_CLIENT_ERROR_ATTEMPTS = env_int("OUTBOX_CLIENT_ERROR_ATTEMPTS", 3)
# Webhook requests: seconds to connect, and to wait for each read of the answer. Short,
# so a slow receiver costs a worker process at most CONNECT + READ seconds per attempt;
# OUTBOX_CLAIM_SECONDS must stay above their sum.
WEBHOOK_CONNECT_TIMEOUT = env_int("WEBHOOK_CONNECT_TIMEOUT", 3)
WEBHOOK_READ_TIMEOUT = env_int("WEBHOOK_READ_TIMEOUT", 5)
# At most this many attempts in flight per subscription; further deliveries wait
# WEBHOOK_BUSY_RETRY_SECONDS (plus jitter) and are tried again, never dropped.
WEBHOOK_MAX_IN_FLIGHT = env_int("WEBHOOK_MAX_IN_FLIGHT", 2)
WEBHOOK_BUSY_RETRY_SECONDS = env_int("WEBHOOK_BUSY_RETRY_SECONDS", 2)
# Circuit breaker: after this many failures in a row (timeouts, network errors, 408, 429,
# 5xx) a subscription's deliveries wait, unsent, for the cool-down; it doubles on each
# failed trial after the wait, up to the maximum, and a success resets it.
WEBHOOK_BREAKER_FAILURES = env_int("WEBHOOK_BREAKER_FAILURES", 5)
WEBHOOK_BREAKER_COOLDOWN_SECONDS = env_int("WEBHOOK_BREAKER_COOLDOWN_SECONDS", 30)
WEBHOOK_BREAKER_MAX_COOLDOWN_SECONDS = env_int("WEBHOOK_BREAKER_MAX_COOLDOWN_SECONDS", 3600)
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
WEBHOOK_SECRET_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24)

# --- Telegram (docs/channels.md) -----------------------------------------------------
# The bot's token from @BotFather; unset, the bot is off (the webhook answers 404, nothing is sent).
TELEGRAM_BOT_TOKEN = env_secret("TELEGRAM_BOT_TOKEN")
# What Telegram sends in X-Telegram-Bot-Api-Secret-Token (set with `telegram_bot --set-webhook`):
# 1-256 of A-Z a-z 0-9 _ -. Required for the webhook; polling mode does not need it.
TELEGRAM_WEBHOOK_SECRET = env_secret("TELEGRAM_WEBHOOK_SECRET")
# The Bot API server: Telegram's, a self-hosted telegram-bot-api, or the tests' stand-in.
TELEGRAM_API_BASE = env_str("TELEGRAM_API_BASE", "https://api.telegram.org").rstrip("/")
# A half-finished filing conversation is forgotten after this many minutes of silence.
TELEGRAM_CONVERSATION_MINUTES = env_int("TELEGRAM_CONVERSATION_MINUTES", 120)
# Seconds to wait for the Bot API (connect and each read); OUTBOX_CLAIM_SECONDS stays above them.
TELEGRAM_TIMEOUT_SECONDS = env_int("TELEGRAM_TIMEOUT_SECONDS", 10)


# --- SMS gateways (docs/channels.md, "SMS") ------------------------------------------
# Inbound: SMS_GATEWAYS names the gateways (comma-separated, e.g. "smssync,twilio"); each
# answers at /channels/sms/<name>/ and is set up by SMS_<NAME>_KIND ("smssync" for SMSSync
# and FrontlineSMS, "twilio" for a Twilio-compatible form post; defaults to the name),
# SMS_<NAME>_SECRET (SMSSync's secret, or the Auth Token Twilio signs with) and, for Twilio,
# SMS_<NAME>_URL: the public URL the gateway posts to (the signature covers it; behind a
# proxy the one Django sees may differ), and SMS_<NAME>_MEDIA_HOST: the only host an MMS's photos
# are fetched from (default api.twilio.com). A name not listed here answers 404.
def _sms_gateways() -> dict[str, dict[str, str]]:
    gateways = {}
    for name in env_list("SMS_GATEWAYS"):
        prefix = "SMS_" + name.upper().replace("-", "_")
        kind = env_str(f"{prefix}_KIND", name).strip().lower()
        if kind not in ("smssync", "twilio"):
            raise ImproperlyConfigured(f"{prefix}_KIND must be smssync or twilio")
        secret = env_secret(f"{prefix}_SECRET")
        if not secret:
            raise ImproperlyConfigured(f"{prefix}_SECRET is required for the SMS gateway {name}")
        media_host = env_str(f"{prefix}_MEDIA_HOST", "api.twilio.com")
        gateways[name.lower()] = {
            "kind": kind,
            "secret": secret,
            "url": env_str(f"{prefix}_URL"),
            "media_host": media_host,
        }
    return gateways


SMS_GATEWAYS = _sms_gateways()
# Outbound (status changes, questions): a Twilio-compatible Messages API, POST with basic auth,
# e.g. https://api.twilio.com/2010-04-01/Accounts/<sid>/Messages.json; unset, SMS rows wait.
SMS_SEND_URL = env_str("SMS_SEND_URL")
SMS_SEND_ACCOUNT = env_str("SMS_SEND_ACCOUNT")
SMS_SEND_TOKEN = env_secret("SMS_SEND_TOKEN")
# The sending number, or a Messaging Service SID (MG...).
SMS_SEND_FROM = env_str("SMS_SEND_FROM")
SMS_SEND_TIMEOUT_SECONDS = env_int("SMS_SEND_TIMEOUT_SECONDS", 10)
# The election an SMS files under when several are active (its slug); else the active one
# with the nearest voting day. SMS carries no category: this one, for triage to correct.
SMS_ELECTION = env_str("SMS_ELECTION")
SMS_CATEGORY = env_str("SMS_CATEGORY", "other")
# Public statistics never show a count below this (k-anonymity floor).
PUBLIC_STATS_MIN_COUNT = env_int("PUBLIC_STATS_MIN_COUNT", 5)
# The public figures are computed at most once per this many seconds per election and language.
PUBLIC_STATS_CACHE_SECONDS = env_int("PUBLIC_STATS_CACHE_SECONDS", 60)
# A staff export with the reporters' identity writes one audit event per complaint before any
# byte leaves: it is refused above this many complaints (narrow the filters instead).
EXPORT_IDENTITY_MAX_ROWS = env_int("EXPORT_IDENTITY_MAX_ROWS", 2000)

# --- Request limits, client address, outages --------------------------------------
# The number of reverse proxies in front of the app, each appending the address it got the
# request from to X-Forwarded-For (0: the header is ignored). The client's address is the
# entry this many hops from the right, for every rate limit (API and web forms, through
# NUM_PROXIES below too) and for login locking (AXES_CLIENT_IP_CALLABLE): one helper,
# complaints.api.throttling.client_ip. Set it to exactly the number of your proxies: more
# lets clients choose their address, fewer makes everyone share the proxy's.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "complaints.api.throttling.client_ip"
# JSON request bodies (complaints/api/parsers.py): larger than this answers 413 before the
# body is read; nested deeper than this answers 400 before it is parsed.
API_JSON_MAX_BYTES = env_int("API_JSON_MAX_BYTES", 1024 * 1024)
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32)
# While the database cannot be reached, requests answer 503 with this Retry-After (seconds).
DB_UNAVAILABLE_RETRY_AFTER = env_int("DB_UNAVAILABLE_RETRY_AFTER", 10)
# When a complaint says it happened: not before its election's campaign_starts_on (or, when
# that is empty, this many days before the voting day), not after now plus this clock skew.
ELECTION_CAMPAIGN_DAYS = env_int("ELECTION_CAMPAIGN_DAYS", 90)
OCCURRED_AT_CLOCK_SKEW_MINUTES = env_int("OCCURRED_AT_CLOCK_SKEW_MINUTES", 10)
# No date in a legal case (submitted, decided, replied) is earlier than this: a mistyped year is
# refused with a message, not stored (and not a year-1 date some databases cannot even hold).
CASE_DATES_FROM = env_str("CASE_DATES_FROM", "1991-01-01")

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Our JSON parser bounds size and nesting and refuses NUL; multipart refuses NUL too.
    "DEFAULT_PARSER_CLASSES": [
        "complaints.api.parsers.JSONParser",
        "complaints.api.parsers.MultiPartParser",
    ],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "complaints.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "complaints.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon_filing": env_str("THROTTLE_ANON_FILING", "30/minute"),
        "api_key": env_str("THROTTLE_API_KEY", "6000/minute"),
        "anon_status": env_str("THROTTLE_ANON_STATUS", "30/minute"),
        "public_stats": env_str("THROTTLE_PUBLIC_STATS", "120/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Electoral irregularity complaint registry API",
    "DESCRIPTION": "File, follow and review complaints about electoral irregularities. "
    "This document is in English; the API's messages follow the request's Accept-Language (ru, kk, en).",
    # One language for the whole schema, whatever the request's (complaints/api/schema.py).
    "DEFAULT_GENERATOR_CLASS": "complaints.api.schema.EnglishSchemaGenerator",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ComplaintStatusEnum": "complaints.models.Status",
        "ElectionStatusEnum": "complaints.models.ElectionStatus",
        "OutboxStatusEnum": "complaints.models.OutboxStatus",
        "SeverityEnum": "complaints.models.Severity",
        "WorkflowActionEnum": "complaints.workflow.ACTIONS",
        "ComplainantActionEnum": "complaints.api.serializers.COMPLAINANT_ACTIONS",
        "SubmissionChannelEnum": "complaints.models.SubmissionChannel",
        "AuthorityKindEnum": "complaints.models.AuthorityKind",
        "RespondentKindEnum": "complaints.models.RespondentKind",
        "DeadlineKindEnum": "complaints.models.DeadlineKind",
        "ComplaintChannelEnum": "complaints.models.Channel",
    },
}
API_KEY_CUSTOM_HEADER = "HTTP_X_API_KEY"

# --- Logs and metrics (docs/operations.md, "Metrics" and "Logs") ---------------------
# One line per record: a JSON object (LOG_FORMAT=json, the default with DATABASE_URL) or a
# readable console line (console, the embedded default); every line of a request, and of
# the tasks it caused, carries its request id; sensitive keys and patterns are redacted
# (registry/logs.py).
LOG_FORMAT = log_format_from(os.environ)
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use json or console")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
configure_structlog()
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
# GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"; unset, it answers only direct
# requests from the loopback interface (404 for anyone else). Figures read from the database
# and the broker are cached this many seconds.
METRICS_TOKEN = env_secret("METRICS_TOKEN")
METRICS_CACHE_SECONDS = env_int("METRICS_CACHE_SECONDS", 15)
