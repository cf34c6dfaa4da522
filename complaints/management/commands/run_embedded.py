"""``manage.py run_embedded [ADDR:PORT]``: the embedded default's processes, what ``make run`` starts.

Two child processes, each in a session of its own:

- web: Django's ``runserver`` (no autoreload);
- worker: a Celery worker with embedded beat (``-B``): the periodic tasks (SLA checks,
  outbox sweeps that send the reviewers' batched alerts and the retries, digests,
  housekeeping) and every email and webhook, off the request thread. With nothing set
  its broker is a SQLite file in VAR_DIR (settings.EMBEDDED_BROKER_URL): no server.

It prints what it started, where mail goes and the demo logins. Ctrl-C (SIGINT) or
SIGTERM stops both: runserver at once, the worker after its running tasks finish (its
soft shutdown); whatever is left of either after the grace period is killed, so no
process outlives the command. If one child exits by itself, the other is stopped too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from complaints.demo import data as demo_data

WEB_GRACE_SECONDS = 10.0
EMBEDDED_PREFETCH_MULTIPLIER = 8


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGKILL if this launcher dies without stopping it (kill -9)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def live_group_members(pgid: int) -> list[int]:
    """Processes of a group that have not exited (a zombie waiting for its reaper does not count)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel, zombies included
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            pass
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@dataclass
class Child:
    name: str
    args: list[str]
    stop_signal: signal.Signals
    grace: float
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.args, cwd=settings.BASE_DIR, start_new_session=True, preexec_fn=_die_with_parent
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def signal(self, signum: signal.Signals) -> None:
        if not self.exited():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def group_alive(self) -> bool:
        """Any live process left in the child's process group (its pool workers, beat)."""
        if self.process is None:
            return False
        return bool(live_group_members(self.pid))

    def kill_group(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(5)


def _relative(path: Path | str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _every(schedule: Any) -> str:
    if isinstance(schedule, int | float):
        return _("every %(seconds)s s") % {"seconds": f"{schedule:g}"}
    hours, minutes = getattr(schedule, "hour", None), getattr(schedule, "minute", None)
    if hours and minutes and len(minutes) == 1:
        if len(hours) == 1:
            return _("daily at %(time)s") % {"time": f"{min(hours):02d}:{min(minutes):02d}"}
        if len(hours) == 24:
            return _("hourly at minute %(minute)s") % {"minute": min(minutes)}
    return str(schedule)


def describe_mail() -> str:
    backend = settings.EMAIL_BACKEND
    if backend.endswith("filebased.EmailBackend"):
        return _("written as files to %(path)s/ (set EMAIL_HOST to send through an SMTP server)") % {
            "path": _relative(settings.EMAIL_FILE_PATH)
        }
    if backend.endswith("smtp.EmailBackend"):
        return _("sent through SMTP at %(host)s:%(port)s") % {
            "host": settings.EMAIL_HOST,
            "port": settings.EMAIL_PORT,
        }
    return _("handed to %(backend)s") % {"backend": backend}


def describe_broker(url: str) -> str:
    if url.startswith(("sqla+sqlite:///", "sqlalchemy+sqlite:///")):
        return _("the SQLite file %(path)s") % {"path": _relative(url.split(":///", 1)[1])}
    return url.split("@")[-1] if "@" in url else url  # never print a password


def describe_schedule() -> str:
    return ", ".join(
        f"{name} {_every(entry['schedule'])}" for name, entry in sorted(settings.CELERY_BEAT_SCHEDULE.items())
    )


def demo_logins() -> list[str]:
    names = [user.username for user in demo_data.USERS]
    try:
        existing = set(get_user_model().objects.filter(username__in=names).values_list("username", flat=True))
    except DatabaseError:
        existing = set()
    return [name for name in names if name in existing]


class Command(BaseCommand):
    _stopping = 0  # SIGINT/SIGTERM received so far
    help = (
        "Run the embedded default: the web server and a Celery worker with embedded beat, as child "
        "processes; Ctrl-C stops both. This is what `make run` starts after migrate and seed_demo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="host:port of the web server")
        parser.add_argument(
            "--concurrency",
            type=int,
            default=int(os.environ.get("WORKER_CONCURRENCY") or 2),
            help="worker processes (default WORKER_CONCURRENCY or 2)",
        )

    def handle(self, *args: Any, addrport: str, concurrency: int, **options: Any) -> None:
        host, _sep, port = addrport.rpartition(":")
        if not port.isdigit():
            raise CommandError(_("%(value)s is not host:port") % {"value": addrport})
        host = host.strip("[]") or "127.0.0.1"
        log_dir = Path(settings.VAR_DIR) / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        worker_log = log_dir / "worker.log"
        children = self._children(addrport, concurrency, worker_log)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in children:
                child.start()
            self._wait_for_port(host, int(port), children)
            self._banner(children, host, port, concurrency, worker_log)
            failed = self._supervise(children)
        finally:
            self._shutdown(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed:
            raise CommandError(_("%(name)s exited by itself; everything was stopped.") % {"name": failed})
        self.stdout.write(_("Stopped: web, worker and scheduler."))

    def _children(self, addrport: str, concurrency: int, worker_log: Path) -> list[Child]:
        python = sys.executable
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        worker_args = [
            python,
            "-m",
            "celery",
            "-A",
            "registry",
            "--quiet",
            "worker",
            "-B",
            f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
            f"--concurrency={concurrency}",
            # Celery applies acknowledgements only between polls of a virtual transport, so a
            # worker whose prefetch is full waits out a whole 2 s poll: with the full stack's
            # prefetch of 1 per process that capped delivery at about one task a second.
            f"--prefetch-multiplier={EMBEDDED_PREFETCH_MULTIPLIER}",
            "--hostname=embedded@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            f"--logfile={worker_log}",
        ]
        grace = float(settings.CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT) + 20.0
        return [
            Child("web", [python, manage, "runserver", "--noreload", addrport], signal.SIGINT, WEB_GRACE_SECONDS),
            Child("worker", worker_args, signal.SIGTERM, grace),
        ]

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping += 1

    def _wait_for_port(self, host: str, port: int, children: list[Child], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._stopping and not any(c.exited() for c in children):
            with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
                sock.settimeout(0.5)
                if sock.connect_ex((host, port)) == 0:
                    return
            time.sleep(0.2)

    def _banner(self, children: list[Child], host: str, port: str, concurrency: int, worker_log: Path) -> None:
        web, worker = children
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{port}/"
        lines = [
            "",
            self.style.SUCCESS(_("The registry is running (the embedded default). Ctrl-C stops everything.")),
            "  " + _("web:       %(url)s  (Django runserver, pid %(pid)s)") % {"url": url, "pid": web.pid},
            "  "
            + _("worker:    Celery, %(n)s processes, pid %(pid)s; broker: %(broker)s; log: %(log)s")
            % {
                "n": concurrency,
                "pid": worker.pid,
                "broker": describe_broker(str(settings.CELERY_BROKER_URL)),
                "log": _relative(worker_log),
            },
            "  "
            + _("scheduler: Celery beat inside the worker: %(schedule)s; state: %(state)s")
            % {"schedule": describe_schedule(), "state": _relative(settings.CELERY_BEAT_SCHEDULE_FILENAME)},
            "  " + _("mail:      %(where)s") % {"where": describe_mail()},
        ]
        logins = demo_logins()
        if logins:
            lines.append(
                "  "
                + _("demo logins: %(names)s at %(url)s") % {"names": ", ".join(logins), "url": f"{url}accounts/login/"}
            )
            lines.append(
                "  "
                + _(
                    "  (passwords: printed above by seed_demo when the users were created; "
                    "`python manage.py changepassword NAME` sets a new one)"
                )
            )
        else:
            lines.append("  " + _("demo logins: none yet (`python manage.py seed_demo` creates them)"))
        for line in lines:
            self.stdout.write(line)
        self.stdout.flush()

    def _supervise(self, children: list[Child]) -> str:
        """Wait for Ctrl-C/SIGTERM or for a child to exit; return the name of a child that exited."""
        while not self._stopping:
            for child in children:
                if child.exited():
                    return child.name
            time.sleep(0.2)
        return ""

    def _shutdown(self, children: list[Child]) -> None:
        for child in children:
            child.signal(child.stop_signal)
        deadline = {child.name: time.monotonic() + child.grace for child in children}
        signals_seen = self._stopping
        while any(not c.exited() for c in children):
            now = time.monotonic()
            if self._stopping > max(signals_seen, 1):  # a second Ctrl-C: no more waiting
                break
            if all(c.exited() or now > deadline[c.name] for c in children):
                break
            time.sleep(0.1)
        # Leaders gone or out of time: give stragglers in their groups a moment, then kill.
        settle = time.monotonic() + 3.0
        while any(c.group_alive() for c in children) and time.monotonic() < settle and self._stopping <= 1:
            time.sleep(0.1)
        for child in children:
            if child.group_alive() or not child.exited():
                child.kill_group()
