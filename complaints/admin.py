"""Django admin: useful to a reviewer from day one, and scoped like every other path.

Status, hashes, receipt codes and the audit trail are read-only here: changes of state go
through the services (the web UI and API), never through an admin form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from rest_framework_api_key.admin import APIKeyModelAdmin

from complaints import services
from complaints.access import visible_complaints
from complaints.models import (
    ApiKey,
    AuditEvent,
    Category,
    Complaint,
    Election,
    Evidence,
    Note,
    PollingStation,
    Profile,
    Reporter,
    TerritorialUnit,
)
from complaints.notifications import admin as notifications_admin  # noqa: F401 - registers the outbox admin


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ["name_ru", "kind", "voting_day", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["name_ru", "name_kk", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(TerritorialUnit)
class TerritorialUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ru", "level", "parent", "path"]
    list_filter = ["level"]
    search_fields = ["code", "name_ru", "name_kk", "name_en"]
    readonly_fields = ["path"]
    autocomplete_fields = ["parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Moving a unit or renaming its code would orphan the paths stored below it.
        return ["path", "parent", "code"] if obj else ["path"]


@admin.register(PollingStation)
class PollingStationAdmin(admin.ModelAdmin):
    list_display = ["number", "address", "unit"]
    list_filter = [("unit", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["number", "address"]
    autocomplete_fields = ["unit"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ru", "name_en", "default_severity", "is_active", "sort_order"]
    list_filter = ["is_active", "default_severity"]
    search_fields = ["code", "name_ru", "name_kk", "name_en"]
    list_editable = ["is_active", "sort_order"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj else []  # codes are stable: API clients key on them


class EvidenceInline(ReadOnlyMixin, admin.TabularInline):
    model = Evidence
    fields = ["original_name", "content_type", "size", "sha256", "uploaded_at"]
    readonly_fields = ["original_name", "content_type", "size", "sha256", "uploaded_at"]
    extra = 0


class NoteInline(ReadOnlyMixin, admin.TabularInline):
    model = Note
    fields = ["created_at", "author", "visibility", "from_complainant", "body"]
    readonly_fields = ["created_at", "author", "visibility", "from_complainant", "body"]
    extra = 0


class AuditInline(ReadOnlyMixin, admin.TabularInline):
    model = AuditEvent
    fields = ["seq", "created_at", "action", "actor_label", "from_status", "to_status", "payload", "hash"]
    readonly_fields = ["seq", "created_at", "action", "actor_label", "from_status", "to_status", "payload", "hash"]
    extra = 0
    ordering = ["seq"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["code", "status", "severity", "priority", "category", "unit", "assignee", "due_at", "created_at"]
    list_filter = [
        "status",
        "severity",
        "channel",
        "election",
        "category",
        ("unit", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["code", "polling_station__number", "description"]
    date_hierarchy = "created_at"
    list_select_related = ["category", "unit", "assignee"]
    readonly_fields = [
        "code",
        "status",
        "version",
        "assignee",
        "assigned_at",
        "due_at",
        "sla_paused_at",
        "sla_breached_at",
        "duplicate_of",
        "unit_path",
        "created_at",
        "updated_at",
    ]
    fields = [
        "code",
        "status",
        "election",
        "category",
        "polling_station",
        "unit",
        "unit_path",
        "place_text",
        "occurred_at",
        "description",
        "severity",
        "priority",
        "channel",
        "assignee",
        "assigned_at",
        "due_at",
        "sla_paused_at",
        "sla_breached_at",
        "duplicate_of",
        "version",
        "created_at",
        "updated_at",
    ]
    inlines = [EvidenceInline, NoteInline, AuditInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Complaint]:
        return visible_complaints(request.user, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # filing goes through complaint_file (web form or API)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # facts are evidence: they are not edited, only annotated

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reporter)
class ReporterAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Who filed what. The list shows no identity; opening one is audited."""

    list_display = ["complaint", "is_anonymous", "language"]
    list_filter = ["is_anonymous"]
    search_fields = ["complaint__code"]
    fields = ["complaint", "is_anonymous", "user", "full_name", "email", "phone", "language"]
    readonly_fields = ["complaint", "is_anonymous", "user", "full_name", "email", "phone", "language"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reporter]:
        codes = visible_complaints(request.user).values("pk")
        return super().get_queryset(request).filter(complaint__in=codes).select_related("complaint")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("complaints.view_reporter_identity")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        reporter = self.get_object(request, object_id)
        if reporter is not None and self.has_view_permission(request, reporter):
            services.reporter_reveal(complaint=reporter.complaint, actor=request.user, purpose="read in the admin")
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["complaint", "seq", "action", "actor_label", "from_status", "to_status", "created_at"]
    list_filter = ["action"]
    search_fields = ["complaint__code", "hash"]
    list_select_related = ["complaint"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return super().get_queryset(request).filter(complaint__in=visible_complaints(request.user).values("pk"))


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = (*APIKeyModelAdmin.list_display, "user")  # type: ignore[assignment]
    search_fields = (*APIKeyModelAdmin.search_fields, "user__username")  # type: ignore[assignment]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ["units"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class RegistryUserAdmin(UserAdmin):
    inlines = [ProfileInline]
