"""Domain models: data, choices, constraints and indexes only.

Split by area; every model is re-exported here so ``complaints.models.X`` works.
"""

from complaints.models.access import ApiKey, Profile, ScopeChange
from complaints.models.audit import AuditEvent
from complaints.models.complaint import (
    Channel,
    Complaint,
    Evidence,
    IdempotencyRecord,
    Note,
    NoteVisibility,
    Reporter,
    Severity,
    Status,
)
from complaints.models.notifications import (
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from complaints.models.taxonomy import Category, localized
from complaints.models.territory import (
    Election,
    ElectionKind,
    ElectionStatus,
    PollingStation,
    TerritorialUnit,
    UnitLevel,
)

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Category",
    "Channel",
    "Complaint",
    "Election",
    "ElectionKind",
    "ElectionStatus",
    "Evidence",
    "IdempotencyRecord",
    "Note",
    "NoteVisibility",
    "OutboxChannel",
    "OutboxMessage",
    "OutboxStatus",
    "PollingStation",
    "Profile",
    "ScopeChange",
    "Reporter",
    "Severity",
    "Status",
    "TerritorialUnit",
    "UnitLevel",
    "WebhookDelivery",
    "WebhookSubscription",
    "localized",
]
