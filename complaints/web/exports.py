"""The queue's "Export CSV" and "Export XLSX": exactly the rows the filtered queue shows, as a file.

GET exports without the reporters' identity. A POST from the queue's identity form (holders
of the identity permission, past the second factor, with a purpose) adds the identity
columns; every complaint in that file gets an audited ``identity_viewed`` event first.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from complaints import exports, selectors, services, workflow
from complaints.access import has_identity_permission, second_factor_ok
from complaints.selectors.queue import queue_page_rows
from complaints.web.forms import IdentityForm
from complaints.web.review import queue_form, staff_required
from complaints.web.two_factor import ask_second_factor


def _queue_url(request: HttpRequest) -> str:
    query = request.GET.urlencode()
    return reverse("web-queue") + (f"?{query}" if query else "")


def _identity_purpose(request: HttpRequest) -> str | HttpResponse:
    """The purpose of an identity export, or the answer that sends the user back (or to the second factor)."""
    if not has_identity_permission(request.user):
        raise PermissionDenied(_("You may not see who filed these complaints."))
    if not second_factor_ok(request.user):
        return ask_second_factor(request, _queue_url(request))
    form = IdentityForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("purpose", []):
            messages.error(request, str(error))
        return redirect(_queue_url(request))
    return str(form.cleaned_data["purpose"])


def _export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    form = queue_form(request, list(selectors.staff_users()))
    queue = queue_page_rows(user=request.user, filters=form.to_filters())
    purpose: str | None = None
    if request.method == "POST":
        answer = _identity_purpose(request)
        if isinstance(answer, HttpResponse):
            return answer
        purpose = answer
    try:
        return exports.queue_export(user=request.user, queue=queue, fmt=fmt, purpose=purpose)
    except workflow.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    except services.ValidationFailed as exc:
        messages.error(request, str(exc))
        return redirect(_queue_url(request))


@staff_required
@never_cache
@require_http_methods(["GET", "POST"])
def queue_export_csv(request: HttpRequest) -> HttpResponseBase:
    return _export(request, "csv")


@staff_required
@never_cache
@require_http_methods(["GET", "POST"])
def queue_export_xlsx(request: HttpRequest) -> HttpResponseBase:
    return _export(request, "xlsx")
