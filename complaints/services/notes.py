"""Notes and reporter identity: internal notes, messages to the complainant, audited identity reveals."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from complaints import workflow
from complaints.access import Actor, can_view_identity, roles_for
from complaints.audit import audit_append
from complaints.errors import ValidationFailed
from complaints.events import EventType
from complaints.models import Complaint, Note, NoteVisibility, Reporter
from complaints.notifications.outbox import outbox_record
from complaints.services._common import actor_roles, actor_user, lock_complaint, touch_complaint
from complaints.services.search import search_index_refresh
from complaints.text import ASCII_TRIM


@transaction.atomic
def note_add(*, complaint: Complaint, actor: Actor, body: str, visibility: str = NoteVisibility.INTERNAL) -> Note:
    complaint = lock_complaint(complaint, None)
    roles = actor_roles(actor, complaint)
    if not roles:
        raise Complaint.DoesNotExist(_("No such complaint."))
    if not body.strip():
        raise ValidationFailed(_("Write the note before sending it."), "body")
    from_complainant = not roles & workflow.STAFF
    if from_complainant:
        visibility = NoteVisibility.COMPLAINANT
    note = Note.objects.create(
        complaint=complaint,
        author=actor_user(actor),
        body=body.strip(ASCII_TRIM),
        visibility=visibility,
        from_complainant=from_complainant,
    )
    audit_append(
        complaint=complaint,
        action="note",
        actor=actor_user(actor),
        actor_label="" if actor_user(actor) else "complainant",
        payload={"note": note.pk, "visibility": visibility},
    )
    touch_complaint(complaint)
    search_index_refresh(complaint_ids=[complaint.pk])
    if visibility == NoteVisibility.COMPLAINANT and not from_complainant:
        outbox_record(complaint=complaint, event_type=EventType.MESSAGE, context={"message": note.body})
    return note


# The purpose is kept in the audit chain: a sentence, not a document.
REVEAL_PURPOSE_MAX_LENGTH = 200


def _check_purpose(purpose: str) -> str:
    purpose = purpose.strip(ASCII_TRIM)
    if not purpose.strip():
        raise ValidationFailed(_("Say why you need to see who filed it; this is kept in the audit log."), "purpose")
    if len(purpose) > REVEAL_PURPOSE_MAX_LENGTH:
        raise ValidationFailed(
            _("Keep the purpose under %(n)s characters.") % {"n": REVEAL_PURPOSE_MAX_LENGTH}, "purpose"
        )
    if any(ord(ch) < 32 for ch in purpose):
        raise ValidationFailed(_("The purpose must be one line of plain text."), "purpose")
    return purpose


@transaction.atomic
def reporter_reveal(*, complaint: Complaint, actor: Actor, purpose: str) -> Reporter:
    """Return the reporter's identity to a permitted user who says why, and audit that they saw it."""
    if not roles_for(actor, complaint) & workflow.STAFF or not can_view_identity(actor):
        raise workflow.NotAllowed(_("You may not see who filed this complaint."))
    purpose = _check_purpose(purpose)
    locked = lock_complaint(complaint, None)
    audit_append(complaint=locked, action="identity_viewed", actor=actor, payload={"purpose": purpose})
    return locked.reporter


@transaction.atomic
def reporter_reveal_export(*, complaint_ids: list[int], actor: Actor, purpose: str) -> list[str]:
    """Audit an export of the reporters' identity: one ``identity_viewed`` event per complaint.

    The chain is per complaint, so each exported complaint's own chain records who saw its
    reporter, why, and that it was through an export. Complaints the actor does not work on
    as staff (e.g. one they filed themselves) are skipped. Returns the receipt codes audited:
    only those may carry identity in the export. All events commit, or none.
    """
    if not can_view_identity(actor):
        raise workflow.NotAllowed(_("You may not see who filed these complaints."))
    purpose = _check_purpose(purpose)
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("category", "reporter")
        .filter(pk__in=complaint_ids)
        .order_by("pk")
    )
    audited: list[str] = []
    for complaint in locked:
        if not roles_for(actor, complaint) & workflow.STAFF:
            continue
        audit_append(
            complaint=complaint,
            action="identity_viewed",
            actor=actor,
            payload={"purpose": purpose, "via": "export"},
        )
        audited.append(complaint.code)
    return audited
