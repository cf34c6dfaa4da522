"""Published cases on the web: the coordinator's publish and unpublish forms, the public list, case page and evidence.

The staff forms sit on the complaint page (``{% published_case complaint %}``); a refusal or
a warning to acknowledge renders that page again with the form as sent. The public pages need
no login, are rate limited like ``/stats/``, and read only ``selectors.publication``: never
the reporter, the receipt code, staff, notes or an original file. An unpublished case answers
410 Gone; its stripped copies 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from complaints import selectors, services, workflow
from complaints.access import roles_for
from complaints.api.throttling import PublicStatsThrottle
from complaints.downloads import evidence_copy_response
from complaints.models import Complaint, EvidenceCopyState, PublishedCase
from complaints.web.limits import rate_limited
from complaints.web.publication_forms import CaseFilterForm, PublishForm, UnpublishForm
from complaints.web.review import _detail_context, _get_complaint, staff_required

PAGE_SIZE = 20


def staff_publication_context(request: HttpRequest, complaint: Complaint, context: dict[str, Any]) -> dict[str, Any]:
    """What the complaint page's publication section shows; a bound form from a failed POST wins."""
    case = selectors.published_case_for_staff(complaint=complaint)
    # The page has read the evidence already (one query for the whole page, however many files).
    evidence = context.get("evidence")
    all_evidence = list(evidence) if evidence is not None else list(complaint.evidence.all())
    ready = [e for e in all_evidence if e.public_state == EvidenceCopyState.READY]
    can_publish = bool(roles_for(request.user, complaint) & workflow.SENIOR)
    return {
        "complaint": complaint,
        "published": case,
        "can_publish": can_publish,
        "publishable": complaint.status in services.publication.PUBLISHABLE_STATUSES,
        "all_evidence": all_evidence,
        "publish_form": context.get("publish_form") or PublishForm.for_case(case, ready, get_language() or "ru"),
        "publish_warnings": context.get("publish_warnings") or [],
        "unpublish_form": context.get("unpublish_form") or UnpublishForm(),
    }


def _senior_complaint(request: HttpRequest, code: str) -> Complaint:
    complaint = _get_complaint(request, code)  # 404 outside the user's scope
    if not roles_for(request.user, complaint) & workflow.SENIOR:
        raise PermissionDenied(_("Only coordinators may publish or unpublish a case."))
    return complaint


def _again(request: HttpRequest, complaint: Complaint, **extra: Any) -> HttpResponse:
    context = _detail_context(request, complaint, **extra)
    return render(request, "complaints/review/detail.html", context, status=400)


@staff_required
@never_cache
@require_POST
def case_publish(request: HttpRequest, code: str) -> HttpResponse:
    complaint = _senior_complaint(request, code)
    form = PublishForm(request.POST, ready=selectors.publishable_evidence(complaint=complaint))
    warnings: list[str] = []
    if form.is_valid():
        try:
            services.case_publish(complaint=complaint, actor=request.user, **form.service_kwargs())
        except services.PublicationWarnings as exc:
            warnings = exc.warnings
        except services.ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except workflow.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The case is published."))
            return redirect(reverse("web-complaint", args=[complaint.code]) + "#publication-h")
    return _again(request, complaint, publish_form=form, publish_warnings=warnings)


@staff_required
@never_cache
@require_POST
def case_unpublish(request: HttpRequest, code: str) -> HttpResponse:
    complaint = _senior_complaint(request, code)
    form = UnpublishForm(request.POST)
    if form.is_valid():
        try:
            services.case_unpublish(complaint=complaint, actor=request.user, reason=form.cleaned_data["reason"])
        except services.ServiceError as exc:
            form.add_error("reason", exc.message)
        except workflow.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The case was taken off the public pages, feeds and datasets."))
            return redirect(reverse("web-complaint", args=[complaint.code]) + "#publication-h")
    return _again(request, complaint, unpublish_form=form)


# --- public ------------------------------------------------------------------------------------


def filters_from(request: HttpRequest) -> tuple[CaseFilterForm, selectors.CaseFilters | None]:
    form = CaseFilterForm(request.GET)
    return form, (form.to_filters() if form.is_valid() else None)


def case_url(request: HttpRequest, case: PublishedCase) -> str:
    return request.build_absolute_uri(reverse("public-case", args=[case.slug]))


def evidence_url(request: HttpRequest, case: PublishedCase, number: int) -> str:
    return request.build_absolute_uri(reverse("public-case-evidence", args=[case.slug, number]))


@require_GET
@rate_limited(PublicStatsThrottle)
def case_list(request: HttpRequest) -> HttpResponse:
    form, filters = filters_from(request)
    status = 200
    if filters is None:
        status, filters = 400, selectors.CaseFilters()
    page = Paginator(selectors.published_cases(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for case in page.object_list:
        case.outcome_name = selectors.outcome_label(case.outcome)  # type: ignore[attr-defined]  # shown by the list
    query = filters.query()
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "choices": selectors.case_filter_choices(),
        "query": query,
    }
    return render(request, "complaints/public/cases.html", context, status=status)


def _published_or_gone(slug: str) -> PublishedCase:
    try:
        return selectors.published_case_by_slug(slug=slug)
    except PublishedCase.DoesNotExist:
        raise Http404(_("No such published case.")) from None


@require_GET
@rate_limited(PublicStatsThrottle)
def case_detail(request: HttpRequest, slug: str) -> HttpResponse:
    case = _published_or_gone(slug)
    if not case.is_published:
        return render(request, "complaints/public/case_gone.html", {}, status=410)
    evidence = selectors.public_evidence(case)
    context = {
        "case": case,
        "outcome": selectors.outcome_label(case.outcome),
        "steps": selectors.public_steps(case),
        "station": selectors.station_of(case),
        "evidence": [(n, e) for n, e in enumerate(evidence, start=1)],
    }
    return render(request, "complaints/public/case.html", context)


@require_GET
@rate_limited(PublicStatsThrottle)  # type: ignore[arg-type]  # typed for HttpResponse; a file answer passes too
def case_evidence(request: HttpRequest, slug: str, number: int) -> HttpResponseBase:
    """A stripped copy chosen for a published case: never the original, never for an unpublished case."""
    case = _published_or_gone(slug)
    evidence = selectors.public_evidence(case) if case.is_published else []
    if not 1 <= number <= len(evidence):
        raise Http404(_("No such file."))
    return evidence_copy_response(
        evidence[number - 1],
        as_attachment=request.GET.get("download") is not None,
        # Short: an unpublished case's copies stop being served within a minute everywhere.
        cache_control="public, max-age=60",
    )
