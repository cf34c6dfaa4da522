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
    IdentityInPublicText,
    PublicationWarnings,
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
from complaints.services.channels import (
    complaint_follow,
    contact_address_get_or_create,
    contact_find,
    contact_unfollow_all,
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
from complaints.services.evidence_copies import evidence_copies_due, evidence_copy_make
from complaints.services.filing import Filing, complaint_file
from complaints.services.held import (
    held_upload_create,
    held_uploads_delete,
    held_uploads_find,
    held_uploads_forget,
    held_uploads_opened,
    held_uploads_purge,
    held_uploads_refresh,
    new_holder,
)
from complaints.services.housekeeping import housekeeping_purge
from complaints.services.notes import note_add, reporter_reveal, reporter_reveal_export
from complaints.services.publication import case_publish, case_unpublish, identity_found, publication_warnings
from complaints.services.retention import (
    PurgeResult,
    identities_purge,
    identities_purge_due,
    identities_purge_for_email,
    reporter_identity_purge,
)
from complaints.services.search import search_index_rebuild, search_index_refresh, search_index_refresh_units
from complaints.services.sla import sla_breach_mark, sla_check
from complaints.services.sms import sms_media_fetch, sms_receive
from complaints.services.staff import record_scope_change, scope_snapshot, staff_set_scope
from complaints.services.telegram_updates import (
    set_update_publisher,
    telegram_housekeeping,
    telegram_poll_offset,
    telegram_update_process,
    telegram_update_receive,
    telegram_updates_due,
)
from complaints.services.transitions import complaint_answer, complaint_transition
from complaints.services.webhooks import (
    outbox_replay,
    webhook_secret_rotate,
    webhook_subscribe,
    webhook_unsubscribe,
    webhook_update,
)

__all__ = [
    "search_index_rebuild",
    "search_index_refresh",
    "search_index_refresh_units",
    "complaint_follow",
    "contact_address_get_or_create",
    "contact_find",
    "contact_unfollow_all",
    "set_update_publisher",
    "sms_media_fetch",
    "sms_receive",
    "telegram_housekeeping",
    "telegram_poll_offset",
    "telegram_update_process",
    "telegram_update_receive",
    "telegram_updates_due",
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
    "IdentityInPublicText",
    "PublicationWarnings",
    "case_publish",
    "case_unpublish",
    "identity_found",
    "publication_warnings",
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
    "evidence_copies_due",
    "evidence_copy_make",
    "evidence_inspect",
    "evidence_name",
    "hash_secret",
    "held_upload_create",
    "held_uploads_delete",
    "held_uploads_find",
    "held_uploads_forget",
    "held_uploads_opened",
    "held_uploads_purge",
    "held_uploads_refresh",
    "new_holder",
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
    "reporter_reveal_export",
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
