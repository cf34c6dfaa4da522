"""The formal-complaint-document block of the staff complaint page, as an inclusion tag (its own reads)."""

from __future__ import annotations

from typing import Any

from django import template

from complaints import selectors
from complaints.models import Complaint
from complaints.web.documents import document_form_for

register = template.Library()


@register.inclusion_tag("complaints/partials/documents.html", takes_context=True)
def complaint_documents(context: Any, complaint: Complaint) -> dict[str, Any]:
    """Nothing for reviewers; for coordinators in scope the documents made so far and the form.

    A page re-rendered after a refused generation passes its bound form as ``document_form``.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not selectors.documents_allowed(user=user, complaint=complaint):
        return {"allowed": False}
    form = context.get("document_form") or document_form_for(complaint, user)
    return {
        "allowed": True,
        "complaint": complaint,
        "documents": list(selectors.documents_for(complaint=complaint)),
        "form": form,
        "csrf_token": context.get("csrf_token"),
    }
