"""Staff CSV export of the whole queue: BENCH_COMPLAINTS complaints (default 1,000,000) in one streamed file.

A nationwide coordinator's API key asks ``GET /api/v1/complaints/?format=csv`` (the same export
as the queue's "Export CSV") from one gunicorn worker; the client reads the stream and counts
its records. Meanwhile the worker's resident memory is sampled every 10 ms.
Target: memory flat, the peak under 100 MB above the worker's idle size. Rows/s is printed beside it.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from pathlib import Path

from benchmarks import common, data
from benchmarks.reviewer_queue import ensure_complaints

QUERY = "/api/v1/complaints/?format=csv"
TARGET_MB = 100


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _worker_pid(master: int) -> int:
    """The one gunicorn worker (the master's child)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == master:
                return int(stat.parent.name)
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker found")


class Sampler:
    """Resident memory of one process, sampled on a thread until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid, self.samples, self._stop = pid, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), _rss_mb(self.pid)))
            except OSError:
                return
            self._stop.wait(0.01)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _download(port: int, key: str) -> tuple[int, int, int, float]:
    """(status, bytes, CSV records, seconds) of one streamed export."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", QUERY, headers={"Authorization": f"Api-Key {key}", "Accept": "text/csv"})
    response = conn.getresponse()
    size = records = 0
    tail = b""
    while chunk := response.read(2**20):
        size += len(chunk)
        records += (tail + chunk).count(b"\r\n") - tail.count(b"\r\n")
        tail = chunk[-1:]
    conn.close()
    return response.status, size, records - 1, time.perf_counter() - started  # minus the header


def run(port: int) -> common.Result:
    from complaints.models import Complaint, Profile

    note = ensure_complaints(common.env_int("BENCH_COMPLAINTS", 1_000_000))
    user = data.service_user("bench-exporter", "coordinator", [])
    Profile.objects.filter(user=user).update(nationwide=True)
    key = data.api_key(user, "bench export")
    expected = Complaint.objects.count()
    os.environ.setdefault("THROTTLE_API_KEY", "1000000/minute")
    with common.gunicorn(port, worker_count=1) as server:
        worker = _worker_pid(server.pid)
        common.request(
            "GET",
            port,
            "/api/v1/complaints/?format=csv&severity=4&page_size=1",
            headers={"Authorization": f"Api-Key {key}"},
        )  # warm up: imports, connection, caches
        time.sleep(0.5)
        idle = _rss_mb(worker)
        with Sampler(worker) as sampler:
            status, size, records, seconds = _download(port, key)
    peak = max((mb for _t, mb in sampler.samples), default=idle)
    third = max(1, len(sampler.samples) // 3)
    early = max((mb for _t, mb in sampler.samples[:third]), default=idle)
    result = common.Result("export")
    result.figures = [
        common.Figure("rows per second", records / max(seconds, 1e-9), "/s"),
        common.Figure("rows exported", records, "", expected - 0.5),
        common.Figure("peak RSS above idle", peak - idle, "MB", TARGET_MB, higher_is_better=False),
        common.Figure("growth after the first third", peak - early, "MB", 20, higher_is_better=False),
        common.Figure("errors", 0 if status == 200 else 1, "", 1, higher_is_better=False),
    ]
    result.notes = [
        note,
        f"GET {QUERY} as a nationwide coordinator: {size / 2**20:,.0f} MiB in {seconds:.1f} s, status {status}",
        f"one gunicorn worker ({common.server_description().split(' ', 2)[2]}): idle {idle:.0f} MB, "
        f"peak {peak:.0f} MB, {len(sampler.samples)} samples",
    ]
    return result
