"""Pages for reviewers and coordinators: the queue, the complaint page, the dashboard.

Outside a user's territorial scope a complaint does not exist (404). Every change goes
through a service; a stale ``version`` becomes a conflict message naming the current status.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from complaints import selectors, services, workflow
from complaints.access import access_for, has_identity_permission, roles_for, second_factor_ok
from complaints.downloads import evidence_copy_response, stored_file_response
from complaints.models import Complaint, Evidence
from complaints.selectors.queue import queue_page_rows
from complaints.web.forms import (
    ActionForm,
    AssignForm,
    BulkAssignForm,
    DashboardForm,
    IdentityForm,
    NoteForm,
    QueueFilterForm,
)
from complaints.web.presenters import STATUS_TONE, bar_chart, timeline_entries
from complaints.web.staff_map import dashboard_charts, queue_href
from complaints.web.two_factor import ask_second_factor

PAGE_SIZE = 25
# Images a browser shows safely inline; everything else is a download.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

View = Callable[..., HttpResponseBase]


def staff_required(view: View) -> View:
    """Signed-in reviewers, coordinators and admins only."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not access_for(request.user).staff_roles:
            raise PermissionDenied(_("This page is for reviewers and coordinators."))
        return view(request, *args, **kwargs)

    return wrapper


def coordinator_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not access_for(request.user).staff_roles & workflow.SENIOR:
            raise PermissionDenied(_("This page is for coordinators."))
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def _get_complaint(request: HttpRequest, code: str) -> Complaint:
    """The complaint if the user works on it, else 404 (never 403: it does not exist for them)."""
    try:
        complaint = selectors.complaint_get_for(user=request.user, code=code.upper())
    except Complaint.DoesNotExist:
        raise Http404(_("No such complaint.")) from None
    if not roles_for(request.user, complaint) & workflow.STAFF:
        raise Http404(_("No such complaint."))
    return complaint


# --- queue ----------------------------------------------------------------------


