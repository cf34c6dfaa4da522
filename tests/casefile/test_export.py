"""Exporting a case file: what it holds, that case.json follows the schema, identity only when asked, the verifier."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from complaints.casefile import SCHEMA_PATH, case_schema
from complaints.models import AuditEvent, Complaint
from tests.casefile.conftest import export_bytes, members

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_the_schema_is_a_valid_draft_2020_12_schema_with_a_versioned_id() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("case-file:v1")


def test_case_json_validates_against_the_schema_and_lists_every_file(exported: Path, case: Complaint) -> None:
    files = members(exported.read_bytes())
    document = json.loads(files["case.json"])
    jsonschema.Draft202012Validator(case_schema()).validate(document)
    assert document["complaint"]["code"] == case.code
    assert document["complaint"]["polling_station"] == {
        "unit": "pav-ekibastuz",
        "number": "512",
        "address": case.polling_station.address,
    }
    first, appeal = document["submissions"]
    assert first["decision"]["result"] == "rejected"
    assert first["decision"]["file"]["path"] == "decisions/01-decision.pdf"
    assert appeal["appeal_of"] == first["id"]
    assert [e["path"] for e in document["evidence"]] == ["evidence/01-photo.jpg", "evidence/02-protocol.png"]
    assert document["respondents"][0]["replies"][0]["file"]["path"] == "replies/01-01-reply.pdf"
    assert document["documents"][0]["file"]["sha256"] == case.documents.get().sha256
    manifest = json.loads(files["manifest.json"])
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json"}
    for name, entry in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == entry["sha256"]
        assert len(files[name]) == entry["size"]
    assert [e["sha256"] for e in document["evidence"]] == list(
        case.evidence.order_by("pk").values_list("sha256", flat=True)
    )


def test_no_identity_unless_asked_for(exported: Path, case: Complaint) -> None:
    raw = exported.read_bytes()
    assert b"voter@example.org" not in raw
    assert b"Voter" not in members(raw)["case.json"]
    assert json.loads(members(raw)["case.json"])["reporter"] == {
        "anonymous": False,
        "language": "en",
        "identity_included": False,
    }
    assert not AuditEvent.objects.filter(complaint=case, action="identity_viewed").exists()


def test_identity_is_an_audited_reveal_for_a_permitted_user(case: Complaint, staff: dict[str, Any]) -> None:
    data = export_bytes(case, actor=staff["coordinator"], include_identity=True, purpose="handed to the TEC")
    reporter = json.loads(members(data)["case.json"])["reporter"]
    assert reporter["identity_included"] is True
    assert reporter["email"] == "voter@example.org"
    reveal = AuditEvent.objects.filter(complaint=case, action="identity_viewed").get()
    assert reveal.payload == {"purpose": "handed to the TEC"}
    # The reveal is in the exported chain itself.
    assert json.loads(members(data)["audit.json"])["events"][-1]["action"] == "identity_viewed"


def test_a_user_without_the_permission_cannot_include_it(case: Complaint, staff: dict[str, Any]) -> None:
    from complaints.workflow import NotAllowed

    with pytest.raises(NotAllowed):
        export_bytes(case, actor=staff["reviewer"], include_identity=True, purpose="curious")


def test_the_standalone_verifier_passes_on_the_zip_and_checks_its_files(exported: Path, audit_keys: Any) -> None:
    verifier = exported.parent / "verify_case.py"
    verifier.write_bytes((ROOT / "complaints" / "integrity.py").read_bytes())  # what /audit/verify_case.py serves
    run = subprocess.run(
        [sys.executable, "-I", str(verifier), str(exported), "--public-key", str(audit_keys.public)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=exported.parent,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK" in run.stdout
    assert "manifest" in run.stdout


def test_a_stored_file_that_changed_stops_the_export_named(case: Complaint) -> None:
    from complaints.casefile import StoredFileChanged

    evidence = case.evidence.order_by("pk").last()
    path = Path(evidence.file.path)
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(StoredFileChanged, match=r"^evidence/02-protocol\.png: the stored file no longer matches"):
        export_bytes(case)
