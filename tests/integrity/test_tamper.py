"""The tamper tests: rewrite-and-recompute, tail deletion, content edit, evidence swap.

Each is done with database rights (raw SQL past the services; on PostgreSQL past the trigger)
after a signed checkpoint was made and its file archived, and each must be caught twice: by
``manage.py verify_audit`` against the checkpoints (stored, or the archived file), and by the
standalone verifier (``complaints/integrity.py`` run alone, no Django) on the case exported
after the tampering. Without checkpoints the first two pass the chain check: that is the hole.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from complaints import audit
from complaints.models import AuditEvent, Complaint, Evidence
from tests.images import png_bytes
from tests.integrity.conftest import (
    checkpoint_archived,
    export,
    rewrite_and_recompute,
    run_standalone,
    tamper,
)

pytestmark = pytest.mark.django_db


def verify_audit_fails(match: str, *args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", *args)
    assert match in str(caught.value), str(caught.value)
    return str(caught.value)


def test_an_untouched_case_verifies_everywhere(decided, audit_keys, tmp_path, capsys):
    archived = checkpoint_archived(tmp_path)
    call_command("verify_audit")
    assert "every chain intact; against 1 signed checkpoint(s)" in capsys.readouterr().out
    call_command("verify_audit", "--checkpoint", str(archived), "--public-key", str(audit_keys.public))
    case, files = export(decided, tmp_path, with_files=True)
    verdict = run_standalone(tmp_path, case, audit_keys.public, [archived], files)
    assert verdict.returncode == 0, verdict.output
    assert "OK: complaint" in verdict.output
    assert "covered by checkpoint(s) 1" in verdict.output


def test_rewrite_and_recompute_is_detected(decided, audit_keys, tmp_path):
    archived = checkpoint_archived(tmp_path)
    event = AuditEvent.objects.get(complaint=decided, seq=2)
    rewrite_and_recompute(decided, 2, payload={**event.payload, "name": "harmless.png"})
    # The chain alone is consistent again: recomputing the hashes is exactly what it cannot see.
    assert list(audit.verify_chains()) == []
    verify_audit_fails("rewritten: event #5 is not the one checkpoint 1")
    verify_audit_fails("rewritten", "--checkpoint", str(archived), "--public-key", str(audit_keys.public))
    case, _ = export(decided, tmp_path)
    verdict = run_standalone(tmp_path, case, audit_keys.public, [archived])
    assert verdict.returncode == 1
    assert "rewritten: event #5 is not the one checkpoint 1" in verdict.output
    # The checkpoint embedded in the export (with its Merkle proof) catches it too.
    alone = run_standalone(tmp_path, case, audit_keys.public)
    assert alone.returncode == 1
    assert "rewritten" in alone.output


def test_rewriting_the_first_event_is_detected(decided, audit_keys, tmp_path):
    archived = checkpoint_archived(tmp_path)
    rewrite_and_recompute(decided, 1, actor_label="someone else")
    assert list(audit.verify_chains()) == []
    verify_audit_fails("rewritten: event #5")
    case, _ = export(decided, tmp_path)
    verdict = run_standalone(tmp_path, case, audit_keys.public, [archived])
    assert verdict.returncode == 1
    assert "rewritten: event #5" in verdict.output


def test_tail_deletion_is_detected(decided, audit_keys, tmp_path):
    archived = checkpoint_archived(tmp_path)
    last = AuditEvent.objects.get(complaint=decided, seq=5)
    assert last.action == "substantiate"
    tamper("DELETE FROM complaints_auditevent WHERE id = %s", [last.pk])
    assert list(audit.verify_chains()) == []  # a shorter chain is still a valid chain
    verify_audit_fails("cut: checkpoint 1")
    verify_audit_fails("#5, the record now ends at #4", "--checkpoint", str(archived))
    case, _ = export(decided, tmp_path)
    verdict = run_standalone(tmp_path, case, audit_keys.public, [archived])
    assert verdict.returncode == 1
    assert "cut: checkpoint 1" in verdict.output
    assert "ends at #4" in verdict.output


def test_content_edit_is_detected(decided, audit_keys, tmp_path):
    archived = checkpoint_archived(tmp_path)
    tamper(
        "UPDATE complaints_complaint SET description = %s WHERE id = %s",
        ["Nothing happened, everything was fine.", decided.pk],
    )
    breaks = list(audit.verify_chains())  # caught even without a checkpoint
    assert [b.reason for b in breaks] == ["the complaint's content no longer matches its chain (as of #5)"]
    verify_audit_fails("content no longer matches its chain")
    case, _ = export(decided, tmp_path)
    verdict = run_standalone(tmp_path, case, audit_keys.public, [archived])
    assert verdict.returncode == 1
    assert "content no longer matches its chain" in verdict.output


def test_content_edit_covered_by_a_forged_new_event_is_detected(decided, audit_keys, tmp_path):
    """The editor appends an event attesting the new content: content may change only on an edit action."""
    archived = checkpoint_archived(tmp_path)
    tamper("UPDATE complaints_complaint SET place_text = %s WHERE id = %s", ["elsewhere", decided.pk])
    fresh = Complaint.objects.select_related("category").get(pk=decided.pk)
    audit.audit_append(complaint=fresh, action="note", actor_label="reviewer", payload={"visibility": "internal"})
    verify_audit_fails("content changed at a “note” event")
    case, _ = export(decided, tmp_path)
    verdict = run_standalone(tmp_path, case, audit_keys.public, [archived])
    assert verdict.returncode == 1
    assert "content changed at a “note” event" in verdict.output


def test_evidence_swap_is_detected(decided, audit_keys, tmp_path):
    """Another file in place of the original, its row's SHA-256 updated to match."""
    archived = checkpoint_archived(tmp_path)
    evidence = Evidence.objects.get(complaint=decided)
    other = png_bytes(color=(10, 200, 10))
    with evidence.file.storage.open(evidence.file.name, "wb") as fh:
        fh.write(other)
    tamper("UPDATE complaints_evidence SET sha256 = %s WHERE id = %s", [hashlib.sha256(other).hexdigest(), evidence.pk])
    verify_audit_fails("evidence no longer matches its chain")
    case, files = export(decided, tmp_path, with_files=True)
    verdict = run_standalone(tmp_path, case, audit_keys.public, [archived], files)
    assert verdict.returncode == 1
    assert "evidence no longer matches its chain" in verdict.output


