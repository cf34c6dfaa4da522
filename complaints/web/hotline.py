"""The hotline page: a staff operator files a complaint for a caller (``complaint_file_for_caller``).

The form is the filing form's complaint part (same checks, errors shown together) without
files or the filer's own identity choice; instead the caller's name and phone (optional,
sealed), a phone for SMS updates (optional, a sealed contact) and the caller's consent,
a required box beside the wording the operator reads out. The receipt code (and the
follow-up secret, for the caller to open the status page) is shown once to read out,
handed over in a short-lived cookie as the web receipt is: never stored on the server.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from complaints import services
from complaints.services.hotline import CONSENT_WORDING, complaint_file_for_caller, may_take_calls
from complaints.text import OneLineFormField
from complaints.web import privacy
from complaints.web.forms import PLACE_RULE_ID, FilingForm
from complaints.web.review import staff_required

HOTLINE_RECEIPT_PATH = "/hotline/receipt/"
FIELD_ALIASES = {"unit": "region"}


class HotlineForm(FilingForm):
    # What a caller cannot give over the phone, or gives differently: no files, no identity choice.
    files = None  # type: ignore[assignment]
    identity = None  # type: ignore[assignment]
    full_name = None  # type: ignore[assignment]
    email = None  # type: ignore[assignment]
    phone = None  # type: ignore[assignment]
    updates_email = None  # type: ignore[assignment]
    caller_name = OneLineFormField(
        label=gettext_lazy("Caller's name"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Only if they want to give it. Kept sealed: reviewers do not see it."),
    )
    caller_phone = OneLineFormField(
        label=gettext_lazy("Caller's phone"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Only if they want to give it, for a coordinator to call back. Kept sealed."),
    )
    sms_phone = OneLineFormField(
        label=gettext_lazy("Phone for SMS updates"),
        required=False,
        max_length=40,
        help_text=gettext_lazy(
            "If the caller wants the reviewers' questions and status changes by SMS: the number with its "
            "country code. Used only for these messages, never shown to staff."
        ),
    )
    caller_language = forms.ChoiceField(label=gettext_lazy("Caller's language"), choices=settings.LANGUAGES)
    consent = forms.BooleanField(
        label=gettext_lazy("I read the wording above to the caller and they agreed"),
        error_messages={"required": gettext_lazy("Without the caller's consent the complaint cannot be filed.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("caller_language", (get_language() or settings.LANGUAGE_CODE)[:2])


def operator_required(view: Any) -> Any:
    """Staff who may take calls (``may_take_calls``); others get 403."""

    def check(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_take_calls(request.user):
            raise PermissionDenied(_("This page is for hotline operators."))
        return view(request, *args, **kwargs)

    check.__name__ = view.__name__
    check.__doc__ = view.__doc__
    return staff_required(check)


def _file(request: HttpRequest, form: HotlineForm) -> services.Filing | None:
    data = form.cleaned_data
    try:
        return complaint_file_for_caller(
            operator=request.user,
            consent=data["consent"],
            election=data["election"],
            category=data["category"],
            occurred_at=data["occurred_at"],
            description=data["description"],
            polling_station=data.get("polling_station"),
            unit=data.get("region"),
            place_text=data.get("place_text", ""),
            caller_name=data.get("caller_name", ""),
            caller_phone=data.get("caller_phone", ""),
            sms_phone=data.get("sms_phone", ""),
            language=data["caller_language"],
        )
    except services.ServiceError as exc:
        name = FIELD_ALIASES.get(exc.field or "", exc.field)
        form.add_error(name if name in form.fields else None, exc.message)
        return None


@never_cache
@require_http_methods(["GET", "POST"])
@operator_required
def hotline_file(request: HttpRequest) -> HttpResponse:
    """File for a caller; on success the receipt page shows the code to read out."""
    form = HotlineForm(request.POST or None, user=None)
    if request.method == "POST" and form.is_valid() and (filing := _file(request, form)) is not None:
        response = redirect("web-hotline-receipt")
        privacy.receipt_keep(response, code=filing.complaint.code, secret=filing.secret, path=HOTLINE_RECEIPT_PATH)
        return response
    context = {
        "form": form,
        "category_groups": form.category_groups(),
        "place_rule_id": PLACE_RULE_ID,
        "consent_wording": CONSENT_WORDING,
    }
    return render(request, "complaints/hotline.html", context, status=400 if form.is_bound else 200)


@never_cache
@require_GET
@operator_required
def hotline_receipt(request: HttpRequest) -> HttpResponse:
    """The code (and secret) to read out, once: the response showing them deletes them."""

    def show(data: dict[str, str] | None) -> HttpResponse:
        return render(request, "complaints/hotline_receipt.html", {"receipt": data})

    return privacy.receipt_take(request, show, path=HOTLINE_RECEIPT_PATH)
