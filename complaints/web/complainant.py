"""Pages for people who file complaints: the form, the receipt, status follow-up, my complaints.

Views translate HTTP to selector and service calls and back; the rules live in services.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import selectors, services, workflow
from complaints.access import access_for
from complaints.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from complaints.api.throttling import AnonFilingThrottle, AnonStatusThrottle
from complaints.models import Channel, Complaint
from complaints.web import held, offline, privacy
from complaints.web.forms import PLACE_RULE_ID, AnswerForm, EvidenceForm, FilingForm, StatusLookupForm, WithdrawForm
from complaints.web.limits import throttled
from complaints.web.presenters import timeline_entries
from complaints.web.receipts import receipt_context

# Service error fields that have a different name in the form.
FIELD_ALIASES = {"unit": "region"}


def _add_service_error(form: Any, exc: services.ServiceError) -> None:
    name = FIELD_ALIASES.get(exc.field or "", exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


def home(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    context = {
        "is_staff_user": bool(access.staff_roles),
        "is_coordinator": bool(access.staff_roles & workflow.SENIOR),
    }
    return render(request, "complaints/home.html", context)


# --- filing ---------------------------------------------------------------------


def _filing_kwargs(request: HttpRequest, form: FilingForm, held_files: list[Any]) -> dict[str, Any]:
    data = form.cleaned_data
    named = data["identity"] == "named"
    return {
        "election": data["election"],
        "category": data["category"],
        "occurred_at": data["occurred_at"],
        "description": data["description"],
        "polling_station": data.get("polling_station"),
        "unit": data.get("region"),
        "place_text": data.get("place_text", ""),
        "channel": Channel.WEB,
        "reporter_user": request.user if named and request.user.is_authenticated else None,
        "anonymous": not named,
        "full_name": data.get("full_name", "") if named else "",
        "email": data.get("email", "") if named else "",
        "phone": data.get("phone", "") if named else "",
        "updates_email": "" if named else data.get("updates_email", ""),
        "language": (get_language() or settings.LANGUAGE_CODE)[:2],
        "files": [*held_files, *(data.get("files") or [])],  # those attached earlier first
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _file_with_held(request: HttpRequest, form: FilingForm, attachments: held.Attachments) -> Any:
    """File the complaint with the held files and the new ones; None (errors on the form) if refused."""
    with services.held_uploads_opened(keys=attachments.keys, holder=attachments.holder) as opened:
        if opened.lost:  # gone or altered since the form was shown: never file without them unsaid
            lost = set(opened.lost)
            held.report_lost(form, [h.original_name for h in attachments.kept if h.key in lost])
            attachments.kept = [h for h in attachments.kept if h.key not in lost]
            return None
        try:
            filing = services.complaint_file(**_filing_kwargs(request, form, opened.uploads))
        except services.ServiceError as exc:
            _add_service_error(form, exc)
            return None
    services.held_uploads_delete(keys=attachments.keys, holder=attachments.holder)
    return filing


def _filed(request: HttpRequest, filing: services.Filing) -> HttpResponse:
    complaint = filing.complaint
    url = reverse("web-receipt")
    secret = filing.secret if complaint.reporter.user_id is None else ""
    if not _wants_json(request):
        done: HttpResponse = redirect(url)
    elif IDEMPOTENCY_HEADER in request.headers:
        # Sent from the browser's queue, maybe with no page open to show the receipt page:
        # the answer carries the receipt itself (the stored replay drops the secret).
        done = JsonResponse({"ok": True, "redirect": url, "receipt": {"code": complaint.code, "secret": secret}})
    else:
        done = JsonResponse({"ok": True, "redirect": url})
    # Neither the code nor the secret is stored on the server: the receipt page gets
    # them from a short-lived cookie, which the response showing them deletes.
    privacy.receipt_keep(done, code=complaint.code, secret=secret)
    return done


def _file_for_script(
    request: HttpRequest, form: FilingForm, attachments: held.Attachments
) -> tuple[JsonResponse, Complaint | None]:
    """The script's filing (app.js, or its offline queue): JSON, and the files stay in the browser."""
    if form.is_valid() and (filing := _file_with_held(request, form, attachments)) is not None:
        response = _filed(request, filing)
        assert isinstance(response, JsonResponse)
        return response, filing.complaint
    return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400), None


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_file(request: HttpRequest) -> HttpResponse:
    """The filing form. Works as a plain multipart POST; app.js upgrades it (progress, draft).

    Re-shown after an error, the form keeps the files it was sent: held on the server
    (``web.held``), listed as attached, filed with the complaint when it is sent again.
    """
    attachments = held.Attachments(holder=privacy.held_holder(request))
    status = 200
    if request.method == "POST":
        if (refused := throttled(request, AnonFilingThrottle)) is not None:
            return refused
        attachments = held.attachments_from(request, attachments.holder)
        form = FilingForm(request.POST, request.FILES, user=request.user, held_count=len(attachments.kept))
        held.report_lost(form, [ref.name for ref in attachments.lost])
        if _wants_json(request):  # the script keeps its files and sends them again
            return offline.file_once(request, lambda: _file_for_script(request, form, attachments))
        if form.is_valid() and (filing := _file_with_held(request, form, attachments)) is not None:
            return _filed(request, filing)
        held.hold_new(form, attachments)
        status = 400
    else:
        if offline.is_offline_copy(request):  # the service worker's copy: nothing about who is signed in
            request.user = AnonymousUser()
        form = FilingForm(user=request.user)
    context = {
        "form": form,
        "category_groups": form.category_groups(),
        "held_files": attachments.entries(),
        "max_mb": settings.EVIDENCE_MAX_BYTES // 2**20,
        "max_bytes": settings.EVIDENCE_MAX_BYTES,
        "accept": ",".join(sorted(services.ALLOWED_EVIDENCE_TYPES)),
        "place_rule_id": PLACE_RULE_ID,
    }
    if offline.is_offline_copy(request):
        context["offline_copy"] = True
        context["messages"] = []  # a message meant for the next page stays for it
    response = render(request, "complaints/file.html", context, status=status)
    if attachments.kept and attachments.holder:
        services.held_uploads_refresh(keys=attachments.keys, holder=attachments.holder)
        privacy.held_holder_keep(response, attachments.holder)
    return response


