"""The complaint, its reporter, evidence and notes, and the status choices."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models.fields import EncryptedTextField, KeyedHashField
from complaints.models.taxonomy import Category, Severity
from complaints.models.territory import Election, PollingStation, TerritorialUnit

# Crockford-style alphabet without 0/O, 1/I/L, U: readable aloud and over the phone.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_receipt_code() -> str:
    """12 random symbols (~59 bits) shown as XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def receipt_code_normalize(code: str) -> str:
    """A receipt code as typed, as stored: ``abcdefghjkmn`` or ``abcd efgh jkmn`` is ``ABCD-EFGH-JKMN``.

    Spaces, dashes of any kind and case do not matter; anything that is not 12 letters and
    digits then is returned upper-cased, to match nothing.
    """
    raw = re.sub(r"[\s\-\u2010-\u2015\u2212_.]", "", code).upper()
    if len(raw) == 12 and raw.isascii() and raw.isalnum():
        return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    return code.strip().upper()


# The one limit on what a complainant writes; the form, the serializer and the service read it.
DESCRIPTION_MAX_LENGTH = 10_000


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    TRIAGED = "triaged", _("Triaged")
    UNDER_REVIEW = "under_review", _("Under review")
    NEEDS_INFO = "needs_info", _("Needs information")
    SUBSTANTIATED = "substantiated", _("Substantiated")
    UNSUBSTANTIATED = "unsubstantiated", _("Unsubstantiated")
    DUPLICATE = "duplicate", _("Duplicate")
    ESCALATED = "escalated", _("Escalated to the authority")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    IMPORT = "import", _("Import")
    TELEGRAM = "telegram", _("Telegram")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone hotline")


# Statuses whose review deadline (SLA) runs; workflow.SLA_STATES is this set (a test checks).
SLA_RUNNING_STATUSES = ("submitted", "triaged", "under_review")

# 0 while the complaint's SLA clock runs, 1 otherwise (paused in needs_info, decided, closed):
# the first key of the reviewer queue's order, and of the index that serves it.
SLA_CLOCK_STOPPED = models.Case(
    models.When(Q(status__in=sorted(SLA_RUNNING_STATUSES), sla_paused_at__isnull=True), then=models.Value(0)),
    default=models.Value(1),
    output_field=models.IntegerField(),
)


