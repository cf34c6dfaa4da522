"""Importing a case file into this instance: every hash checked first, then the case recreated in one transaction.

Checks, before anything is stored, each refusal naming the file: the archive is a ZIP
within the limits; every member is in the manifest and every manifest entry is in the
archive, with its SHA-256 and size; ``case.json`` follows the schema, and every file it
names is in the manifest under the same hash; ``audit.json``'s chain links and attests the
same content and evidence as ``case.json`` (and, given trusted keys, its checkpoint's
signature verifies). Then the election, category, territory and polling station are
found by code (a missing one is refused, named), and the receipt code must be free.

Importing the same case again (same receipt code, same source chain head) creates
nothing. The imported complaint gets a new chain here, starting with an ``imported``
event that records the archive's SHA-256 and the source chain's head; its evidence is
attached through ``services.evidence`` (each file inspected and hashed as on upload).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

import complaints.casefile.layout as layout
from complaints import integrity, legal_workflow, workflow
from complaints.access import access_for
from complaints.audit import audit_append
from complaints.casefile.schema import CASE_FORMAT, MANIFEST_FORMAT, schema_errors
from complaints.errors import ValidationFailed
from complaints.models import (
    AuditEvent,
    Authority,
    CaseDeadline,
    CaseDeadlineState,
    Category,
    Complaint,
    DeadlineKind,
    Decision,
    Election,
    Evidence,
    GeneratedDocument,
    PollingStation,
    Reporter,
    Respondent,
    RespondentReply,
    Submission,
    SubmissionState,
    TerritorialUnit,
)
from complaints.models.complaint import SLA_RUNNING_STATUSES
from complaints.services._common import sla_due
from complaints.services.evidence import attach_upload, evidence_inspect
from complaints.services.files import files_follow_transaction, store_file
from complaints.services.search import search_index_refresh

IMPORTED_ACTION = "imported"
OPEN_SUBMISSION_STATES = frozenset(
    {SubmissionState.FILED, SubmissionState.REGISTERED, SubmissionState.UNDER_CONSIDERATION}
)


class CaseFileRefused(ValidationFailed):
    """The case file does not verify, or does not fit this instance; the message names the file or the record."""

    code = "case_file_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, "file")


class ImportNotAllowed(workflow.NotAllowed):
    """The importing user may not create a complaint there."""


@dataclass
class Verified:
    """A case file whose every hash checked out."""

    sha256: str
    case: dict[str, Any]
    audit: dict[str, Any]
    manifest: dict[str, Any]


@dataclass
class ImportResult:
    complaint: Complaint
    created: bool
    notes: list[str] = field(default_factory=list)


# --- verification ------------------------------------------------------------------------


def _sha256_of(source: IO[bytes]) -> str:
    source.seek(0)
    sha, _size = layout.copy_hashing(source, None)
    source.seek(0)
    return sha


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > layout.MAX_MEMBERS:
        raise CaseFileRefused(
            _("The archive holds %(n)s files; a case file holds at most %(max)s.")
            % {"n": len(infos), "max": layout.MAX_MEMBERS}
        )
    if sum(i.file_size for i in infos) > layout.max_total_bytes():
        raise CaseFileRefused(
            _("The archive unpacks to more than %(max)s MB; it is not imported.")
            % {"max": layout.max_total_bytes() // 2**20}
        )
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        path = PurePosixPath(info.filename)
        if info.filename in members or path.is_absolute() or ".." in path.parts or "\\" in info.filename:
            raise CaseFileRefused(
                _("%(file)s: not a name a case file uses; the archive is not imported.") % {"file": info.filename}
            )
        members[info.filename] = info
    return members


def _read_json(archive: zipfile.ZipFile, members: Mapping[str, zipfile.ZipInfo], name: str) -> Any:
    info = members.get(name)
    if info is None:
        raise CaseFileRefused(_("%(file)s is missing: this is not a case file of the registry.") % {"file": name})
    if info.file_size > layout.max_json_bytes():
        raise CaseFileRefused(_("%(file)s is too large for a case file.") % {"file": name})
    try:
        return json.loads(archive.read(info).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CaseFileRefused(_("%(file)s: not valid JSON (%(error)s).") % {"file": name, "error": exc}) from None
    except zipfile.BadZipFile as exc:
        raise _damaged(name, exc) from None


def _damaged(name: str, exc: Exception) -> CaseFileRefused:
    return CaseFileRefused(_("%(file)s: the archive is damaged (%(error)s).") % {"file": name, "error": exc})


def _manifest_entries(manifest: Any) -> dict[str, dict[str, Any]]:
    shaped = (
        isinstance(manifest, dict)
        and manifest.get("format") == MANIFEST_FORMAT
        and isinstance(manifest.get("files"), list)
        and all(
            isinstance(f, dict)
            and isinstance(f.get("path"), str)
            and isinstance(f.get("sha256"), str)
            and isinstance(f.get("size"), int)
            for f in manifest["files"]
        )
    )
    if not shaped:
        raise CaseFileRefused(_("%(file)s: not a case-file manifest.") % {"file": layout.MANIFEST_NAME})
    entries = {f["path"]: f for f in manifest["files"]}
    if len(entries) != len(manifest["files"]):
        raise CaseFileRefused(_("%(file)s lists a file twice.") % {"file": layout.MANIFEST_NAME})
    return entries


def _check_members(
    archive: zipfile.ZipFile, members: Mapping[str, zipfile.ZipInfo], entries: Mapping[str, Mapping[str, Any]]
) -> None:
    """Every file in the archive against the manifest, and the other way round."""
    for name in members:
        if name != layout.MANIFEST_NAME and name not in entries:
            raise CaseFileRefused(_("%(file)s: in the archive but not in the manifest.") % {"file": name})
    for name, entry in entries.items():
        info = members.get(name)
        if info is None:
            raise CaseFileRefused(_("%(file)s: listed in the manifest but missing from the archive.") % {"file": name})
        try:
            with archive.open(info) as src:
                sha, size = layout.copy_hashing(src, None)
        except (zipfile.BadZipFile, OSError) as exc:
            raise _damaged(name, exc) from None
        if sha != entry["sha256"]:
            raise CaseFileRefused(_("%(file)s: SHA-256 does not match the manifest.") % {"file": name})
        if size != entry["size"]:
            raise CaseFileRefused(_("%(file)s: size does not match the manifest.") % {"file": name})


def case_files(case: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every file object case.json names: evidence, decision documents, reply files, generated documents."""
    yield from case["evidence"]
    for submission in case["submissions"]:
        decision = submission.get("decision")
        if decision and decision.get("file"):
            yield decision["file"]
    for respondent in case["respondents"]:
        for reply in respondent["replies"]:
            if reply.get("file"):
                yield reply["file"]
    for document in case["documents"]:
        yield document["file"]


