"""Log lines: redaction of what must never be logged, the request id, and its trip into a task."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import structlog
from django.conf import settings

from registry import celery as registry_celery
from registry.logs import logging_config, redact, sane_request_id

pytestmark = pytest.mark.django_db

SECRETS = {
    "receipt code": "QSDR-VNT9-AQBH",
    "lower-case receipt code": "qsdr-vnt9-aqbh",
    "email": "aigul.nurlanova@example.kz",
    "phone": "+7 701 123 45 67",
    "local phone": "8 (701) 123-45-67",
    "API key": "AbCd1234.0123456789abcdefABCDEF0123456789",
    "bearer": "Bearer s3cr3t-scrape-token",
    "query secret": "/api/v1/status?code=QSDR&secret=kJ8_x-Yz01",
    "page handle": "/status/Xq3_k9LmZ0pA/answer/",
}


def _formatter(fmt: str) -> logging.Formatter:
    """The formatter that settings.LOGGING (or the same config in another format) gives the console handler."""
    config = settings.LOGGING if fmt == settings.LOG_FORMAT else logging_config(fmt, "INFO")
    configurator = logging.config.DictConfigurator(config)
    return configurator.configure_formatter(dict(config["formatters"]["structured"]))  # type: ignore[no-any-return]


def _emit(formatter: logging.Formatter, record_args: tuple[Any, ...] = ()) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("filed %s by %s, %s (%s / %s) key %s via %s at %s; then %s", *record_args)
        structlog.get_logger("tests.redaction").warning(
            "kv",
            full_name="Айгуль Нурланова",
            email=SECRETS["email"],
            secret="kJ8_x-Yz01",
            sessionid="abc",
            csrfmiddlewaretoken="tok",
            headers={"Authorization": "Api-Key x", "Accept": "text/html"},
        )
        try:
            raise ValueError(f"duplicate key (email)=({SECRETS['email']}) for {SECRETS['receipt code']}")
        except ValueError:
            logger.exception("with a traceback")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_the_configured_formatter_redacts_keys_patterns_and_tracebacks(fmt: str) -> None:
    output = _emit(_formatter(fmt), tuple(SECRETS.values()))
    for what, secret in SECRETS.items():
        assert secret not in output, what
    for leaked in ("Айгуль", "kJ8_x-Yz01", "Api-Key x", "s3cr3t", "Xq3_k9LmZ0pA"):
        assert leaked not in output
    assert "[receipt code]" in output
    assert "[email]" in output
    assert "[phone]" in output
    assert "text/html" in output  # only what is sensitive goes
    assert "ValueError" in output  # the traceback is there, redacted
    if fmt == "json":
        lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        assert len(lines) == 3
        assert lines[1]["secret"] == "[redacted]"
        assert lines[1]["headers"]["Authorization"] == "[redacted]"


def test_what_is_not_sensitive_survives() -> None:
    event = {
        "event": "outbox 12 postponed until 2026-04-03T10:11:12+00:00 from 192.168.100.200, "
        "id 550e8400-e29b-41d4-a716-446655440000",
        "request_id": "d8923ccb0584443ab31f42b1193dc421",
        "status": 201,
        "view": "api-complaints",
    }
    assert redact(None, "info", dict(event)) == event


def test_an_incoming_request_id_is_kept_only_when_it_is_a_plain_token() -> None:
    assert sane_request_id("3f2a9c4e-1b7d-4e21-9a53-0c6f8d2e4b19") == "3f2a9c4e-1b7d-4e21-9a53-0c6f8d2e4b19"
    for bad in ("", "short", "x" * 65, "QSDR-VNT9-AQBH", "a b c d e f g h", "id\nforged line", "me@example.org"):
        assert sane_request_id(bad) is None, bad


@pytest.fixture
def captured() -> Any:
    """Everything logged, through the configured formatter, as text."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def test_every_line_of_a_request_carries_its_id_and_the_response_returns_it(client: Any, captured: Any) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-proxy-request-0001")
    assert response["X-Request-ID"] == "edge-proxy-request-0001"
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    [line] = [x for x in lines if x["event"] == "request"]
    assert line == {**line, "request_id": "edge-proxy-request-0001", "view": "healthz", "status": 200, "method": "GET"}
    assert "path" not in line
    assert "ip" not in line

    forged = client.get("/healthz", HTTP_X_REQUEST_ID="QSDR-VNT9-AQBH")
    assert forged["X-Request-ID"] != "QSDR-VNT9-AQBH"
    assert len(forged["X-Request-ID"]) == 32
    assert structlog.contextvars.get_contextvars() == {}  # nothing outlives the request


def test_a_task_published_in_a_request_carries_its_id_and_the_worker_binds_it() -> None:
    structlog.contextvars.bind_contextvars(request_id="req-0123456789")
    headers: dict[str, Any] = {}
    registry_celery._carry_request_id(headers=headers)
    assert headers == {"request_id": "req-0123456789"}
    structlog.contextvars.clear_contextvars()

    task = SimpleNamespace(name="complaints.notifications.tasks.deliver_email_message")
    task.request = SimpleNamespace(is_eager=False, request_id="req-0123456789")
    registry_celery._bind_task_context(task=task, task_id="t-1")
    assert structlog.contextvars.get_contextvars() == {
        "request_id": "req-0123456789",
        "task": "complaints.notifications.tasks.deliver_email_message",
        "task_id": "t-1",
    }
    registry_celery._clear_task_context(task=task)
    assert structlog.contextvars.get_contextvars() == {}


def test_no_shipped_command_turns_gunicorns_access_log_back_on() -> None:
    """Its lines carry every path (page handles) and every client's address; the app's "request" line replaces it."""
    root = Path(settings.BASE_DIR)
    for name in ("Makefile", "Dockerfile", "docker-compose.yml"):
        text = (root / name).read_text(encoding="utf-8")
        assert "--access-logfile" not in text, name
        for line in text.splitlines():
            if "gunicorn" in line and "registry.wsgi" in line:
                assert "registry.gunicorn_conf" in line, (name, line)


def test_a_worker_started_with_logfile_writes_its_log_there(tmp_path: Any, settings: Any) -> None:
    """`make run` starts the worker with --logfile=var/log/worker.log; the app's logging must honour it."""
    import logging.config

    from registry.celery import _use_the_app_logging

    path = tmp_path / "worker.log"
    try:
        _use_the_app_logging(logfile=str(path), loglevel="INFO")
        logging.getLogger("celery.apps.worker").warning("embedded@host ready.")
        for handler in logging.getLogger().handlers:
            handler.flush()
    finally:
        logging.config.dictConfig(settings.LOGGING)
    assert "embedded@host ready." in path.read_text(encoding="utf-8")