@require_GET
def station_search(request: HttpRequest) -> JsonResponse:
    """Search-as-you-type for the filing form: polling stations by number or address."""
    stations = selectors.polling_station_search(query=request.GET.get("q", "")[:60], limit=10)
    results = [{"id": s.pk, "number": s.number, "address": s.address, "unit": s.unit.name} for s in stations]
    return JsonResponse({"results": results})


@never_cache
@require_GET
def receipt(request: HttpRequest) -> HttpResponse:
    """The receipt, shown once and within RECEIPT_TTL_SECONDS: the response showing it deletes it."""

    def show(data: dict[str, str] | None) -> HttpResponse:
        if not data:
            return render(request, "complaints/receipt_gone.html")
        return render(request, "complaints/receipt.html", receipt_context(request, data["code"], data["secret"]))

    return privacy.receipt_take(request, show)


# --- status follow-up -------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def status_lookup(request: HttpRequest) -> HttpResponse:
    """Code + secret in a POST body (never in a URL) unlock the complaint until the browser closes.

    The unlock lives in a browser-session cookie, not in the server's session, and the page is
    addressed by a random handle: the receipt code never appears in a URL.
    """
    if request.method == "POST" and (refused := throttled(request, AnonStatusThrottle)) is not None:
        return refused
    form = StatusLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        complaint = selectors.complaint_by_receipt(code=form.cleaned_data["code"], secret=form.cleaned_data["secret"])
        if complaint is not None:
            ref = privacy.unlock_ref(request, complaint.pk) or privacy.new_ref()
            response = redirect("web-track", ref=ref)
            privacy.unlock_add(request, response, ref=ref, pk=complaint.pk, code=complaint.code)
            return response
        form.add_error(
            None,
            _("No complaint matches this receipt code and secret. Check both; the code looks like ABCD-EFGH-JKMN."),
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "complaints/status_lookup.html", {"form": form}, status=status)


def _complainant_complaint(request: HttpRequest, ref: str) -> tuple[Complaint, Any]:
    """The complaint behind a page handle: one this browser unlocked, or the signed-in filer's own."""
    complaint = None
    if (entry := privacy.unlocked(request).get(ref)) is not None:
        complaint = selectors.complaint_for_complainant(code=entry[1], user=request.user, tracked_ids=[entry[0]])
    elif (own_code := privacy.own_code(request, ref)) is not None:
        complaint = selectors.complaint_for_complainant(code=own_code, user=request.user, tracked_ids=[])
    if complaint is None:
        raise Http404(_("No such complaint."))
    own = request.user.is_authenticated and complaint.reporter.user_id == request.user.pk
    actor = request.user if own else services.ComplainantActor(complaint_id=complaint.pk)
    return complaint, actor