def _check_case(case: Any, entries: Mapping[str, Mapping[str, Any]], manifest: Mapping[str, Any]) -> None:
    if manifest.get("case") != entries.get(layout.CASE_NAME):
        raise CaseFileRefused(
            _("%(file)s: the manifest's own entry for it disagrees with its list.") % {"file": layout.CASE_NAME}
        )
    problems = schema_errors(case) if isinstance(case, dict) and case.get("format") == CASE_FORMAT else []
    if not isinstance(case, dict) or case.get("format") != CASE_FORMAT or problems:
        raise CaseFileRefused(
            _("%(file)s does not follow the case-file schema v1: %(problems)s")
            % {"file": layout.CASE_NAME, "problems": "; ".join(problems) or _("not a case file")}
        )
    seen: set[str] = set()
    for item in case_files(case):
        path = item["path"]
        entry = entries.get(path)
        if entry is None:
            raise CaseFileRefused(_("%(file)s: named in case.json but not in the manifest.") % {"file": path})
        if path in seen:
            raise CaseFileRefused(_("%(file)s: named twice in case.json.") % {"file": path})
        seen.add(path)
        if entry["sha256"] != item["sha256"] or entry["size"] != item["size"]:
            raise CaseFileRefused(
                _("%(file)s: case.json gives another SHA-256 or size than the manifest.") % {"file": path}
            )


def _same_moment(a: str, b: str) -> bool:
    try:
        return datetime.fromisoformat(a) == datetime.fromisoformat(b)
    except ValueError:
        return False


