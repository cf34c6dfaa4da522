"""Model fields for reporter identity: encrypted at rest, and the keyed hash that stands in for it in lookups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models import Lookup, Model

from complaints import crypto


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; the attribute reads and writes plaintext.

    ``max_length`` applies to the plaintext (forms and serializers), never to the column.
    Only ``isnull`` and equality with the empty string may be looked up: any other value
    would be compared with a fresh random token and silently match nothing, so it is
    refused; look up through the keyed hash column (``email_hash``) instead.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return EmptyExact
        raise FieldError(
            f"{self.model.__name__}.{self.name} is encrypted at rest and cannot be looked up by "
            f"'{lookup_name}'; use its keyed hash column"
        )


class EmptyExact(models.lookups.Exact):
    """``field=""`` on an encrypted field (an empty value is stored empty); any other value is refused."""

    def get_prep_lookup(self) -> Any:
        if self.rhs != "":
            raise FieldError(
                f"{self.lhs.target.name} is encrypted at rest: look it up by its keyed hash column, "
                "not by its plaintext"
            )
        return ""  # not encrypted: "" is stored as ""


class KeyedHashField(models.CharField):
    """HMAC-SHA256 of another field's normalised value, set on every save (and bulk insert).

    ``source`` names the field, ``kind`` selects the normalisation and is hashed in
    (``crypto.lookup_hash``). Not editable: it always follows its source.
    """

    NORMALISERS: dict[str, Callable[[str], str]] = {
        "email": crypto.normalise_email,
        "phone": crypto.normalise_phone,
        "contact": crypto.normalise_contact,
    }

    def __init__(self, *args: Any, source: str = "", kind: str = "email", **kwargs: Any) -> None:
        if kind not in self.NORMALISERS:
            raise ValueError(f"KeyedHashField kind must be one of {sorted(self.NORMALISERS)}")
        self.source = source
        self.kind = kind
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def hash_of(self, value: str) -> str:
        """The hash stored for ``value`` (also what a lookup compares with)."""
        return crypto.lookup_hash(self.kind, self.NORMALISERS[self.kind](value or ""))

    def pre_save(self, model_instance: Model, add: bool) -> Any:
        value = self.hash_of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value
