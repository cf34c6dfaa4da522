"""Hash scheme 2 and its compatibility with scheme-1 chains, signed checkpoints, their key, publication and export."""

from __future__ import annotations

import ast
import json
import logging
import stat
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from complaints import audit, integrity
from complaints.models import AuditEvent, Checkpoint, Complaint
from complaints.services.checkpoints import audit_checkpoint, signing_key
from complaints.tasks import audit_checkpoint as audit_checkpoint_task
from tests.integrity.conftest import VERIFIER, export, run_standalone, tamper

pytestmark = pytest.mark.django_db


def test_new_events_attest_content_and_evidence(decided):
    events = list(AuditEvent.objects.filter(complaint=decided).order_by("seq"))
    assert {e.scheme for e in events} == {2}
    content = integrity.content_hash(audit.complaint_content(decided.pk))
    assert {e.content_hash for e in events} == {content}
    sha = decided.evidence.get().sha256
    assert [e.evidence_hashes.split() for e in events] == [[], [sha], [sha], [sha], [sha]]


def test_scheme_1_chains_keep_verifying_and_may_continue_under_scheme_2(file_complaint, make_user):
    """Events written before hash scheme 2 verify under their own rule; the next append attests content."""
    complaint = file_complaint()
    first = AuditEvent.objects.get(complaint=complaint, seq=1)
    first.scheme, first.content_hash, first.evidence_hashes = 1, "", ""
    first.hash = audit.compute_hash(audit.GENESIS, first)  # what the old audit_append wrote
    assert audit.event_body(first).keys() == {"complaint", "seq", "action", "actor", "actor_label", "from", "to",
                                              "payload", "at"}  # fmt: skip
    tamper(
        "UPDATE complaints_auditevent SET scheme = 1, content_hash = '', evidence_hashes = '', hash = %s WHERE id = %s",
        [first.hash, first.pk],
    )
    assert list(audit.verify_chains()) == []
    call_command("verify_audit", "--skip-files")
    from complaints import services

    services.complaint_transition(complaint=complaint, action="triage", actor=make_user("admin"))
    second = AuditEvent.objects.get(complaint=complaint, seq=2)
    assert second.scheme == 2
    assert second.content_hash
    assert list(audit.verify_chains()) == []


def test_a_scheme_1_event_after_scheme_2_is_a_downgrade(decided):
    last = AuditEvent.objects.get(complaint=decided, seq=5)
    last.scheme = 1
    forged = audit.compute_hash(last.prev_hash, last)
    tamper("UPDATE complaints_auditevent SET scheme = 1, hash = %s WHERE id = %s", [forged, last.pk])
    breaks = list(audit.verify_chains())
    assert [b.seq for b in breaks] == [5]
    assert "downgraded" in breaks[0].reason


def test_checkpoint_statement_signature_and_file(decided, audit_keys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the public file is written once committed
        result = audit_checkpoint(label="polls closed")
    checkpoint = result.checkpoint
    assert checkpoint is not None
    assert checkpoint.serial == 1
    assert checkpoint.heads == [[decided.pk, 5, AuditEvent.objects.get(complaint=decided, seq=5).hash]]
    assert checkpoint.statement["label"] == "polls closed"
    assert checkpoint.statement["previous"] == integrity.GENESIS
    published = json.loads((audit_keys.checkpoints / "checkpoint-1.json").read_text())
    keys = [integrity.public_key_from_text(audit_keys.public.read_text())]
    assert integrity.checkpoint_problems(keys, published) == []
    other = integrity.Ed25519PrivateKey.generate().public_key()
    assert "does not verify" in integrity.checkpoint_problems([other], published)[0]
    second = audit_checkpoint().checkpoint
    assert second is not None
    assert second.statement["previous"] == integrity.statement_digest(checkpoint.statement)


def test_hourly_task_skips_when_no_chain_moved(decided, audit_keys, make_user, settings):
    assert settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]["task"] == "complaints.tasks.audit_checkpoint"
    assert audit_checkpoint_task() == 1
    assert audit_checkpoint_task() is None
    from complaints import services

    services.complaint_transition(complaint=decided, action="close", actor=make_user("admin"))
    assert audit_checkpoint_task() == 2
    assert Checkpoint.objects.get(serial=2).trigger == "scheduled"


