"""Reading the environment: typos fail loudly, secrets may come from files, tasks come from CELERY_IMPORTS."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from registry import settings as conf

ROOT = Path(__file__).resolve().parent.parent

SECRETS = [
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_CACHE_URL",
    "EMAIL_HOST_PASSWORD",
    "CELERY_RESULT_BACKEND",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
]


# --- env_bool -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "True", "yes", "Yes", "on", "ON", " true "])
def test_env_bool_true_spellings(monkeypatch, text):
    monkeypatch.setenv("REGISTRY_TEST_FLAG", text)
    assert conf.env_bool("REGISTRY_TEST_FLAG", False) is True


@pytest.mark.parametrize("text", ["0", "false", "FALSE", "False", "no", "No", "off", "OFF", " off "])
def test_env_bool_false_spellings(monkeypatch, text):
    monkeypatch.setenv("REGISTRY_TEST_FLAG", text)
    assert conf.env_bool("REGISTRY_TEST_FLAG", True) is False


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_unset_or_empty_is_the_default(monkeypatch, default):
    monkeypatch.delenv("REGISTRY_TEST_FLAG", raising=False)
    assert conf.env_bool("REGISTRY_TEST_FLAG", default) is default
    monkeypatch.setenv("REGISTRY_TEST_FLAG", "")
    assert conf.env_bool("REGISTRY_TEST_FLAG", default) is default


@pytest.mark.parametrize("text", ["ture", "flase", "y", "n", "2", "enabled", "-1"])
def test_env_bool_typo_is_improperly_configured(monkeypatch, text):
    monkeypatch.setenv("DEBUG", text)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        conf.env_bool("DEBUG", False)
    assert "DEBUG" in str(excinfo.value)
    assert text in str(excinfo.value)


# --- env_int --------------------------------------------------------------------------


def test_env_int_reads_and_defaults(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "587")
    assert conf.env_int("EMAIL_PORT", 25) == 587
    monkeypatch.setenv("EMAIL_PORT", " 465 ")
    assert conf.env_int("EMAIL_PORT", 25) == 465
    monkeypatch.setenv("EMAIL_PORT", "")
    assert conf.env_int("EMAIL_PORT", 25) == 25
    monkeypatch.delenv("EMAIL_PORT")
    assert conf.env_int("EMAIL_PORT", 25) == 25


@pytest.mark.parametrize("text", ["abc", "25a", "2.5", "0x19", "twenty"])
def test_env_int_garbage_is_improperly_configured(monkeypatch, text):
    monkeypatch.setenv("EMAIL_PORT", text)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        conf.env_int("EMAIL_PORT", 25)
    assert "EMAIL_PORT" in str(excinfo.value)
    assert text in str(excinfo.value)


# --- env_secret and *_FILE ------------------------------------------------------------


def test_env_secret_reads_the_variable_or_the_default(monkeypatch):
    monkeypatch.delenv("REGISTRY_TEST_SECRET", raising=False)
    monkeypatch.delenv("REGISTRY_TEST_SECRET_FILE", raising=False)
    assert conf.env_secret("REGISTRY_TEST_SECRET", "fallback") == "fallback"
    monkeypatch.setenv("REGISTRY_TEST_SECRET", "s3cret")
    assert conf.env_secret("REGISTRY_TEST_SECRET") == "s3cret"


def test_env_secret_reads_the_file_stripped(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("  postgres://u:p@db:5432/x\n")
    monkeypatch.delenv("REGISTRY_TEST_SECRET", raising=False)
    monkeypatch.setenv("REGISTRY_TEST_SECRET_FILE", str(secret))
    assert conf.env_secret("REGISTRY_TEST_SECRET", "fallback") == "postgres://u:p@db:5432/x"


def test_env_secret_both_set_is_improperly_configured(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file")
    monkeypatch.setenv("REGISTRY_TEST_SECRET", "from-env")
    monkeypatch.setenv("REGISTRY_TEST_SECRET_FILE", str(secret))
    with pytest.raises(ImproperlyConfigured) as excinfo:
        conf.env_secret("REGISTRY_TEST_SECRET")
    message = str(excinfo.value)
    assert "REGISTRY_TEST_SECRET " in message or "REGISTRY_TEST_SECRET and" in message
    assert "REGISTRY_TEST_SECRET_FILE" in message
    assert "from-env" not in message, "a secret must not be echoed into an error message"


def test_env_secret_unreadable_file_is_improperly_configured(monkeypatch, tmp_path):
    monkeypatch.delenv("REGISTRY_TEST_SECRET", raising=False)
    missing = tmp_path / "nope"
    monkeypatch.setenv("REGISTRY_TEST_SECRET_FILE", str(missing))
    with pytest.raises(ImproperlyConfigured) as excinfo:
        conf.env_secret("REGISTRY_TEST_SECRET")
    assert "REGISTRY_TEST_SECRET_FILE" in str(excinfo.value)
    assert str(missing) in str(excinfo.value)
    monkeypatch.setenv("REGISTRY_TEST_SECRET_FILE", str(tmp_path))  # a directory
    with pytest.raises(ImproperlyConfigured):
        conf.env_secret("REGISTRY_TEST_SECRET")


def test_env_secret_empty_file_is_improperly_configured(monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("\n")
    monkeypatch.delenv("REGISTRY_TEST_SECRET", raising=False)
    monkeypatch.setenv("REGISTRY_TEST_SECRET_FILE", str(empty))
    with pytest.raises(ImproperlyConfigured, match="REGISTRY_TEST_SECRET_FILE"):
        conf.env_secret("REGISTRY_TEST_SECRET")


def test_every_secret_setting_goes_through_env_secret():
    """Each secret-bearing variable is read with env_secret, so each has a *_FILE variant."""
    tree = ast.parse((ROOT / "registry" / "settings.py").read_text(encoding="utf-8"))
    read_by: dict[str, str] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id.startswith("env_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            read_by.setdefault(node.args[0].value, node.func.id)
    for name in SECRETS:
        assert read_by.get(name) == "env_secret", f"{name} is read by {read_by.get(name)}, not env_secret"


# --- the settings module as a whole, in a fresh interpreter ---------------------------

PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "secret": settings.SECRET_KEY,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "broker": settings.CELERY_BROKER_URL,
    "cache": settings.CACHES["default"].get("LOCATION"),
    "password": settings.EMAIL_HOST_PASSWORD,
    "debug": settings.DEBUG,
    "port": settings.EMAIL_PORT,
}))
"""


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not any(k == s or k == f"{s}_FILE" for s in [*SECRETS, "DEBUG", "EMAIL_PORT", "EMAIL_HOST"])
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "registry.settings", "VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=False, timeout=60
    )


