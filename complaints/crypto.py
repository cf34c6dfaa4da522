"""Field-level encryption at rest (MultiFernet) and keyed lookup hashes (HMAC-SHA256) for reporter identity.

Why Fernet (through ``MultiFernet``) rather than AES-GCM with our own key-id prefix: it is the
``cryptography`` package's high-level recipe (AES-128-CBC with a random IV, then
HMAC-SHA256 over a versioned token), so there is no nonce to manage and nothing to get
wrong; ``MultiFernet`` decrypts with any listed key and ``rotate()`` re-encrypts with the
first, which is exactly the rotation we need. The costs are accepted: tokens are longer
(text columns), and the token carries the time it was written (the complaint's own
timestamps say as much).

Keys come from settings (``FIELD_ENCRYPTION_KEYS``: Fernet keys, newest first, from the
environment or ``FIELD_ENCRYPTION_KEYS_FILE``; ``FIELD_HASH_KEY`` for the lookup hashes).
Unset, each is derived from ``SECRET_KEY`` so a development database works with nothing
configured; ``check --deploy`` warns while a derived key is in use, and production sets
both (docs/security.md, "Protection at rest").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "DERIVED",
    "InvalidToken",
    "decrypt",
    "encrypt",
    "encryption_keys_derived",
    "hash_key_derived",
    "lookup_hash",
    "newest_key_reads",
    "normalise_contact",
    "normalise_email",
    "normalise_phone",
    "rotate",
]

_ENCRYPTION_LABEL = b"complaints.field-encryption.v1"
_HASH_LABEL = b"complaints.field-hash.v1"


def _derive(label: bytes) -> bytes:
    """A development key: HMAC-SHA256(SECRET_KEY, label). Same SECRET_KEY, same key."""
    return hmac.new(settings.SECRET_KEY.encode("utf-8"), label, hashlib.sha256).digest()


# In FIELD_ENCRYPTION_KEYS, this word stands for the development key derived from SECRET_KEY:
# ``FIELD_ENCRYPTION_KEYS=<new key>,derived`` moves a database started without keys to a real one.
DERIVED = "derived"


def _configured_keys() -> tuple[str, ...]:
    return tuple(str(k).strip() for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", ()) or () if str(k).strip())


def encryption_keys_derived() -> bool:
    """Whether the development key is in use (unset, or the word ``derived`` among the keys)."""
    keys = _configured_keys()
    return not keys or DERIVED in keys


def hash_key_derived() -> bool:
    return not str(getattr(settings, "FIELD_HASH_KEY", "") or "").strip()


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for n, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # Never repeat the key in the message.
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key #{n} is not a Fernet key (32 bytes, url-safe base64); "
                "generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None
    return MultiFernet(fernets)


def _derived_key() -> str:
    return base64.urlsafe_b64encode(_derive(_ENCRYPTION_LABEL)).decode("ascii")


def _keys() -> tuple[str, ...]:
    keys = _configured_keys() or (DERIVED,)
    return tuple(_derived_key() if key == DERIVED else key for key in keys)


def _fernet() -> MultiFernet:
    return _multifernet(_keys())


def encrypt(value: str) -> str:
    """A Fernet token (ASCII) for ``value``, with the newest key. The empty string stays empty."""
    if value == "":
        return ""
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plaintext of a token written with any configured key; raises ``InvalidToken`` otherwise."""
    if token == "":
        return ""
    return _fernet().decrypt(token.encode("ascii")).decode("utf-8")


def rotate(token: str) -> str:
    """The same plaintext under the newest key (decrypted with whichever key wrote it)."""
    if token == "":
        return ""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def newest_key_reads(token: str) -> bool:
    """Whether ``token`` is already written with the newest key (rotation skips such rows)."""
    if token == "":
        return True
    try:
        Fernet(_keys()[0]).decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def _hash_key() -> bytes:
    configured = str(getattr(settings, "FIELD_HASH_KEY", "") or "").strip()
    return configured.encode("utf-8") if configured else _derive(_HASH_LABEL)


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def normalise_contact(value: str) -> str:
    """A contact address (chat id, phone, email) is normalised by the service that records it."""
    return value.strip()


def lookup_hash(kind: str, value: str) -> str:
    """HMAC-SHA256 (hex) of a normalised value, keyed with FIELD_HASH_KEY; empty for an empty value.

    ``kind`` ("email", "phone") is hashed in, so equal strings of two kinds never share a hash.
    Without the key, the hash of a guessed address cannot be computed (a plain SHA-256 could).
    """
    if not value:
        return ""
    message = kind.encode("ascii") + b"\x00" + value.encode("utf-8")
    return hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()


# --- system checks -------------------------------------------------------------------


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every configured key must be a Fernet key: a typo fails at start-up, not at the first filing."""
    try:
        _multifernet(_keys())
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="complaints.E101")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_derived_keys(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """In production (DEBUG off) the development keys derived from SECRET_KEY must not be in use."""
    if settings.DEBUG:
        return []
    found: list[checks.CheckMessage] = []
    if encryption_keys_derived():
        found.append(
            checks.Warning(
                "FIELD_ENCRYPTION_KEYS is not set (or lists 'derived'): reporter identity is encrypted with "
                "a key derived from SECRET_KEY (a development default).",
                hint="Set FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_KEYS_FILE), run rotate_field_keys, and drop "
                "'derived'; see docs/security.md.",
                id="complaints.W101",
            )
        )
    if hash_key_derived():
        found.append(
            checks.Warning(
                "FIELD_HASH_KEY is not set: lookup hashes use a key derived from SECRET_KEY (a development default).",
                hint="Set FIELD_HASH_KEY (or FIELD_HASH_KEY_FILE); see docs/security.md.",
                id="complaints.W102",
            )
        )
    return found
