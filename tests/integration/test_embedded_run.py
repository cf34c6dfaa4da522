"""The README's run command, in a fresh copy of the checkout, with none of the full stack's settings.

`make run` must start everything the embedded default needs (web, worker, scheduler) and
stop all of it on Ctrl-C. The test files complaints through the API and watches the mail
folder: the reviewers' batched alert for each filing, an SLA-breach alert, and a filing that
answers as fast with a webhook subscription pointing at a receiver that takes 10 s as
without one (the webhook is sent by the worker, not in the request).

Shorter windows than the defaults keep it to about two minutes: a 20 s reviewer batch, a
1 minute urgent SLA checked every 5 s. Nothing else is set: no DATABASE_URL, no REDIS_URL.
"""

from __future__ import annotations

import email
import http.server
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import require_service

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BATCH_SECONDS = 20
SLOW_RECEIVER_SECONDS = 10
# Settings of the full stack (and of this test run) that must not reach the copy.
NOT_PASSED = ("DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "SECRET_KEY", "EMAIL_", "CELERY_", "VAR_DIR", "MAKE")
NOT_PASSED += ("MFLAGS", "DJANGO_SETTINGS_MODULE", "OUTBOX_", "SLA_", "WEBHOOK_", "STATIC_ROOT", "MEDIA_ROOT")
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", "var", ".git", "test-artifacts", "__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache", ".pytest_cache"
)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(pid: int) -> set[tuple[int, str]]:
    """(pid, start time) of every live process below ``pid``, read from /proc."""
    parents: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append((int(entry.name), fields[19]))
    found: set[tuple[int, str]] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child[0])
    return found


def still_running(processes: set[tuple[int, str]]) -> list[str]:
    alive = []
    for pid, started in processes:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if stat[19] == started and stat[0] != "Z":
            alive.append(f"{pid}: {cmdline}")
    return alive


class SlowReceiver(http.server.BaseHTTPRequestHandler):
    hits: list[float] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        SlowReceiver.hits.append(time.monotonic())
        time.sleep(SLOW_RECEIVER_SECONDS)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Embedded:
    copy: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    started: set[tuple[int, str]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.copy / "make-run.log"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def worker_log(self) -> str:
        path = self.copy / "var" / "log" / "worker.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.copy / 'var' / 'db.sqlite3'}?mode=ro", uri=True, timeout=30)

    def manage(self, *args: str) -> str:
        python = str(self.copy / ".venv" / "bin" / "python")
        done = subprocess.run(
            [python, "manage.py", *args], cwd=self.copy, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def mail(self) -> list[EmailMessage]:
        """Every message the file backend wrote (each file: messages separated by a line of dashes)."""
        messages = []
        for path in sorted((self.copy / "var" / "mail").glob("*.log")):
            for chunk in re.split(rb"\n-{79}\n", path.read_bytes()):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk.lstrip(), policy=default_policy))
        return messages  # type: ignore[return-value]

    def mail_to(self, address: str) -> list[tuple[str, str]]:
        found = []
        for message in self.mail():
            if address in str(message.get("To", "")):
                body = message.get_body(("plain",))
                found.append((str(message["Subject"]), body.get_content() if body else ""))
        return found


def text_of(messages: list[tuple[str, str]]) -> str:
    return "\n".join(subject + "\n" + body for subject, body in messages)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    require_service("make", shutil.which("make") is not None, "apt-get install make")
    venv = ROOT / ".venv"
    require_service("the project's .venv", (venv / "bin" / "python").exists(), "run `make install` first")
    copy = tmp_path_factory.mktemp("embedded") / "registry"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE, symlinks=True)
    (copy / ".venv").symlink_to(venv)
    # The copy shares this checkout's installed .venv: a stamp newer than pyproject.toml tells
    # make not to reinstall (which would point the editable install at the copy).
    stamp = copy / ".installed-for-test"
    stamp.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_PASSED)}
    env.update(
        OUTBOX_BATCH_SECONDS=str(BATCH_SECONDS),
        SLA_URGENT_MINUTES="1",
        SLA_CHECK_SECONDS="5",
        WEBHOOK_ALLOW_PRIVATE_URLS="true",
        PYTHONUNBUFFERED="1",
    )
    run = Embedded(copy, free_port(), env)
    with run.log.open("wb") as log:
        run.process = subprocess.Popen(
            ["make", "run", f"PORT={run.port}", f"STAMP={stamp.name}"],
            cwd=copy,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
    try:
        wait_for(
            lambda: run.process.poll() is not None or "embedded@" in run.worker_log() and " ready." in run.worker_log(),
            180,
            "the worker to be ready",
        )
        wait_for(lambda: run.process.poll() is not None or _answers(f"{run.url}/healthz"), 60, "the web server")
        assert run.process.poll() is None, run.output()
        run.started = descendants(run.process.pid)
        yield run
    finally:
        if run.process.poll() is None:
            os.killpg(run.process.pid, signal.SIGKILL)
            run.process.wait(10)
        for line in still_running(run.started):
            os.kill(int(line.split(":")[0]), signal.SIGKILL)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@dataclass(frozen=True)
class Demo:
    election: int
    station: int
    category: str
    urgent_category: str


@pytest.fixture(scope="module")
def demo(embedded: Embedded) -> Demo:
    with embedded.db() as db:
        election = db.execute("SELECT id FROM complaints_election WHERE status = 'active' ORDER BY id").fetchone()[0]
        station = db.execute(
            "SELECT s.id FROM complaints_pollingstation s JOIN complaints_territorialunit u ON u.id = s.unit_id "
            "WHERE u.path LIKE 'kz/pav/%' ORDER BY s.id"
        ).fetchone()[0]
        category = db.execute(
            "SELECT code FROM complaints_category WHERE is_active AND default_severity < 4 ORDER BY id"
        ).fetchone()[0]
        urgent = db.execute(
            "SELECT code FROM complaints_category WHERE is_active AND default_severity = 4 ORDER BY id"
        ).fetchone()[0]
    return Demo(election, station, category, urgent)


def file_complaint(embedded: Embedded, demo: Demo, category: str | None = None) -> tuple[str, float]:
    body = {
        "election": demo.election,
        "category": category or demo.category,
        "polling_station": demo.station,
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 1800)),
        "description": "Бригадир требует от рабочих смены сфотографировать бюллетень и прислать ему снимок.",
    }
    started = time.perf_counter()
    response = requests.post(f"{embedded.url}/api/v1/complaints/", json=body, timeout=60)
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.text
    return response.json()["code"], elapsed


