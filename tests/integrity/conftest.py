"""Fixtures of the record-integrity tests: a signing key of the test's own, a decided complaint with evidence,
tampering as someone with database rights would, and the standalone verifier run as a separate process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from complaints import audit, services
from complaints.models import AuditEvent, Complaint
from complaints.services.checkpoints import audit_checkpoint, public_key_pem, write_checkpoint_file
from tests.images import png_bytes

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "complaints" / "integrity.py"


@dataclass
class Keys:
    private: Path
    public: Path
    checkpoints: Path


@pytest.fixture
def audit_keys(settings: Any, tmp_path: Path) -> Keys:
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_SIGNING_KEY_PATH = tmp_path / "keys" / "audit-signing-key.pem"
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "published"
    settings.AUDIT_TRUSTED_PUBLIC_KEY_FILES = []
    public = tmp_path / "audit-public-key.pem"
    public.write_text(public_key_pem(), encoding="utf-8")  # generates the key file on first use
    return Keys(settings.AUDIT_SIGNING_KEY_PATH, public, settings.AUDIT_CHECKPOINT_DIR)


@pytest.fixture
def decided(file_complaint: Callable[..., Complaint], make_user: Callable[..., Any]) -> Complaint:
    """#1 file, #2 evidence, #3 triage, #4 start_review, #5 substantiate (the decision)."""
    admin = make_user("admin")
    upload = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    complaint = file_complaint(files=[upload])
    for action in ["triage", "start_review", "substantiate"]:
        complaint = services.complaint_transition(
            complaint=complaint, action=action, actor=admin, comment=f"{action} done"
        )
    assert list(AuditEvent.objects.filter(complaint=complaint).values_list("action", flat=True)) == [
        "file",
        "evidence",
        "triage",
        "start_review",
        "substantiate",
    ]
    return complaint


def tamper(sql: str, params: list[Any]) -> None:
    """Raw SQL past the application, as a hostile official with database rights would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # past the append-only trigger
        cursor.execute(sql, params)


def rewrite_and_recompute(complaint: Complaint, seq: int, **changes: Any) -> None:
    """Change event #seq and recompute every later hash with the application's own rules."""
    events = list(AuditEvent.objects.filter(complaint=complaint).order_by("seq"))
    prev = events[seq - 2].hash if seq > 1 else audit.GENESIS
    for event in events[seq - 1 :]:
        if event.seq == seq:
            for name, value in changes.items():
                setattr(event, name, value)
        event.prev_hash = prev
        event.hash = prev = audit.compute_hash(prev, event)
        tamper(
            "UPDATE complaints_auditevent SET payload = %s, actor_label = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [json.dumps(event.payload), event.actor_label, event.prev_hash, event.hash[:-1] + "~", event.pk],
        )
    # Two passes: the unique index on hash would refuse a transient duplicate (the placeholder keeps
    # the column's 64 characters, which PostgreSQL enforces).
    for event in events[seq - 1 :]:
        tamper("UPDATE complaints_auditevent SET hash = %s WHERE id = %s", [event.hash, event.pk])


def checkpoint_archived(tmp_path: Path, label: str = "") -> Path:
    """Make a checkpoint and keep a copy of its public file outside the database, as an observer would."""
    result = audit_checkpoint(label=label)
    assert result.checkpoint is not None
    assert not result.breaks
    archive = tmp_path / "archive"
    archive.mkdir(exist_ok=True)
    return Path(shutil.copy(write_checkpoint_file(result.checkpoint), archive))


def export(complaint: Complaint, tmp_path: Path, with_files: bool = False) -> tuple[Path, Path | None]:
    out = tmp_path / f"case-{complaint.pk}.json"
    files = tmp_path / f"case-{complaint.pk}-files" if with_files else None
    args = ["export_audit", complaint.code, "--out", str(out)]
    if files:
        args += ["--evidence-dir", str(files)]
    call_command(*args)
    return out, files


@dataclass
class Verdict:
    returncode: int
    output: str


def run_standalone(
    tmp_path: Path, case: Path, public_key: Path, checkpoints: list[Path] = (), evidence_dir: Path | None = None
) -> Verdict:
    """The lawyer's run: the verifier copied alone into a folder, run by a plain interpreter, no Django."""
    folder = tmp_path / "lawyer"
    folder.mkdir(exist_ok=True)
    script = Path(shutil.copy(VERIFIER, folder / "verify_case.py"))
    args = [sys.executable, "-I", str(script), str(case), "--public-key", str(public_key)]
    for path in checkpoints:
        args += ["--checkpoint", str(path)]
    if evidence_dir is not None:
        args += ["--evidence-dir", str(evidence_dir)]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=folder, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert "Traceback" not in proc.stderr, proc.stderr
    return Verdict(proc.returncode, proc.stdout + proc.stderr)
