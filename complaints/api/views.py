"""Complaint endpoints: thin translations between HTTP and ``services`` / ``selectors``."""

from __future__ import annotations

import base64
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404, HttpResponseBase, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import exports, selectors, services, workflow
from complaints.access import access_for, has_identity_permission, second_factor_ok, visible_complaints
from complaints.api import fastlist
from complaints.api import serializers as s
from complaints.api.base import MAX_ID, ApiView, normalize_code, parse_id
from complaints.api.filters import COMPLAINT_ORDERINGS, RANK_ORDERING, ComplaintListQuery, parse_query
from complaints.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from complaints.api.idempotency import run_idempotent
from complaints.api.pagination import Key, cursor_ordering, keys_for
from complaints.api.parsers import JSONParser, MultiPartParser
from complaints.api.permissions import AuthenticatedOrFiling
from complaints.api.renderers import CsvExportRenderer, XlsxExportRenderer
from complaints.api.schema import RegistryAutoSchema, error_responses
from complaints.api.throttling import AnonFilingThrottle, ApiKeyThrottle
from complaints.downloads import evidence_copy_response, evidence_copy_unavailable, stored_file_response
from complaints.models import Channel, Complaint, Evidence
from complaints.services import ALLOWED_EVIDENCE_TYPES

CODE_PARAM = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=s.RECEIPT_CODE_HELP)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    pattern=r'^(\*|(W/)?"?[1-9][0-9]{0,8}"?)$',
    description='The version you saw, e.g. `"3"` (alternative to the `version` field); 409 if it changed.',
)
FILING_EXAMPLE = {
    "election": 1,
    "category": "pressure.employer",
    "polling_station": 1,
    "occurred_at": "2011-04-03T09:30:00+06:00",
    "description": "The director told employees to photograph their ballots and send him the pictures.",
}


def get_complaint(request: Request, code: str) -> Complaint:
    """The complaint if the caller may see it; 404 otherwise (never 403: no hint it exists)."""
    normalized = normalize_code(code)
    if normalized is None:
        raise exceptions.NotFound(_("No complaint with this receipt code."))
    try:
        return selectors.complaint_get_for(user=request.user, code=normalized)
    except Complaint.DoesNotExist:
        raise exceptions.NotFound(_("No complaint with this receipt code.")) from None


def reader_context(request: Request, complaint: Complaint) -> dict[str, Any]:
    """What timeline and notes serializers need to know about the reader and the filer."""
    reporter = getattr(complaint, "reporter", None)
    return {
        "request": request,
        "staff": s.is_staff_reader(request.user, complaint),
        "reporter_user_id": reporter.user_id if reporter is not None else None,
    }


def requested_version(request: Request, body_version: int | None) -> int | None:
    """The version the caller acts on: the body's ``version``, else the If-Match header."""
    if body_version is not None:
        return body_version
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    raw = header.strip().removeprefix("W/").removeprefix('"').removesuffix('"')
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise serializers.ValidationError({"If-Match": [_('Send the version you saw, e.g. If-Match: "3".')]})
    return int(raw)


def detail_response(request: Request, complaint: Complaint, status_code: int = 200) -> Response:
    prefetch_related_objects([complaint], "evidence")
    data = s.ComplaintDetailSerializer(complaint, context={"request": request}).data
    return Response(data, status=status_code, headers={"ETag": f'"{complaint.version}"'})


# The default ("due_at") ordering is the queue order itself, the one the web queue shows.
QUEUE_KEYS = keys_for(selectors.QUEUE_ORDER)
# A search with too many matches to rank (selectors.search.RANK_LIMIT) pages in the queue order.
UNRANKED_SEARCH_ORDERING = "due_at"


def unranked_note() -> str:
    return _(
        "Too many matches to rank (more than %(limit)s): shown in queue order. Add a word to narrow the search."
    ) % {"limit": selectors.rank_limit()}


EXPORT_FORMAT_PARAM = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    enum=["json", "csv", "xlsx"],
    description="`csv` or `xlsx`: the whole filtered list as a file (staff); `json` (the default): a page.",
)