def _check_audit(audit: Any, case: Mapping[str, Any], keys: list[Any]) -> None:
    """The chain links, and attests what case.json states; with trusted keys, its checkpoint is signed by them."""
    name = layout.AUDIT_NAME
    if not isinstance(audit, dict) or audit.get("format") != integrity.EXPORT_FORMAT:
        raise CaseFileRefused(_("%(file)s: not an audit export of the registry.") % {"file": name})
    try:
        checker = integrity.ChainChecker()
        for record in audit["events"]:
            reason = checker.feed(record)
            if reason:
                raise CaseFileRefused(
                    _("%(file)s: event #%(seq)s %(reason)s.")
                    % {"file": name, "seq": record.get("seq"), "reason": reason}
                )
        content = audit["complaint"]["content"]
        stated = integrity.content_hash(content)
        evidence = [item["sha256"] for item in audit["evidence"]]
        problems = checker.finish(stated, evidence)
        if keys:
            problems += integrity.verify_case(audit, keys)[0]
    except (KeyError, TypeError, ValueError) as exc:
        raise CaseFileRefused(_("%(file)s: incomplete (%(error)s).") % {"file": name, "error": exc}) from None
    if problems:
        raise CaseFileRefused(_("%(file)s: %(problem)s.") % {"file": name, "problem": problems[0]})
    complaint, head = case["complaint"], case["chain"]
    agrees = (
        audit["complaint"].get("code") == complaint["code"]
        and content["description"] == complaint["description"]
        and content["place_text"] == complaint["place_text"]
        and content["category"] == complaint["category"]["code"]
        and _same_moment(content["occurred_at"], complaint["occurred_at"])
        and evidence == [item["sha256"] for item in case["evidence"]]
        and (checker.hashes[-1:] or [""])[0] == head["hash"]
        and len(checker.hashes) == head["seq"]
    )
    if not agrees:
        raise CaseFileRefused(
            _("%(file)s and %(case)s disagree: the complaint or its evidence is not the one its audit chain attests.")
            % {"file": name, "case": layout.CASE_NAME}
        )


