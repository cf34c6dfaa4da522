"""Filers' contact channels: a sealed address (Telegram chat, phone, email) and the complaints it follows.

The address is normalised here, once, for its kind, then sealed (``ContactAddress``); the
same address always finds the same row through its keyed hash. Following a complaint is
what makes its complainant events reach that address through the outbox. None of it is
ever shown to staff; following is audited without the address.
"""

from __future__ import annotations

from typing import cast

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from complaints import crypto
from complaints.audit import audit_append
from complaints.errors import ValidationFailed
from complaints.models import Complaint, ComplaintContact, ContactAddress, ContactKind
from complaints.models.fields import KeyedHashField


def contact_normalise(kind: str, address: str) -> str:
    """The one spelling of an address of this kind: a chat id's digits, a phone's digits, an email in lower case."""
    address = address.strip()
    if kind == ContactKind.TELEGRAM:
        if not address.lstrip("-").isdigit():
            raise ValidationFailed(_("A Telegram chat id is a number."), "address")
        return address
    if kind == ContactKind.SMS:
        digits = crypto.normalise_phone(address)
        if len(digits) < 6:
            raise ValidationFailed(_("Give the phone number with its country code."), "address")
        return "+" + digits
    if kind == ContactKind.EMAIL:
        return crypto.normalise_email(address)
    raise ValidationFailed(_("Unknown contact channel."), "kind")


def contact_hash(kind: str, address: str) -> str:
    """The lookup hash stored for this address (normalised first)."""
    field = cast(KeyedHashField, ContactAddress._meta.get_field("address_hash"))
    return field.hash_of(contact_normalise(kind, address))


def contact_find(*, kind: str, address: str) -> ContactAddress | None:
    return ContactAddress.objects.filter(kind=kind, address_hash=contact_hash(kind, address)).first()


@transaction.atomic
def contact_address_get_or_create(*, kind: str, address: str, language: str = "ru") -> ContactAddress:
    """The row for this address, made on first contact; an address disabled earlier is active again."""
    normalised = contact_normalise(kind, address)
    found = contact_find(kind=kind, address=normalised)
    if found is None:
        try:
            with transaction.atomic():
                return ContactAddress.objects.create(kind=kind, address=normalised, language=language)
        except IntegrityError:  # the same address arrived twice at once
            found = ContactAddress.objects.get(kind=kind, address_hash=contact_hash(kind, normalised))
    if not found.is_active:
        # The filer wrote again (unblocked the bot, say): they can be reached again.
        ContactAddress.objects.filter(pk=found.pk).update(is_active=True, disabled_reason="")
        found.is_active, found.disabled_reason = True, ""
    return found


@transaction.atomic
def complaint_follow(*, complaint: Complaint, contact: ContactAddress) -> ComplaintContact:
    """The complaint's updates go to ``contact`` from now on (audited by channel, never by address)."""
    follow, created = ComplaintContact.objects.get_or_create(complaint=complaint, contact=contact)
    if created:
        audit_append(
            complaint=complaint,
            action="contact_added",
            actor=None,
            actor_label="complainant",
            payload={"channel": contact.kind},
        )
    return follow


@transaction.atomic
def contact_unfollow_all(*, contact: ContactAddress) -> int:
    """Stop every update to this address (the filer asked to: /stop). The number of complaints it followed."""
    follows = list(ComplaintContact.objects.filter(contact=contact).select_related("complaint"))
    for follow in follows:
        audit_append(
            complaint=follow.complaint,
            action="contact_removed",
            actor=None,
            actor_label="complainant",
            payload={"channel": contact.kind},
        )
    ComplaintContact.objects.filter(pk__in=[f.pk for f in follows]).delete()
    return len(follows)
