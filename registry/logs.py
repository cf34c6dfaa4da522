"""Log lines: one JSON object each (or a readable console line), a request id on every one, nothing sensitive.

Every record, whether written with ``logging.getLogger(...)`` (all existing code) or with
``structlog.get_logger(...)``, goes through one ``structlog.stdlib.ProcessorFormatter``:

- the context bound with ``structlog.contextvars`` is merged in: ``request_id`` (bound by
  ``registry.middleware.RequestContextMiddleware`` for a request, and by the Celery
  signals in ``registry/celery.py`` for the tasks a request caused), ``task`` and ``task_id``;
- ``redact`` then replaces what must never be logged (docs/operations.md, "Logs"): values
  under sensitive keys (passwords, secrets, tokens, API keys, cookies, session ids, CSRF
  tokens, names, emails, phones, receipt codes) and, in every string, receipt codes, email
  addresses, phone numbers, API keys, ``Authorization`` values, secret-looking query
  parameters and the complainant's page handles (``/status/<handle>/``). It runs last
  before rendering, after exceptions were formatted, so a traceback is redacted too;
- ``LOG_FORMAT=json`` renders one JSON object per line; ``console`` a readable line.

This module imports neither Django nor Celery: gunicorn's master reads ``logging_config``
before the app is loaded (registry/gunicorn_conf.py).
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LOG_FORMATS = ("json", "console")
REDACTED = "[redacted]"

# A key is sensitive when its lower-cased name contains one of these.
SENSITIVE_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "session",
    "csrf",
    "api_key",
    "apikey",
    "x-api-key",
    "full_name",
    "fullname",
    "email",
    "phone",
    "receipt",
    "identity",
)
# Structural keys that are never redacted by name (their values are still scanned).
SAFE_KEYS = frozenset({"event", "level", "logger", "timestamp", "request_id", "task", "task_id", "exception"})

# complaints.models.complaint.new_receipt_code: XXXX-XXXX-XXXX over RECEIPT_ALPHABET (any case,
# as a client may type it); not inside a longer dash-joined token such as a UUID.
_RECEIPT = "[2-9A-HJKMNP-TV-Z]"
RECEIPT_CODE_RE = re.compile(rf"(?<![\w-]){_RECEIPT}{{4}}-{_RECEIPT}{{4}}-{_RECEIPT}{{4}}(?![\w-])", re.IGNORECASE)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 10 to 15 digits, optionally after "+", with single spaces, dashes or brackets between them:
# +7 701 123 45 67, 8 (701) 123-45-67. Dates, times, IP addresses and decimals do not match.
PHONE_RE = re.compile(r"(?<![\w:/.+-])\+?\d(?:[ ()-]{0,2}\d){9,14}(?![\w:/-])")
# djangorestframework-api-key: an 8-character prefix, a dot and 32 characters.
API_KEY_RE = re.compile(r"(?<![\w.])[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}(?![\w.])")
AUTHORIZATION_RE = re.compile(r"\b(Bearer|Api-Key|Token|Basic)\s+[^\s\"',;]+", re.IGNORECASE)
QUERY_SECRET_RE = re.compile(
    r"(?i)([?&;\s](?:secret|token|key|api_key|code|password|signature|sig|sessionid|csrftoken|"
    r"csrfmiddlewaretoken)=)[^&\s\"';]+"
)

# The complainant's pages, /status/<handle>/: a handle stands for an unlocked complaint in one browser.
STATUS_HANDLE_RE = re.compile(r"(/status/)(?!transitions/|evidence/)[^/\s?#\"']+")

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (AUTHORIZATION_RE, r"\1 " + REDACTED),
    (STATUS_HANDLE_RE, r"\1[handle]"),
    (QUERY_SECRET_RE, r"\1" + REDACTED),
    (API_KEY_RE, "[api key]"),
    (EMAIL_RE, "[email]"),
    (RECEIPT_CODE_RE, "[receipt code]"),
    (PHONE_RE, "[phone]"),
)


def is_sensitive_key(key: object) -> bool:
    if not isinstance(key, str) or key in SAFE_KEYS:
        return False
    lowered = key.lower()
    return any(part in lowered for part in SENSITIVE_KEY_PARTS)


def redact_text(text: str) -> str:
    """``text`` with every sensitive pattern replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if depth > 5:  # nested deeper than any log call writes: show nothing rather than walk it
        return REDACTED
    if isinstance(value, Mapping):
        return {k: REDACTED if is_sensitive_key(k) else redact_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(str(value))


def redact(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """The structlog processor: sensitive keys blanked, sensitive patterns replaced in every value."""
    return {k: REDACTED if is_sensitive_key(k) else redact_value(v) for k, v in event_dict.items()}


# --- request ids ------------------------------------------------------------------

# An incoming X-Request-ID is kept when it is a plain token of reasonable length and does
# not look like anything ``redact`` would remove (a client must not smuggle a receipt code
# or an email into every log line); otherwise a new one is made.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")


def sane_request_id(value: str | None) -> str | None:
    if not value or not _SANE_REQUEST_ID.match(value) or redact_text(value) != value:
        return None
    return value


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The request id bound to this context (a request, or a task a request caused)."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


# --- configuration ------------------------------------------------------------------

SHARED_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.PositionalArgumentsFormatter(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _renderer(fmt: str) -> Processor:
    if fmt == "json":
        return structlog.processors.JSONRenderer(ensure_ascii=False, default=str)
    return structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback)


def formatter_processors(fmt: str) -> list[Processor]:
    """What the formatter does to every record, after SHARED_PROCESSORS: tracebacks as text, redact, render."""
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact,
        _renderer(fmt),
    ]


def configure_structlog() -> None:
    """structlog's own loggers hand their events to the stdlib handlers (and so to the formatter below)."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(fmt: str, level: str) -> dict[str, Any]:
    """The dictConfig for Django's LOGGING and for gunicorn's logconfig_dict: one handler, one formatter."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT={fmt!r}: use json or console")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": formatter_processors(fmt),
                "foreign_pre_chain": SHARED_PROCESSORS,
            }
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "axes": {"level": "WARNING"},
            # httpx (the Telegram client) logs each request's URL at INFO: a Bot API URL holds the bot token.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
            # python-telegram-bot logs each Bot API call with its arguments (chat ids, texts) at DEBUG.
            "telegram": {"level": "WARNING"},
            # gunicorn's own lines (start, workers, timeouts) in the same format; its access
            # log is replaced by the one "request" line per request (registry/middleware.py),
            # which names the route, never the path (receipt codes) or the client address.
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def log_format_from(environ: Mapping[str, str]) -> str:
    """LOG_FORMAT, else json for the full stack (DATABASE_URL set) and console for the embedded default."""
    fmt = environ.get("LOG_FORMAT", "").strip().lower()
    if fmt:
        return fmt
    return "json" if environ.get("DATABASE_URL") or environ.get("DATABASE_URL_FILE") else "console"
