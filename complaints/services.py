"""Every write the registry makes. Keyword-only, typed, one transaction each.

Each service locks what it changes, validates against the workflow, appends the audit
event and writes the outbox rows in the same transaction, and only then commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import workflow
from complaints.access import GROUP_REVIEWER, can_view_identity, roles_for, staff_in_scope
from complaints.audit import audit_append
from complaints.models import (
    Category,
    Channel,
    Complaint,
    Election,
    ElectionStatus,
    Evidence,
    Note,
    NoteVisibility,
    PollingStation,
    Reporter,
    Status,
    TerritorialUnit,
)
from complaints.notifications.outbox import outbox_record
from complaints.workflow import Requirement, Role


class ServiceError(Exception):
    """A refusal with a message for humans and a stable ``code`` for machines."""

    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(ServiceError):
    code = "invalid"


class StaleVersion(ServiceError):
    code = "stale_version"

    def __init__(self, message: str, current_status: str, current_version: int) -> None:
        super().__init__(message)
        self.current_status = current_status
        self.current_version = current_version


class ComplaintClosed(ServiceError):
    """The complaint is closed or withdrawn: a state conflict (HTTP 409), not bad input."""

    code = "complaint_closed"


class EvidenceRejected(ServiceError):
    code = "evidence_rejected"


class EvidenceTooLarge(EvidenceRejected):
    code = "too_large"


class EvidenceTypeNotAllowed(EvidenceRejected):
    code = "unsupported_type"


@dataclass(frozen=True)
class ComplainantActor:
    """An anonymous complainant who proved they hold the receipt code and secret."""

    complaint_id: int
    is_authenticated: bool = False
    pk: None = None


Actor = Any  # a User, or ComplainantActor


@dataclass(frozen=True)
class Filing:
    complaint: Complaint
    # The follow-up secret, shown to the filer once; only its hash is stored.
    secret: str


# --- helpers ------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _sla_due(severity: int, start: datetime) -> datetime:
    return start + timedelta(minutes=settings.SLA_MINUTES[int(severity)])


def _lock(complaint: Complaint, version: int | None) -> Complaint:
    """Re-read the complaint under a row lock and check the caller's version."""
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("reporter", "category", "election", "assignee")
        .get(pk=complaint.pk)
    )
    if version is not None and int(version) != locked.version:
        raise StaleVersion(
            _(
                "This complaint changed while you were looking at it: it is now “%(status)s” "
                "(version %(version)s). Reload it and try again."
            )
            % {"status": Status(locked.status).label, "version": locked.version},
            current_status=locked.status,
            current_version=locked.version,
        )
    return locked


def _save(complaint: Complaint, fields: list[str]) -> None:
    complaint.version += 1
    complaint.save(update_fields=[*fields, "version", "updated_at"])


def _roles(actor: Actor, complaint: Complaint) -> set[Role]:
    if isinstance(actor, ComplainantActor):
        return {Role.COMPLAINANT} if actor.complaint_id == complaint.pk else set()
    return roles_for(actor, complaint)


def _user(actor: Actor) -> Any:
    return None if isinstance(actor, ComplainantActor) else actor


# --- filing -------------------------------------------------------------------


def _resolve_place(
    polling_station: PollingStation | None, unit: TerritorialUnit | None, place_text: str
) -> TerritorialUnit | None:
    if polling_station is None and unit is None and not place_text.strip():
        raise ValidationFailed(
            _("Say where it happened: choose a polling station or describe the place."), "place_text"
        )
    if polling_station is not None:
        if unit is not None and not polling_station.unit.path.startswith(unit.path):
            raise ValidationFailed(_("The polling station is not in the chosen territory."), "unit")
        return polling_station.unit
    return unit


