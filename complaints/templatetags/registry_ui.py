"""Small presentation helpers for the web templates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from complaints import workflow
from complaints.access import Access, access_for
from complaints.models import Severity, Status
from complaints.web.presenters import STATUS_TONE

register = template.Library()


@register.simple_tag(takes_context=True)
def user_access(context: dict[str, Any]) -> Access:
    """The current user's roles and scope (cached on the user for the request)."""
    request = context.get("request")
    return access_for(getattr(request, "user", None))


@register.filter
def is_coordinator(access: Access) -> bool:
    return bool(access.staff_roles & workflow.SENIOR)


@register.simple_tag
def status_badge(status: str) -> SafeString:
    label = Status(status).label if status in Status.values else status
    return format_html('<span class="badge badge--{}">{}</span>', STATUS_TONE.get(status, "new"), label)


@register.simple_tag
def severity_badge(severity: int) -> SafeString:
    label = Severity(severity).label if severity in Severity.values else severity
    return format_html('<span class="sev sev--{}">{}</span>', severity, label)


@register.filter
def sla_state(complaint: Any) -> str:
    """'overdue', 'soon' or '' for a complaint whose SLA clock is running."""
    if complaint.due_at is None or complaint.sla_paused_at is not None:
        return ""
    if complaint.status not in workflow.SLA_STATES:
        return ""
    now = timezone.now()
    if complaint.due_at < now:
        return "overdue"
    if complaint.due_at < now + timedelta(minutes=settings.SLA_DUE_SOON_MINUTES):
        return "soon"
    return ""


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)


@register.filter
def minutes(value: timedelta | None) -> int:
    return int(value.total_seconds() // 60) if value else 0
