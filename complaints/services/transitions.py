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
from complaints.notifications.outbox import outbox_record_events
from complaints.services._common import actor_roles, actor_user, lock_complaint, save_complaint
from complaints.services.cases import submission_from_escalation
from complaints.services.evidence import evidence_attach, files_follow_transaction
from complaints.services.search import search_index_refresh
from complaints.text import ASCII_TRIM
from complaints.workflow import Effect, Requirement


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


def _apply_effects(
    complaint: Complaint, transition: workflow.Transition, duplicate_of: Complaint | None, user: Any, now: datetime
) -> tuple[list[str], Complaint | None]:
    """Apply the transition's field effects; return the changed fields and the original it (un)links."""
    fields: list[str] = []
    if Effect.LINK_ORIGINAL in transition.effects:
        complaint.duplicate_of = duplicate_of
        fields.append("duplicate_of")
    elif Effect.UNLINK_ORIGINAL in transition.effects:
        duplicate_of, complaint.duplicate_of = complaint.duplicate_of, None
        fields.append("duplicate_of")
    else:
        duplicate_of = None
    if Effect.ASSIGN_ACTOR in transition.effects and complaint.assignee_id is None and user is not None:
        complaint.assignee, complaint.assigned_at = user, now
        fields += ["assignee", "assigned_at"]
    return fields, duplicate_of


def _record(
    complaint: Complaint,
    transition: workflow.Transition,
    *,
    source: str,
    user: Any,
    comment: str,
    original: Complaint | None,
    authority: str,
    authority_reference: str,
) -> None:
    """The audit event, the (un)link on the original's timeline, the note, and the outbox rows."""
    payload: dict[str, Any] = {"comment": comment} if comment else {}
    if original is not None:
        payload["duplicate_of"] = original.code
    if authority:
        payload.update(authority=authority.strip(ASCII_TRIM), authority_reference=authority_reference.strip(ASCII_TRIM))
    audit_append(
        complaint=complaint,
        action=transition.action,
        actor=user,
        from_status=source,
        to_status=complaint.status,
        payload=payload,
    )
    if original is not None:
        _link_original(original, complaint, linked=Effect.UNLINK_ORIGINAL not in transition.effects, user=user)
    if Effect.FILE_SUBMISSION in transition.effects:
        submission_from_escalation(
            complaint=complaint, user=user, authority_text=authority, reference=authority_reference
        )
    if transition.effects & {Effect.NOTE_TO_COMPLAINANT, Effect.NOTE_FROM_COMPLAINANT}:
        Note.objects.create(
            complaint=complaint,
            author=user,
            body=comment,
            visibility=NoteVisibility.COMPLAINANT,
            from_complainant=Effect.NOTE_FROM_COMPLAINANT in transition.effects,
        )
        search_index_refresh(complaint_ids=[complaint.pk])
    context = {
        "action": transition.action,
        "from": source,
        "to": complaint.status,
        "message": comment if transition.echoes_comment else "",
    }
    outbox_record_events(complaint=complaint, event_types=transition.events, context=context)


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
    """Fire one workflow action. The only code path that changes ``status``.

    What the action does besides moving the status is data in the workflow table
    (``Transition.effects``); this function applies it and has no per-action branch.
    """
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
    now, source, user = timezone.now(), complaint.status, actor_user(actor)
    complaint.status = transition.target
    fields = ["status", *_apply_sla(complaint, transition.target, now)]
    effect_fields, original = _apply_effects(complaint, transition, duplicate_of, user, now)
    save_complaint(complaint, fields + effect_fields)
    _record(
        complaint,
        transition,
        source=source,
        user=user,
        comment=comment.strip(ASCII_TRIM),
        original=original,
        authority=authority,
        authority_reference=authority_reference,
    )
    return complaint


def _link_original(original: Complaint, duplicate: Complaint, *, linked: bool, user: Any) -> None:
    """Put the link on the original's timeline too, so both sides show it."""
    original = Complaint.objects.select_for_update(of=("self",)).get(pk=original.pk)
    audit_append(
        complaint=original,
        action="duplicate_linked" if linked else "duplicate_unlinked",
        actor=user,
        payload={"duplicate": duplicate.code},
    )


@files_follow_transaction()  # one transaction; files stored in it are deleted if it does not commit
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
