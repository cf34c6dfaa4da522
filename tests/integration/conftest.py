"""The integration harness: real processes and servers on 127.0.0.1.

- a Redis server of its own (``redis-server`` on INTEGRATION_REDIS_PORT, default 8141),
  so a test can stop and restart it without touching anyone else's Redis;
- a real Celery worker process (``celery -A registry worker``) and a beat process
  (``celery -A registry beat``, sweeping the outbox every second), with PYTHONPATH set
  to this checkout and DATABASE_URL pointing at the test database pytest-django made;
- a real SMTP server (aiosmtpd, in a thread) that keeps every message it receives;
- a real HTTP webhook receiver (``receiver.py``, in a thread) that verifies signatures
  with ``standardwebhooks`` and dedupes by ``webhook-id``.

The worker reads and writes the same database as the test, so these tests commit for
real (``transactional_db``) and need PostgreSQL: the SQLite test database lives in the
test process's memory where no worker can reach it. Under SQLite they are skipped on a
laptop, and fail with CI=true, like every test whose service is missing.

The web side of each test (the test process) stops running tasks eagerly and publishes
to the harness's Redis; ``live`` undoes that afterwards.
"""

from __future__ import annotations

import email
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from tests.conftest import require_service
from tests.integration.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
PORT_BASE = int(os.environ.get("INTEGRATION_PORT_BASE", "8141"))
REDIS_PORT, SMTP_PORT, RECEIVER_PORT = PORT_BASE, PORT_BASE + 1, PORT_BASE + 2
# Task results go to a Redis of their own that is never stopped: when the broker's Redis is
# stopped mid-task, Celery cancels the running task and records that in the result backend,
# and a backend on the stopped server would take the worker down with it.
RESULTS_REDIS_PORT = PORT_BASE + 3
WORKER_NAME = f"itest-{os.getpid()}@127.0.0.1"
# Short timings so that recovery is observable within a test.
WORKER_SETTINGS = {
    "OUTBOX_CLAIM_SECONDS": "3",
    "OUTBOX_DISPATCH_LEASE_SECONDS": "5",
    "OUTBOX_SWEEP_SECONDS": "1",
    "OUTBOX_RETRY_SCHEDULE": "0,1,1,2,2,3",
    "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
}

pytestmark = pytest.mark.integration


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- Redis ----------------------------------------------------------------------


@dataclass
class RedisServer:
    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        require_service("redis-server", binary is not None, "install the redis-server package")
        self.process = subprocess.Popen(
            [str(binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), 10, f"redis-server on port {self.port}")

    def stop(self) -> None:
        """Stop it the hard way: whatever was queued in it is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture(scope="session")
def harness_dir() -> Iterator[Path]:
    """Logs of the worker and beat are kept in test-artifacts/integration/ for a post-mortem."""
    path = ROOT / "test-artifacts" / "integration"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _own_redis(port: int, harness_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer(port, harness_dir)
    require_service("a free port for Redis", not port_open(port), f"port {port} is taken")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(harness_dir: Path) -> Iterator[RedisServer]:
    """The broker: the tests stop and restart it."""
    yield from _own_redis(REDIS_PORT, harness_dir)


@pytest.fixture(scope="session")
def results_redis(harness_dir: Path) -> Iterator[RedisServer]:
    """Task results: never stopped."""
    yield from _own_redis(RESULTS_REDIS_PORT, harness_dir)


# --- SMTP -----------------------------------------------------------------------


@dataclass
class Mailbox:
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpt, m in self.messages if address in rcpt]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver(RECEIVER_PORT).start()
    yield receiver
    receiver.stop()


# --- worker and beat --------------------------------------------------------------


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _die_with_parent() -> None:
    """Linux: SIGKILL the child if pytest dies, so no orphan worker outlives its session
    and keeps consuming from the next session's Redis with stale code."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class CeleryProcesses:
    """The worker and beat processes, each in its own process group so kill -9 takes all."""

    workdir: Path
    redis: RedisServer
    env: dict[str, str]
    worker: subprocess.Popen[bytes] | None = None
    beat: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = open(self.workdir / log_name, "ab")  # noqa: SIM115 - the process owns it
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "registry", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def start_worker(self) -> None:
        from registry.celery import app

        self.starts += 1
        self.worker = self._spawn(
            [
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                f"--hostname={WORKER_NAME}",
                "--without-gossip",
                "--without-mingle",
            ],
            "worker.log",
        )
        wait_for(
            lambda: self.worker_alive() and app.control.ping(destination=[WORKER_NAME], timeout=0.5),
            60,
            f"the Celery worker to answer a ping (log: {self.workdir / 'worker.log'})",
        )

    def worker_alive(self) -> bool:
        if self.worker is None or self.worker.poll() is not None:
            raise AssertionError(f"the Celery worker exited; see {self.workdir / 'worker.log'}:\n{self.log_tail()}")
        return True

    def kill_worker(self) -> None:
        """kill -9 the worker and its pool processes, mid-task, with no warning."""
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)
        self.worker = None

    def start_beat(self) -> None:
        self.beat = self._spawn(
            [
                "beat",
                "--loglevel=INFO",
                f"--schedule={self.workdir / 'beat-schedule'}",
                f"--pidfile={self.workdir / 'beat.pid'}",
            ],
            "beat.log",
        )

    def stop(self) -> None:
        for proc in (self.worker, self.beat):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)

    def log_tail(self, name: str = "worker.log", lines: int = 40) -> str:
        path = self.workdir / name
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _require_postgresql() -> None:
    from django.db import connection

    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "integration tests share the test database with a worker process; set DATABASE_URL to PostgreSQL",
    )


