"""Exporting one complaint as a case file: case.json (the schema), every original file, audit.json, the manifest.

The archive (ZIP) holds:

- ``case.json``: the case in the exchange format (``schema/case-v1.json``);
- ``evidence/NN-name``, ``decisions/NN-name``, ``replies/NN-MM-name``, ``documents/<file>``:
  every evidence original, decision document, respondent's reply file and generated document;
- ``audit.json``: the complaint's audit chain with the latest signed checkpoint covering it and
  its Merkle inclusion proof (``selectors.audit_export.case_export``), which the standalone
  verifier checks offline, and ``audit-public-key.pem``, this instance's public key (to compare
  with the published one: the verifier trusts only a key it is given);
- ``manifest.json``: every other file's path, SHA-256 and size.

Names inside the archive are numbered by position, not database ids, so the same case
exported from two instances has the same names. Reporter identity is included only when
the exporter asks for it, holds the permission and says why: that is the audited reveal
of ``services.reporter_reveal``, recorded in the chain before the chain is exported.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import complaints.casefile.layout as layout
from complaints import services
from complaints.access import Actor
from complaints.casefile.schema import CASE_FORMAT, MANIFEST_FORMAT, SCHEMA_ID, SCHEMA_VERSION
from complaints.errors import ValidationFailed
from complaints.models import (
    Complaint,
    Evidence,
    GeneratedDocument,
    Reporter,
    Respondent,
    Submission,
)
from complaints.selectors.audit_export import case_export
from complaints.services.checkpoints import public_key_pem
from complaints.services.files import open_stored

README = """\
Case file of complaint {code}, exported {at}.

case.json      the case (JSON Schema: {schema}; docs/case_file.md)
manifest.json  every other file in this archive with its SHA-256 and size
audit.json     the complaint's audit chain and the signed checkpoint that covers it
audit-public-key.pem  the exporting registry's public key: compare it with the one it publishes

Verify offline (Python 3 and `pip install cryptography`), with the verifier published at
/audit/verify_case.py and the public key published at /audit/public-key:

    python verify_case.py THIS_FILE.zip --public-key audit-public-key.pem

