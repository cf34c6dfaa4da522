"""Helpers every service shares: the row lock with its version check, the versioned save, the actor."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from complaints.access import Actor, ComplainantActor, roles_for
from complaints.errors import StaleVersion
from complaints.models import Complaint, Status
from complaints.workflow import Role


def sla_due(severity: int, start: datetime) -> datetime:
    return start + timedelta(minutes=settings.SLA_MINUTES[int(severity)])


def lock_complaint(complaint: Complaint, version: int | None) -> Complaint:
    """Re-read the complaint under a row lock and check the caller's version."""
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        # Everything the caller shows afterwards (the API answers this very object).
        .select_related("reporter", "category", "election", "assignee", "polling_station", "unit", "duplicate_of")
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


def save_complaint(complaint: Complaint, fields: list[str]) -> None:
    """Save a change a reviewer acts on (status, assignment, priority, duplicate link, SLA): bumps ``version``.

    ``version`` guards decisions against concurrent decisions. Notes and evidence are added
    beside the complaint and do not invalidate a colleague's pending triage: they go
    through ``touch_complaint``, which moves ``updated_at`` (API clients sync on it) only.
    """
    complaint.version += 1
    complaint.save(update_fields=[*fields, "version", "updated_at"])


def touch_complaint(complaint: Complaint) -> None:
    """Record that something was added to the complaint, without changing its ``version``."""
    complaint.save(update_fields=["updated_at"])


def actor_roles(actor: Actor, complaint: Complaint) -> set[Role]:
    if isinstance(actor, ComplainantActor):
        return {Role.COMPLAINANT} if actor.complaint_id == complaint.pk else set()
    return roles_for(actor, complaint)


def actor_user(actor: Actor) -> Any:
    return None if isinstance(actor, ComplainantActor) else actor