@pytest.fixture(scope="session")
def celery_processes(
    django_db_setup: Any,
    django_db_blocker: Any,
    redis_server: RedisServer,
    results_redis: RedisServer,
    smtp_server: Mailbox,
    webhook_receiver: Receiver,
    harness_dir: Path,
) -> Iterator[CeleryProcesses]:
    _require_postgresql()
    with django_db_blocker.unblock():
        url = database_url()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "EMAIL_", "OUTBOX_", "WEBHOOK_"))},
        **WORKER_SETTINGS,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DATABASE_URL": url,
        "REDIS_URL": redis_server.url,
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{results_redis.port}/1",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(SMTP_PORT),
        "EMAIL_TIMEOUT": "5",
        # The test process's key: without FIELD_ENCRYPTION_KEYS the identity encryption key is
        # derived from it, and the worker must read the rows the tests write.
        "SECRET_KEY": settings.SECRET_KEY,
        "VAR_DIR": str(harness_dir / "var"),
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "0",
    }
    processes = CeleryProcesses(harness_dir, redis_server, env)
    _use_broker(redis_server.url)
    try:
        processes.start_worker()
        processes.start_beat()
        yield processes
    finally:
        processes.stop()


def _use_broker(url: str | None) -> None:
    """Point the test process's Celery app at a broker (None: back to eager, in memory)."""
    from registry.celery import app

    # The namespaced keys: they are what Celery reads when configured from Django settings.
    app.conf["CELERY_BROKER_URL"] = url or "memory://"
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = url is None
    app._pool = None  # drop pooled connections to the previous broker
    app.amqp._producer_pool = None


# --- per test -------------------------------------------------------------------


def ensure_role_groups() -> None:
    """transactional_db empties every table after a test, the role groups included."""
    from complaints.roles import ensure_role_groups as ensure

    ensure()


@dataclass
class Live:
    celery: CeleryProcesses
    redis: RedisServer
    mailbox: Mailbox
    receiver: Receiver


@pytest.fixture
def live(
    _eager_celery: None,
    transactional_db: None,
    celery_processes: CeleryProcesses,
    redis_server: RedisServer,
    smtp_server: Mailbox,
    webhook_receiver: Receiver,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Live]:
    """A test that talks to the real worker: tasks go through Redis, nothing runs eagerly."""
    from complaints.notifications import outbox
    from registry.celery import app

    ensure_role_groups()
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.OUTBOX_BATCH_SECONDS = 1
    monkeypatch.setattr(outbox, "_publish_paused_until", 0.0)
    if redis_server.process is None:
        redis_server.start()
    if celery_processes.worker is None:
        celery_processes.start_worker()
    _use_broker(redis_server.url)
    app.control.purge()
    smtp_server.clear()
    webhook_receiver.state.reset()
    yield Live(celery_processes, redis_server, smtp_server, webhook_receiver)
    _use_broker(None)
