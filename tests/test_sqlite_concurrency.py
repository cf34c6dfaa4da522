"""The embedded default under concurrent writers: they queue instead of failing with
"database is locked" (WAL + BEGIN IMMEDIATE + a busy timeout)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
import django, sys, threading
django.setup()
from datetime import timedelta
from django.db import connection
from django.utils import timezone
from complaints import services
from complaints.models import Category, Election, TerritorialUnit

unit = TerritorialUnit.objects.get_or_create(code="kz", defaults={"level": "country", "name_ru": "Казахстан"})[0]
election = Election.objects.get_or_create(slug="e", defaults={"name_ru": "Выборы", "kind": "presidential",
                                          "voting_day": timezone.localdate(), "status": "active"})[0]
category = Category.objects.get_or_create(code="c", defaults={"name_ru": "к", "name_kk": "к", "name_en": "c"})[0]
from django.contrib.auth.models import User
admin = User.objects.filter(username="root").first() or User.objects.create_superuser("root", "r@example.org", "x")
connection.close()
if sys.argv[-1] == "setup":
    sys.exit(0)
errors = []

def work():
    try:
        for _ in range(15):
            filing = services.complaint_file(election=election, category=category, unit=unit,
                                             occurred_at=timezone.now() - timedelta(minutes=1),
                                             description="Одновременная подача жалоб.")
            # read-then-write: the case where a DEFERRED transaction fails with "database is locked"
            services.complaint_transition(complaint=filing.complaint, action="triage", actor=admin)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=work) for _ in range(6)]
[t.start() for t in threads]
[t.join() for t in threads]
print("ERRORS", errors)
sys.exit(1 if errors else 0)
"""


def test_concurrent_writers_wait_instead_of_failing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "registry.settings", "VAR_DIR": str(tmp_path)})
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    subprocess.run([sys.executable, "-c", WRITER, "setup"], cwd=ROOT, env=env, check=True, timeout=120)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    count = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from complaints.models import Complaint; print(Complaint.objects.count())",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    assert count.splitlines()[-1] == str(2 * 6 * 15)