It checks the chain, the checkpoint's signature and Merkle proof, and every file of the
manifest against its SHA-256.
"""


def _iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat()
    return moment.isoformat()


@dataclass(frozen=True)
class Entry:
    """A file to put in the archive: its name, the hash the registry recorded, where to read it."""

    path: str
    sha256: str
    size: int
    open: Callable[[], IO[bytes]]


@dataclass
class CaseFile:
    """What an export holds before it is written: the two JSON documents and the files."""

    code: str
    case: dict[str, Any]
    audit: dict[str, Any]
    entries: list[Entry] = field(default_factory=list)
    public_key: str = ""


def _file(entries: list[Entry], path: str, record: Any, *, name: str | None = None) -> dict[str, Any]:
    """A stored file of ``record`` (evidence, decision, reply, document: each has ``file``, ``sha256``,
    ``size`` and ``content_type``) listed in the manifest under ``path``, and its entry in case.json."""
    sha256, size, fieldfile = record.sha256, int(record.size or 0), record.file
    entries.append(Entry(path=path, sha256=sha256, size=size, open=lambda: open_stored(fieldfile)))
    name = name if name is not None else record.original_name
    return {"path": path, "sha256": sha256, "size": size, "content_type": record.content_type, "name": name}


def _complaint(complaint: Complaint) -> dict[str, Any]:
    unit, station = complaint.unit, complaint.polling_station
    return {
        "code": complaint.code,
        "election": {"slug": complaint.election.slug, "name": complaint.election.name},
        "category": {
            "code": complaint.category.code,
            "name": complaint.category.name,
            "legal_reference": complaint.category.legal_reference,
        },
        "unit": {"code": unit.code, "path": unit.path, "name": unit.name} if unit else None,
        "polling_station": (
            {"unit": station.unit.code, "number": station.number, "address": station.address} if station else None
        ),
        "place_text": complaint.place_text,
        "occurred_at": _iso(complaint.occurred_at),
        "description": complaint.description,
        "status": complaint.status,
        "severity": int(complaint.severity),
        "channel": complaint.channel,
        "created_at": _iso(complaint.created_at),
        "duplicate_of": complaint.duplicate_of.code if complaint.duplicate_of_id and complaint.duplicate_of else None,
    }


def _reporter(complaint: Complaint, revealed: Reporter | None) -> dict[str, Any]:
    # Read without the reveal only the two facts that are not identity.
    reporter = Reporter.objects.filter(complaint=complaint).values_list("is_anonymous", "language").first()
    anonymous, language = reporter if reporter is not None else (True, "ru")
    data: dict[str, Any] = {
        "anonymous": bool(anonymous),
        "language": language,
        "identity_included": revealed is not None,
    }
    if revealed is not None:
        data.update(full_name=revealed.full_name, email=revealed.email, phone=revealed.phone)
    return data


def _evidence(complaint: Complaint, entries: list[Entry]) -> list[dict[str, Any]]:
    items = []
    for n, e in enumerate(Evidence.objects.filter(complaint=complaint).order_by("pk"), start=1):
        path = f"evidence/{n:02d}-{layout.safe_name(e.original_name)}"
        item = _file(entries, path, e)
        items.append({**item, "uploaded_at": _iso(e.uploaded_at)})
    return items


def _submissions(complaint: Complaint, entries: list[Entry]) -> list[dict[str, Any]]:
    rows = list(
        Submission.objects.filter(complaint=complaint)
        .select_related("authority", "decision")
        .prefetch_related("also_covers")
        .order_by("submitted_at", "pk")
    )
    number = {s.pk: n for n, s in enumerate(rows, start=1)}
    items = []
    for n, s in enumerate(rows, start=1):
        a = s.authority
        decision = getattr(s, "decision", None)
        items.append(
            {
                "id": n,
                "authority": {"code": a.code, "kind": a.kind, "level": a.level, "name": a.name} if a else None,
                "authority_text": s.authority_text,
                "channel": s.channel,
                "submitted_at": _iso(s.submitted_at),
                "registration_number": s.registration_number,
                "document_sha256": s.document_sha256,
                "state": s.state,
                "answer_due_at": _iso(s.answer_due_at),
                "appeal_of": number.get(s.appeal_of_id) if s.appeal_of_id else None,
                "also_covers": sorted(c.code for c in s.also_covers.all()),
                "created_at": _iso(s.created_at),
                "decision": _decision(decision, n, entries) if decision else None,
            }
        )
    return items


def _decision(decision: Any, n: int, entries: list[Entry]) -> dict[str, Any]:
    file = None
    if decision.file:
        path = f"decisions/{n:02d}-{layout.safe_name(decision.original_name or 'decision')}"
        file = _file(entries, path, decision)
    return {
        "result": decision.result,
        "decided_on": _iso(decision.decided_on),
        "text": decision.text,
        "file": file,
        "appeal_due_at": _iso(decision.appeal_due_at),
        "recorded_at": _iso(decision.recorded_at),
    }


def _respondents(complaint: Complaint, entries: list[Entry]) -> list[dict[str, Any]]:
    items = []
    rows = Respondent.objects.filter(complaint=complaint).prefetch_related("replies").order_by("created_at", "pk")
    for n, r in enumerate(rows, start=1):
        replies = []
        for m, reply in enumerate(sorted(r.replies.all(), key=lambda x: (x.received_on, x.pk)), start=1):
            file = None
            if reply.file:
                path = f"replies/{n:02d}-{m:02d}-{layout.safe_name(reply.original_name or 'reply')}"
                file = _file(entries, path, reply)
            replies.append(
                {
                    "received_on": _iso(reply.received_on),
                    "text": reply.text,
                    "file": file,
                    "recorded_at": _iso(reply.recorded_at),
                }
            )
        items.append(
            {
                "kind": r.kind,
                "name": r.name,
                "description": r.description,
                "created_at": _iso(r.created_at),
                "replies": replies,
            }
        )
    return items


def _documents(complaint: Complaint, entries: list[Entry]) -> list[dict[str, Any]]:
    """The documents made with this complaint as the main one (one covering it beside another travels with that one)."""
    items = []
    rows = GeneratedDocument.objects.filter(complaint=complaint).prefetch_related("related").order_by("version")
    for doc in rows:
        path = f"documents/{layout.safe_name(doc.filename)}"
        file = _file(entries, path, doc, name=doc.filename)
        items.append(
            {
                "version": doc.version,
                "language": doc.language,
                "format": doc.format,
                "file": file,
                "options": doc.options,
                "related": sorted(c.code for c in doc.related.all()),
                "created_at": _iso(doc.created_at),
            }
        )
    return items


def case_file_build(
    *, complaint: Complaint, actor: Actor | None = None, include_identity: bool = False, purpose: str = ""
) -> CaseFile:
    """Read the case (and, if asked and allowed, reveal the identity, audited) in one transaction."""
    if include_identity and actor is None:
        raise ValidationFailed(_("Say who exports the reporter's identity: only a permitted user may."), "identity")
    with transaction.atomic():
        revealed = (
            services.reporter_reveal(complaint=complaint, actor=actor, purpose=purpose)
            if include_identity and actor is not None
            else None
        )
        complaint = Complaint.objects.select_related(
            "election", "category", "unit", "polling_station__unit", "duplicate_of"
        ).get(pk=complaint.pk)
        audit = case_export(complaint)
        entries: list[Entry] = []
        events = audit["events"]
        case = {
            "format": CASE_FORMAT,
            "version": SCHEMA_VERSION,
            "schema": SCHEMA_ID,
            "exported_at": audit["exported_at"],
            "complaint": _complaint(complaint),
            "reporter": _reporter(complaint, revealed),
            "evidence": _evidence(complaint, entries),
            "submissions": _submissions(complaint, entries),
            "respondents": _respondents(complaint, entries),
            "documents": _documents(complaint, entries),
            "chain": {
                "complaint_id": complaint.pk,
                "seq": events[-1]["seq"] if events else 0,
                "hash": events[-1]["hash"] if events else "",
            },
        }
    return CaseFile(code=complaint.code, case=case, audit=audit, entries=entries, public_key=public_key_pem())


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode()


def _zip_info(name: str, when: datetime, compress: bool) -> zipfile.ZipInfo:
    local = timezone.localtime(when)
    info = zipfile.ZipInfo(
        name, date_time=(max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)
    )
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


class StoredFileChanged(ValidationFailed):
    """A stored file no longer has the SHA-256 the registry recorded: it is not exported as if it were the original."""

    code = "file_changed"


def case_file_write(casefile: CaseFile, out: IO[bytes]) -> dict[str, Any]:
    """Write the archive to ``out``; return the manifest. Each file is hashed as it is copied."""
    when = datetime.fromisoformat(casefile.case["exported_at"])
    listed: list[dict[str, Any]] = []
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        small = {
            layout.CASE_NAME: _json_bytes(casefile.case),
            layout.AUDIT_NAME: _json_bytes(casefile.audit),
            layout.PUBLIC_KEY_NAME: casefile.public_key.encode(),
            layout.README_NAME: README.format(
                code=casefile.code, at=casefile.case["exported_at"], schema=SCHEMA_ID
            ).encode(),
        }
        for name, data in small.items():
            archive.writestr(_zip_info(name, when, compress=True), data)
            listed.append({"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        for entry in casefile.entries:
            with (
                entry.open() as src,
                archive.open(_zip_info(entry.path, when, compress=False), "w", force_zip64=True) as dst,
            ):
                sha, size = layout.copy_hashing(src, dst)
            if sha != entry.sha256 or size != entry.size:
                raise StoredFileChanged(
                    _(
                        "%(file)s: the stored file no longer matches the SHA-256 the registry recorded for it "
                        "(run manage.py verify_audit); the case file was not made."
                    )
                    % {"file": entry.path},
                    "file",
                )
            listed.append({"path": entry.path, "sha256": sha, "size": size})
        manifest = {
            "format": MANIFEST_FORMAT,
            "version": SCHEMA_VERSION,
            "complaint": casefile.code,
            "case": next(item for item in listed if item["path"] == layout.CASE_NAME),
            "files": listed,
        }
        archive.writestr(_zip_info(layout.MANIFEST_NAME, when, compress=True), _json_bytes(manifest))
    return manifest