def queue_form(request: HttpRequest, staff: list[Any]) -> QueueFilterForm:
    """The queue's filter form read from the URL: the page and its exports build it the same way."""
    return QueueFilterForm(request.GET or None, staff=staff, regions=selectors.regions_for(user=request.user))


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    staff = list(selectors.staff_users())
    form = queue_form(request, staff)
    filters = form.to_filters()
    # The same rows, in the same order, as the page's CSV and XLSX exports (web/exports.py).
    ranked = selectors.search_ranked(user=request.user, filters=filters)  # None without a search
    queue_qs = queue_page_rows(user=request.user, filters=filters, ranked=ranked)
    page = Paginator(queue_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.status_counts_for(user=request.user, filters=filters)
    access = access_for(request.user)
    context = {
        "form": form,
        "page": page,
        "counts": counts,
        "total": sum(counts.values()),
        "filtered": bool(set(request.GET) - {"page"}),
        "bulk_form": BulkAssignForm(staff=staff) if access.staff_roles & workflow.SENIOR else None,
        "tones": STATUS_TONE,
        "by_deadline": filters.deadline_within is not None,
        "unranked_search": ranked is False,  # too many matches to rank: the queue order, said on the page
        "rank_limit": selectors.rank_limit(),
        # The identity export's purpose field (web/exports.py), for holders of the permission only.
        "identity_export": (
            IdentityForm(auto_id="id_export_%s")["purpose"] if has_identity_permission(request.user) else None
        ),
        "identity_export_max": settings.EXPORT_IDENTITY_MAX_ROWS,
    }
    return render(request, "complaints/review/queue.html", context)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    # A path only: redirect() reads anything without a slash ("537") as a view name (NoReverseMatch, a 500).
    return target if target.startswith("/") and ok else fallback


@coordinator_required
@require_POST
def queue_assign(request: HttpRequest) -> HttpResponse:
    """Bulk assignment: one service call per ticked complaint, each checked on its own."""
    form = BulkAssignForm(request.POST, staff=list(selectors.staff_users()))
    back = _safe_next(request, reverse("web-queue"))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    try:
        assignee = selectors.staff_user_get(pk=form.cleaned_data["assignee"])
    except ObjectDoesNotExist:
        messages.error(request, _("Choose who should work on this complaint."))
        return redirect(back)
    done = 0
    for code in form.cleaned_data["codes"]:
        try:
            services.complaint_assign(complaint=_get_complaint(request, code), assignee=assignee, actor=request.user)
            done += 1
        except Http404:
            messages.error(request, _("%(code)s: no such complaint.") % {"code": code})
        except (services.ServiceError, workflow.WorkflowError) as exc:
            messages.error(request, f"{code}: {exc}")
    if done:
        message = ngettext(
            "%(count)s complaint assigned to %(user)s.", "%(count)s complaints assigned to %(user)s.", done
        )
        messages.success(request, message % {"count": done, "user": assignee.get_username()})
    return redirect(back)


# --- the complaint page --------------------------------------------------------


def _detail_context(request: HttpRequest, complaint: Complaint, **extra: Any) -> dict[str, Any]:
    user = request.user
    roles = roles_for(user, complaint)
    bound: ActionForm | None = extra.pop("bound", None)
    transitions = [
        t for t in workflow.available_actions(status=complaint.status, roles=roles) if t.roles & workflow.STAFF
    ]
    action_forms = [
        bound
        if bound is not None and bound.transition.action == t.action
        else ActionForm(t, initial={"version": complaint.version})
        for t in transitions
    ]
    senior = bool(roles & workflow.SENIOR)
    suggests = any(t.action == "mark_duplicate" for t in transitions)
    timeline = timeline_entries(
        selectors.timeline_for(user=user, complaint=complaint), reporter_user_id=complaint.reporter.user_id
    )
    context = {
        "complaint": complaint,
        "tone": STATUS_TONE.get(complaint.status, "new"),
        "evidence": list(selectors.evidence_for(complaint=complaint)),
        "timeline": timeline,
        # The last event this page shows: on a conflict, what happened after it is listed.
        "seen_seq": timeline[-1].seq if timeline else 0,
        "notes": list(selectors.notes_for(user=user, complaint=complaint)),
        "action_forms": action_forms,
        "suggestions": list(selectors.duplicate_suggestions(user=user, complaint=complaint)) if suggests else [],
        "note_form": extra.pop("note_form", None) or NoteForm(),
        "assign_form": AssignForm(
            initial={"version": complaint.version, "assignee": complaint.assignee_id},
            users=selectors.assignable_staff_for(complaint=complaint),
        )
        if senior and complaint.status not in workflow.TERMINAL_STATES
        else None,
        "can_take": complaint.assignee_id != user.pk and complaint.status not in workflow.TERMINAL_STATES,
        "can_release": complaint.assignee_id is not None and (complaint.assignee_id == user.pk or senior),
        # The permission: the reveal form shows, and asks for the second factor when it is sent.
        "can_view_identity": has_identity_permission(user),
        "identity_form": extra.pop("identity_form", None) or IdentityForm(),
        "identity": None,
        "conflict": None,
        "conflict_changes": [],
    }
    context.update(extra)
    return context


def _conflict(request: HttpRequest, code: str, exc: services.StaleVersion) -> HttpResponse:
    """409: the complaint as it is now, and what changed since the page the user acted on, and by whom."""
    fresh = _get_complaint(request, code)
    context = _detail_context(request, fresh, conflict=exc.message)
    try:
        seen = int(request.POST.get("seen", ""))
    except ValueError:
        seen = None
    timeline = context["timeline"]
    context["conflict_changes"] = [e for e in timeline if e.seq > seen] if seen is not None else timeline[-1:]
    return render(request, "complaints/review/detail.html", context, status=409)


@staff_required
@never_cache
@require_GET
def complaint_detail(request: HttpRequest, code: str) -> HttpResponse:
    complaint = _get_complaint(request, code)
    return render(request, "complaints/review/detail.html", _detail_context(request, complaint))


def _resolve_original(request: HttpRequest, form: ActionForm) -> Complaint | None:
    code = (form.cleaned_data.get("duplicate_of") or "").strip().upper()
    if not code:
        return None
    try:
        return selectors.complaint_get_for(user=request.user, code=code)
    except Complaint.DoesNotExist:
        form.add_error("duplicate_of", _("No complaint %(code)s was found in your queue.") % {"code": code})
        return None


@staff_required
@never_cache
@require_POST
def complaint_act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Fire one workflow action from its small form."""
    complaint = _get_complaint(request, code)
    try:
        transition = workflow.get_transition(action)
    except workflow.UnknownAction:
        raise Http404(_("No such action.")) from None
    form = ActionForm(transition, request.POST)
    if form.is_valid():
        original = _resolve_original(request, form)
        if not form.errors:
            try:
                services.complaint_transition(
                    complaint=complaint,
                    action=action,
                    actor=request.user,
                    comment=form.cleaned_data.get("comment", ""),
                    version=form.cleaned_data["version"],
                    duplicate_of=original,
                    authority=form.cleaned_data.get("authority", ""),
                    authority_reference=form.cleaned_data.get("authority_reference", ""),
                )
            except services.StaleVersion as exc:
                return _conflict(request, code, exc)
            except (services.ServiceError, workflow.WorkflowError) as exc:
                field = getattr(exc, "field", None)
                form.add_error(field if field in form.fields else None, str(exc))
            else:
                messages.success(request, str(transition.done))
                return redirect("web-complaint", code=complaint.code)
    context = _detail_context(request, complaint, bound=form)
    return render(request, "complaints/review/detail.html", context, status=400)


@staff_required
@require_POST
def complaint_assign(request: HttpRequest, code: str) -> HttpResponse:
    """Take it, release it, or (coordinators) assign it to someone in scope."""
    complaint = _get_complaint(request, code)
    how = request.POST.get("how", "assign")
    form = AssignForm(request.POST, users=selectors.assignable_staff_for(complaint=complaint))
    if not form.is_valid():
        messages.error(request, _("Choose who should work on this complaint."))
        return redirect("web-complaint", code=complaint.code)
    assignee: Any = None
    if how == "take":
        assignee = request.user
    elif how == "assign" and form.cleaned_data["assignee"]:
        # The form only offers staff in scope, so the id names one of them.
        assignee = selectors.staff_user_get(pk=form.cleaned_data["assignee"])
    try:
        services.complaint_assign(
            complaint=complaint, assignee=assignee, actor=request.user, version=form.cleaned_data["version"]
        )
    except services.StaleVersion as exc:
        return _conflict(request, code, exc)
    except (services.ServiceError, workflow.WorkflowError) as exc:
        messages.error(request, str(exc))
    else:
        who = assignee.get_username() if assignee else _("nobody")
        messages.success(request, _("Now assigned to %(user)s.") % {"user": who})
    return redirect("web-complaint", code=complaint.code)


@staff_required
@require_POST
def complaint_note(request: HttpRequest, code: str) -> HttpResponse:
    complaint = _get_complaint(request, code)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(
                complaint=complaint,
                actor=request.user,
                body=form.cleaned_data["body"],
                visibility=form.cleaned_data["visibility"],
            )
        except services.ServiceError as exc:
            form.add_error("body", exc.message)
        else:
            messages.success(request, _("Note saved."))
            return redirect("web-complaint", code=complaint.code)
    context = _detail_context(request, complaint, note_form=form)
    return render(request, "complaints/review/detail.html", context, status=400)


@staff_required
@never_cache
@require_POST
def complaint_identity(request: HttpRequest, code: str) -> HttpResponse:
    """Show the reporter's identity to a permitted user; the service audits the view."""
    complaint = _get_complaint(request, code)
    if has_identity_permission(request.user) and not second_factor_ok(request.user):
        # Permitted, but this session has not passed the second factor: verify (or enrol), then back here.
        return ask_second_factor(request, reverse("web-complaint", args=[complaint.code]))
    form = IdentityForm(request.POST)
    purpose = form.cleaned_data["purpose"] if form.is_valid() else ""
    try:
        # The service checks the permission first (403), then the purpose (the form shows why).
        reporter = services.reporter_reveal(complaint=complaint, actor=request.user, purpose=purpose)
    except workflow.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    except services.ValidationFailed as exc:
        if "purpose" not in form.errors:
            form.add_error("purpose", str(exc))
        context = _detail_context(request, complaint, identity_form=form)
        return render(request, "complaints/review/detail.html", context, status=400)
    complaint = _get_complaint(request, code)  # the new audit event is on the timeline
    return render(request, "complaints/review/detail.html", _detail_context(request, complaint, identity=reporter))


@staff_required
@require_GET
def evidence_file(request: HttpRequest, code: str, evidence_id: int) -> HttpResponseBase:
    """Evidence through a permission check: never from MEDIA_URL. Images inline, the rest as downloads.

    ``?copy=stripped``: its copy without metadata instead (409 while it is made, 404 if there is none).
    """
    try:
        evidence = selectors.evidence_get_for(user=request.user, code=code.upper(), evidence_id=evidence_id)
    except (Complaint.DoesNotExist, Evidence.DoesNotExist):
        raise Http404(_("No such file.")) from None
    copy = request.GET.get("copy")
    if copy is not None:  # the stripped copy (thumbnails, previews): never the original in its place
        if copy != "stripped":
            return HttpResponseBadRequest(_("Ask for copy=stripped, or leave copy out for the original."))
        return evidence_copy_response(evidence, as_attachment=request.GET.get("download") is not None)
    inline = evidence.content_type in INLINE_TYPES and request.GET.get("download") is None
    response = stored_file_response(
        evidence.file,
        content_type=evidence.content_type,
        as_attachment=not inline,
        # Django's filename handling (RFC 5987 for non-ASCII); the name ends with the type's extension.
        filename=services.evidence_name(evidence.original_name, evidence.content_type),
    )
    response["Cache-Control"] = "private, max-age=300"
    # The file is untrusted content: it may not run anything, even if opened directly.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- coordinator dashboard ------------------------------------------------------


@coordinator_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardForm(request.GET or None)
    election = form.cleaned_data.get("election") if form.is_valid() else None
    user = request.user
    regions = selectors.counts_by_region_for(user=user, election=election)
    categories = selectors.counts_by_category_for(user=user, election=election)
    context = {
        "form": form,
        "breaches": selectors.sla_breaches_for(user=user, election=election),
        "load": selectors.reviewer_load_for(user=user, election=election),
        "regions": regions,
        "categories": categories,
        **dashboard_charts(request, election=election, regions=regions, categories=categories),
        "outcomes": selectors.case_outcomes_for(user=user, election=election),
        "tones": STATUS_TONE,
        "channel_chart": bar_chart(
            selectors.counts_by_channel_for(user=user, election=election),
            str(_("Complaints by channel")),
            href=lambda row: queue_href(election, channel=row.key),
        ),
    }
    return render(request, "complaints/review/dashboard.html", context)
