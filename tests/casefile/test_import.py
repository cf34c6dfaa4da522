"""Importing a case file: arrives whole, hash for hash; idempotent; any changed byte refused naming the file."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from complaints import casefile
from complaints.models import (
    AuditEvent,
    Complaint,
    Decision,
    Election,
    Evidence,
    GeneratedDocument,
    RespondentReply,
    Submission,
)
from tests.casefile.conftest import comparable, export_bytes, flip_byte, members, rezip

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _move_aside(complaint: Complaint) -> None:
    """Free the receipt code, as if the case had been exported from another registry."""
    Complaint.objects.filter(pk=complaint.pk).update(code="MOVE-DASI-DE22")


def _import(data: bytes) -> casefile.ImportResult:
    return casefile.case_file_import(source=io.BytesIO(data))


def test_an_imported_case_exports_again_identical_hash_for_hash(exported: Path, case: Complaint) -> None:
    data = exported.read_bytes()
    _move_aside(case)
    result = _import(data)
    assert result.created
    assert result.complaint.code == case.code
    copy = result.complaint
    assert copy.pk != case.pk
    again = members(export_bytes(copy))
    original = members(data)
    shared = set(original) - {"case.json", "manifest.json", "audit.json", "audit-public-key.pem", "README.txt"}
    assert shared == set(again) - {"case.json", "manifest.json", "audit.json", "audit-public-key.pem", "README.txt"}
    for name in shared:
        assert hashlib.sha256(again[name]).digest() == hashlib.sha256(original[name]).digest(), name
    assert comparable(again["case.json"]) == comparable(original["case.json"])
    # The stored files are the originals, through the storage.
    for evidence in Evidence.objects.filter(complaint=copy):
        with evidence.file.open("rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == evidence.sha256
    assert Submission.objects.filter(complaint=copy).count() == 2
    assert Submission.objects.get(complaint=copy, appeal_of__isnull=False).appeal_of.decision.result == "rejected"


def test_the_new_chain_starts_with_an_imported_event(exported: Path, case: Complaint) -> None:
    data = exported.read_bytes()
    head = AuditEvent.objects.filter(complaint=case).order_by("-seq").first()
    _move_aside(case)
    copy = _import(data).complaint
    events = list(AuditEvent.objects.filter(complaint=copy).order_by("seq"))
    assert [e.action for e in events] == ["imported", "evidence", "evidence"]
    payload = events[0].payload
    assert payload["source_file_sha256"] == hashlib.sha256(data).hexdigest()
    assert payload["source_chain"] == {"complaint_id": case.pk, "seq": head.seq, "hash": head.hash}
    assert events[0].prev_hash == "0" * 64
    from complaints.audit import verify_chains

    assert list(verify_chains([copy.pk], check_files=True)) == []


def test_importing_the_same_file_twice_creates_nothing_the_second_time(exported: Path, case: Complaint) -> None:
    data = exported.read_bytes()
    _move_aside(case)
    first = _import(data)
    counts = [
        m.objects.count() for m in (Complaint, Evidence, Submission, Decision, RespondentReply, GeneratedDocument)
    ]
    events = AuditEvent.objects.count()
    second = _import(data)
    assert not second.created
    assert second.complaint.pk == first.complaint.pk
    assert [
        m.objects.count() for m in (Complaint, Evidence, Submission, Decision, RespondentReply, GeneratedDocument)
    ] == counts
    assert AuditEvent.objects.count() == events


def test_a_receipt_code_in_use_is_refused(exported: Path) -> None:
    with pytest.raises(casefile.CaseFileRefused, match="already used by another complaint"):
        _import(exported.read_bytes())


@pytest.mark.parametrize(
    "name",
    ["evidence/01-photo.jpg", "decisions/01-decision.pdf", "replies/01-01-reply.pdf", "case.json", "audit.json"],
)
def test_one_changed_byte_is_refused_naming_the_file(exported: Path, case: Complaint, name: str) -> None:
    files = members(exported.read_bytes())
    files[name] = flip_byte(files[name], at=len(files[name]) - 3 if name.endswith(".json") else None)
    _move_aside(case)
    before = Complaint.objects.count()
    with pytest.raises(casefile.CaseFileRefused) as refused:
        _import(rezip(files))
    assert refused.value.message == f"{name}: SHA-256 does not match the manifest."
    assert Complaint.objects.count() == before


def test_a_consistent_forgery_of_case_json_is_caught_against_the_chain(exported: Path, case: Complaint) -> None:
    """Changing case.json and writing its new hash into the manifest: the audit chain still attests the original."""
    files = members(exported.read_bytes())
    document = json.loads(files["case.json"])
    document["complaint"]["description"] = "Nothing happened at all, really."
    files["case.json"] = json.dumps(document, ensure_ascii=False).encode()
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        if entry["path"] == "case.json":
            entry.update(sha256=hashlib.sha256(files["case.json"]).hexdigest(), size=len(files["case.json"]))
            manifest["case"] = entry
    files["manifest.json"] = json.dumps(manifest).encode()
    _move_aside(case)
    with pytest.raises(casefile.CaseFileRefused, match=r"audit\.json and case\.json disagree"):
        _import(rezip(files))


def test_a_file_missing_from_the_manifest_or_the_archive_is_named(exported: Path, case: Complaint) -> None:
    files = members(exported.read_bytes())
    _move_aside(case)
    with pytest.raises(
        casefile.CaseFileRefused, match=r"^evidence/99-extra.jpg: in the archive but not in the manifest"
    ):
        _import(rezip({**files, "evidence/99-extra.jpg": b"x"}))
    del files["evidence/02-protocol.png"]
    with pytest.raises(
        casefile.CaseFileRefused, match=r"^evidence/02-protocol.png: listed in the manifest but missing"
    ):
        _import(rezip(files))


def test_not_a_zip_and_not_valid_against_the_schema(exported: Path, case: Complaint) -> None:
    with pytest.raises(casefile.CaseFileRefused, match="not a ZIP archive"):
        _import(b"%PDF-1.4 not a case file")
    files = members(exported.read_bytes())
    document = json.loads(files["case.json"])
    document["complaint"]["status"] = "vanished"
    files["case.json"] = json.dumps(document).encode()
    manifest = json.loads(files["manifest.json"])
    entry = next(e for e in manifest["files"] if e["path"] == "case.json")
    entry.update(sha256=hashlib.sha256(files["case.json"]).hexdigest(), size=len(files["case.json"]))
    manifest["case"] = entry
    files["manifest.json"] = json.dumps(manifest).encode()
    with pytest.raises(
        casefile.CaseFileRefused, match=r"case\.json does not follow the case-file schema v1: complaint/status"
    ):
        _import(rezip(files))


def test_a_missing_election_is_refused_by_name(exported: Path, case: Complaint) -> None:
    data = exported.read_bytes()
    _move_aside(case)
    Election.objects.filter(pk=case.election_id).update(slug="renamed")
    with pytest.raises(casefile.CaseFileRefused, match="the election “kz-2011-presidential” does not exist"):
        _import(data)


def test_the_verifier_names_an_altered_file_in_the_zip(exported: Path, audit_keys: Any, tmp_path: Path) -> None:
    files = members(exported.read_bytes())
    files["evidence/02-protocol.png"] = flip_byte(files["evidence/02-protocol.png"])
    forged = tmp_path / "forged.zip"
    forged.write_bytes(rezip(files))
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            str(ROOT / "complaints" / "integrity.py"),
            str(forged),
            "--public-key",
            str(audit_keys.public),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "evidence/02-protocol.png: SHA-256 does not match the manifest" in run.stdout