def _validate_filing(*, election: Election, category: Category, occurred_at: datetime, description: str) -> None:
    if election.status == ElectionStatus.ARCHIVED:
        raise ValidationFailed(_("This election is archived and no longer takes complaints."), "election")
    if not category.is_active:
        raise ValidationFailed(_("This category is no longer in use; choose another."), "category")
    if timezone.is_naive(occurred_at):
        raise ValidationFailed(_("The time it happened must include a time zone."), "occurred_at")
    if occurred_at > timezone.now() + timedelta(minutes=10):
        raise ValidationFailed(_("The time it happened is in the future; check the date and time."), "occurred_at")
    if len(description.strip()) < 10:
        raise ValidationFailed(_("Describe what happened in at least 10 characters."), "description")


@transaction.atomic
def complaint_file(
    *,
    election: Election,
    category: Category,
    occurred_at: datetime,
    description: str,
    polling_station: PollingStation | None = None,
    unit: TerritorialUnit | None = None,
    place_text: str = "",
    severity: int | None = None,
    channel: str = Channel.WEB,
    reporter_user: Any = None,
    anonymous: bool = False,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "ru",
    files: Sequence[UploadedFile] = (),
) -> Filing:
    """Validate and record a complaint, its reporter and its evidence in one transaction."""
    _validate_filing(election=election, category=category, occurred_at=occurred_at, description=description)
    place_unit = _resolve_place(polling_station, unit, place_text)
    for upload in files:  # refuse a bad file before anything is stored
        evidence_inspect(upload)
    severity = int(severity or category.default_severity)
    now = timezone.now()
    complaint = Complaint(
        election=election,
        category=category,
        polling_station=polling_station,
        unit=place_unit,
        unit_path=place_unit.path if place_unit else "",
        place_text=place_text.strip(),
        occurred_at=occurred_at,
        description=description.strip(),
        severity=severity,
        channel=channel,
        due_at=_sla_due(severity, now),
    )
    complaint.save(force_insert=True)
    secret = secrets.token_urlsafe(16)
    user = reporter_user if getattr(reporter_user, "is_authenticated", False) else None
    anonymous = anonymous or user is None and not (full_name or email or phone)
    complaint.reporter = Reporter.objects.create(
        complaint=complaint,
        user=None if anonymous else user,
        is_anonymous=anonymous,
        full_name="" if anonymous else full_name.strip(),
        email="" if anonymous else email.strip(),
        phone="" if anonymous else phone.strip(),
        language=language,
        secret_hash=hash_secret(secret),
    )
    audit_append(
        complaint=complaint,
        action="file",
        first=True,  # the complaint was inserted just above: no event to chain after
        actor=None if anonymous else user,
        actor_label="anonymous" if anonymous else "",
        to_status=Status.SUBMITTED,
        payload={
            "channel": channel,
            "severity": severity,
            "category": category.code,
            "due_at": complaint.due_at.isoformat() if complaint.due_at else None,
        },
    )
    for upload in files:
        _attach(complaint=complaint, upload=upload, user=None if anonymous else user)
    outbox_record(complaint=complaint, event_type="complaint.submitted")
    return Filing(complaint=complaint, secret=secret)


# --- evidence -----------------------------------------------------------------

ALLOWED_EVIDENCE_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/heif",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/3gpp",
    "video/x-matroska",
    "audio/mpeg",
    "audio/ogg",
    "audio/mp4",
    "audio/x-wav",
    "audio/wav",
    "audio/aac",
    "audio/x-flac",
    "audio/amr",
    "application/pdf",
}


def sanitize_filename(name: str) -> str:
    """Keep a readable base name: no path, no control characters, bounded length."""
    base = PurePath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", "_", base).strip(" .")
    return (base or "file")[:150]


def _digest(upload: UploadedFile) -> tuple[str, bytes]:
    """SHA-256 and the first bytes: from the streaming upload handler, or chunk by chunk."""
    sha, head = getattr(upload, "sha256", None), getattr(upload, "head", None)
    if sha and head is not None:
        return sha, head
    hasher, head = hashlib.sha256(), b""
    upload.seek(0)
    for chunk in upload.chunks():
        hasher.update(chunk)
        if len(head) < 4096:
            head += chunk[: 4096 - len(head)]
    upload.seek(0)
    upload.sha256, upload.head = hasher.hexdigest(), head  # type: ignore[attr-defined]
    return hasher.hexdigest(), head