class Complaint(models.Model):
    code = models.CharField(_("receipt code"), max_length=14, unique=True, default=new_receipt_code, editable=False)
    election = models.ForeignKey(
        Election, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("election")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("category")
    )
    polling_station = models.ForeignKey(
        PollingStation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("polling station"),
    )
    unit = models.ForeignKey(
        TerritorialUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("territorial unit"),
    )
    # Denormalised from ``unit.path`` so scope and region filters are one prefix match.
    unit_path = models.CharField(_("unit path"), max_length=255, blank=True, db_index=True, editable=False)
    place_text = models.CharField(_("place"), max_length=300, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    description = models.TextField(_("what happened"))
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=0, help_text=_("Raised each time the SLA is breached.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, editable=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_complaints",
        editable=False,
        verbose_name=_("assignee"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True, editable=False)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, editable=False)
    sla_paused_at = models.DateTimeField(_("SLA paused at"), null=True, blank=True, editable=False)
    sla_breached_at = models.DateTimeField(_("SLA breached at"), null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        editable=False,
        verbose_name=_("duplicate of"),
    )
    channel = models.CharField(_("source channel"), max_length=10, choices=Channel.choices)
    # A complaint taken on the hotline: the staff operator who filed it on the caller's behalf,
    # and when the caller consented to it being filed (services.complaint_file_for_caller).
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_filed_for_callers",
        editable=False,
        verbose_name=_("filed by operator"),
    )
    caller_consent_at = models.DateTimeField(_("caller consented at"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The staff search document on PostgreSQL (GIN-indexed by migration 0016), written by
    # services.search; on SQLite always empty: an FTS5 table holds the document there (docs/search.md).
    search_vector = SearchVectorField(_("search document"), null=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        permissions = [
            ("view_reporter_identity", _("Can see who reported a complaint")),
            ("work_queue", _("Can work the review queue")),
            ("coordinate", _("Can assign, escalate and close complaints")),
            ("take_calls", _("Can file complaints for callers on the hotline")),
        ]
        indexes = [
            # The reviewer queue: open complaints of an election, ordered by due time.
            models.Index(fields=["election", "status", "due_at"], name="complaint_queue"),
            models.Index(fields=["status", "due_at"], name="complaint_status_due"),
            models.Index(fields=["category", "status"], name="complaint_category_status"),
            models.Index(fields=["assignee", "status"], name="complaint_assignee_status"),
            models.Index(fields=["updated_at", "id"], name="complaint_sync"),
            # The queue's sort order exactly (ASC sorts NULLs last on PostgreSQL), so a page is read
            # in order from the index and stops after 50 matches.
            models.Index(fields=["due_at", "-priority", "id"], name="complaint_queue_order"),
            # The queue order since running SLA clocks come first (selectors.queue.QUEUE_ORDER),
            # expression for expression, so a page is again read in order from an index.
            models.Index(
                SLA_CLOCK_STOPPED,
                models.F("due_at").asc(),  # ASC is NULLS LAST on PostgreSQL (SQLite cannot spell it)
                models.F("priority").desc(),
                models.F("id").asc(),
                name="complaint_queue_clock_order",
            ),
            models.Index(
                fields=["due_at"],
                name="complaint_sla_open",
                condition=Q(sla_breached_at__isnull=True, sla_paused_at__isnull=True)
                & ~Q(
                    status__in=[
                        "substantiated",
                        "unsubstantiated",
                        "duplicate",
                        "escalated",
                        "resolved",
                        "closed",
                        "rejected",
                        "withdrawn",
                    ]
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(polling_station__isnull=False) | ~Q(place_text="") | Q(unit__isnull=False),
                name="complaint_has_place",
            ),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="complaint_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False),
                name="complaint_duplicate_has_original",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Reporter(models.Model):
    """Who filed a complaint. Kept apart from it: reading it needs a permission and is audited."""

    complaint = models.OneToOneField(
        Complaint, on_delete=models.CASCADE, primary_key=True, related_name="reporter", verbose_name=_("complaint")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_complaints",
        verbose_name=_("user"),
    )
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    # Identity and contact are encrypted at rest (complaints/crypto.py); the attributes read
    # and write plaintext. Equality lookups go through the keyed hash, never the ciphertext.
    full_name = EncryptedTextField(_("full name"), max_length=200, blank=True)
    email = EncryptedTextField(_("email"), max_length=254, blank=True, validators=[validate_email])
    phone = EncryptedTextField(_("phone"), max_length=40, blank=True)
    email_hash = KeyedHashField(
        _("email lookup hash"), source="email", kind="email", max_length=64, blank=True, editable=False, db_index=True
    )
    language = models.CharField(_("language"), max_length=8, default="ru")
    # sha256 of the follow-up secret shown once at filing; the secret itself is never kept.
    secret_hash = models.CharField(_("follow-up secret (hash)"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")

    def __str__(self) -> str:
        return f"reporter of {self.complaint_id}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.complaint.code}/{filename}"


def evidence_copy_path(instance: Evidence, filename: str) -> str:
    """Derived copies: a random name under a folder of their own, with no receipt code in the key."""
    return f"evidence-copies/{filename[:2]}/{filename}"


class EvidenceCopyState(models.TextChoices):
    """The derived copy of an evidence file with its metadata removed (docs/security.md, Evidence custody)."""

    PENDING = "pending", _("Copy being prepared")
    READY = "ready", _("Copy ready")
    UNPUBLISHABLE = "unpublishable", _("No copy: files of this type are never published")
    FAILED = "failed", _("No copy: the file could not be read to make one")


class Evidence(models.Model):
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("complaint")
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True, editable=False)
    size = models.PositiveBigIntegerField(_("size, bytes"), editable=False)
    content_type = models.CharField(_("file type"), max_length=100, editable=False)
    original_name = models.CharField(_("file name"), max_length=200, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # The derived copy (metadata stripped, orientation applied), made off the request path.
    # Only it, and only when public_state is "ready", may be shown outside the original's permission.
    public_file = models.FileField(_("stripped copy"), upload_to=evidence_copy_path, max_length=300, blank=True)
    public_sha256 = models.CharField(_("SHA-256 of the stripped copy"), max_length=64, blank=True, editable=False)
    public_size = models.PositiveBigIntegerField(_("size of the stripped copy, bytes"), null=True, editable=False)
    public_content_type = models.CharField(_("type of the stripped copy"), max_length=100, blank=True, editable=False)
    public_state = models.CharField(
        _("stripped copy"),
        max_length=16,
        choices=EvidenceCopyState.choices,
        default=EvidenceCopyState.UNPUBLISHABLE,  # fail closed: only intake marks a file as pending a copy
        editable=False,
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
        indexes = [
            models.Index(fields=["uploaded_at"], name="evidence_copy_pending", condition=Q(public_state="pending")),
        ]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class NoteVisibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (reviewers only)")
    COMPLAINANT = "complainant", _("To or from the complainant")


class Note(models.Model):
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="notes", verbose_name=_("complaint")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("author")
    )
    from_complainant = models.BooleanField(_("from the complainant"), default=False)
    visibility = models.CharField(_("visibility"), max_length=12, choices=NoteVisibility.choices)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return f"note {self.pk} on {self.complaint_id}"


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed on retries."""

    owner = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key"),
        ]

    def __str__(self) -> str:
        return f"{self.owner}:{self.key}"
