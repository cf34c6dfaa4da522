"""What every benchmark shares: the database, the gunicorn server, the load generator, the report.

Benchmarks run against PostgreSQL (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/registry_bench, created if missing) and a real
gunicorn started here. REDIS_URL is passed through when set (Redis as cache and broker);
without it Celery tasks run in-process, as in the embedded default.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/registry_bench"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass
class Figure:
    """One measured number and its target. ``higher_is_better`` decides the comparison."""

    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = True

    @property
    def ok(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value < self.target

    def line(self) -> str:
        value = f"{self.value:,.1f} {self.unit}".strip()
        if self.target is None:
            return f"  {self.name:<34} {value}"
        sign = ">=" if self.higher_is_better else "<"
        verdict = "PASS" if self.ok else "FAIL"
        return f"  {self.name:<34} {value:<18} target {sign} {self.target:g} {self.unit:<10} {verdict}"


@dataclass
class Result:
    benchmark: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok is not False for f in self.figures)

    def print(self) -> None:
        print(f"\n== {self.benchmark}: {'PASS' if self.ok else 'FAIL'}")
        for figure in self.figures:
            print(figure.line())
        for note in self.notes:
            print(f"  - {note}")


def machine() -> str:
    memory = ""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
        kb = int(next(line for line in lines if line.startswith("MemTotal")).split()[1])
        memory = f", {kb / 2**20:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return (
        f"{os.cpu_count()} CPUs{memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


# --- database and Django ---------------------------------------------------------------


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it does not exist (connecting to the server's "postgres" database)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url()
    env["DJANGO_SETTINGS_MODULE"] = "registry.settings"
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p)
    env.setdefault("LOG_LEVEL", "WARNING")
    # The benchmark clients are the load; keep the rate limits out of the way.
    env.setdefault("THROTTLE_API_KEY", "1000000/minute")
    return env


def setup_django() -> None:
    """Configure Django in this process (same settings as the server) to prepare data."""
    for key, value in server_env().items():
        os.environ.setdefault(key, value)
    os.environ["DATABASE_URL"] = database_url()
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(REPO / "manage.py"), *args], check=True, env=server_env(), cwd=REPO)


def prepare_database() -> None:
    ensure_database(database_url())
    manage("migrate", "--no-input", "-v", "0")
    from django.core.management import get_commands

    if "seed_demo" in get_commands():
        manage("seed_demo")


# --- the server ----------------------------------------------------------------------------


def server_description() -> str:
    kind = os.environ.get("BENCH_WORKER_CLASS", "gthread")
    threads = os.environ.get("BENCH_THREADS", "4") if kind == "gthread" else "1"
    return f"gunicorn {workers()} {kind} workers x {threads} threads"


def workers() -> int:
    # Threaded workers measured best on 2 CPUs (3 x 4 threads: filing +30%, queue +10% over 5 sync).
    return env_int("BENCH_WORKERS", (os.cpu_count() or 1) + 1)


def process_tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its children (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if root in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def database_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL backends serving our database (same machine only).

    Backends show "postgres: <user> <database> <client>" as their command line; backends
    that exit during the run drop out (the web processes keep theirs open).
    """
    name = urlsplit(database_url()).path.lstrip("/")
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not title.startswith("postgres: ") or f" {name} " not in title:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def machine_busy_cpu() -> float:
    """CPU seconds the whole machine spent busy so far (all processes), from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    base: str
    pid: int


@dataclass
class CpuMeter:
    """Where the CPU went during a measurement: web tier, database, this load generator, others."""

    server: Server
    web: float = 0.0
    database: float = 0.0
    client: float = 0.0
    others: float = 0.0
    wall: float = 0.0

    def _sample(self) -> tuple[float, float, float, float, float]:
        return (
            process_tree_cpu(self.server.pid),
            database_cpu(),
            time.process_time(),
            machine_busy_cpu(),
            time.perf_counter(),
        )

    @contextmanager
    def measure(self) -> Iterator[None]:
        before = self._sample()
        yield
        web, db, client, busy, wall = (a - b for a, b in zip(self._sample(), before, strict=True))
        self.web, self.database, self.client, self.wall = web, db, client, wall
        self.others = max(0.0, busy - web - db - client)

    def figures(self, count: int, what: str) -> list[Figure]:
        per = 1000 / max(count, 1)
        return [
            Figure(f"gunicorn CPU per {what}", self.web * per, "ms"),
            Figure(f"PostgreSQL CPU per {what}", self.database * per, "ms"),
        ]

    def note(self) -> str:
        capacity = self.wall * (os.cpu_count() or 1)
        return (
            f"CPU-seconds during the run: web {self.web:.1f}, PostgreSQL {self.database:.1f}, "
            f"load generator {self.client:.1f}, other processes {self.others:.1f} (of {capacity:.0f} available)"
        )


@contextmanager
def gunicorn(port: int, worker_count: int | None = None) -> Iterator[Server]:
    """Run gunicorn on 127.0.0.1:port for the duration of the block."""
    binary = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    command = [
        binary,
        "registry.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(worker_count or workers()),
        "--worker-class",
        os.environ.get("BENCH_WORKER_CLASS", "gthread"),
        "--threads",
        os.environ.get("BENCH_THREADS", "4"),
        "--keep-alive",
        "5",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=server_env(), cwd=REPO, start_new_session=True)
    try:
        _wait_ready(port, process)
        yield Server(f"http://127.0.0.1:{port}", process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            status, _, _ = request("GET", port, "/healthz")
            if status == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


# --- the load generator ----------------------------------------------------------------------


_local = threading.local()


def _connection(port: int) -> http.client.HTTPConnection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.port != port:
        conn = _local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    return conn


def request(
    method: str, port: int, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, float]:
    """One HTTP request, on this thread's keep-alive connection when the server keeps it open."""
    payload = json.dumps(body).encode() if body is not None else None
    all_headers = {"Accept": "application/json", **(headers or {})}
    if payload is not None:
        all_headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    for attempt in (1, 2):
        conn = _connection(port)
        try:
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            _local.conn = None
            # A kept-alive connection the server closed meanwhile: retry once on a new one
            # (safe for POSTs too: the benchmarks send an Idempotency-Key).
            stale = isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError)
            if attempt == 2 or not stale:
                raise
            started = time.perf_counter()
            continue
        if response.will_close:
            conn.close()
            _local.conn = None
        return response.status, data, time.perf_counter() - started
    raise AssertionError("unreachable")


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    def median(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


def run_load(clients: int, seconds: float, one_request: Callable[[int, int], tuple[int, bytes, float]]) -> Load:
    """``clients`` threads call ``one_request(client, n)`` back to back for ``seconds``."""
    load, lock = Load(), threading.Lock()
    deadline = time.perf_counter() + seconds
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        barrier.wait()
        n = 0
        while time.perf_counter() < deadline:
            try:
                status, body, latency = one_request(index, n)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    load.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            n += 1
            with lock:
                load.latencies.append(latency)
                load.statuses[status] = load.statuses.get(status, 0) + 1
                if status >= 400 and len(load.errors) < 20:
                    load.errors.append(f"HTTP {status}: {body[:200]!r}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    load.elapsed = time.perf_counter() - started
    return load