class ExportNegotiationMixin:
    """JSON by default; on GET also CSV and XLSX (``Accept`` or ``?format=``); errors always in JSON."""

    def get_renderers(self) -> list[Any]:
        request = getattr(self, "request", None)
        if request is not None and request.method == "GET":
            return [JSONRenderer(), CsvExportRenderer(), XlsxExportRenderer()]
        return [JSONRenderer()]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A method the view lacks (TRACE, ...) is answered 405, whatever format it asked for.
        force = force or request.method not in self.allowed_methods  # type: ignore[attr-defined]
        try:
            return super().perform_content_negotiation(request, force)  # type: ignore[misc]
        except (Http404, exceptions.NotAcceptable):  # DRF answers an unknown ?format= with 404
            raise exceptions.NotAcceptable(
                _("Ask for JSON (the default), CSV or XLSX: Accept: text/csv, or ?format=csv or ?format=xlsx.")
            ) from None

    def handle_exception(self, exc: Exception) -> Any:
        response = super().handle_exception(exc)  # type: ignore[misc]
        request = getattr(self, "request", None)
        if request is not None:  # an error is a JSON body, whichever file format was asked for
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return response


class ComplaintListView(ExportNegotiationMixin, ApiView):
    permission_classes = [AuthenticatedOrFiling]
    parser_classes = [JSONParser, MultiPartParser]
    throttle_classes = [ApiKeyThrottle, AnonFilingThrottle]

    def body_limit(self) -> int:
        return int(settings.EVIDENCE_MAX_BYTES) * 10 + 2**20

    @extend_schema(
        operation_id="complaints_list",
        summary="The queue: complaints the caller may see",
        description="Observers see their own complaints; reviewers and coordinators those in their territory. "
        "Ordered by due time by default (overdue first). Cursor-paginated: follow `next`. "
        "Staff may ask for the whole filtered list as a file instead: `Accept: text/csv` or `?format=csv` "
        "(UTF-8 with BOM), `?format=xlsx`; same filters, scope and order, streamed, never the reporter's "
        "identity (docs/api.md, Exports).",
        parameters=[ComplaintListQuery, EXPORT_FORMAT_PARAM],
        responses={
            (200, "application/json"): s.ComplaintSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The filtered queue as CSV."),
            (200, exports.XLSX_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The filtered queue as one XLSX worksheet."
            ),
        },
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        query = parse_query(ComplaintListQuery, request.query_params)
        filters = query.to_filters()
        asked = query.validated_data["ordering"]
        # With a search in rank order: ranked when its matches are few (decided with the page's
        # queryset, one query), or as the cursor's first page was; otherwise never ranked.
        hint = self.cursor_ranked(request) if asked == RANK_ORDERING else False
        qs, ranked = selectors.complaint_queue_ranked(user=request.user, filters=filters, ranked=hint)
        ranked = bool(ranked) and asked == RANK_ORDERING
        # Asked for the rank, but too many matches to rank them: the queue order, said in the answer.
        self.ordering_name = UNRANKED_SEARCH_ORDERING if asked == RANK_ORDERING and not ranked else asked
        self.ordering = self.ordering_keys(request, self.ordering_name, filters)
        if request.accepted_renderer.format in exports.FORMATS:
            return self.export(request, qs)
        page = self.paginate_queryset(fastlist.rows_queryset(qs))
        response = self.get_paginated_response(fastlist.RowRenderer(request.user).render_all(page or []))
        if (filters.q or "").strip():  # a search says whether it is ranked, and why not
            response.data["ranked"] = ranked
            if asked == RANK_ORDERING and not ranked:
                response.data["ranking_note"] = unranked_note()
        return response

    @staticmethod
    def cursor_ranked(request: Request) -> bool | None:
        """A next page keeps the order its cursor was made in; None on a first page (to be decided)."""
        made_in = cursor_ordering(request)
        return made_in == RANK_ORDERING if made_in in (RANK_ORDERING, UNRANKED_SEARCH_ORDERING) else None

    @staticmethod
    def ordering_keys(request: Request, name: str, filters: selectors.QueueFilters) -> tuple[Key, ...]:
        if name == "due_at":
            return QUEUE_KEYS
        if name == RANK_ORDERING:  # the search's rank (the serializer made sure q is given), then the queue order
            search = selectors.search_for(user=request.user, q=filters.q or "")
            rank = search.rank if search is not None else None
            return (Key(selectors.SEARCH_RANK, desc=True, expression=rank), *QUEUE_KEYS)
        return COMPLAINT_ORDERINGS[name]

    def export(self, request: Request, qs: QuerySet[Complaint]) -> StreamingHttpResponse:
        """Every complaint of the filtered list, in the requested order, as CSV or XLSX (staff only)."""
        if not access_for(request.user).staff_roles:
            raise exceptions.PermissionDenied(_("Exports are for reviewers and coordinators."))
        computed = {k.field: k.expression for k in self.ordering if k.expression is not None}
        qs = selectors.with_case_deadline(qs.annotate(**computed) if computed else qs)
        qs = qs.order_by(*[k.order_by() for k in self.ordering])
        return exports.queue_export(user=request.user, queue=qs, fmt=request.accepted_renderer.format)

    @extend_schema(
        operation_id="complaints_create",
        summary="File a complaint (anonymously without credentials)",
        description="JSON, or multipart/form-data with evidence `files`. The answer carries the receipt code "
        "and a follow-up `secret` shown only this once. Send an `Idempotency-Key` header to retry safely: "
        "a retry with the same key and body replays the first answer (without the secret, "
        "`secret_redacted: true`) and never files twice; the same key with another body answers 422.",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                pattern=r"^[!-~]{1,255}$",
                description="A unique value per complaint (e.g. a UUID), reused only for retries of that request.",
            )
        ],
        request={
            "application/json": s.ComplaintCreateSerializer,
            "multipart/form-data": s.ComplaintCreateMultipartSerializer,
        },
        responses={201: s.FilingSerializer, **error_responses(400, 413, 415, 422)},
        examples=[OpenApiExample("Pressure by an employer", value=FILING_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        return run_idempotent(request, lambda: self._file(request))

    def _file(self, request: Request) -> tuple[Response, Complaint]:
        multipart = request.content_type.startswith("multipart/")
        serializer_class = s.ComplaintCreateMultipartSerializer if multipart else s.ComplaintCreateSerializer
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        files = data.pop("files", [])
        language = data.pop("language", None) or (get_language() or settings.LANGUAGE_CODE)[:2]
        filing = services.complaint_file(
            **data, files=files, language=language, channel=Channel.API, reporter_user=request.user
        )
        complaint = filing.complaint
        if files:
            prefetch_related_objects([complaint], "evidence")
        else:  # nothing attached: no need to ask the database
            complaint._prefetched_objects_cache = {"evidence": Evidence.objects.none()}  # type: ignore[attr-defined]
        body = s.FilingSerializer(complaint, context={"request": request, "secret": filing.secret}).data
        location = request.build_absolute_uri(reverse("api-complaint-detail", kwargs={"code": complaint.code}))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location}), complaint


