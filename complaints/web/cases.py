"""The case at the authorities on the staff complaint page: record a submission, an outcome, an appeal, a respondent.

The forms (``case_forms``) only parse input; every change goes through ``services`` (which
check the case transitions table and the coordinator role). Outside the user's scope a
complaint does not exist (404).
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaints import selectors, services, workflow
from complaints.access import roles_for
from complaints.downloads import stored_file_response
from complaints.models import Complaint, Decision, RespondentReply, Submission
from complaints.web.case_forms import OutcomeForm, ReplyForm, RespondentForm, SubmissionForm
from complaints.web.review import _get_complaint, staff_required


def _fail(request: HttpRequest, form: forms.Form | None = None, exc: Exception | None = None) -> None:
    if exc is not None:
        messages.error(request, str(exc))
    if form is not None:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))


def _senior(request: HttpRequest, complaint: Complaint) -> None:
    if not roles_for(request.user, complaint) & workflow.SENIOR:
        raise PermissionDenied(_("Only coordinators may record the case at the authority."))


def _submission_of(request: HttpRequest, complaint: Complaint, pk: int) -> Submission:
    try:
        return selectors.submission_get_for(user=request.user, complaint=complaint, pk=pk)
    except Submission.DoesNotExist:
        raise Http404(_("No such submission.")) from None


def _done(request: HttpRequest, complaint: Complaint, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(f"{complaint_url(complaint)}#case-h")


def complaint_url(complaint: Complaint) -> str:
    return reverse("web-complaint", kwargs={"code": complaint.code})


CASE_ERRORS = (services.ServiceError, workflow.WorkflowError)


@staff_required
@require_POST
def submission_create(request: HttpRequest, code: str) -> HttpResponse:
    complaint = _get_complaint(request, code)
    _senior(request, complaint)
    form = SubmissionForm(request.POST, authorities=list(selectors.authorities_for()))
    if not form.is_valid():
        _fail(request, form)
        return redirect(complaint_url(complaint))
    try:
        services.submission_file(complaint=complaint, actor=request.user, **form.filing_kwargs())
    except CASE_ERRORS as exc:
        _fail(request, exc=exc)
        return redirect(complaint_url(complaint))
    return _done(request, complaint, _("The submission was recorded."))


@staff_required
@require_POST
def submission_outcome(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    complaint = _get_complaint(request, code)
    _senior(request, complaint)
    submission = _submission_of(request, complaint, pk)
    form = OutcomeForm(request.POST, request.FILES, prefix=f"outcome{submission.pk}")
    if not form.is_valid():
        _fail(request, form)
        return redirect(complaint_url(complaint))
    data = form.cleaned_data
    try:
        services.submission_record_outcome(
            submission=submission,
            actor=request.user,
            outcome=data["outcome"],
            registration_number=data.get("registration_number", ""),
            decided_on=data.get("decided_on"),
            text=data.get("text", ""),
            upload=data.get("file"),
        )
    except CASE_ERRORS as exc:
        _fail(request, exc=exc)
        return redirect(complaint_url(complaint))
    return _done(request, complaint, _("The outcome was recorded."))


@staff_required
@require_POST
def submission_appeal(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    complaint = _get_complaint(request, code)
    _senior(request, complaint)
    submission = _submission_of(request, complaint, pk)
    form = SubmissionForm(request.POST, prefix=f"appeal{submission.pk}", authorities=list(selectors.authorities_for()))
    if not form.is_valid():
        _fail(request, form)
        return redirect(complaint_url(complaint))
    try:
        services.submission_appeal(submission=submission, actor=request.user, **form.filing_kwargs())
    except CASE_ERRORS as exc:
        _fail(request, exc=exc)
        return redirect(complaint_url(complaint))
    return _done(request, complaint, _("The appeal was recorded."))


@staff_required
@require_POST
def respondent_create(request: HttpRequest, code: str) -> HttpResponse:
    complaint = _get_complaint(request, code)
    _senior(request, complaint)
    form = RespondentForm(request.POST)
    if not form.is_valid():
        _fail(request, form)
        return redirect(complaint_url(complaint))
    try:
        services.respondent_add(complaint=complaint, actor=request.user, **form.cleaned_data)
    except CASE_ERRORS as exc:
        _fail(request, exc=exc)
        return redirect(complaint_url(complaint))
    return _done(request, complaint, _("The respondent was recorded."))


@staff_required
@require_POST
def reply_create(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    complaint = _get_complaint(request, code)
    _senior(request, complaint)
    try:
        respondent = selectors.respondent_get_for(user=request.user, complaint=complaint, pk=pk)
    except Exception:
        raise Http404(_("No such respondent.")) from None
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        _fail(request, form)
        return redirect(complaint_url(complaint))
    data = form.cleaned_data
    try:
        services.respondent_reply_add(
            respondent=respondent,
            actor=request.user,
            received_on=data["received_on"],
            text=data.get("text", ""),
            upload=data.get("file"),
        )
    except CASE_ERRORS as exc:
        _fail(request, exc=exc)
        return redirect(complaint_url(complaint))
    return _done(request, complaint, _("The reply was recorded."))


def _file_response(obj: Decision | RespondentReply) -> FileResponse:
    if not obj.file:
        raise Http404(_("No such file."))
    response = stored_file_response(
        obj.file,
        as_attachment=True,
        filename=obj.original_name or uuid.uuid4().hex,
        content_type=obj.content_type or "application/octet-stream",
    )
    response["X-Content-SHA256"] = obj.sha256
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_GET
def decision_file(request: HttpRequest, code: str, pk: int) -> FileResponse:
    complaint = _get_complaint(request, code)
    decision = Decision.objects.filter(submission__complaint=complaint, submission_id=pk).first()
    if decision is None:
        raise Http404(_("No such file."))
    return _file_response(decision)


@staff_required
@require_GET
def reply_file(request: HttpRequest, code: str, pk: int) -> FileResponse:
    complaint = _get_complaint(request, code)
    reply = RespondentReply.objects.filter(respondent__complaint=complaint, pk=pk).first()
    if reply is None:
        raise Http404(_("No such file."))
    return _file_response(reply)
