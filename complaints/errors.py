"""The one exception hierarchy: what every layer raises, and what the API maps to HTTP once.

Each refusal carries a message for humans and a stable ``code`` for machines. Nothing
here imports application code, so any module may raise these without a cycle.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


class ServiceError(Exception):
    """A refusal with a message for humans and a stable ``code`` for machines."""

    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(ServiceError):
    code = "invalid"


class StaleVersion(ServiceError):
    code = "stale_version"

    def __init__(self, message: str, current_status: str, current_version: int) -> None:
        super().__init__(message)
        self.current_status = current_status
        self.current_version = current_version


class ComplaintClosed(ServiceError):
    """The complaint is closed or withdrawn: a state conflict (HTTP 409), not bad input."""

    code = "complaint_closed"


class EvidenceRejected(ServiceError):
    code = "evidence_rejected"


class EvidenceTooLarge(EvidenceRejected):
    code = "too_large"


class EvidenceTypeNotAllowed(EvidenceRejected):
    code = "unsupported_type"


class UnsafeWebhookURL(ValidationFailed):
    """A webhook URL that is not http(s), or points at a private or loopback address."""

    code = "unsafe_url"


class IdentityInPublicText(ValidationFailed):
    """Text meant for publication names the reporter (name, phone, email) or carries the receipt code."""

    code = "identity_in_public_text"


class PublicationWarnings(ValidationFailed):
    """Publishing could single someone out; the coordinator must acknowledge each warning to go on."""

    code = "needs_acknowledgement"

    def __init__(self, message: str, warnings: list[str]) -> None:
        super().__init__(message, "acknowledge_warnings")
        self.warnings = warnings


class ReplayRefused(ServiceError):
    """An outbox row cannot be replayed; the message says why and what to do."""

    code = "replay_refused"


# --- outages: the request was fine, the server cannot serve it now ---------------


class Unavailable(Exception):
    """Not the caller's fault and not a bug: a resource is missing for now; try again later."""

    code = "unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = None


class StorageFull(Unavailable):
    """No room left to store files (ENOSPC, a quota): HTTP 507, and nothing of the attempt is kept."""

    code = "storage_full"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "There is no room left on the server to store files, so nothing was saved. "
                "Please try again in a few minutes."
            )
        )


# --- the workflow's refusals ---------------------------------------------------


class WorkflowError(Exception):
    """Base of the workflow's refusals; ``code`` is stable for API clients."""

    code = "workflow_error"


class UnknownAction(WorkflowError):
    code = "unknown_action"


class InvalidTransition(WorkflowError):
    code = "invalid_transition"


class NotAllowed(WorkflowError):
    code = "not_allowed"


class MissingRequirement(WorkflowError):
    code = "missing_requirement"

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing
