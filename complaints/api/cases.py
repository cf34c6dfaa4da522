"""The legal case endpoints: submissions, outcomes, appeals, respondents and replies, the next deadline.

Readable by staff whose scope covers the complaint (out of scope: 404); written by
coordinators and admins in scope (others: 403 ``not_allowed``), always through
``services`` (row lock, the case transitions table, audit, outbox).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import selectors, services, workflow
from complaints.access import roles_for
from complaints.api import serializers as s
from complaints.api.base import MAX_ID, ApiView, normalize_code, parse_id
from complaints.api.parsers import JSONParser, MultiPartParser
from complaints.api.schema import error_responses
from complaints.api.views import CODE_PARAM, get_complaint
from complaints.models import Authority, Complaint, Respondent, Submission

SUBMISSION_ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH, description="Submission id."
)
RESPONDENT_ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH, description="Respondent id."
)
WRITE_ERRORS = error_responses(400, 403, 404, 409)
WRITE_HELP = " Coordinators and admins in scope only (403 `not_allowed` for other staff)."


def case_complaint(request: Request, code: str) -> Complaint:
    """The complaint if the caller is staff in its scope; 404 otherwise (a complainant sees no case here)."""
    complaint = get_complaint(request, code)
    if not roles_for(request.user, complaint) & workflow.STAFF:
        raise exceptions.NotFound(_("No complaint with this receipt code."))
    return complaint


def _submission(request: Request, code: str, pk: Any) -> tuple[Complaint, Submission]:
    complaint = case_complaint(request, code)
    try:
        return complaint, selectors.submission_get_for(user=request.user, complaint=complaint, pk=parse_id(pk))
    except Submission.DoesNotExist:
        raise exceptions.NotFound(_("No such submission.")) from None


def _authority(pk: int | None) -> Authority | None:
    if pk is None:
        return None
    authority = selectors.authorities_for().filter(pk=pk).first()
    if authority is None:
        raise serializers.ValidationError({"authority": [_("No authority %(id)s in the register.") % {"id": pk}]})
    return authority


def _others(request: Request, codes: list[str]) -> list[Complaint]:
    others = []
    for code in codes:
        normalized = normalize_code(code)
        try:
            others.append(selectors.complaint_get_for(user=request.user, code=normalized or ""))
        except Complaint.DoesNotExist:
            raise serializers.ValidationError(
                {"also_covers": [_("No complaint %(code)s was found.") % {"code": code}]}
            ) from None
    return others


def submission_data(request: Request, submission: Submission) -> dict[str, Any]:
    fresh = Submission.objects.select_related("authority__unit", "decision", "deadline_rule").get(pk=submission.pk)
    return dict(s.SubmissionSerializer(fresh, context={"request": request}).data)


class CaseView(ApiView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(
        operation_id="complaints_case",
        summary="The complaint's case at the authorities: next deadline, clocks, submissions, appeals, respondents",
        parameters=[CODE_PARAM],
        responses={200: s.CaseSerializer, **error_responses(404)},
    )
    def get(self, request: Request, code: str) -> Response:
        complaint = case_complaint(request, code)
        case = selectors.case_for(user=request.user, complaint=complaint)
        nxt = case.next_deadline
        data = {
            "next_deadline": None
            if nxt is None
            else {**nxt.__dict__, "overdue": nxt.overdue, "kind": str(nxt.kind), "label": str(nxt.label)},
            "deadlines": s.DeadlineSerializer(case.deadlines, many=True).data,
            "submissions": s.SubmissionSerializer(case.submissions, many=True).data,
            "chains": [[sub.pk for sub in chain] for chain in case.chains],
            "respondents": s.RespondentSerializer(case.respondents, many=True).data,
        }
        return Response(data)


class SubmissionListView(ApiView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(
        operation_id="complaints_submissions_list",
        summary="Submissions of the complaint to authorities (appeals included), oldest first",
        parameters=[CODE_PARAM],
        responses={200: s.SubmissionSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, code: str) -> Response:
        complaint = case_complaint(request, code)
        submissions = selectors.submissions_for(complaint=complaint).select_related("deadline_rule")
        return Response(s.SubmissionSerializer(submissions, many=True).data)

    @extend_schema(
        operation_id="complaints_submissions_create",
        summary="Record that the complaint was filed with an authority",
        description="Starts the answer clock from the deadline rules (its due time is `answer_due_at`)."
        " With a `registration_number` the submission is recorded as registered." + WRITE_HELP,
        parameters=[CODE_PARAM],
        request=s.SubmissionCreateSerializer,
        responses={201: s.SubmissionSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        complaint = case_complaint(request, code)
        body = s.SubmissionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        submission = services.submission_file(
            complaint=complaint,
            actor=request.user,
            authority=_authority(data.get("authority")),
            authority_text=data.get("authority_text", ""),
            channel=data["channel"],
            submitted_at=data.get("submitted_at"),
            registration_number=data.get("registration_number", ""),
            document_sha256=data.get("document_sha256", ""),
            also_covers=_others(request, data.get("also_covers", [])),
        )
        return Response(submission_data(request, submission), status=status.HTTP_201_CREATED)


class SubmissionDetailView(ApiView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(
        operation_id="complaints_submissions_retrieve",
        summary="One submission",
        parameters=[CODE_PARAM, SUBMISSION_ID],
        responses={200: s.SubmissionSerializer, **error_responses(404)},
    )
    def get(self, request: Request, code: str, pk: int) -> Response:
        _complaint, submission = _submission(request, code, pk)
        return Response(submission_data(request, submission))


class SubmissionOutcomeView(ApiView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser]

    def body_limit(self) -> int:
        return int(settings.EVIDENCE_MAX_BYTES) + 2**20

    @extend_schema(
        operation_id="complaints_submissions_outcome",
        summary="Record what the authority did: registered, under consideration, a decision, or no answer",
        description="`outcome` is `registered` (needs `registration_number`), `under_consideration`, a decision "
        "(`upheld`, `partly_upheld`, `rejected`, `returned`: needs `decided_on`; the decision document as "
        "multipart `file` is hashed like evidence; a decision against the complainant starts the appeal clock), "
        "or `no_answer`. 409 when the submission's state does not allow it." + WRITE_HELP,
        parameters=[CODE_PARAM, SUBMISSION_ID],
        request={"application/json": s.OutcomeSerializer, "multipart/form-data": s.OutcomeSerializer},
        responses={200: s.SubmissionSerializer, **error_responses(400, 403, 404, 409, 413, 415)},
    )
    def post(self, request: Request, code: str, pk: int) -> Response:
        _complaint, submission = _submission(request, code, pk)
        body = s.OutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        submission = services.submission_record_outcome(
            submission=submission,
            actor=request.user,
            outcome=data["outcome"],
            registration_number=data.get("registration_number", ""),
            decided_on=data.get("decided_on"),
            text=data.get("text", ""),
            upload=data.get("file"),
        )
        return Response(submission_data(request, submission))


class SubmissionAppealView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="complaints_submissions_appeal",
        summary="Appeal the decision (or the missing answer) to the next body",
        description="A new submission linked to the one it challenges, with its own answer clock; it stops the "
        "appeal clock of the challenged decision. Without an authority it goes to the next body in the register."
        + WRITE_HELP,
        parameters=[CODE_PARAM, SUBMISSION_ID],
        request=s.AppealCreateSerializer,
        responses={201: s.SubmissionSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, code: str, pk: int) -> Response:
        _complaint, submission = _submission(request, code, pk)
        body = s.AppealCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        appeal = services.submission_appeal(
            submission=submission,
            actor=request.user,
            authority=_authority(data.get("authority")),
            authority_text=data.get("authority_text", ""),
            channel=data["channel"],
            submitted_at=data.get("submitted_at"),
            registration_number=data.get("registration_number", ""),
            document_sha256=data.get("document_sha256", ""),
        )
        return Response(submission_data(request, appeal), status=status.HTTP_201_CREATED)


class RespondentListView(ApiView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(
        operation_id="complaints_respondents_list",
        summary="Whose actions the complaint challenges, with their replies",
        parameters=[CODE_PARAM],
        responses={200: s.RespondentSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, code: str) -> Response:
        complaint = case_complaint(request, code)
        respondents = selectors.case_for(user=request.user, complaint=complaint).respondents
        return Response(s.RespondentSerializer(respondents, many=True).data)

    @extend_schema(
        operation_id="complaints_respondents_create",
        summary="Record a respondent (the official, commission member, candidate or party, employer, police...)",
        description=WRITE_HELP.strip(),
        parameters=[CODE_PARAM],
        request=s.RespondentCreateSerializer,
        responses={201: s.RespondentSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        complaint = case_complaint(request, code)
        body = s.RespondentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        respondent = services.respondent_add(complaint=complaint, actor=request.user, **body.validated_data)
        return Response(s.RespondentSerializer(respondent).data, status=status.HTTP_201_CREATED)


class RespondentReplyView(ApiView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser]

    def body_limit(self) -> int:
        return int(settings.EVIDENCE_MAX_BYTES) + 2**20

    @extend_schema(
        operation_id="complaints_respondents_reply",
        summary="Record the respondent's reply (right of reply), with its date and file",
        description=WRITE_HELP.strip(),
        parameters=[CODE_PARAM, RESPONDENT_ID],
        request={"application/json": s.ReplyCreateSerializer, "multipart/form-data": s.ReplyCreateSerializer},
        responses={201: s.RespondentReplySerializer, **error_responses(400, 403, 404, 409, 413, 415)},
    )
    def post(self, request: Request, code: str, pk: int) -> Response:
        complaint = case_complaint(request, code)
        try:
            respondent = selectors.respondent_get_for(user=request.user, complaint=complaint, pk=parse_id(pk))
        except Respondent.DoesNotExist:
            raise exceptions.NotFound(_("No such respondent.")) from None
        body = s.ReplyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        reply = services.respondent_reply_add(
            respondent=respondent,
            actor=request.user,
            received_on=data["received_on"],
            text=data.get("text", ""),
            upload=data.get("file"),
        )
        return Response(s.RespondentReplySerializer(reply).data, status=status.HTTP_201_CREATED)


class AuthorityListView(ApiView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(
        operation_id="authorities_list",
        summary="The register of authorities (commissions by level, courts, prosecutors, police)",
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, required=False, description="Only this kind.")],
        responses={200: s.AuthoritySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.authorities_for()
        kind = str(request.query_params.get("kind", ""))[:20]
        if kind:
            qs = qs.filter(kind=kind)
        return Response(s.AuthoritySerializer(qs, many=True).data)
