"""gunicorn settings the command line does not carry: metrics summed over the workers, structured logs.

Used as ``gunicorn -c python:registry.gunicorn_conf registry.wsgi:application --bind ...``
(Makefile, Dockerfile, docker-compose.yml); the command line still gives the address and
the number of workers.

- Metrics: every worker writes its counters to PROMETHEUS_MULTIPROC_DIR and /metrics sums
  them (registry/metrics.py). Unset, a fresh temporary folder is made here, in the master,
  before any worker is forked; a folder given is emptied when the server starts (values of
  a previous run would be counted again). One folder per gunicorn server: never shared with
  another server or a Celery worker.
- Logs: gunicorn's own lines in the app's format (LOG_FORMAT, registry/logs.py), and no
  access log: the app writes one "request" line per request, with the route's name instead
  of the path (which may hold a receipt code) and without the client's address. Do not
  pass ``--access-logfile``.
"""

from __future__ import annotations

import os as _os
import shutil as _shutil
import tempfile as _tempfile
from pathlib import Path as _Path
from typing import Any

from registry import logs as _logs

_created_folder = ""
if not _os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _created_folder = _tempfile.mkdtemp(prefix="registry-metrics-")
    _os.environ["PROMETHEUS_MULTIPROC_DIR"] = _created_folder

logconfig_dict = _logs.logging_config(_logs.log_format_from(_os.environ), _os.environ.get("LOG_LEVEL", "INFO").upper())
accesslog = None


def on_starting(server: Any) -> None:
    for stale in _Path(_os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _created_folder:
        _shutil.rmtree(_created_folder, ignore_errors=True)
