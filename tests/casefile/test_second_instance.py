"""A case exported here and imported into a second registry (its own database and media, in subprocesses)
arrives identical, hash for hash; importing it twice there creates nothing the second time."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from complaints.models import Complaint
from tests.casefile.conftest import comparable, members

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
INSTANCE_FILES = {"case.json", "manifest.json", "audit.json", "audit-public-key.pem", "README.txt"}


def _instance(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / f"instance-{uuid.uuid4().hex[:8]}"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "REDIS_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{home / 'registry.db'}",  # sqlite:////tmp/... : an absolute path
        MEDIA_ROOT=str(home / "media"),
        AUDIT_SIGNING_KEY_PATH=str(home / "audit-signing-key.pem"),
        AUDIT_CHECKPOINT_DIR=str(home / "checkpoints"),
        CELERY_BROKER_URL=f"sqla+sqlite:///{home / 'broker.sqlite3'}",
        SECRET_KEY="second-instance-" + uuid.uuid4().hex,
        LANGUAGE_CODE="en",
        DJANGO_SETTINGS_MODULE="registry.settings",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, f"manage.py {' '.join(args)}:\n{run.stdout}\n{run.stderr}"
    return run


def test_export_import_into_a_second_instance_arrives_identical(
    exported: Path, case: Complaint, tmp_path: Path
) -> None:
    reference = tmp_path / "reference.json"
    call_command(
        "dumpdata",
        "complaints.TerritorialUnit",
        "complaints.PollingStation",
        "complaints.Election",
        "complaints.Category",
        "complaints.Authority",
        output=str(reference),
    )
    env = _instance(tmp_path)
    assert env["DATABASE_URL"].startswith("sqlite:////")
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "loaddata", str(reference), "-v", "0")
    first = _manage(env, "import_case", str(exported))
    assert f"Imported {case.code}" in first.stdout
    second = _manage(env, "import_case", str(exported))
    assert "already imported" in second.stdout
    again = tmp_path / "again.zip"
    _manage(env, "export_case", case.code, str(again), "--checkpoint")

    original, copy = members(exported.read_bytes()), members(again.read_bytes())
    # Every file but the instance's own record: the same names, the same bytes.
    assert set(copy) - INSTANCE_FILES == set(original) - INSTANCE_FILES
    for name in set(original) - INSTANCE_FILES:
        assert hashlib.sha256(copy[name]).hexdigest() == hashlib.sha256(original[name]).hexdigest(), name
    listed = lambda files: {  # noqa: E731
        f["path"]: (f["sha256"], f["size"])
        for f in json.loads(files["manifest.json"])["files"]
        if f["path"] not in INSTANCE_FILES
    }
    assert listed(copy) == listed(original)
    assert comparable(copy["case.json"]) == comparable(original["case.json"])
    # The chain is the second instance's own, beginning with the import, once.
    events = json.loads(copy["audit.json"])["events"]
    assert [e["action"] for e in events] == ["imported", "evidence", "evidence"]
    assert events[0]["payload"]["source_file_sha256"] == hashlib.sha256(exported.read_bytes()).hexdigest()
    assert events[0]["payload"]["source_chain"]["hash"] == json.loads(original["case.json"])["chain"]["hash"]
    # ... and it verifies there, with the second instance's key, covered by the checkpoint export_case signed.
    key = tmp_path / "second-key.pem"
    key.write_bytes(copy["audit-public-key.pem"])
    verify = subprocess.run(
        [sys.executable, "-I", str(ROOT / "complaints" / "integrity.py"), str(again), "--public-key", str(key)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "covered by checkpoint(s) 1" in verify.stdout


def test_a_changed_byte_is_refused_by_the_command_naming_the_file(
    exported: Path, tmp_path: Path, settings: Any
) -> None:
    from django.core.management.base import CommandError

    from tests.casefile.conftest import flip_byte, rezip

    files = members(exported.read_bytes())
    files["evidence/02-protocol.png"] = flip_byte(files["evidence/02-protocol.png"])
    forged = tmp_path / "forged.zip"
    forged.write_bytes(rezip(files))
    with pytest.raises(CommandError, match=r"evidence/02-protocol\.png: SHA-256 does not match the manifest"):
        call_command("import_case", str(forged))