def _open(source: IO[bytes]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        raise CaseFileRefused(
            _("The file is not a ZIP archive: a case file is the .zip the registry exports.")
        ) from None


def _verify(archive: zipfile.ZipFile, sha: str, keys: list[Any]) -> Verified:
    members = _members(archive)
    manifest = _read_json(archive, members, layout.MANIFEST_NAME)
    entries = _manifest_entries(manifest)
    _check_members(archive, members, entries)
    case = _read_json(archive, members, layout.CASE_NAME)
    _check_case(case, entries, manifest)
    audit = _read_json(archive, members, layout.AUDIT_NAME)
    _check_audit(audit, case, keys)
    return Verified(sha256=sha, case=case, audit=audit, manifest=manifest)


def case_file_verify(source: IO[bytes], *, keys: list[Any] | None = None) -> Verified:
    """Check a case file (a seekable binary stream) completely; raise CaseFileRefused naming what does not verify."""
    sha = _sha256_of(source)
    with _open(source) as archive:
        return _verify(archive, sha, list(keys or []))


# --- what the case refers to, found here by code ---------------------------------------------


@dataclass
class References:
    election: Election
    category: Category
    unit: TerritorialUnit | None
    station: PollingStation | None
    duplicate_of: Complaint | None
    authorities: dict[str, Authority]


def _missing(what: str, code: str) -> CaseFileRefused:
    return CaseFileRefused(
        _(
            "%(file)s: %(what)s “%(code)s” does not exist in this registry. Add it with the same code "
            "(or load the same reference data) and import again."
        )
        % {"file": layout.CASE_NAME, "what": what, "code": code}
    )


def _resolve(case: Mapping[str, Any]) -> References:
    data = case["complaint"]
    election = Election.objects.filter(slug=data["election"]["slug"]).first()
    if election is None:
        raise _missing(_("the election"), data["election"]["slug"])
    category = Category.objects.filter(code=data["category"]["code"]).first()
    if category is None:
        raise _missing(_("the category"), data["category"]["code"])
    unit = None
    if data["unit"]:
        unit = TerritorialUnit.objects.filter(code=data["unit"]["code"]).first()
        if unit is None:
            raise _missing(_("the territorial unit"), data["unit"]["code"])
    station = None
    if data["polling_station"]:
        ps = data["polling_station"]
        station = (
            PollingStation.objects.filter(unit__code=ps["unit"], number=ps["number"]).select_related("unit").first()
        )
        if station is None:
            raise _missing(_("the polling station"), f"{ps['unit']} №{ps['number']}")
    duplicate_of = None
    if data["duplicate_of"]:
        duplicate_of = Complaint.objects.filter(code=data["duplicate_of"]).first()
        if duplicate_of is None:
            raise _missing(_("the original complaint of this duplicate"), data["duplicate_of"])
    codes = {s["authority"]["code"] for s in case["submissions"] if s["authority"]}
    authorities = {a.code: a for a in Authority.objects.filter(code__in=codes)}
    return References(election, category, unit, station, duplicate_of, authorities)


def _already_imported(verified: Verified) -> Complaint | None:
    """The complaint this very case became here before; refuse a receipt code used otherwise."""
    code = verified.case["complaint"]["code"]
    existing = Complaint.objects.filter(code=code).first()
    if existing is None:
        return None
    first = AuditEvent.objects.filter(complaint=existing, seq=1).first()
    source: dict[str, Any] | None = None
    if first is not None and first.action == IMPORTED_ACTION and isinstance(first.payload, dict):
        source = first.payload.get("source_chain")
    head = verified.case["chain"]
    if source and source.get("hash") == head["hash"] and source.get("seq") == head["seq"]:
        return existing
    if source:
        raise CaseFileRefused(
            _(
                "Receipt code %(code)s was imported here before from another export of this case (its chain then "
                "ended at #%(seq)s). A later export is not merged into it; nothing was imported."
            )
            % {"code": code, "seq": source.get("seq")}
        )
    raise CaseFileRefused(
        _("Receipt code %(code)s is already used by another complaint in this registry; nothing was imported.")
        % {"code": code}
    )


def _check_actor(actor: Any, unit_path: str) -> None:
    """Through the API: a coordinator (or admin) whose scope covers where it happened."""
    if actor is None:
        return
    access = access_for(actor)
    if not access.staff_roles & workflow.SENIOR:
        raise ImportNotAllowed(_("Only coordinators and admins import case files."))
    if not access.covers(unit_path):
        raise ImportNotAllowed(_("This case happened outside your territory; a coordinator there may import it."))


# --- creating the case --------------------------------------------------------------------


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _day(value: str) -> date:
    return date.fromisoformat(value)


class _Files:
    """Members of the archive as uploads, and the files this import stored (removed if it fails)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.spools: list[IO[bytes]] = []

    def upload(self, item: Mapping[str, Any]) -> UploadedFile:
        # Closed when the import ends (``removed_on_failure``): the storage reads it after this returns.
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)  # noqa: SIM115
        self.spools.append(spool)
        with self.archive.open(item["path"]) as src:
            sha, size = layout.copy_hashing(src, spool)
        if sha != item["sha256"]:  # checked already; the archive changed under us
            raise CaseFileRefused(_("%(file)s: SHA-256 does not match the manifest.") % {"file": item["path"]})
        spool.seek(0)
        return UploadedFile(
            file=spool,
            name=item["name"] or PurePosixPath(item["path"]).name,
            content_type=item["content_type"],
            size=size,
        )

    def store(self, fieldfile: FieldFile, item: Mapping[str, Any], inspect: bool = True) -> None:
        """Keep a decision, reply or document file through the storage API; return nothing, set the name."""
        upload = self.upload(item)
        extension = PurePosixPath(item["name"] or item["path"]).suffix.lstrip(".").lower()[:10] or "bin"
        if inspect:  # refused like an upload when its bytes are not what they claim
            extension = evidence_inspect(upload).extension
        # Deleted by the enclosing files_follow_transaction if the import does not commit.
        store_file(fieldfile, f"{uuid.uuid4().hex}.{extension}", upload)

    @contextlib.contextmanager
    def removed_on_failure(self) -> Iterator[None]:
        """Close the spooled copies when the import ends (its stored files follow the transaction)."""
        try:
            yield
        finally:
            for spool in self.spools:
                spool.close()


def _complaint(case: Mapping[str, Any], refs: References) -> Complaint:
    data = case["complaint"]
    unit = refs.unit or (refs.station.unit if refs.station else None)
    severity = int(data["severity"])
    now = timezone.now()
    complaint = Complaint(
        code=data["code"],
        election=refs.election,
        category=refs.category,
        polling_station=refs.station,
        unit=unit,
        unit_path=unit.path if unit else "",
        place_text=data["place_text"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        description=data["description"],
        severity=severity,
        status=data["status"],
        channel=data["channel"],
        due_at=sla_due(severity, now) if data["status"] in SLA_RUNNING_STATUSES else None,
        duplicate_of=refs.duplicate_of,
    )
    complaint.save(force_insert=True)
    # The filing time stays the source's: it is when the complaint was made (the chain says when it came here).
    complaint.created_at = _moment(data["created_at"]) or now
    Complaint.objects.filter(pk=complaint.pk).update(created_at=complaint.created_at)
    reporter = case["reporter"]
    identity = bool(reporter["identity_included"])
    complaint.reporter = Reporter.objects.create(
        complaint=complaint,
        is_anonymous=reporter["anonymous"],
        full_name=reporter.get("full_name", "") if identity else "",
        email=reporter.get("email", "") if identity else "",
        phone=reporter.get("phone", "") if identity else "",
        language=reporter["language"],
    )
    return complaint


def _imported_payload(verified: Verified, actor_note: str) -> dict[str, Any]:
    case = verified.case
    checkpoints = verified.audit.get("checkpoints") or []
    return {
        "source_file_sha256": verified.sha256,
        "case_json_sha256": verified.manifest["case"]["sha256"],
        "source_chain": {
            "complaint_id": case["chain"]["complaint_id"],
            "seq": case["chain"]["seq"],
            "hash": case["chain"]["hash"],
        },
        "source_checkpoint": checkpoints[0]["statement"].get("serial") if checkpoints else None,
        "format": case["schema"],
        "identity_included": bool(case["reporter"]["identity_included"]),
        "files": {item["path"]: item["sha256"] for item in case_files(case)},
        "by": actor_note,
    }


def _evidence(complaint: Complaint, case: Mapping[str, Any], files: _Files, user: Any) -> None:
    for item in case["evidence"]:
        evidence = attach_upload(complaint=complaint, upload=files.upload(item), user=user)
        if evidence.sha256 != item["sha256"]:
            raise CaseFileRefused(_("%(file)s: SHA-256 does not match the manifest.") % {"file": item["path"]})
        Evidence.objects.filter(pk=evidence.pk).update(uploaded_at=_moment(item["uploaded_at"]))


def _submissions(
    complaint: Complaint, case: Mapping[str, Any], refs: References, files: _Files, user: Any, notes: list[str]
) -> None:
    made: dict[int, Submission] = {}
    now = timezone.now()
    for data in case["submissions"]:
        authority = refs.authorities.get(data["authority"]["code"]) if data["authority"] else None
        text = data["authority_text"]
        if data["authority"] and authority is None:
            text = text or data["authority"]["name"]
            notes.append(
                _("The authority “%(code)s” is not in this register; its name is kept as written.")
                % {"code": data["authority"]["code"]}
            )
        appeal_of = None
        if data["appeal_of"] is not None:
            appeal_of = made.get(data["appeal_of"])
            if appeal_of is None:
                raise CaseFileRefused(
                    _("%(file)s: submission %(n)s appeals submission %(of)s, which does not come before it.")
                    % {"file": layout.CASE_NAME, "n": data["id"], "of": data["appeal_of"]}
                )
        submission = Submission.objects.create(
            complaint=complaint,
            authority=authority,
            authority_text=text,
            channel=data["channel"],
            submitted_at=datetime.fromisoformat(data["submitted_at"]),
            registration_number=data["registration_number"],
            document_sha256=data["document_sha256"],
            state=data["state"],
            answer_due_at=_moment(data["answer_due_at"]),
            appeal_of=appeal_of,
            created_by=user,
        )
        Submission.objects.filter(pk=submission.pk).update(created_at=_moment(data["created_at"]))
        submission.also_covers.set(Complaint.objects.filter(code__in=data["also_covers"]))
        made[data["id"]] = submission
        if data["state"] in OPEN_SUBMISSION_STATES:
            _open_clock(complaint, submission, DeadlineKind.ANSWER, submission.answer_due_at, now)
        if data["decision"]:
            _decision(submission, data["decision"], files, user)
    for data in case["submissions"]:
        decision = data["decision"]
        challenged = any(other["appeal_of"] == data["id"] for other in case["submissions"])
        if decision and decision["result"] in legal_workflow.APPEALABLE_RESULTS and not challenged:
            _open_clock(complaint, made[data["id"]], DeadlineKind.APPEAL, _moment(decision["appeal_due_at"]), now)


def _open_clock(complaint: Complaint, submission: Submission, kind: str, due: datetime | None, now: datetime) -> None:
    """A running clock still ahead (one already past is left to the people taking the case over)."""
    if due is not None and due > now:
        CaseDeadline.objects.create(
            complaint=complaint, submission=submission, kind=kind, due_at=due, state=CaseDeadlineState.OPEN
        )


def _decision(submission: Submission, data: Mapping[str, Any], files: _Files, user: Any) -> None:
    decision = Decision(
        submission=submission,
        result=data["result"],
        decided_on=_day(data["decided_on"]),
        text=data["text"],
        appeal_due_at=_moment(data["appeal_due_at"]),
        recorded_by=user,
    )
    if data["file"]:
        _keep(decision, data["file"], files)
    decision.save(force_insert=True)
    Decision.objects.filter(pk=decision.pk).update(recorded_at=_moment(data["recorded_at"]))


def _keep(obj: Decision | RespondentReply, item: Mapping[str, Any], files: _Files) -> None:
    files.store(obj.file, item)
    obj.sha256, obj.size = item["sha256"], item["size"]
    obj.content_type, obj.original_name = item["content_type"], item["name"]


def _respondents(complaint: Complaint, case: Mapping[str, Any], files: _Files, user: Any) -> None:
    for data in case["respondents"]:
        respondent = Respondent.objects.create(
            complaint=complaint, kind=data["kind"], name=data["name"], description=data["description"], created_by=user
        )
        Respondent.objects.filter(pk=respondent.pk).update(created_at=_moment(data["created_at"]))
        for reply_data in data["replies"]:
            reply = RespondentReply(
                respondent=respondent,
                received_on=_day(reply_data["received_on"]),
                text=reply_data["text"],
                recorded_by=user,
            )
            if reply_data["file"]:
                _keep(reply, reply_data["file"], files)
            reply.save(force_insert=True)
            RespondentReply.objects.filter(pk=reply.pk).update(recorded_at=_moment(reply_data["recorded_at"]))


def _documents(complaint: Complaint, case: Mapping[str, Any], files: _Files) -> None:
    for data in case["documents"]:
        item = data["file"]
        document = GeneratedDocument(
            complaint=complaint,
            version=data["version"],
            language=data["language"],
            format=data["format"],
            sha256=item["sha256"],
            size=item["size"],
            options=data["options"],
        )
        # A generated PDF or DOCX is not evidence (a DOCX is a ZIP): its hash is what is checked.
        files.store(document.file, item, inspect=False)
        document.save(force_insert=True)
        GeneratedDocument.objects.filter(pk=document.pk).update(created_at=_moment(data["created_at"]))
        document.related.set(Complaint.objects.filter(code__in=data["related"]))


def _create(verified: Verified, refs: References, archive: zipfile.ZipFile, actor: Any) -> ImportResult:
    case, notes = verified.case, list[str]()
    user = actor if getattr(actor, "is_authenticated", False) else None
    files = _Files(archive)
    with files.removed_on_failure(), files_follow_transaction():
        complaint = _complaint(case, refs)
        audit_append(
            complaint=complaint,
            action=IMPORTED_ACTION,
            first=True,
            actor=user,
            actor_label="" if user else "import",
            to_status=complaint.status,
            payload=_imported_payload(verified, "" if user else "manage.py import_case"),
        )
        _evidence(complaint, case, files, user)
        _submissions(complaint, case, refs, files, user, notes)
        _respondents(complaint, case, files, user)
        _documents(complaint, case, files)
        search_index_refresh(complaint_ids=[complaint.pk])
    return ImportResult(complaint=complaint, created=True, notes=notes)


def case_file_import(*, source: IO[bytes], actor: Any = None, keys: list[Any] | None = None) -> ImportResult:
    """Verify a case file completely, then recreate the case here (or find it, if this very file came before)."""
    sha = _sha256_of(source)
    with _open(source) as archive:
        verified = _verify(archive, sha, list(keys or []))
        existing = _already_imported(verified)
        if existing is not None:
            return ImportResult(complaint=existing, created=False)
        refs = _resolve(verified.case)
        unit = refs.unit or (refs.station.unit if refs.station else None)
        _check_actor(actor, unit.path if unit else "")
        try:
            return _create(verified, refs, archive, actor)
        except IntegrityError:  # the same code imported at the same moment by someone else
            existing = _already_imported(verified)
            if existing is None:
                raise
            return ImportResult(complaint=existing, created=False)
