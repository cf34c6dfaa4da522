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


def _compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("docker-compose")
    require_service("docker-compose", tool is not None, "apt-get install docker-compose")
    assert tool is not None
    clean = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    clean.update(env)
    return subprocess.run(
        [tool, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_docker_compose_file_is_valid():
    result = _compose_config(SECRET_KEY=PRODUCTION_ENV["SECRET_KEY"])
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_start_without_a_secret_key():
    result = _compose_config()
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "change-me" not in (ROOT / "docker-compose.yml").read_text()


# The README's production settings ("Production settings"), with a throwaway key.
PRODUCTION_ENV = {
    "DATABASE_URL": "postgres://registry:pw@127.0.0.1:1/registry",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "SECRET_KEY": "Vx3" + "q9ZtR2mK7wLpB4nYc8dHf6sJ1gTa5eXu0iOvN_Wz-Mb" + "Ek7Ps",
    "ALLOWED_HOSTS": "registry.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://registry.example.org",
    "SITE_URL": "https://registry.example.org",
    "SECURE_PROXY_SSL": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    # Throwaway keys for the reporter-identity encryption and its lookup hashes.
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5LTA=",
    "FIELD_HASH_KEY": "test-only-lookup-hash-key-0123456789abcdef",
}
SECRET_PRODUCTION_VARS = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY"}


def _manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests in this process, refused by check --deploy.
    dropped = {"DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", *PRODUCTION_ENV}
    clean = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("SECURE_")}
    clean.update({"VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_the_readmes_production_settings(tmp_path):
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_lists_the_production_settings():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Production settings") :]
    for name, value in PRODUCTION_ENV.items():
        if name in SECRET_PRODUCTION_VARS:
            assert name in section, name
        else:
            assert f"{name}={value}" in section, name


@pytest.mark.parametrize(
    "key",
    [
        "change-me-in-production-0123456789abcdefghijklmnopqrstuvwxyz",
        "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdef",
        "changeme",
    ],
)
def test_a_known_default_secret_key_stops_start_up_when_debug_is_off(tmp_path, key):
    result = _manage(tmp_path, "check", **{**PRODUCTION_ENV, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert key not in result.stderr  # the message never repeats the secret
    assert _manage(tmp_path, "check", **{**PRODUCTION_ENV, "SECRET_KEY": key, "DEBUG": "true"}).returncode == 0


def test_compose_runs_what_the_makefile_runs():
    compose = (ROOT / "docker-compose.yml").read_text()
    makefile = (ROOT / "Makefile").read_text()
    gunicorn = "gunicorn -c python:registry.gunicorn_conf registry.wsgi:application"
    for command in ["celery -A registry worker", "celery -A registry beat", gunicorn]:
        assert command in makefile
    assert '"celery", "-A", "registry", "worker"' in compose
    assert '"celery", "-A", "registry", "beat"' in compose
    assert gunicorn in compose  # the same config (JSON logs, metrics) in both
    assert "noeviction" in compose
    assert '"--appendonly", "yes"' in compose


def test_compose_runs_web_replicas_behind_a_proxy_that_the_app_trusts_one_hop_of():
    tool = shutil.which("docker-compose")
    require_service("docker-compose", tool is not None, "apt-get install docker-compose")
    assert tool is not None
    import yaml

    env = {**{k: v for k, v in os.environ.items() if k != "SECRET_KEY"}, "SECRET_KEY": PRODUCTION_ENV["SECRET_KEY"]}
    out = subprocess.run(
        [tool, "-f", str(ROOT / "docker-compose.yml"), "config"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    services = yaml.safe_load(out.stdout)["services"]
    web, proxy = services["web"], services["proxy"]
    assert web["deploy"]["replicas"] >= 2
    assert str(web["environment"]["TRUSTED_PROXY_COUNT"]) == "1"
    assert not web.get("ports"), "only the proxy publishes a port"
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "migrate" not in " ".join(web["command"]), "replicas do not migrate concurrently"
    assert any("8000" in str(p) for p in proxy["ports"])
    conf = (ROOT / "deploy" / "nginx" / "default.conf").read_text()
    assert "proxy_add_x_forwarded_for" in conf  # the one hop the app trusts appends the client address
    assert "resolver 127.0.0.11" in conf  # every replica, re-resolved
