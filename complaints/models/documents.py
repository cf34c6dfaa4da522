"""Formal complaint documents: the admin-editable templates and every generated file with its hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint
from complaints.models.territory import Election


class DocumentLanguage(models.TextChoices):
    RU = "ru", "Русский"
    KK = "kk", "Қазақша"
    EN = "en", "English"


class DocumentFormat(models.TextChoices):
    PDF = "pdf", _("PDF (to file)")
    DOCX = "docx", _("DOCX (editable)")


class DocumentTemplate(models.Model):
    """The text of the formal complaint in one language, as a Django template string.

    ``election`` empty = the default for every election without its own. The body renders
    to a small line markup (see complaints/documents/markup.py), not HTML.
    """

    election = models.ForeignKey(
        Election,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="document_templates",
        verbose_name=_("election"),
        help_text=_("Leave empty for the default used by every election without its own template."),
    )
    language = models.CharField(_("language"), max_length=2, choices=DocumentLanguage.choices)
    body = models.TextField(
        _("template"),
        help_text=_(
            "A Django template. Lines starting with “# ” are the title, “## ” a heading, “> ” the "
            "addressee block, “- ” a list item, “~ ” small print; a blank line ends a paragraph."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["election_id", "language"]
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        constraints = [
            models.UniqueConstraint(
                fields=["election", "language"],
                condition=Q(election__isnull=False),
                name="document_template_per_election",
            ),
            models.UniqueConstraint(
                fields=["language"], condition=Q(election__isnull=True), name="document_template_default"
            ),
        ]

    def __str__(self) -> str:
        scope = str(self.election) if self.election_id else str(_("default"))
        return f"{scope} · {self.language}"


def document_path(instance: GeneratedDocument, filename: str) -> str:
    return f"documents/{instance.complaint.code}/{filename}"


class GeneratedDocument(models.Model):
    """One generation of the formal complaint: numbered per complaint, hashed, kept in the storage."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="documents", verbose_name=_("complaint")
    )
    # Other complaints about the same incident that the document also covers.
    related = models.ManyToManyField(Complaint, blank=True, related_name="related_documents", verbose_name=_("related"))
    version = models.PositiveIntegerField(editable=False, verbose_name=_("version"))
    language = models.CharField(
        max_length=2, choices=DocumentLanguage.choices, editable=False, verbose_name=_("language")
    )
    format = models.CharField(max_length=4, choices=DocumentFormat.choices, editable=False, verbose_name=_("format"))
    file = models.FileField(upload_to=document_path, max_length=300, editable=False, verbose_name=_("file"))
    sha256 = models.CharField(max_length=64, db_index=True, editable=False, verbose_name=_("sha256"))
    size = models.PositiveBigIntegerField(editable=False, verbose_name=_("size"))
    template = models.ForeignKey(
        DocumentTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("template"),
    )
    # The choices it was made with (addressee, standing, remedy, ...); never the reporter's identity.
    options = models.JSONField(default=dict, editable=False, verbose_name=_("options"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["complaint_id", "-version"]
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "version"], name="generated_document_version"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} v{self.version} ({self.language}, {self.format})"

    @property
    def filename(self) -> str:
        return f"complaint-{self.complaint.code}-v{self.version}-{self.language}.{self.format}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


CONTENT_TYPES: dict[str, str] = {
    DocumentFormat.PDF: "application/pdf",
    DocumentFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
