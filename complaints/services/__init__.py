"""Every write the registry makes, split by subdomain. Keyword-only, typed, one transaction each.

Each service locks what it changes, validates against the workflow, appends the audit
event and writes the outbox rows in the same transaction, and only then commits. The
names below are re-exported so callers can write ``services.complaint_file(...)``.
"""

from complaints.access import Actor, ComplainantActor, hash_secret
from complaints.errors import (
    ComplaintClosed,
    EvidenceRejected,
    EvidenceTooLarge,
    EvidenceTypeNotAllowed,
    ReplayRefused,
    ServiceError,
    StaleVersion,
    UnsafeWebhookURL,
    ValidationFailed,
)
from complaints.services.assignment import complaint_assign, complaint_auto_assign, least_loaded_reviewer
from complaints.services.cases import (
    case_deadlines_check,
    deadline_compute,
    deadline_warn,
    filing_deadlines_open,
    respondent_add,
    respondent_reply_add,
    submission_appeal,
    submission_file,
    submission_from_escalation,
    submission_record_outcome,
)
from complaints.services.documents import document_generate
from complaints.services.evidence import (
    ALLOWED_EVIDENCE_TYPES,
    InspectedUpload,
    evidence_attach,
    evidence_inspect,
    evidence_name,
    sanitize_filename,
)
from complaints.services.filing import Filing, complaint_file
from complaints.services.housekeeping import housekeeping_purge
from complaints.services.notes import note_add, reporter_reveal
from complaints.services.retention import (
    PurgeResult,
    identities_purge,
    identities_purge_due,
    identities_purge_for_email,
    reporter_identity_purge,
)
from complaints.services.sla import sla_breach_mark, sla_check
from complaints.services.staff import record_scope_change, scope_snapshot, staff_set_scope
from complaints.services.transitions import complaint_answer, complaint_transition
from complaints.services.webhooks import (
    outbox_replay,
    webhook_secret_rotate,
    webhook_subscribe,
    webhook_unsubscribe,
    webhook_update,
)

__all__ = [
    "case_deadlines_check",
    "deadline_compute",
    "deadline_warn",
    "filing_deadlines_open",
    "respondent_add",
    "respondent_reply_add",
    "submission_appeal",
    "submission_file",
    "submission_from_escalation",
    "submission_record_outcome",
    "ALLOWED_EVIDENCE_TYPES",
    "Actor",
    "ComplainantActor",
    "ComplaintClosed",
    "EvidenceRejected",
    "EvidenceTooLarge",
    "EvidenceTypeNotAllowed",
    "Filing",
    "InspectedUpload",
    "PurgeResult",
    "ReplayRefused",
    "ServiceError",
    "StaleVersion",
    "UnsafeWebhookURL",
    "ValidationFailed",
    "complaint_answer",
    "complaint_assign",
    "complaint_auto_assign",
    "complaint_file",
    "complaint_transition",
    "document_generate",
    "evidence_attach",
    "evidence_inspect",
    "evidence_name",
    "hash_secret",
    "housekeeping_purge",
    "identities_purge",
    "identities_purge_due",
    "identities_purge_for_email",
    "least_loaded_reviewer",
    "note_add",
    "outbox_replay",
    "record_scope_change",
    "reporter_identity_purge",
    "reporter_reveal",
    "sanitize_filename",
    "scope_snapshot",
    "sla_breach_mark",
    "sla_check",
    "staff_set_scope",
    "webhook_secret_rotate",
    "webhook_subscribe",
    "webhook_unsubscribe",
    "webhook_update",
]