@dataclass(frozen=True)
class InspectedUpload:
    name: str
    size: int
    sha256: str
    content_type: str
    extension: str


def evidence_inspect(upload: UploadedFile) -> InspectedUpload:
    """Check size and the type sniffed from the bytes; raise EvidenceRejected with what to fix."""
    name = sanitize_filename(upload.name or "file")
    size = upload.size or 0
    if size > settings.EVIDENCE_MAX_BYTES:
        raise EvidenceTooLarge(
            _("“%(name)s” is %(size)s MB; the limit is %(limit)s MB per file.")
            % {"name": name, "size": round(size / 2**20, 1), "limit": settings.EVIDENCE_MAX_BYTES // 2**20},
            "files",
        )
    if size == 0:
        raise EvidenceRejected(_("“%(name)s” is empty.") % {"name": name}, "files")
    sha, head = _digest(upload)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if kind is None or mime not in ALLOWED_EVIDENCE_TYPES:
        raise EvidenceTypeNotAllowed(
            _("“%(name)s” is not a photo, video, audio recording or PDF (its content looks like %(kind)s).")
            % {"name": name, "kind": mime or _("an unknown type")},
            "files",
        )
    return InspectedUpload(name, size, sha, mime, kind.extension)


def _attach(*, complaint: Complaint, upload: UploadedFile, user: Any) -> Evidence:
    inspected = evidence_inspect(upload)
    name, size, sha, mime = inspected.name, inspected.size, inspected.sha256, inspected.content_type
    evidence = Evidence(
        complaint=complaint,
        sha256=sha,
        size=size,
        content_type=mime,
        original_name=name,
        uploaded_by=user,
    )
    upload.seek(0)
    evidence.file.save(f"{uuid.uuid4().hex}.{inspected.extension}", upload, save=False)
    evidence.save(force_insert=True)
    audit_append(
        complaint=complaint,
        action="evidence",
        actor=user,
        actor_label="" if user else "complainant",
        payload={"evidence": evidence.pk, "sha256": sha, "size": size, "content_type": mime, "name": name},
    )
    return evidence


@transaction.atomic
def evidence_attach(*, complaint: Complaint, upload: UploadedFile, actor: Actor) -> Evidence:
    """Add evidence to an existing complaint (the complainant, or staff in scope)."""
    complaint = _lock(complaint, None)
    if not _roles(actor, complaint):
        raise workflow.NotAllowed(_("You may not add evidence to this complaint."))
    if complaint.status in workflow.TERMINAL_STATES:
        raise ComplaintClosed(_("This complaint is closed; evidence can no longer be added."))
    evidence = _attach(complaint=complaint, upload=upload, user=_user(actor))
    _save(complaint, [])
    return evidence


# --- workflow -----------------------------------------------------------------


def _provided(comment: str, duplicate_of: Complaint | None, authority: str, reference: str) -> set[Requirement]:
    provided = set()
    if comment.strip():
        provided.add(Requirement.COMMENT)
    if duplicate_of is not None:
        provided.add(Requirement.ORIGINAL)
    if authority.strip():
        provided.add(Requirement.AUTHORITY)
    if reference.strip():
        provided.add(Requirement.AUTHORITY_REFERENCE)
    return provided


def _check_duplicate(complaint: Complaint, original: Complaint | None, actor: Actor) -> None:
    if original is None:
        return
    if original.pk == complaint.pk:
        raise ValidationFailed(_("A complaint cannot be a duplicate of itself."), "duplicate_of")
    if original.election_id != complaint.election_id:
        raise ValidationFailed(_("The original must belong to the same election."), "duplicate_of")
    if original.status == Status.DUPLICATE:
        raise ValidationFailed(
            _("%(code)s is itself a duplicate; link to its original instead.") % {"code": original.code},
            "duplicate_of",
        )
    if not _roles(actor, original):
        raise ValidationFailed(_("No complaint %(code)s was found.") % {"code": original.code}, "duplicate_of")


def _apply_sla(complaint: Complaint, target: str, now: datetime) -> list[str]:
    """Pause the SLA clock while waiting on the complainant; resume it with the time added back."""
    if target == Status.NEEDS_INFO and complaint.sla_paused_at is None:
        complaint.sla_paused_at = now
        return ["sla_paused_at"]
    if complaint.sla_paused_at is not None and target != Status.NEEDS_INFO:
        if complaint.due_at is not None:
            complaint.due_at += now - complaint.sla_paused_at
        complaint.sla_paused_at = None
        return ["sla_paused_at", "due_at"]
    return []


@transaction.atomic
def complaint_transition(
    *,
    complaint: Complaint,
    action: str,
    actor: Actor,
    comment: str = "",
    version: int | None = None,
    duplicate_of: Complaint | None = None,
    authority: str = "",
    authority_reference: str = "",
) -> Complaint:
    """Fire one workflow action. The only code path that changes ``status``."""
    transition = workflow.get_transition(action)
    complaint = _lock(complaint, version)
    roles = _roles(actor, complaint)
    if not roles:
        raise Complaint.DoesNotExist(_("No such complaint."))
    # Inputs a transition does not use are ignored, so they can't leak into its record.
    if Requirement.ORIGINAL not in transition.requires:
        duplicate_of = None
    if Requirement.AUTHORITY not in transition.requires:
        authority = authority_reference = ""
    provided = _provided(comment, duplicate_of, authority, authority_reference)
    workflow.check(transition, status=complaint.status, roles=roles, provided=provided)
    _check_duplicate(complaint, duplicate_of, actor)
    now = timezone.now()
    source = complaint.status
    complaint.status = transition.target
    fields = ["status", *_apply_sla(complaint, transition.target, now)]
    user = _user(actor)
    if transition.target == Status.DUPLICATE:
        complaint.duplicate_of = duplicate_of
        fields.append("duplicate_of")
    elif action == "undo_duplicate":
        duplicate_of, complaint.duplicate_of = complaint.duplicate_of, None
        fields.append("duplicate_of")
    if action == "start_review" and complaint.assignee_id is None and user is not None:
        complaint.assignee, complaint.assigned_at = user, now
        fields += ["assignee", "assigned_at"]
    _save(complaint, fields)
    payload: dict[str, Any] = {"comment": comment.strip()} if comment.strip() else {}
    if duplicate_of is not None:
        payload["duplicate_of"] = duplicate_of.code
    if authority:
        payload.update(authority=authority.strip(), authority_reference=authority_reference.strip())
    audit_append(
        complaint=complaint, action=action, actor=user, from_status=source, to_status=complaint.status, payload=payload
    )
    if duplicate_of is not None:
        _link_original(duplicate_of, complaint, action, user)
    if action in {"request_info", "provide_info"}:
        Note.objects.create(
            complaint=complaint,
            author=user,
            body=comment.strip(),
            visibility=NoteVisibility.COMPLAINANT,
            from_complainant=action == "provide_info",
        )
    for event_type in transition.events:
        outbox_record(
            complaint=complaint,
            event_type=event_type,
            context={
                "action": action,
                "from": source,
                "to": complaint.status,
                "message": comment.strip() if action != "provide_info" else "",
            },
        )
    return complaint


def _link_original(original: Complaint, duplicate: Complaint, action: str, user: Any) -> None:
    """Put the link on the original's timeline too, so both sides show it."""
    original = Complaint.objects.select_for_update(of=("self",)).get(pk=original.pk)
    linked = action != "undo_duplicate"
    audit_append(
        complaint=original,
        action="duplicate_linked" if linked else "duplicate_unlinked",
        actor=user,
        payload={"duplicate": duplicate.code},
    )


# --- assignment ---------------------------------------------------------------


@transaction.atomic
def complaint_assign(*, complaint: Complaint, assignee: Any, actor: Any, version: int | None = None) -> Complaint:
    """Coordinators assign anyone in scope; reviewers may only take a complaint for themselves."""
    complaint = _lock(complaint, version)
    roles = roles_for(actor, complaint)
    if not roles:
        raise Complaint.DoesNotExist(_("No such complaint."))
    if not roles & workflow.STAFF:
        raise workflow.NotAllowed(_("Only reviewers and coordinators assign complaints."))
    if assignee is not None and assignee.pk != actor.pk and not roles & workflow.SENIOR:
        raise workflow.NotAllowed(_("Only a coordinator may assign a complaint to someone else."))
    if assignee is not None and not roles_for(assignee, complaint) & workflow.STAFF:
        raise ValidationFailed(
            _("%(user)s is not a reviewer for this complaint's territory.") % {"user": assignee.get_username()},
            "assignee",
        )
    if complaint.status in workflow.TERMINAL_STATES:
        raise ComplaintClosed(_("This complaint is closed; it can no longer be assigned."))
    previous = complaint.assignee
    complaint.assignee = assignee
    complaint.assigned_at = timezone.now() if assignee else None
    _save(complaint, ["assignee", "assigned_at"])
    audit_append(
        complaint=complaint,
        action="assign",
        actor=actor,
        payload={
            "from": previous.get_username() if previous else None,
            "to": assignee.get_username() if assignee else None,
        },
    )
    if assignee is not None and assignee.pk != actor.pk:
        outbox_record(complaint=complaint, event_type="complaint.assigned")
    return complaint


def least_loaded_reviewer(complaint: Complaint) -> Any:
    open_states = list(workflow.OPEN_STATES)
    return (
        staff_in_scope(complaint, GROUP_REVIEWER)
        .annotate(load=Count("assigned_complaints", filter=Q(assigned_complaints__status__in=open_states)))
        .order_by("load", "id")
        .first()
    )


@transaction.atomic
def complaint_auto_assign(*, complaint: Complaint, actor: Any) -> Complaint:
    """Triage's auto-assignment: the least-loaded reviewer whose scope covers the complaint."""
    reviewer = least_loaded_reviewer(complaint)
    if reviewer is None:
        raise ValidationFailed(_("No reviewer covers this complaint's territory."), "assignee")
    return complaint_assign(complaint=complaint, assignee=reviewer, actor=actor)


# --- notes --------------------------------------------------------------------


@transaction.atomic
def note_add(*, complaint: Complaint, actor: Actor, body: str, visibility: str = NoteVisibility.INTERNAL) -> Note:
    complaint = _lock(complaint, None)
    roles = _roles(actor, complaint)
    if not roles:
        raise Complaint.DoesNotExist(_("No such complaint."))
    if not body.strip():
        raise ValidationFailed(_("Write the note before sending it."), "body")
    from_complainant = not roles & workflow.STAFF
    if from_complainant:
        visibility = NoteVisibility.COMPLAINANT
    note = Note.objects.create(
        complaint=complaint,
        author=_user(actor),
        body=body.strip(),
        visibility=visibility,
        from_complainant=from_complainant,
    )
    audit_append(
        complaint=complaint,
        action="note",
        actor=_user(actor),
        actor_label="" if _user(actor) else "complainant",
        payload={"note": note.pk, "visibility": visibility},
    )
    _save(complaint, [])
    if visibility == NoteVisibility.COMPLAINANT and not from_complainant:
        outbox_record(complaint=complaint, event_type="complaint.message", context={"message": note.body})
    return note


# --- reporter identity --------------------------------------------------------


@transaction.atomic
def reporter_reveal(*, complaint: Complaint, actor: Any, purpose: str = "") -> Reporter:
    """Return the reporter's identity to a permitted user, and audit that they saw it."""
    if not roles_for(actor, complaint) & workflow.STAFF or not can_view_identity(actor):
        raise workflow.NotAllowed(_("You may not see who filed this complaint."))
    locked = _lock(complaint, None)
    audit_append(complaint=locked, action="identity_viewed", actor=actor, payload={"purpose": purpose})
    return locked.reporter


# --- SLA ----------------------------------------------------------------------


def sla_breach_mark(*, complaint_id: int, now: datetime) -> bool:
    """Mark one breach; True if this call marked it. Safe to run twice (compare-and-set)."""
    with transaction.atomic():
        marked = Complaint.objects.filter(
            pk=complaint_id,
            sla_breached_at__isnull=True,
            sla_paused_at__isnull=True,
            due_at__lt=now,
            status__in=list(workflow.SLA_STATES),
        ).update(sla_breached_at=now)
        if not marked:
            return False
        complaint = _lock(Complaint(pk=complaint_id), None)
        complaint.priority += 1
        _save(complaint, ["priority"])
        audit_append(
            complaint=complaint,
            action="sla_breached",
            actor_label="system",
            payload={"due_at": complaint.due_at.isoformat() if complaint.due_at else None},
        )
        outbox_record(complaint=complaint, event_type="complaint.sla_breached")
        return True


def sla_check(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    overdue = Complaint.objects.filter(
        sla_breached_at__isnull=True,
        sla_paused_at__isnull=True,
        due_at__lt=now,
        status__in=list(workflow.SLA_STATES),
    ).values_list("pk", flat=True)
    return sum(sla_breach_mark(complaint_id=pk, now=now) for pk in list(overdue[:5000]))


# --- complainant follow-up ------------------------------------------------------


@transaction.atomic
def complaint_answer(
    *, complaint: Complaint, actor: Actor, comment: str, files: Sequence[UploadedFile] = (), version: int | None = None
) -> Complaint:
    """The complainant answers a request for information: the text and any new evidence, together."""
    complaint = complaint_transition(
        complaint=complaint, action="provide_info", actor=actor, comment=comment, version=version
    )
    for upload in files:
        evidence_attach(complaint=complaint, upload=upload, actor=actor)
    complaint.refresh_from_db()
    return complaint


# --- webhook subscriptions (API clients) ----------------------------------------


@transaction.atomic
def webhook_subscribe(*, owner: Any, url: str, event_types: Sequence[str] = (), is_active: bool = True) -> Any:
    """Create a subscription after checking the URL is http(s) and public."""
    from complaints.models import WebhookSubscription
    from complaints.notifications.urlcheck import check_webhook_url

    check_webhook_url(url)
    return WebhookSubscription.objects.create(
        owner=owner, url=url, event_types=sorted(set(event_types)), is_active=is_active
    )


@transaction.atomic
def webhook_update(*, subscription: Any, changes: dict[str, Any]) -> Any:
    """Change url / event_types / is_active. Re-activating clears the reason it was disabled."""
    from complaints.notifications.urlcheck import check_webhook_url

    if "url" in changes and changes["url"] != subscription.url:
        check_webhook_url(changes["url"])
        subscription.url = changes["url"]
    if "event_types" in changes:
        subscription.event_types = sorted(set(changes["event_types"]))
    if "is_active" in changes:
        subscription.is_active = bool(changes["is_active"])
        if subscription.is_active:
            subscription.disabled_reason = ""
    subscription.save()
    return subscription


@transaction.atomic
def webhook_unsubscribe(*, subscription: Any) -> None:
    subscription.delete()


# --- housekeeping -------------------------------------------------------------


def housekeeping_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete disposable records past their keep time: idempotency records (a client's retry
    window is hours, not weeks) and old webhook delivery log rows. Safe to run twice."""
    from complaints.models import IdempotencyRecord, WebhookDelivery

    now = now or timezone.now()
    idempotency, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
    ).delete()
    deliveries, _ = WebhookDelivery.objects.filter(
        created_at__lt=now - timedelta(days=settings.WEBHOOK_DELIVERY_LOG_KEEP_DAYS)
    ).delete()
    return {"idempotency_records": idempotency, "webhook_deliveries": deliveries}
