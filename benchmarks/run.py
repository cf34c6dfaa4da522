"""Run the benchmarks: ``python benchmarks/run.py`` runs all, ``python benchmarks/run.py api_filing`` one.

Each benchmark is a module with ``run(port) -> common.Result``; register new ones in BENCHMARKS.
Environment: DATABASE_URL (PostgreSQL; default postgres://postgres@127.0.0.1:5432/registry_bench),
REDIS_URL (optional), BENCH_PORT (default 8130), BENCH_WORKERS (gunicorn workers, default CPUs+1),
BENCH_WORKER_CLASS / BENCH_THREADS (default gthread with 4 threads),
BENCH_SECONDS (default 20), BENCH_COMPLAINTS (reviewer queue table size, default 1,000,000),
BENCH_STRICT=1 (exit 1 when a target is missed).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

# name -> "module:function"; run in this order by default.
BENCHMARKS: dict[str, str] = {
    "api_filing": "benchmarks.api_filing:run",
    "reviewer_queue": "benchmarks.reviewer_queue:run",
    "search": "benchmarks.search:run",
    "export": "benchmarks.export:run",
}
# Benchmarks that start their own processes (worker, Redis, receiver): run as scripts.
STANDALONE: dict[str, str] = {
    "notifications": "benchmarks/bench_notifications.py",
}


def run_standalone(name: str) -> bool:
    import subprocess

    script = Path(__file__).resolve().parent.parent / STANDALONE[name]
    print(f"\nrunning {name} ...", flush=True)
    return subprocess.run([sys.executable, str(script)], check=False).returncode == 0


def load(name: str) -> Callable[[int], common.Result]:
    module, _, function = BENCHMARKS[name].partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


def main(argv: list[str]) -> int:
    names = argv or [*BENCHMARKS, *STANDALONE]
    unknown = [n for n in names if n not in BENCHMARKS and n not in STANDALONE]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from: {', '.join([*BENCHMARKS, *STANDALONE])}")
        return 2
    print(f"machine: {common.machine()}")
    print(f"database: {common.database_url()}")
    common.setup_django()
    common.prepare_database()
    port = common.env_int("BENCH_PORT", 8130)
    results = []
    failed_standalone = [n for n in names if n in STANDALONE and not run_standalone(n)]
    for name in [n for n in names if n in BENCHMARKS]:
        print(f"\nrunning {name} ...", flush=True)
        result = load(name)(port)
        result.print()
        results.append(result)
    failed = [r.benchmark for r in results if not r.ok] + failed_standalone
    print(f"\n{'FAIL: ' + ', '.join(failed) if failed else 'all benchmarks PASS'}")
    # A slow machine is not a broken build: exit 1 on a missed target only when asked to.
    return 1 if failed and common.env_int("BENCH_STRICT", 0) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