def _track_context(complaint: Complaint, ref: str, **forms: Any) -> dict[str, Any]:
    allowed = {t.action for t in workflow.available_actions(status=complaint.status, roles={workflow.Role.COMPLAINANT})}
    # A complainant's view: messages to and from them, and status changes; never internal notes.
    notes = list(selectors.notes_for(user=None, complaint=complaint))
    events = [e for e in selectors.timeline_for(user=None, complaint=complaint) if e.to_status]
    question = next((n for n in reversed(notes) if not n.from_complainant), None)
    return {
        "complaint": complaint,
        "ref": ref,
        "notes": notes,
        "history": timeline_entries(events),
        "evidence": list(selectors.evidence_for(complaint=complaint)),
        "question": question if "provide_info" in allowed else None,
        "answer_form": forms.get("answer_form")
        or (AnswerForm(initial={"version": complaint.version}) if "provide_info" in allowed else None),
        "evidence_form": forms.get("evidence_form")
        or (EvidenceForm() if complaint.status not in workflow.TERMINAL_STATES else None),
        "withdraw_form": WithdrawForm(initial={"version": complaint.version}) if "withdraw" in allowed else None,
        "conflict": forms.get("conflict"),
    }


@never_cache
def complaint_track(request: HttpRequest, ref: str) -> HttpResponse:
    complaint, _actor = _complainant_complaint(request, ref)
    return render(request, "complaints/track.html", _track_context(complaint, ref))


@never_cache
@require_POST
def complaint_answer(request: HttpRequest, ref: str) -> HttpResponse:
    complaint, actor = _complainant_complaint(request, ref)
    form = AnswerForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.complaint_answer(
                complaint=complaint,
                actor=actor,
                comment=form.cleaned_data["comment"],
                files=form.cleaned_data["files"],
                version=form.cleaned_data["version"],
            )
        except services.StaleVersion as exc:
            complaint.refresh_from_db()
            return render(
                request, "complaints/track.html", _track_context(complaint, ref, conflict=exc.message), status=409
            )
        except (services.ServiceError, workflow.WorkflowError) as exc:
            form.add_error("files" if getattr(exc, "field", None) == "files" else None, str(exc))
        else:
            messages.success(request, _("Thank you. Your answer was sent to the reviewers."))
            return redirect("web-track", ref=ref)
    return render(request, "complaints/track.html", _track_context(complaint, ref, answer_form=form), status=400)


@never_cache
@require_POST
def complaint_add_evidence(request: HttpRequest, ref: str) -> HttpResponse:
    complaint, actor = _complainant_complaint(request, ref)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            for upload in form.cleaned_data["files"]:
                services.evidence_attach(complaint=complaint, upload=upload, actor=actor)
        except (services.ServiceError, workflow.WorkflowError) as exc:
            form.add_error("files", str(exc))
        else:
            count = len(form.cleaned_data["files"])
            messages.success(request, _("Files added: %(count)s.") % {"count": count})
            return redirect("web-track", ref=ref)
    return render(request, "complaints/track.html", _track_context(complaint, ref, evidence_form=form), status=400)


@never_cache
@require_POST
def complaint_withdraw(request: HttpRequest, ref: str) -> HttpResponse:
    complaint, actor = _complainant_complaint(request, ref)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return redirect("web-track", ref=ref)
    try:
        services.complaint_transition(
            complaint=complaint, action="withdraw", actor=actor, version=form.cleaned_data["version"]
        )
    except services.StaleVersion as exc:
        complaint.refresh_from_db()
        return render(
            request, "complaints/track.html", _track_context(complaint, ref, conflict=exc.message), status=409
        )
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your complaint was withdrawn."))
    return redirect("web-track", ref=ref)


@login_required
def my_complaints(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.complaints_reported_by(user=request.user), 20).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for complaint in page.object_list:  # links by handle: the receipt code never goes into a URL
        complaint.track_ref = privacy.own_ref(request, complaint.code)  # type: ignore[attr-defined]
    return render(request, "complaints/my_complaints.html", {"page": page})


@never_cache
@require_POST
def device_forget(request: HttpRequest) -> HttpResponse:
    """Forget this device: sign out, drop unlocked complaints and the receipt, clear the browser's storage.

    ``Clear-Site-Data`` does it in browsers that support it; the page's script clears the
    storage the app uses (the filing draft) where they do not.
    """
    services.held_uploads_forget(holder=privacy.held_holder(request))  # files held for a filing form
    logout(request)  # flushes the session and makes this request anonymous
    response = render(request, "complaints/device_forgotten.html")
    privacy.forget_browser_state(response)
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response
