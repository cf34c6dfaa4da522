"""Reads of one complaint and its parts, always through the reader's scope."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils import timezone

from complaints import workflow
from complaints.access import (
    access_for,
    roles_for,
    visible_complaints,
)
from complaints.models import (
    AuditEvent,
    Complaint,
    Evidence,
    Note,
    NoteVisibility,
    Reporter,
    Status,
)
from complaints.models.complaint import receipt_code_normalize
from complaints.models.fields import KeyedHashField
from complaints.selectors.queue import complaints_in_reach


def complaint_get_for(*, user: Any, code: str) -> Complaint:
    """One complaint the user may see, or Complaint.DoesNotExist (-> 404, never 403)."""
    return complaints_in_reach(user).select_related("reporter", "duplicate_of").get(code=code)


def timeline_for(*, user: Any, complaint: Complaint) -> QuerySet[AuditEvent]:
    """The audit events the user may see. Complainants see status changes and messages only."""
    qs = AuditEvent.objects.filter(complaint=complaint).select_related("actor").order_by("seq")
    if not access_for(user).staff_roles or not (access_for(user).covers(complaint.unit_path)):
        qs = qs.filter(action__in=[*workflow.BY_ACTION, "file", "evidence"])
    return qs


def notes_for(*, user: Any, complaint: Complaint) -> QuerySet[Note]:
    qs = Note.objects.filter(complaint=complaint).select_related("author")
    access = access_for(user)
    if not (access.staff_roles and access.covers(complaint.unit_path)):
        qs = qs.filter(visibility=NoteVisibility.COMPLAINANT)
    return qs


def complaint_by_receipt(*, code: str, secret: str) -> Complaint | None:
    """A complaint by receipt code and follow-up secret (constant-time compare), else None."""
    import hmac

    from complaints.access import hash_secret

    complaint = (
        Complaint.objects.select_related("reporter", "category", "election")
        .filter(code=receipt_code_normalize(code))
        .first()
    )
    if complaint is None:
        hash_secret(secret)  # same work either way: no timing hint that the code exists
        return None
    if not hmac.compare_digest(complaint.reporter.secret_hash, hash_secret(secret)):
        return None
    return complaint


def duplicate_suggestions(*, user: Any, complaint: Complaint, limit: int = 5) -> QuerySet[Complaint]:
    """Likely duplicates: same election and category, same polling station (or place), same day."""
    day = timezone.localtime(complaint.occurred_at).date()
    qs = (
        visible_complaints(user)
        .filter(election_id=complaint.election_id, category_id=complaint.category_id, occurred_at__date=day)
        .exclude(pk=complaint.pk)
        .exclude(status=Status.DUPLICATE)
    )
    if complaint.polling_station_id:
        qs = qs.filter(polling_station_id=complaint.polling_station_id)
    else:
        qs = qs.filter(unit_path=complaint.unit_path)
    return qs.order_by("created_at")[:limit]


def complaints_reported_by(*, user: Any) -> QuerySet[Complaint]:
    """A signed-in filer's own complaints (named ones; anonymous filings are not linked)."""
    if not getattr(user, "is_authenticated", False):
        return Complaint.objects.none()
    return (
        Complaint.objects.filter(reporter__user_id=user.pk)
        .select_related("election", "category", "polling_station", "unit")
        .order_by("-created_at", "-id")
    )


def reporters_with_email(*, email: str) -> QuerySet[Reporter]:
    """Reporters who gave this email address (in any case), found by its keyed hash.

    The ``email`` column holds ciphertext and cannot be compared; ``email_hash`` is the
    HMAC-SHA256 of the normalised address under FIELD_HASH_KEY (complaints/crypto.py).
    """
    digest = cast(KeyedHashField, Reporter._meta.get_field("email_hash")).hash_of(email)
    return Reporter.objects.filter(email_hash=digest) if digest else Reporter.objects.none()


def complaint_for_complainant(*, code: str, user: Any, tracked_ids: list[int]) -> Complaint | None:
    """A complaint its filer may follow: their own (signed in) or one unlocked with code + secret."""
    complaint = (
        Complaint.objects.select_related("reporter", "election", "category", "polling_station", "unit")
        .filter(code=receipt_code_normalize(code))
        .first()
    )
    if complaint is None:
        return None
    own = getattr(user, "is_authenticated", False) and complaint.reporter.user_id == user.pk
    return complaint if own or complaint.pk in tracked_ids else None


def evidence_for(*, complaint: Complaint) -> QuerySet[Evidence]:
    return Evidence.objects.filter(complaint=complaint).order_by("uploaded_at", "id")


def evidence_get_for(*, user: Any, code: str, evidence_id: int) -> Evidence:
    """One evidence file of a complaint the user works on, or Evidence.DoesNotExist."""
    complaint = complaint_get_for(user=user, code=code)
    if not roles_for(user, complaint) & workflow.STAFF:
        raise Evidence.DoesNotExist("No such evidence.")
    return Evidence.objects.get(complaint=complaint, pk=evidence_id)
