"""The embedded default, the full-stack switches, health endpoints and the compose file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
mode = "n/a"
if connection.vendor == "sqlite":
    with connection.cursor() as c:
        c.execute("PRAGMA journal_mode")
        mode = c.fetchone()[0]
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "options": {k: str(v) for k, v in settings.DATABASES["default"].get("OPTIONS", {}).items()},
    "journal": mode,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "email": settings.EMAIL_BACKEND,
    "cache": settings.CACHES["default"]["BACKEND"],
    "media": str(settings.MEDIA_ROOT),
    "secret": settings.SECRET_KEY,
    "acks_late": settings.CELERY_TASK_ACKS_LATE,
    "reject_lost": settings.CELERY_TASK_REJECT_ON_WORKER_LOST,
    "prefetch": settings.CELERY_WORKER_PREFETCH_MULTIPLIER,
    "content": settings.CELERY_ACCEPT_CONTENT,
    "time_limit": settings.CELERY_TASK_TIME_LIMIT,
    "visibility": settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout"),
}))
"""


def _probe(tmp_path: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EMAIL_HOST"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "registry.settings", "VAR_DIR": str(tmp_path), **env})
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_embedded_default_needs_no_services(tmp_path):
    conf = _probe(tmp_path)
    assert conf["engine"] == "django.db.backends.sqlite3"
    assert conf["options"]["transaction_mode"] == "IMMEDIATE"
    assert conf["journal"] == "wal"
    assert conf["eager"] is False  # a worker runs tasks (make run starts one); only unit tests are eager
    assert conf["broker"].startswith("sqla+sqlite:///")
    assert conf["email"].endswith("filebased.EmailBackend")
    assert conf["media"].startswith(str(tmp_path))
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == conf["secret"]
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert _probe(tmp_path)["secret"] == conf["secret"], "the generated key must be kept, not regenerated"


def test_full_stack_switches_to_postgres_and_redis(tmp_path):
    conf = _probe(
        tmp_path,
        DATABASE_URL="postgres://u:p@db.invalid:5432/x",
        REDIS_URL="redis://redis.invalid:6379/0",
        SECRET_KEY="x" * 50,
    )
    assert conf["engine"] == "django.db.backends.postgresql"
    assert conf["eager"] is False
    assert conf["broker"] == "redis://redis.invalid:6379/0"
    assert conf["cache"].endswith("RedisCache")
    assert conf["secret"] == "x" * 50


def test_celery_is_configured_for_at_least_once(tmp_path):
    conf = _probe(tmp_path, REDIS_URL="redis://redis.invalid:6379/0")
    assert conf["acks_late"] is True
    assert conf["reject_lost"] is True
    assert conf["prefetch"] == 1
    assert conf["content"] == ["json"]
    assert conf["time_limit"] < conf["visibility"]


@pytest.mark.django_db
def test_readyz_names_what_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["redis"]
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_ok_with_reachable_services(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_docker_compose_file_is_valid():
    tool = shutil.which("docker-compose")
    require_service("docker-compose", tool is not None, "apt-get install docker-compose")
    subprocess.run([tool, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], check=True, cwd=ROOT, timeout=60)


def test_compose_runs_what_the_makefile_runs():
    compose = (ROOT / "docker-compose.yml").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for command in ["celery -A registry worker", "celery -A registry beat", "gunicorn registry.wsgi:application"]:
        assert command in makefile
    assert '"celery", "-A", "registry", "worker"' in compose
    assert '"celery", "-A", "registry", "beat"' in compose
    assert "gunicorn registry.wsgi:application" in compose
    assert "noeviction" in compose
    assert '"--appendonly", "yes"' in compose