def test_evidence_file_replaced_under_its_row_is_detected(decided, audit_keys, tmp_path):
    """Only the file changes (the row keeps the original SHA-256)."""
    archived = checkpoint_archived(tmp_path)
    evidence = Evidence.objects.get(complaint=decided)
    with evidence.file.storage.open(evidence.file.name, "wb") as fh:
        fh.write(png_bytes(color=(10, 10, 200)))
    verify_audit_fails("file does not match its SHA-256")
    call_command("verify_audit", "--skip-files")  # the rows alone still agree with the chain
    case, files = export(decided, tmp_path, with_files=True)
    verdict = run_standalone(tmp_path, case, audit_keys.public, [archived], files)
    assert verdict.returncode == 1
    assert "does not match its SHA-256" in verdict.output


def test_a_tampered_stored_checkpoint_is_refused(decided, audit_keys, tmp_path):
    """Rewriting a chain and the stored checkpoint's heads to match: the signature or the root fails."""
    archived = checkpoint_archived(tmp_path)
    rewrite_and_recompute(decided, 3, payload={"comment": "nothing to see"})
    head = AuditEvent.objects.get(complaint=decided, seq=5).hash
    tamper("UPDATE complaints_checkpoint SET heads = %s WHERE serial = 1", [f'[[{decided.pk}, 5, "{head}"]]'])
    verify_audit_fails("does not match the signed Merkle root")
    verify_audit_fails("rewritten", "--checkpoint", str(archived))  # the archived copy is what counts
