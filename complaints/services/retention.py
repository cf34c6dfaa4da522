"""Retention: erasing reporters' identity and contact once an election's dispute window has closed.

What is erased: the name, email and phone (and their lookup hash), the link to the filer's
account, the complainant's address on sent notification rows, and the complaint's link to
any contact channel it is followed on (a Telegram chat, a phone for SMS): its updates stop,
and an address that follows nothing else any more is deleted with its conversation. What is kept: the
complaint, its evidence, notes and audit chain, and the follow-up secret's hash, so the
filer can still follow up with the receipt code and secret. Each erasure appends one
``identity_purged`` audit event to the complaint's chain; its payload names which kinds of
data were erased, never the data. The public record (statistics, open data) never read
any of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.audit import audit_append
from complaints.errors import ValidationFailed
from complaints.models import (
    Complaint,
    ComplaintContact,
    ContactAddress,
    Election,
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    Reporter,
)
from complaints.selectors import reporters_with_email
from complaints.services._common import lock_complaint

PURGE_ACTION = "identity_purged"


@dataclass(frozen=True)
class PurgeResult:
    """How many reporters' identities were erased (or, in a dry run, would be)."""

    purged: int
    dry_run: bool


def _holding_identity() -> Q:
    # Encrypted columns can be compared with "" only: an empty value is stored empty.
    return ~Q(full_name="") | ~Q(email="") | ~Q(phone="") | Q(user__isnull=False) | Q(complaint__contacts__isnull=False)


def identity_window_closed(election: Election, now: datetime | None = None) -> bool:
    until = election.identity_retention_until
    return until is not None and until <= (now or timezone.now())


def reporters_holding_identity(*, election: Election) -> QuerySet[Reporter]:
    return Reporter.objects.filter(complaint__election=election).filter(_holding_identity()).distinct()


def _erased_kinds(reporter: Reporter) -> list[str]:
    present = {"name": reporter.full_name, "email": reporter.email, "phone": reporter.phone}
    kinds = [kind for kind, value in present.items() if value]
    kinds = [*kinds, "account"] if reporter.user_id else kinds
    channels = ComplaintContact.objects.filter(complaint_id=reporter.pk).values_list("contact__kind", flat=True)
    return [*kinds, *sorted({f"contact:{kind}" for kind in channels})]


def _contacts_forget(complaint: Complaint) -> None:
    """Unlink the complaint's contact channels, and delete the addresses left following nothing."""
    contact_ids = list(ComplaintContact.objects.filter(complaint=complaint).values_list("contact_id", flat=True))
    ComplaintContact.objects.filter(complaint=complaint).delete()
    # Rows already written to a deleted address keep their record, without it (on_delete SET_NULL).
    ContactAddress.objects.filter(pk__in=contact_ids, follows__isnull=True).delete()


def reporter_identity_purge(*, complaint_id: int, reason: str) -> bool:
    """Erase one reporter's identity and contact, audited; False when there was nothing left to erase."""
    with transaction.atomic():
        # lock_complaint reads only the primary key of what it is given.
        locked = lock_complaint(Complaint(pk=complaint_id), None)
        reporter = locked.reporter
        kinds = _erased_kinds(reporter)
        if not kinds:
            return False
        addresses = {a for a in (reporter.email, getattr(reporter.user, "email", "")) if a}
        if addresses:
            # Sent (or dead) notifications no longer need their address; pending ones still go out.
            sent = OutboxMessage.objects.filter(complaint=locked, channel=OutboxChannel.EMAIL).exclude(
                status=OutboxStatus.PENDING
            )
            sent.filter(recipient__in=addresses).update(recipient="")
        _contacts_forget(locked)
        reporter.full_name = reporter.email = reporter.phone = ""
        reporter.user = None
        reporter.save(update_fields=["full_name", "email", "phone", "email_hash", "user"])
        audit_append(
            complaint=locked, action=PURGE_ACTION, actor_label="system", payload={"erased": kinds, "reason": reason}
        )
    return True


def _purge_all(reporters: QuerySet[Reporter], *, dry_run: bool, reason: str) -> PurgeResult:
    ids = list(reporters.order_by("pk").values_list("pk", flat=True))
    if dry_run:
        return PurgeResult(purged=len(ids), dry_run=True)
    purged = sum(reporter_identity_purge(complaint_id=pk, reason=reason) for pk in ids)
    return PurgeResult(purged=purged, dry_run=False)


def identities_purge(*, election: Election, dry_run: bool = False, now: datetime | None = None) -> PurgeResult:
    """Erase the identity of every reporter of ``election``; only after its dispute window has closed."""
    if not identity_window_closed(election, now):
        raise ValidationFailed(
            _(
                "The dispute window of %(election)s has not closed: set “reporters' identity kept until” "
                "on the election to a past moment first."
            )
            % {"election": election.slug},
            "election",
        )
    return _purge_all(reporters_holding_identity(election=election), dry_run=dry_run, reason="retention")


def identities_purge_for_email(*, email: str, dry_run: bool = False) -> PurgeResult:
    """Erase the identity of every reporter who gave ``email`` (a person's request to be forgotten)."""
    reporters = reporters_with_email(email=email).filter(_holding_identity())
    return _purge_all(reporters, dry_run=dry_run, reason="request")


def identities_purge_due(*, now: datetime | None = None) -> int:
    """Housekeeping: erase identities in every election whose dispute window has closed. Safe to run twice."""
    now = now or timezone.now()
    elections = Election.objects.filter(identity_retention_until__lte=now)
    return sum(identities_purge(election=e, now=now).purged for e in elections)
