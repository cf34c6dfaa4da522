"""API key authentication: ``Authorization: Api-Key <key>`` or ``X-Api-Key: <key>``.

Keys are hashed at rest (djangorestframework-api-key); a key acts as its service user.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import OuterRef
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from complaints.models import ApiKey


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def _raw_key(self, request: Request) -> str | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith(f"{self.keyword} "):
            return header[len(self.keyword) + 1 :].strip()
        return request.META.get("HTTP_X_API_KEY") or None

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = self._raw_key(request)
        if raw is None:
            return None
        # get_from_key, with the key's user in the same query (one round trip per request).
        prefix = raw.partition(".")[0]
        keys = ApiKey.objects.get_usable_keys().select_related("user").filter(prefix=prefix)
        if connection.vendor == "postgresql":  # the user's group names too, for access_for
            from django.contrib.postgres.expressions import ArraySubquery

            names = Group.objects.filter(user=OuterRef("user_id")).values("name")
            keys = keys.annotate(group_names=ArraySubquery(names))
        key = keys.first()
        if key is not None and not key.is_valid(raw):
            key = None
        if key is None or key.has_expired or key.revoked or not key.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        if hasattr(key, "group_names"):
            key.user._registry_group_names = key.group_names
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
