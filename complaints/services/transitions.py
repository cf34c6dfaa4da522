"""Workflow transitions: the one code path that changes a complaint's status, and the complainant's answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import workflow
from complaints.access import Actor
from complaints.audit import audit_append
from complaints.errors import ValidationFailed
from complaints.models import Complaint, Note, NoteVisibility, Status
from complaints.notifications.outbox import outbox_record
from complaints.services._common import actor_roles, actor_user, lock_complaint, save_complaint
from complaints.services.evidence import evidence_attach
from complaints.workflow import Requirement


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
    if not actor_roles(actor, original):
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
    complaint = lock_complaint(complaint, version)
    roles = actor_roles(actor, complaint)
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
    user = actor_user(actor)
    if transition.target == Status.DUPLICATE:
        complaint.duplicate_of = duplicate_of
        fields.append("duplicate_of")
    elif action == "undo_duplicate":
        duplicate_of, complaint.duplicate_of = complaint.duplicate_of, None
        fields.append("duplicate_of")
    if action == "start_review" and complaint.assignee_id is None and user is not None:
        complaint.assignee, complaint.assigned_at = user, now
        fields += ["assignee", "assigned_at"]
    save_complaint(complaint, fields)
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
