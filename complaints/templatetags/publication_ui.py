"""``{% published_case complaint %}``: the publication section of the staff complaint page."""

from __future__ import annotations

from typing import Any

from django import template

from complaints.web.publication import staff_publication_context

register = template.Library()


@register.inclusion_tag("complaints/review/_publication.html", takes_context=True)
def published_case(context: Any, complaint: Any) -> dict[str, Any]:
    """The public page's state, the publish form (with warnings to acknowledge) and the unpublish form."""
    request = context["request"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        **staff_publication_context(request, complaint, context),
    }
