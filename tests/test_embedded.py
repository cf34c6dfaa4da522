"""The embedded default: a serverless broker, no eager tasks outside tests, and ``run_embedded``.

The live run (``make run`` in a fresh copy, filings, the mail folder, Ctrl-C) is
tests/integration/test_embedded_run.py; these are the quick checks of its parts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
django.setup()
from django.conf import settings
from registry.celery import app
print(json.dumps({
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "app_eager": app.conf.task_always_eager,
    "options": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "beat_file": settings.CELERY_BEAT_SCHEDULE_FILENAME,
    "beat": sorted(settings.CELERY_BEAT_SCHEDULE),
    "sla_every": settings.CELERY_BEAT_SCHEDULE["sla-check"]["schedule"],
}))
"""


def probe(tmp_path: Path, **env: str) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "SECRET_KEY", "EMAIL_HOST", "CELERY_BROKER_URL"}
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "registry.settings", "VAR_DIR": str(tmp_path), **env})
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_nothing_set_means_a_sqlite_broker_in_var_and_no_eager_tasks(tmp_path):
    conf = probe(tmp_path)
    assert conf["broker"] == f"sqla+sqlite:///{tmp_path}/celery-broker.sqlite3"
    assert conf["eager"] is False
    assert conf["app_eager"] is False
    # kombu hands the SQLAlchemy transport's options to create_engine: nothing Redis-only in them.
    assert conf["options"] == {"connect_args": {"timeout": 30}}
    assert conf["beat_file"] == str(tmp_path / "celerybeat-schedule")
    assert {"sla-check", "outbox-sweep", "coordinator-digest", "housekeeping", "broker-purge"} <= set(conf["beat"])
    assert conf["sla_every"] == 60.0


def test_redis_url_keeps_the_full_stack_broker(tmp_path):
    conf = probe(tmp_path, REDIS_URL="redis://redis.invalid:6379/0")
    assert conf["broker"] == "redis://redis.invalid:6379/0"
    assert conf["eager"] is False
    assert conf["options"]["visibility_timeout"] == 3600
    assert "broker-purge" not in conf["beat"]


def test_the_filesystem_transport_and_the_sla_interval_can_be_chosen(tmp_path):
    conf = probe(tmp_path, CELERY_BROKER_URL="filesystem://", SLA_CHECK_SECONDS="5")
    assert conf["broker"] == "filesystem://"
    assert conf["options"]["data_folder_in"] == str(tmp_path / "broker" / "queue")
    assert conf["options"]["polling_interval"] == 0.1
    assert (tmp_path / "broker" / "control").is_dir()
    assert conf["sla_every"] == 5.0


def test_unit_tests_run_tasks_eagerly():
    """tests/conftest.py turns eager mode on; nothing else does."""
    from registry.celery import app

    assert app.conf.task_always_eager is True
    from complaints.tasks import ping

    assert ping.delay("x").get(timeout=1) == "x"


