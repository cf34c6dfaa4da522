"""Django admin for the legal case: the authority register, deadline rules, holidays, and the cases (read-only).

Rules and holidays are data an admin edits; submissions, decisions and respondents are
written only through the services (the complaint page and the API), so the admin shows them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    Authority,
    CaseDeadline,
    DeadlineRule,
    Decision,
    Holiday,
    Respondent,
    Submission,
)
from complaints.models.legal import UNREVIEWED_HELP


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ru", "kind", "level", "unit", "appeals_to", "is_active")
    list_filter = ("kind", "level", "is_active")
    search_fields = ("code", "name_ru", "name_kk", "name_en")
    autocomplete_fields = ("appeals_to",)
    raw_id_fields = ("unit",)


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "authority_kind",
        "authority_level",
        "amount",
        "day_count",
        "immediate_near_voting_day",
        "legal_reference",
        "election",
        "needs_legal_review",
        "is_active",
    )
    list_filter = ("country", "kind", "authority_kind", "needs_legal_review", "is_active")
    search_fields = ("legal_reference", "note")
    fieldsets = (
        (
            None,
            {
                "fields": ("country", "election", "kind", "authority_kind", "authority_level"),
                "description": UNREVIEWED_HELP,
            },
        ),
        (
            _("The period"),
            {"fields": ("amount", "day_count", "roll_to_working_day", "immediate_near_voting_day", "urgent_hours")},
        ),
        (_("Legal basis"), {"fields": ("legal_reference", "note", "needs_legal_review", "is_active")}),
    )


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "country", "is_day_off")
    list_filter = ("country", "is_day_off")
    date_hierarchy = "date"


class _ReadOnly(admin.ModelAdmin):
    """Written only through the services (audited); shown here, never edited."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(_ReadOnly):
    list_display = ("complaint", "authority", "authority_text", "state", "submitted_at", "answer_due_at")
    list_filter = ("state", "channel", "authority__level")
    search_fields = ("complaint__code", "registration_number", "authority__name_ru", "authority_text")


@admin.register(Decision)
class DecisionAdmin(_ReadOnly):
    list_display = ("submission", "result", "decided_on", "sha256", "appeal_due_at")
    list_filter = ("result",)


@admin.register(CaseDeadline)
class CaseDeadlineAdmin(_ReadOnly):
    list_display = ("complaint", "kind", "due_at", "state", "legal_reference")
    list_filter = ("kind", "state")
    search_fields = ("complaint__code",)


@admin.register(Respondent)
class RespondentAdmin(_ReadOnly):
    list_display = ("complaint", "kind", "name", "created_at")
    list_filter = ("kind",)
    search_fields = ("complaint__code", "name")
