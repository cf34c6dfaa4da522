"""Django admin for the formal complaint document: templates editable per election, generated files read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template import Engine, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from complaints.access import visible_complaints
from complaints.models import DocumentTemplate, GeneratedDocument


class DocumentTemplateForm(forms.ModelForm):
    class Meta:
        model = DocumentTemplate
        fields = ["election", "language", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 40, "cols": 110, "spellcheck": "false"})}

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        try:
            Engine(autoescape=False).from_string(body)
        except TemplateSyntaxError as exc:
            raise forms.ValidationError(_("The template does not parse: %(error)s"), params={"error": exc}) from exc
        return body


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    form = DocumentTemplateForm
    list_display = ["__str__", "election", "language", "updated_at"]
    list_filter = ["language", "election"]


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(admin.ModelAdmin):
    list_display = ["complaint", "version", "language", "format", "size", "sha256", "created_by", "created_at"]
    list_filter = ["language", "format"]
    search_fields = ["complaint__code", "sha256"]
    list_select_related = ["complaint", "created_by"]
    readonly_fields = [
        "complaint",
        "version",
        "language",
        "format",
        "file",
        "sha256",
        "size",
        "template",
        "options",
        "created_by",
        "created_at",
    ]
    exclude = ["related"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # generated through the service only (web page or API): numbered, hashed, audited

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[GeneratedDocument]:
        return super().get_queryset(request).filter(complaint__in=visible_complaints(request.user).values("pk"))
