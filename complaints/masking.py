"""Masked contact data for lists: enough to tell rows apart, not enough to know who filed.

``mask_name("Айгуль Кенжебаева")`` is ``"А*** К***"``, ``mask_phone("+7 701 555 44 12")``
``"+7 *** ** 12"``, ``mask_email("aigul@example.org")`` ``"a***@example.org"``. Lists show
these; the full values only appear after a permitted, audited reveal.
"""

from __future__ import annotations

import re

MASK = "***"


def mask_name(name: str) -> str:
    """The first letter of each word, then ``***``."""
    return " ".join(f"{word[0]}{MASK}" for word in (name or "").split())


def mask_phone(phone: str) -> str:
    """The country prefix and the last two digits."""
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return ""
    if len(digits) < 6:
        return MASK
    lead = f"+{digits[0]}" if phone.strip().startswith("+") else digits[0]
    return f"{lead} {MASK} ** {digits[-2:]}"


def mask_email(email: str) -> str:
    """The first character of the mailbox and the domain."""
    email = (email or "").strip()
    if not email:
        return ""
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return MASK
    return f"{local[0]}{MASK}@{domain}"