def test_checkpoint_does_not_advance_a_tampered_chain(decided, audit_keys, make_user):
    audit_checkpoint()
    tamper("UPDATE complaints_complaint SET description = %s WHERE id = %s", ["edited", decided.pk])
    from complaints import services

    services.note_add(complaint=decided, actor=make_user("admin"), body="a note", visibility="internal")
    result = audit_checkpoint()
    assert result.breaks
    assert result.checkpoint is not None
    assert result.checkpoint.heads[0][1] == 5  # still the head the first checkpoint saw
    with pytest.raises(CommandError, match="do not verify"):
        call_command("audit_checkpoint")


def test_key_is_generated_once_with_a_warning(settings, tmp_path, caplog):
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_SIGNING_KEY_PATH = tmp_path / "k" / "audit.pem"
    with caplog.at_level(logging.WARNING, logger="complaints.services.checkpoints"):
        key = signing_key()
    assert "keep it outside the server's data" in caplog.text
    assert stat.S_IMODE(settings.AUDIT_SIGNING_KEY_PATH.stat().st_mode) == 0o600
    caplog.clear()
    again = signing_key()
    assert integrity.key_id(again.public_key()) == integrity.key_id(key.public_key())
    assert caplog.text == ""


def test_key_from_the_environment_setting(settings, tmp_path):
    seed = "11" * 32
    settings.AUDIT_SIGNING_KEY = seed
    settings.AUDIT_SIGNING_KEY_PATH = tmp_path / "never.pem"
    key = signing_key()
    assert key.private_bytes_raw() == bytes.fromhex(seed)
    assert not settings.AUDIT_SIGNING_KEY_PATH.exists()
    settings.AUDIT_SIGNING_KEY = integrity.private_key_pem(key)
    assert signing_key().private_bytes_raw() == bytes.fromhex(seed)


def test_public_urls(decided, audit_keys, tmp_path):
    audit_checkpoint(label="milestone")
    client = Client()
    listing = client.get("/audit/checkpoints/").json()
    assert [c["serial"] for c in listing["checkpoints"]] == [1]
    assert "heads" not in listing["checkpoints"][0]
    response = client.get("/audit/checkpoints/1.json")
    assert response["Content-Disposition"] == 'attachment; filename="checkpoint-1.json"'
    document = json.loads(response.content)
    key_pem = client.get("/audit/public-key").content.decode()
    assert key_pem == audit_keys.public.read_text()
    assert integrity.checkpoint_problems([integrity.public_key_from_text(key_pem)], document) == []
    assert client.get("/audit/checkpoints/2.json").status_code == 404
    assert client.get("/audit/verify_case.py").content == VERIFIER.read_bytes()
    # The published checkpoint holds no receipt code, no names, no content.
    assert decided.code not in response.content.decode()
    archived = tmp_path / "downloaded.json"
    archived.write_bytes(response.content)
    case, _ = export(decided, tmp_path)
    assert run_standalone(tmp_path, case, audit_keys.public, [archived]).returncode == 0


def test_export_is_minimal_and_carries_an_inclusion_proof(decided, audit_keys, tmp_path):
    audit_checkpoint()
    case, _ = export(decided, tmp_path)
    document = json.loads(case.read_text())
    assert document["format"] == integrity.EXPORT_FORMAT
    assert [e["seq"] for e in document["events"]] == [1, 2, 3, 4, 5]
    assert document["complaint"]["content"]["description"] == decided.description
    assert "reporter" not in json.dumps(document)
    (embedded,) = document["checkpoints"]
    assert embedded["head"]["seq"] == 5
    with pytest.raises(CommandError):
        call_command("export_audit", "NOPE-NOPE-NOPE")


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33])
def test_merkle_proofs(size):
    leaves = [integrity.leaf_hash(n, n + 1, f"{n:064x}") for n in range(size)]
    root = integrity.merkle_root(leaves)
    for index in range(size):
        proof = integrity.merkle_proof(leaves, index)
        assert integrity.merkle_verify(leaves[index], index, size, proof, root)
        assert not integrity.merkle_verify(leaves[(index + 1) % size], index, size, proof, root) or size == 1
    assert integrity.merkle_root(leaves[:-1]) != root


def test_the_standalone_verifier_needs_only_the_standard_library_and_cryptography():
    tree = ast.parse(VERIFIER.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    assert names - {"cryptography", "__future__"} <= set(sys.stdlib_module_names)


def test_many_complaints_verify_and_checkpoint(file_complaint, audit_keys):
    for _ in range(12):
        file_complaint()
    result = audit_checkpoint()
    assert result.checkpoint is not None
    assert result.checkpoint.chains == Complaint.objects.count() == 12
    call_command("verify_audit")