def test_the_sqlite_broker_round_trips_and_purges_consumed_messages(tmp_path):
    """Publish to and consume from the embedded broker in a subprocess, then purge what was consumed."""
    script = textwrap.dedent(
        """
        import json, django
        django.setup()
        from registry.celery import app, purge_consumed_broker_messages
        with app.connection_for_write() as conn:
            queue = conn.SimpleQueue("probe")
            queue.put({"n": 1})
            message = queue.get(timeout=5)
            message.ack()
            channel = conn.default_channel
            mode = channel.session.execute(__import__("sqlalchemy").text("PRAGMA journal_mode")).scalar()
            queue.close()
        print(json.dumps({"payload": message.payload, "mode": mode, "purged": purge_consumed_broker_messages()}))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="registry.settings", VAR_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"payload": {"n": 1}, "mode": "wal", "purged": 1}


def test_make_run_starts_the_launcher_not_a_bare_runserver():
    dry = subprocess.run(
        ["make", "-n", "run", "STAMP=Makefile"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert "manage.py run_embedded 127.0.0.1:8000" in dry
    assert "runserver" not in dry
    assert dry.index("migrate") < dry.index("seed_demo") < dry.index("run_embedded")


# --- the launcher, with stand-in children -------------------------------------------

LAUNCHER = """
import sys, django
django.setup()
from django.core.management import call_command
from complaints.management.commands import run_embedded as launcher

CHILD = r'''
import signal, sys, time, os
name, on_signal = sys.argv[1], sys.argv[2]
def stop(signum, frame):
    print(f"{name} got {signal.Signals(signum).name}", flush=True)
    if on_signal == "exit":
        sys.exit(0)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
if os.fork() == 0:  # a grandchild in the same group, like a pool process
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(0.1)
print(f"{name} up", flush=True)
deadline = time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:
    time.sleep(0.05)
'''

MODE = sys.argv[1]
def children(self, addrport, concurrency, worker_log):
    web_life = "2" if MODE == "web-dies" else "600"
    worker_mode = "ignore" if MODE == "stubborn" else "exit"
    return [
        launcher.Child("web", [sys.executable, "-c", CHILD, "web", "exit", web_life], launcher.signal.SIGINT, 5),
        launcher.Child(
            "worker", [sys.executable, "-c", CHILD, "worker", worker_mode, "600"], launcher.signal.SIGTERM, 2
        ),
    ]
launcher.Command._children = children
launcher.Command._wait_for_port = lambda *args, **kwargs: None
call_command("run_embedded", "127.0.0.1:1")
"""


def run_launcher(tmp_path: Path, mode: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="registry.settings", VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def pids_of(output_lines: list[str]) -> list[int]:
    return [int(line.split("pid ")[1].split(")")[0].split(";")[0]) for line in output_lines if "pid " in line]


def gone(pgid: int) -> bool:
    from complaints.management.commands.run_embedded import live_group_members

    return live_group_members(pgid) == []


def wait_until_up(process: subprocess.Popen[str]) -> list[str]:
    lines: list[str] = []
    assert process.stdout is not None
    while sum(" up" in line for line in lines) < 2:
        line = process.stdout.readline()
        assert line, "\n".join(lines)
        lines.append(line)
    return lines


def test_ctrl_c_stops_both_children_and_their_groups(tmp_path):
    process = run_launcher(tmp_path, "normal")
    lines = wait_until_up(process)
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the launcher's group only
    out, _ = process.communicate(timeout=30)
    text = "".join(lines) + out
    assert process.returncode == 0, text
    assert "web got SIGINT" in text  # runserver stops on SIGINT
    assert "worker got SIGTERM" in text  # Celery's warm shutdown
    banner = [line for line in text.splitlines() if "pid " in line]
    assert len(banner) == 2, text
    for pid in pids_of(banner):
        assert gone(pid), f"process group {pid} survived"


def test_sigterm_stops_everything_and_a_child_ignoring_it_is_killed_after_its_grace(tmp_path):
    process = run_launcher(tmp_path, "stubborn")
    lines = wait_until_up(process)
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert time.monotonic() - started < 15
    text = "".join(lines) + out
    assert process.returncode == 0, text
    assert "worker got SIGTERM" in text
    for pid in pids_of([line for line in text.splitlines() if "pid " in line]):
        assert gone(pid)


def test_a_child_that_exits_stops_the_other_and_fails(tmp_path):
    process = run_launcher(tmp_path, "web-dies")
    out, _ = process.communicate(timeout=30)
    assert process.returncode != 0
    assert "worker got SIGTERM" in out
    for pid in pids_of([line for line in out.splitlines() if "pid " in line]):
        assert gone(pid)


def test_the_banner_says_what_runs_where_mail_goes_and_who_can_log_in(db, settings, tmp_path):
    from django.contrib.auth import get_user_model

    from complaints.management.commands import run_embedded

    get_user_model().objects.create_user("reviewer", password="x")
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    assert "mail" in run_embedded.describe_mail()
    assert run_embedded.demo_logins() == ["reviewer"]
    schedule = run_embedded.describe_schedule()
    for entry in ("sla-check", "outbox-sweep", "coordinator-digest"):
        assert entry in schedule
    assert run_embedded.describe_broker("redis://:secret@redis:6379/0") == "redis:6379/0"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "smtp.example.org", 587
    assert "smtp.example.org:587" in run_embedded.describe_mail()
