"""Who may call an endpoint at all. What they may see is scoped by ``access.visible_complaints``
(404 outside it), and what they may do is decided by the services and the workflow table."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class AnonymousAllowed(BasePermission):
    """Anyone, signed in or not (reference data, anonymous filing, receipt lookups)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return True

    @staticmethod
    def allows_anonymous(method: str) -> bool:
        return True


class AuthenticatedOrFiling(BasePermission):
    """Reading needs an account or API key; filing (POST) is open to anonymous complainants."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method == "POST" or bool(request.user and request.user.is_authenticated)

    @staticmethod
    def allows_anonymous(method: str) -> bool:
        return method == "POST"