def test_make_run_starts_web_worker_and_scheduler(embedded: Embedded) -> None:
    out = embedded.output()
    assert "run_embedded" in out
    assert f"http://127.0.0.1:{embedded.port}/" in out
    assert "celerybeat-schedule" in out, out  # the scheduler and where it keeps its state
    assert "var/mail" in out  # where mail goes
    assert "observer" in out  # the demo logins
    assert "reviewer" in out


def test_reviewer_alert_for_each_filing_within_the_batch_window(embedded: Embedded, demo: Demo) -> None:
    codes = []
    for _ in range(3):
        codes.append(file_complaint(embedded, demo)[0])
        time.sleep(1)
    filed = time.monotonic()

    def alerted() -> bool:
        text = text_of(embedded.mail_to("reviewer@example.org"))
        return all(code in text for code in codes)

    wait_for(alerted, BATCH_SECONDS + 30, f"the Pavlodar reviewer's alert naming {codes}")
    assert time.monotonic() - filed <= BATCH_SECONDS + 30
    # Sent by the worker, not by the web process.
    assert "deliver_" in embedded.worker_log()


def test_sla_breach_alert_reaches_the_coordinator(embedded: Embedded, demo: Demo) -> None:
    code, _ = file_complaint(embedded, demo, demo.urgent_category)
    # Urgent SLA 1 minute, checked every 5 s: the breach is seen about a minute later.
    wait_for(lambda: code in text_of(embedded.mail_to("coordinator@example.org")), 60 + 45, "the SLA-breach alert")
    with embedded.db() as db:
        breached = db.execute("SELECT sla_breached_at FROM complaints_complaint WHERE code = ?", (code,)).fetchone()[0]
    assert breached


def test_a_slow_webhook_receiver_does_not_slow_the_filing(embedded: Embedded, demo: Demo) -> None:
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        file_complaint(embedded, demo)  # warm up the web process
        without = [file_complaint(embedded, demo)[1] for _ in range(3)]
        key = embedded.manage("create_api_key", "--user", "reviewer", "--name", "slow receiver").strip()
        hook = requests.post(
            f"{embedded.url}/api/v1/webhooks/",
            json={"url": f"http://127.0.0.1:{receiver.server_address[1]}/hook"},
            headers={"Authorization": f"Api-Key {key}"},
            timeout=30,
        )
        assert hook.status_code == 201, hook.text
        file_complaint(embedded, demo)  # the first webhook row: lazy imports in the web process
        with_hook = [file_complaint(embedded, demo)[1] for _ in range(3)]
        wait_for(lambda: SlowReceiver.hits, 30, "the worker to call the slow receiver")
    finally:
        receiver.shutdown()
    print(f"filing without a webhook: {without}; with a 10 s receiver: {with_hook}")
    assert statistics.median(with_hook) < statistics.median(without) + 0.5
    assert max(with_hook) < SLOW_RECEIVER_SECONDS / 2


def test_ctrl_c_stops_everything(embedded: Embedded) -> None:
    assert embedded.process is not None
    running = descendants(embedded.process.pid)
    names = " ".join(still_running(running))
    assert "runserver" in names
    assert "celery" in names
    os.killpg(embedded.process.pid, signal.SIGINT)  # what a terminal sends its foreground job on Ctrl-C
    embedded.process.wait(60)
    time.sleep(0.5)
    assert still_running(running | embedded.started) == []