class ComplaintDetailView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="complaints_retrieve",
        summary="One complaint by receipt code",
        description="Includes `version` (send it back with a transition) and the `available_actions` for the caller. "
        "The answer's ETag is the version. The reporter's identity is never included (see /reporter/).",
        parameters=[CODE_PARAM],
        responses={200: s.ComplaintDetailSerializer},
    )
    def get(self, request: Request, code: str) -> Response:
        return detail_response(request, get_complaint(request, code))


class ComplaintTimelineView(ApiView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(
        operation_id="complaints_timeline",
        summary="The complaint's audit events the caller may see",
        description="Staff in scope see every event; the complainant sees status changes, filing and evidence. "
        "`prev_hash`/`hash` let anyone re-verify the chain.",
        parameters=[CODE_PARAM],
        responses={200: s.TimelineEventSerializer(many=True)},
    )
    def get(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        events = selectors.timeline_for(user=request.user, complaint=complaint)
        context = reader_context(request, complaint)
        return Response(s.TimelineEventSerializer(events, many=True, context=context).data)


class ComplaintNotesView(ApiView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(
        operation_id="complaints_notes_list",
        summary="Notes on a complaint",
        description="Staff in scope see internal notes too; "
        "the complainant sees only the messages exchanged with them.",
        parameters=[CODE_PARAM],
        responses={200: s.NoteSerializer(many=True)},
    )
    def get(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        notes = selectors.notes_for(user=request.user, complaint=complaint)
        context = reader_context(request, complaint)
        return Response(s.NoteSerializer(notes, many=True, context=context).data)

    @extend_schema(
        operation_id="complaints_notes_create",
        summary="Add a note (staff) or a message (the complainant)",
        parameters=[CODE_PARAM],
        request=s.NoteCreateSerializer,
        responses={201: s.NoteSerializer, **error_responses(400, 404)},
    )
    def post(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        serializer = s.NoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.note_add(complaint=complaint, actor=request.user, **serializer.validated_data)
        context = reader_context(request, complaint)
        return Response(s.NoteSerializer(note, context=context).data, status=status.HTTP_201_CREATED)


def _resolve_original(request: Request, code: str) -> Complaint | None:
    if not code.strip():
        return None
    try:
        return get_complaint(request, code)
    except exceptions.NotFound:
        raise serializers.ValidationError(
            {"duplicate_of": [_("No complaint %(code)s was found.") % {"code": code.strip()}]}
        ) from None


def fire(request: Request, complaint: Complaint, action: str, data: dict[str, Any]) -> Response:
    """Run the action and answer the service's own (locked, updated) object: no third read."""
    complaint = services.complaint_transition(
        complaint=complaint,
        action=action,
        actor=request.user,
        comment=data.get("comment", ""),
        version=requested_version(request, data.get("version")),
        duplicate_of=_resolve_original(request, data.get("duplicate_of", "")),
        authority=data.get("authority", ""),
        authority_reference=data.get("authority_reference", ""),
    )
    return detail_response(request, complaint)


TRANSITION_ERRORS = error_responses(400, 404, 409)
TRANSITION_HELP = (
    "Fires one workflow action through the service (row lock, version check, audit, notifications). "
    "409 `stale_version` names the current status when the complaint changed since `version`; "
    "409 `invalid_transition` when the action is not allowed from the current status; "
    "403 `not_allowed` when the caller's role may not fire it. The status field itself is never writable."
)


class ComplaintTransitionsView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="complaints_transition",
        summary="Fire a workflow action (action in the body)",
        description=TRANSITION_HELP + " The body's other fields depend on the action (see the per-action endpoints).",
        parameters=[CODE_PARAM, IF_MATCH],
        request=PolymorphicProxySerializer(
            component_name="Transition",
            serializers={t.action: s.TRANSITION_WITH_ACTION[s.transition_body(t.action)] for t in workflow.TRANSITIONS},
            resource_type_field_name="action",
        ),
        responses={200: s.ComplaintDetailSerializer, **TRANSITION_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        choice = s.ActionChoiceSerializer(data=request.data, context={"choices": workflow.ACTIONS})
        choice.is_valid(raise_exception=True)
        action = choice.validated_data["action"]
        serializer = s.transition_body(action)(data=request.data)
        serializer.is_valid(raise_exception=True)
        return fire(request, complaint, action, dict(serializer.validated_data))


class ActionSchema(RegistryAutoSchema):
    """The documentation of one action's endpoint, read from its row of the transitions table."""

    def _action(self) -> str:
        return cast("ComplaintActionView", self.view).action_name

    def _transition(self) -> workflow.Transition:
        return workflow.BY_ACTION[self._action()]

    def get_operation_id(self) -> str:
        return f"complaints_{self._transition().action}"

    def get_summary(self) -> str:
        t = self._transition()
        return f"{t.label} ({', '.join(sorted(str(x) for x in t.sources))} → {t.target})"

    def get_description(self) -> str:  # type: ignore[override]
        t = self._transition()
        requires = ", ".join(sorted(str(r) for r in t.requires)) or "nothing"
        roles = ", ".join(sorted(str(r) for r in t.roles))
        return f"Who: {roles}. Requires: {requires}. {TRANSITION_HELP}"

    def get_request_serializer(self) -> Any:
        return s.transition_body(self._action())


class ComplaintActionView(ApiView):
    """One endpoint per workflow action (``/complaints/{code}/triage/`` ...), as pretix does.

    ``urls.py`` mounts it once per row of ``workflow.TRANSITIONS`` with ``as_view(action_name=...)``;
    ``ActionSchema`` documents each mount from its row.
    """

    permission_classes = [IsAuthenticated]
    schema = ActionSchema()
    action_name = ""

    @extend_schema(parameters=[CODE_PARAM, IF_MATCH], responses={200: s.ComplaintDetailSerializer, **TRANSITION_ERRORS})
    def post(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        serializer = s.transition_body(self.action_name)(data=request.data)
        serializer.is_valid(raise_exception=True)
        return fire(request, complaint, self.action_name, dict(serializer.validated_data))


class ComplaintAssignView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="complaints_assign",
        summary="Assign to a reviewer (coordinators), or unassign",
        parameters=[CODE_PARAM, IF_MATCH],
        request=s.AssignSerializer,
        responses={200: s.ComplaintDetailSerializer, **TRANSITION_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        serializer = s.AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["assignee"]
        assignee = None
        if username is not None:
            assignee = get_user_model().objects.filter(username=username, is_active=True).first()
            if assignee is None:
                raise serializers.ValidationError({"assignee": [_("No active user %(u)s.") % {"u": username}]})
        version = requested_version(request, serializer.validated_data.get("version"))
        complaint = services.complaint_assign(
            complaint=complaint, assignee=assignee, actor=request.user, version=version
        )
        return detail_response(request, complaint)


class ComplaintTakeView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="complaints_take",
        summary="Take the complaint: assign it to yourself",
        parameters=[CODE_PARAM, IF_MATCH],
        request=s.TakeSerializer,
        responses={200: s.ComplaintDetailSerializer, **TRANSITION_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        serializer = s.TakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = requested_version(request, serializer.validated_data.get("version"))
        taker = cast(User, request.user)  # IsAuthenticated: an account, never AnonymousUser
        complaint = services.complaint_assign(complaint=complaint, assignee=taker, actor=taker, version=version)
        return detail_response(request, complaint)


class ComplaintEvidenceView(ApiView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    def get_parsers(self) -> list[Any]:
        return [MultiPartParser()]

    def body_limit(self) -> int:
        return int(settings.EVIDENCE_MAX_BYTES) + 2**20

    @extend_schema(
        operation_id="complaints_evidence_list",
        summary="Evidence attached to a complaint, with SHA-256",
        parameters=[CODE_PARAM],
        responses={200: s.EvidenceSerializer(many=True)},
    )
    def get(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        return Response(s.EvidenceSerializer(complaint.evidence.all(), many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="complaints_evidence_create",
        summary="Upload one evidence file (multipart)",
        description="The type is read from the file's bytes (photo, video, audio or PDF only: else 415); "
        "at most EVIDENCE_MAX_BYTES (else 413). The SHA-256 is computed while the upload streams in.",
        parameters=[CODE_PARAM],
        request={"multipart/form-data": s.EvidenceUploadSerializer},
        responses={201: s.EvidenceSerializer, **error_responses(400, 404, 409, 413, 415)},
    )
    def post(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        serializer = s.EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = services.evidence_attach(
            complaint=complaint, upload=serializer.validated_data["file"], actor=request.user
        )
        return Response(s.EvidenceSerializer(evidence, context={"request": request}).data, status=201)


class ComplaintReporterView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="complaints_reporter",
        summary="Who filed the complaint (permission `view_reporter_identity`; every read is audited)",
        description="A POST, so that no link can trigger it and the purpose never lands in a URL or an "
        "access log. The purpose is required and kept in the complaint's audit chain. A browser session "
        "must have passed the staff second factor (else 403 `second_factor_required`); API keys are not asked.",
        parameters=[CODE_PARAM],
        request=s.RevealSerializer,
        responses={200: s.ReporterSerializer},
    )
    def post(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        if has_identity_permission(request.user) and not second_factor_ok(request.user):
            # A browser session of a permitted user that has not passed the second factor (API keys are not asked).
            raise exceptions.PermissionDenied(
                _("Confirm your second factor first: open %(url)s in the browser, then try again.")
                % {"url": reverse("web-2fa-verify")},
                code="second_factor_required",
            )
        body = s.RevealSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reporter = services.reporter_reveal(
            complaint=complaint, actor=request.user, purpose=body.validated_data["purpose"]
        )
        return Response(s.ReporterSerializer(reporter).data, headers={"Cache-Control": "no-store"})


EVIDENCE_ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH, description="Evidence id."
)


class EvidenceDownloadView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="evidence_download",
        summary="Download an evidence file (as an attachment)",
        description="Headers `X-Content-SHA256` (hex) and `Repr-Digest` (RFC 9530) carry the SHA-256 "
        "recorded at upload, so the file can be checked for alteration. With `copy=stripped`: the copy "
        "without metadata instead (its own SHA-256, `public_sha256`); 409 while it is being made, 404 if "
        "there is none (see `public_state`).",
        parameters=[
            EVIDENCE_ID,
            OpenApiParameter(
                "copy",
                {"type": "string", "enum": ["stripped"]},
                OpenApiParameter.QUERY,
                description="`stripped`: the copy without EXIF, GPS or camera data, never the original.",
            ),
        ],
        responses={
            **{
                (200, mime): OpenApiResponse(OpenApiTypes.BINARY, description="The file as uploaded.")
                for mime in sorted(ALLOWED_EVIDENCE_TYPES)
            },
            # 400: `copy` is something other than `stripped`; 404: no such file, or no stripped copy;
            # 409: the stripped copy is being made.
            **error_responses(400, 404, 409),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        evidence = (
            Evidence.objects.filter(pk=parse_id(pk), complaint__in=visible_complaints(request.user))
            .select_related("complaint")
            .first()
        )
        if evidence is None:
            raise exceptions.NotFound(_("No such evidence file."))
        copy = request.query_params.get("copy")
        if copy is not None:
            return self._copy(evidence, copy)
        digest = base64.b64encode(bytes.fromhex(evidence.sha256)).decode()
        response = stored_file_response(
            evidence.file,
            as_attachment=True,
            filename=services.evidence_name(evidence.original_name, evidence.content_type),
            content_type=evidence.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Content-SHA256"] = evidence.sha256
        response["Repr-Digest"] = f"sha-256=:{digest}:"
        response["Digest"] = f"sha-256={digest}"
        response["Cache-Control"] = "private, no-store"
        return response

    def _copy(self, evidence: Evidence, copy: str) -> HttpResponseBase:
        """The stripped copy, never the original in its place."""
        if copy != "stripped":
            message = _("Ask for copy=stripped, or leave copy out for the original.")
            raise exceptions.ValidationError({"copy": [message]})
        refused = evidence_copy_unavailable(evidence)
        if refused is not None:
            status_code, message = refused
            if status_code == 409:
                raise CopyPending(message)
            raise exceptions.NotFound(message, code="no_stripped_copy")
        return evidence_copy_response(evidence, as_attachment=True, cache_control="private, no-store")


class CopyPending(exceptions.APIException):
    """The stripped copy asked for is still being made."""

    status_code = 409
    default_code = "copy_pending"
