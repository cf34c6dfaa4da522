"""The Celery app, as the Celery docs show it for Django.

Tasks are registered from the modules listed in settings.CELERY_IMPORTS (imported by the
worker at start-up), not by autodiscovery: the notification tasks live in a sub-package
that autodiscovery would not find.

The embedded default's broker is a SQLite file reached through kombu's SQLAlchemy
transport (settings.EMBEDDED_BROKER_URL). Three things make that file behave:

- every connection to it is put in WAL mode with ``synchronous=NORMAL``, so a publish
  from a web request is one cheap commit and does not wait behind the worker's polls;
- the worker polls it every 0.1 s instead of kombu's 1 s: the virtual transport waits a
  whole interval whenever the pool is busy, which capped delivery at about 1 task a second;
- a forked process (pool worker, embedded beat) forgets the SQLAlchemy connections it
  inherited instead of sharing its parent's SQLite handles (SQLite forbids that);
- consumed messages, which the transport only marks invisible, are deleted when the
  worker starts and then hourly (``purge_consumed_broker_messages``), so the file does
  not grow without end.

Observability (docs/operations.md, "Metrics" and "Logs"): a task published while a request
runs carries the request's id in its headers, and the worker binds it (with the task's name
and id) to every log line the task writes; ``queue_lengths`` counts what waits on the
broker for /metrics; with METRICS_WORKER_PORT set, the worker serves its own counters
(deliveries, SLA breaches), summed over its pool processes, on that port.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import structlog
from celery import Celery, Task
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun, worker_init, worker_ready
from kombu.exceptions import ChannelError

from registry.logs import current_request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")


def _worker_metrics_dir() -> None:
    """A worker serving metrics needs PROMETHEUS_MULTIPROC_DIR before prometheus_client is imported.

    Set here, the first module a worker imports, so its pool processes (forked later) write
    their counters where the worker's metrics server reads them.
    """
    if os.environ.get("METRICS_WORKER_PORT") and "worker" in sys.argv[1:]:
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="registry-worker-metrics-"))


_worker_metrics_dir()

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")

SQLA_SCHEMES = ("sqla+", "sqlalchemy+")
EMBEDDED_POLLING_INTERVAL = 0.25  # seconds between the worker's polls of an idle SQLite broker


def uses_sqlalchemy_broker() -> bool:
    return str(app.conf.broker_url or "").startswith(SQLA_SCHEMES)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _listen_for_sqlite_connections() -> None:
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except ImportError:  # SQLAlchemy is only needed by the embedded broker
        return
    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)


def _forget_inherited_broker_connections() -> None:
    """In a forked child: drop the parent's pooled SQLite connections without closing them."""
    transport = sys.modules.get("kombu.transport.sqlalchemy")
    if transport is None:
        return
    for engine, _session in list(transport.Channel._engines.values()):
        engine.dispose(close=False)


@app.on_after_configure.connect
def _tune_embedded_broker(sender: Celery, source: Any, **kwargs: Any) -> None:
    """Only when the broker is the SQLite file: SQLAlchemy is not even imported otherwise."""
    if not str(source.broker_url or "").startswith(SQLA_SCHEMES):
        return
    from kombu.transport import sqlalchemy as transport

    _listen_for_sqlite_connections()
    transport.Transport.polling_interval = EMBEDDED_POLLING_INTERVAL


os.register_at_fork(after_in_child=_forget_inherited_broker_connections)


@app.task(name="registry.celery.purge_consumed_broker_messages", ignore_result=True)
def purge_consumed_broker_messages() -> int:
    """Delete the messages the SQLAlchemy transport has handed out (it keeps them, invisible).

    A message being worked on is held by the worker in memory and re-inserted if the worker
    stops before acknowledging it, so deleting consumed rows never loses a task.
    """
    if not uses_sqlalchemy_broker():
        return 0
    with app.connection_for_write() as connection:
        channel: Any = connection.default_channel
        deleted = channel.session.query(channel.message_cls).filter(channel.message_cls.visible.is_(False)).delete()
        channel.session.commit()
    return int(deleted)


@worker_ready.connect
def _purge_on_start(**kwargs: Any) -> None:
    if uses_sqlalchemy_broker():
        purge_consumed_broker_messages()


# --- observability ------------------------------------------------------------------

REQUEST_ID_HEADER = "request_id"


@setup_logging.connect
def _use_the_app_logging(logfile: str | None = None, **kwargs: Any) -> None:
    """Worker and beat log through settings.LOGGING (JSON or console, redacted), not Celery's own format.

    Connecting this keeps Celery from replacing the root logger's handlers; the level is
    LOG_LEVEL's, not ``--loglevel``'s. ``--logfile`` is honoured: the one handler writes to that
    file instead of stderr (the embedded default keeps the worker's log in var/log/worker.log).
    """
    import copy
    import logging.config

    from django.conf import settings

    config = copy.deepcopy(settings.LOGGING)
    if logfile:
        config["handlers"]["console"] = {
            "class": "logging.FileHandler",
            "formatter": "structured",
            "filename": logfile,
            "encoding": "utf-8",
        }
    logging.config.dictConfig(config)


@before_task_publish.connect
def _carry_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """A task published during a request (the outbox's after-commit publish) carries its id."""
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@task_prerun.connect
def _bind_task_context(task: Task | None = None, task_id: str | None = None, **kwargs: Any) -> None:
    if task is None or task.request.is_eager:  # eager: the caller's context (its request id) stays
        return
    structlog.contextvars.clear_contextvars()
    context: dict[str, Any] = {"task": task.name, "task_id": task_id}
    if request_id := getattr(task.request, REQUEST_ID_HEADER, None):
        context["request_id"] = request_id
    structlog.contextvars.bind_contextvars(**context)


@task_postrun.connect
def _clear_task_context(task: Task | None = None, **kwargs: Any) -> None:
    if task is not None and not task.request.is_eager:
        structlog.contextvars.clear_contextvars()


def queue_lengths(queues: Iterable[str]) -> dict[str, int]:
    """Messages waiting in each queue, for the Redis broker and the embedded SQLite one; {} for others.

    Raises when the broker cannot be reached (one try, one-second timeouts for Redis).
    """
    url = str(app.conf.broker_url or "")
    if url.startswith(("redis://", "rediss://", "unix://")):
        options = {**(app.conf.broker_transport_options or {}), "socket_connect_timeout": 1, "socket_timeout": 1}
    elif url.startswith(SQLA_SCHEMES):
        options = dict(app.conf.broker_transport_options or {})
    else:
        return {}
    lengths = {}
    with app.connection_for_read(transport_options=options) as connection:
        connection.ensure_connection(max_retries=1)
        channel: Any = connection.default_channel
        for queue in queues:
            try:
                lengths[queue] = int(channel.queue_declare(queue=queue, passive=True).message_count)
            except ChannelError:  # never declared: nothing was ever queued there
                lengths[queue] = 0
    return lengths


@worker_init.connect
def _serve_worker_metrics(**kwargs: Any) -> None:
    """METRICS_WORKER_PORT set: serve this worker's counters (all its pool processes) on that port."""
    port = os.environ.get("METRICS_WORKER_PORT", "").strip()
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if not port or not folder:
        return
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    for stale in Path(folder).glob("*.db"):  # a previous run's values (the folder may be a volume)
        stale.unlink(missing_ok=True)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(int(port), addr=os.environ.get("METRICS_WORKER_ADDR", "127.0.0.1"), registry=registry)
