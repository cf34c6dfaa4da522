"""The hotline: a staff operator files a complaint on a caller's behalf (channel ``phone``).

The caller's consent is read out (``CONSENT_WORDING``) and confirmed before anything is
stored; the complaint records the operator (``filed_by``) and the moment of consent
(``caller_consent_at``), and its filing event names the operator, never the caller. The
caller's name and phone, if they give them, are sealed in the reporter record like any
other identity; a phone for SMS updates is a sealed contact address following the
complaint (``services.channels``), never shown to staff.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.errors import NotAllowed, ValidationFailed
from complaints.models import Category, Channel, ContactKind, Election, PollingStation, TerritorialUnit
from complaints.services.channels import complaint_follow, contact_address_get_or_create, contact_normalise
from complaints.services.filing import Filing, complaint_file

TAKE_CALLS_PERMISSION = "complaints.take_calls"

# What the operator reads out before filing; the caller's "yes" is the consent recorded.
CONSENT_WORDING = gettext_lazy(
    "I will file your complaint in the registry on your behalf, with what you tell me now. "
    "Reviewers will read it. If you give your name or phone number, they are kept sealed: reviewers "
    "do not see them, and they are never published. You will get a receipt code to follow the "
    "complaint. Do you agree that I file it?"
)


def may_take_calls(user: Any) -> bool:
    """Coordinators and admins by role; a reviewer to whom an admin gave the permission."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_perm(TAKE_CALLS_PERMISSION))


@transaction.atomic
def complaint_file_for_caller(
    *,
    operator: Any,
    consent: bool,
    election: Election,
    category: Category,
    occurred_at: datetime,
    description: str,
    polling_station: PollingStation | None = None,
    unit: TerritorialUnit | None = None,
    place_text: str = "",
    caller_name: str = "",
    caller_phone: str = "",
    sms_phone: str = "",
    language: str = "ru",
) -> Filing:
    """File what a caller tells the operator; optionally follow it at a phone for SMS updates."""
    if not may_take_calls(operator):
        raise NotAllowed(_("Only hotline operators may file complaints on a caller's behalf."))
    if not consent:
        raise ValidationFailed(_("Read the consent wording to the caller and record their answer."), "consent")
    if sms_phone.strip():
        try:  # refuse a bad number before anything is stored
            contact_normalise(ContactKind.SMS, sms_phone)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, "sms_phone") from exc
    filing = complaint_file(
        election=election,
        category=category,
        occurred_at=occurred_at,
        description=description,
        polling_station=polling_station,
        unit=unit,
        place_text=place_text,
        channel=Channel.PHONE,
        anonymous=not (caller_name.strip() or caller_phone.strip()),
        full_name=caller_name,
        phone=caller_phone,
        language=language,
        operator=operator,
        caller_consent_at=timezone.now(),
    )
    if sms_phone.strip():
        contact = contact_address_get_or_create(kind=ContactKind.SMS, address=sms_phone, language=language)
        complaint_follow(complaint=filing.complaint, contact=contact)
    return filing
