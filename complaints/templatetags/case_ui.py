"""``{% complaint_case complaint %}``: the case-at-the-authorities section of the staff complaint page."""

from __future__ import annotations

from typing import Any

from django import template

from complaints.web.case_forms import case_context

register = template.Library()


@register.inclusion_tag("complaints/review/_case.html", takes_context=True)
def complaint_case(context: dict[str, Any], complaint: Any) -> dict[str, Any]:
    """The next deadline, the chain of submissions and appeals, respondents, and the coordinators' forms."""
    request = context["request"]
    return {
        "complaint": complaint,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        **case_context(request, complaint),
    }
