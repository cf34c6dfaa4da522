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
"""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

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
