"""/metrics under gunicorn with two workers: the counters of both, summed; no service needed but the app.

The embedded default's SQLite file in a temporary VAR_DIR, the shipped gunicorn config
(registry/gunicorn_conf.py) with PROMETHEUS_MULTIPROC_DIR given: complaints filed through the
API and the web form and requests spread over both workers are counted once each, whichever
worker answers the scrape.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import port_open, wait_for
from tests.integration.test_db_outage import SEED
from tests.integration.test_log_hygiene import _spawn, _stop
from tests.integration.test_pgbouncer import free_port

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "multiprocess-metrics-token-0123456789"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"")  # a previous run's file: emptied at start
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "metrics-multiprocess-test-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        "LANGUAGE_CODE": "en",
        "CELERY_BROKER_URL": "memory://",
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    seeded = subprocess.run(
        [sys.executable, "manage.py", "shell"], input=SEED, cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    seed = json.loads(seeded.stdout.strip().splitlines()[-1])
    port = free_port()
    log = tmp_path / "web.log"
    process = _spawn(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:registry.gunicorn_conf"]
        + ["registry.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"],
        env,
        log,
    )
    try:
        wait_for(lambda: process.poll() is None and port_open(port), 60, f"gunicorn on {port} ({log})")
        yield {"url": f"http://127.0.0.1:{port}", "seed": seed, "dir": metrics_dir, "log": log}
    finally:
        _stop(process)


def _samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = requests.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code == 200, response.text[:300]
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_the_counters_of_every_worker_are_summed(server: dict[str, Any]) -> None:
    url, seed = server["url"], server["seed"]
    assert requests.get(f"{url}/metrics", timeout=30).status_code == 401
    payload = {
        "election": seed["election"],
        "category": "pressure",
        "polling_station": seed["station"],
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 600)),
        "description": "Counted once, by whichever worker files it.",
    }
    filed = requests.post(f"{url}/api/v1/complaints/", json=payload, timeout=60)
    assert filed.status_code == 201, filed.text[:300]
    session = requests.Session()
    form = session.get(f"{url}/file/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    category = re.search(r'name="category"[\s\S]*?<option value="(\d+)"', form.text)
    assert csrf, form.text[:500]
    assert category, form.text[:500]
    occurred = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 1200))
    web = session.post(
        f"{url}/file/",
        data={
            "csrfmiddlewaretoken": csrf.group(1),
            "election": seed["election"],
            "category": category.group(1),
            "station": "512",
            "occurred_at": occurred,
            "description": "Filed through the form, counted as web.",
            "identity": "anonymous",
        },
        headers={"Referer": f"{url}/"},
        timeout=60,
        allow_redirects=False,
    )
    assert web.status_code == 302, web.text[:500]
    with ThreadPoolExecutor(8) as pool:  # concurrent, so that both workers answer some
        statuses = list(pool.map(lambda _: requests.get(f"{url}/healthz", timeout=30).status_code, range(40)))
    assert statuses == [200] * 40

    pids = {p.name.split("_")[-1] for p in server["dir"].glob("counter_*.db")}
    assert "999999.db" not in pids, "the previous run's values were not emptied"
    assert len(pids) == 2, f"both workers should have counted requests: {pids}"
    for _ in range(3):  # any worker's answer is the sum of both
        samples = _samples(url)
        assert (
            samples[("registry_http_requests_total", (("method", "GET"), ("status", "200"), ("view", "healthz")))] == 40
        )
        assert samples[("registry_filings_total", (("channel", "api"),))] == 1
        assert samples[("registry_filings_total", (("channel", "web"),))] == 1
