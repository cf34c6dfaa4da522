"""Assignment: coordinators assign anyone in scope, reviewers take or release their own."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import workflow
from complaints.access import GROUP_REVIEWER, Actor, roles_for, staff_in_scope
from complaints.audit import audit_append
from complaints.errors import ComplaintClosed, ValidationFailed
from complaints.events import EventType
from complaints.models import Complaint
from complaints.notifications.outbox import outbox_record
from complaints.services._common import lock_complaint, save_complaint


@transaction.atomic
def complaint_assign(
    *, complaint: Complaint, assignee: User | None, actor: Actor, version: int | None = None
) -> Complaint:
    """Coordinators assign anyone in scope; reviewers may only take a complaint for themselves."""
    complaint = lock_complaint(complaint, version)
    roles = roles_for(actor, complaint)
    if not roles:
        raise Complaint.DoesNotExist(_("No such complaint."))
    if not roles & workflow.STAFF:
        raise workflow.NotAllowed(_("Only reviewers and coordinators assign complaints."))
    if assignee is not None and assignee.pk != actor.pk and not roles & workflow.SENIOR:
        raise workflow.NotAllowed(_("Only a coordinator may assign a complaint to someone else."))
    if assignee is None and complaint.assignee_id not in (None, actor.pk) and not roles & workflow.SENIOR:
        raise workflow.NotAllowed(_("Only a coordinator may release a complaint someone else is working on."))
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
    save_complaint(complaint, ["assignee", "assigned_at"])
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
        outbox_record(complaint=complaint, event_type=EventType.ASSIGNED)
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
def complaint_auto_assign(*, complaint: Complaint, actor: Actor) -> Complaint:
    """Triage's auto-assignment: the least-loaded reviewer whose scope covers the complaint."""
    reviewer = least_loaded_reviewer(complaint)
    if reviewer is None:
        raise ValidationFailed(_("No reviewer covers this complaint's territory."), "assignee")
    return complaint_assign(complaint=complaint, assignee=reviewer, actor=actor)