def test_settings_read_secrets_from_files(tmp_path):
    import json

    files = {
        "SECRET_KEY": "k" * 50,
        "DATABASE_URL": "postgres://u:p@db.invalid:5432/x",
        "REDIS_URL": "redis://:pw@redis.invalid:6379/0",
        "EMAIL_HOST_PASSWORD": "smtp-pass",
    }
    secrets_dir = tmp_path / "run-secrets"
    secrets_dir.mkdir()
    env = {}
    for name, value in files.items():
        path = secrets_dir / name.lower()
        path.write_text(value + "\n")
        env[f"{name}_FILE"] = str(path)
    out = _run(tmp_path, **env)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["secret"] == files["SECRET_KEY"]
    assert got["engine"] == "django.db.backends.postgresql"
    assert got["broker"] == files["REDIS_URL"]
    assert got["cache"] == files["REDIS_URL"], "REDIS_CACHE_URL defaults to REDIS_URL, also when read from a file"
    assert got["password"] == "smtp-pass"
    assert not (tmp_path / "secret_key").exists(), "no key is generated when SECRET_KEY_FILE is given"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "ture"}, "DEBUG"),
        ({"EMAIL_PORT": "abc"}, "EMAIL_PORT"),
        ({"SECRET_KEY": "x" * 50, "SECRET_KEY_FILE": "/dev/null"}, "SECRET_KEY_FILE"),
        ({"DATABASE_URL_FILE": "/nonexistent/registry-db-url"}, "DATABASE_URL_FILE"),
    ],
)
def test_bad_environment_stops_start_up(tmp_path, env, named):
    out = _run(tmp_path, **env)
    assert out.returncode != 0
    assert "ImproperlyConfigured" in out.stderr
    assert named in out.stderr


# --- dead knobs -----------------------------------------------------------------------


def test_full_stack_knob_is_gone():
    assert not hasattr(conf, "FULL_STACK")


# --- Celery task registration ---------------------------------------------------------


def test_celery_imports_lists_modules_that_define_every_registered_task():
    from registry.celery import app

    app.loader.import_default_modules()
    registered = sorted(name for name in app.tasks if not name.startswith("celery."))
    assert registered, "no application task is registered"
    modules = list(settings.CELERY_IMPORTS)
    assert modules
    for name in registered:
        module_name, _, attr = name.rpartition(".")
        assert module_name in modules, f"{name} is registered but its module is not in CELERY_IMPORTS"
        assert hasattr(importlib.import_module(module_name), attr), f"{module_name} does not define {attr}"
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in registered, f"beat schedules {entry['task']}, which is not registered"


def test_celery_imports_modules_define_tasks():
    from registry.celery import app

    app.loader.import_default_modules()
    for module_name in settings.CELERY_IMPORTS:
        importlib.import_module(module_name)
        assert any(name.startswith(module_name + ".") for name in app.tasks), f"{module_name} defines no task"


@pytest.mark.parametrize("path", ["complaints/tasks.py", "complaints/notifications/tasks.py"])
def test_task_modules_do_not_import_other_task_modules_to_register_them(path):
    """Registration is CELERY_IMPORTS' job, not a module-level import after the task definitions."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    seen_definition = False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            seen_definition = True
        elif isinstance(node, ast.Import | ast.ImportFrom):
            assert not seen_definition, f"{path}:{node.lineno} imports after the task definitions"
            names = [alias.name for alias in node.names]
            module = node.module or ""
            assert not any((module + "." + n).endswith(".tasks") or n.endswith(".tasks") for n in names), (
                f"{path}:{node.lineno} imports a task module"
            )
