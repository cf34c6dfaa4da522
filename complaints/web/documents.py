"""The formal complaint document on the staff complaint page: the form, generating a version, downloading one.

Coordinators and admins in scope only; outside the scope the complaint does not exist
(404), a reviewer in scope is refused (403). The form's choices start from the
category's and the reporter's defaults (selectors.document_initial).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from complaints import documents, selectors, services
from complaints.downloads import stored_file_response
from complaints.models import Complaint, DocumentFormat, DocumentLanguage, GeneratedDocument
from complaints.services.documents import LIMITS
from complaints.web.review import _detail_context, _get_complaint, staff_required

CODES_SPLIT = re.compile(r"[\s,;]+")


class DocumentForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the document"), choices=DocumentLanguage.choices, widget=forms.RadioSelect
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=DocumentFormat.choices, widget=forms.RadioSelect, initial="pdf"
    )
    addressee = forms.ChoiceField(label=gettext_lazy("Addressed to"))
    addressee_text = forms.CharField(
        label=gettext_lazy("Or write the addressee"),
        required=False,
        max_length=LIMITS["addressee_text"],
        help_text=gettext_lazy(
            "Replaces the name found in the register of authorities or from the polling station, e.g. a named court."
        ),
    )
    standing = forms.ChoiceField(label=gettext_lazy("Complainant's standing"), choices=documents.Standing.choices)
    complainant_name = forms.CharField(
        label=gettext_lazy("Name of the person who signs"),
        required=False,
        max_length=LIMITS["complainant_name"],
        help_text=gettext_lazy(
            "Empty: the reporter's name if they gave one (your view is recorded). "
            "An anonymous witness's identity never appears in the document."
        ),
    )
    organisation = forms.CharField(
        label=gettext_lazy("Organisation, candidate or media outlet"),
        required=False,
        max_length=LIMITS["organisation"],
    )
    respondent = forms.CharField(
        label=gettext_lazy("Whose actions are challenged"),
        required=False,
        max_length=LIMITS["respondent"],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The official, commission member, candidate, employer ... and their position."),
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis"),
        max_length=LIMITS["legal_basis"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    remedies = forms.MultipleChoiceField(
        label=gettext_lazy("Remedy sought"),
        choices=documents.Remedy.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    remedy_text = forms.CharField(
        label=gettext_lazy("Further demands, one per line"),
        required=False,
        max_length=LIMITS["remedy_text"],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    facts = forms.CharField(
        label=gettext_lazy("The facts, as the document states them"),
        required=False,
        max_length=LIMITS["facts"],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Empty: each complaint's own description."),
    )
    related = forms.MultipleChoiceField(
        label=gettext_lazy("Other complaints about the same incident"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    related_codes = forms.CharField(label=gettext_lazy("More receipt codes"), required=False, max_length=400)

    def __init__(self, *args: Any, complaint: Complaint, candidates: list[Complaint], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_doc_%s")
        super().__init__(*args, **kwargs)
        lang = (get_language() or "ru")[:2]
        station = complaint.polling_station
        unit = selectors.with_ancestors(complaint.unit or (station.unit if station is not None else None))
        addressee: Any = self.fields["addressee"]
        addressee.choices = [
            (
                kind.value,
                f"{kind.label}: "
                + documents.addressee_text(
                    kind,
                    language=lang if lang in DocumentLanguage.values else "ru",
                    station=station,
                    unit=unit,
                    country=complaint.election.country,
                ),
            )
            for kind in documents.Addressee
        ]
        related: Any = self.fields["related"]
        related.choices = [(c.code, f"{c.code} · {c.category.name}") for c in candidates]
        if not candidates:
            del self.fields["related"]

    def to_options(self) -> documents.DocumentOptions:
        data = self.cleaned_data
        codes = [*data.get("related", []), *(c for c in CODES_SPLIT.split(data.get("related_codes", "")) if c)]
        return documents.DocumentOptions(
            language=data["language"],
            format=data["format"],
            addressee=data["addressee"],
            addressee_text=data["addressee_text"],
            standing=data["standing"],
            complainant_name=data["complainant_name"],
            organisation=data["organisation"],
            respondent=data["respondent"],
            legal_basis=data["legal_basis"],
            remedies=tuple(data["remedies"]),
            remedy_text=data["remedy_text"],
            facts=data["facts"],
            related=tuple(codes),
        )


def document_form_for(complaint: Complaint, user: Any, data: Any = None) -> DocumentForm:
    lang = (get_language() or "ru")[:2]
    initial = selectors.document_initial(
        complaint=complaint, language=lang if lang in DocumentLanguage.values else "ru"
    )
    return DocumentForm(
        data,
        complaint=complaint,
        candidates=selectors.related_candidates(user=user, complaint=complaint),
        initial={
            "language": initial.language,
            "format": initial.format,
            "addressee": initial.addressee,
            "standing": initial.standing,
            "organisation": initial.organisation,
            "legal_basis": initial.legal_basis,
            "remedies": list(initial.remedies),
        },
    )


def _coordinated(request: HttpRequest, code: str) -> Complaint:
    complaint = _get_complaint(request, code)  # 404 outside the scope
    if not selectors.documents_allowed(user=request.user, complaint=complaint):
        raise PermissionDenied(_("Only coordinators make and read the formal complaint documents."))
    return complaint


@staff_required
@require_POST
def document_generate(request: HttpRequest, code: str) -> HttpResponse:
    complaint = _coordinated(request, code)
    form = document_form_for(complaint, request.user, request.POST)
    if form.is_valid():
        try:
            document = services.document_generate(complaint=complaint, actor=request.user, options=form.to_options())
        except services.ServiceError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, exc.message)
        except Complaint.DoesNotExist:
            raise Http404(_("No such complaint.")) from None
        else:
            messages.success(
                request,
                _("Document version %(version)s generated (%(format)s, %(language)s).")
                % {"version": document.version, "format": document.format.upper(), "language": document.language},
            )
            return redirect(reverse("web-complaint", args=[complaint.code]) + "#documents-h")
    context = _detail_context(request, complaint, document_form=form)
    return render(request, "complaints/review/detail.html", context, status=400)


@staff_required
@never_cache
@require_GET
def document_download(request: HttpRequest, code: str, document_id: int) -> FileResponse:
    _coordinated(request, code)
    try:
        document: GeneratedDocument = selectors.document_get_for(
            user=request.user, code=code.upper(), document_id=document_id
        )
    except ObjectDoesNotExist:
        raise Http404(_("No such document.")) from None
    response = stored_file_response(
        document.file,
        as_attachment=True,
        filename=document.filename,
        content_type=document.content_type,
    )
    response["X-Content-SHA256"] = document.sha256
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
