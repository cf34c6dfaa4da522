"""The anonymous complainant: follow a complaint with its receipt code and secret.

A wrong code and a wrong secret give the same 404 body after the same work
(``selectors.complaint_by_receipt`` hashes either way), and lookups are rate-limited
per IP. POST is preferred so the secret stays out of URLs and access logs.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import selectors, services, workflow
from complaints.api import serializers as s
from complaints.api.base import ApiView
from complaints.api.parsers import MultiPartParser
from complaints.api.permissions import AnonymousAllowed
from complaints.api.schema import error_responses
from complaints.api.throttling import AnonStatusThrottle, ApiKeyThrottle
from complaints.models import Complaint, NoteVisibility

RECEIPT_HEADERS = [
    OpenApiParameter(
        "X-Receipt-Code", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, pattern=s.RECEIPT_CODE_PATTERN
    ),
    OpenApiParameter(
        "X-Receipt-Secret", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, pattern=s.SECRET_PATTERN
    ),
]


def complaint_by_receipt(code: str, secret: str) -> Complaint:
    complaint = selectors.complaint_by_receipt(code=code, secret=secret)
    if complaint is None:
        raise exceptions.NotFound(_("No complaint matches this receipt code and secret."))
    return complaint


def receipt_status(complaint: Complaint) -> dict[str, Any]:
    messages = complaint.notes.filter(visibility=NoteVisibility.COMPLAINANT).order_by("created_at", "id")
    return s.ReceiptStatusSerializer(
        {
            "code": complaint.code,
            "status": complaint.status,
            "status_label": complaint.get_status_display(),
            "version": complaint.version,
            "updated_at": complaint.updated_at,
            "messages": messages,
            "available_actions": s.actions_payload(complaint, {workflow.Role.COMPLAINANT}),
        }
    ).data


class ReceiptView(ApiView):
    permission_classes = [AnonymousAllowed]
    throttle_classes = [ApiKeyThrottle, AnonStatusThrottle]

    def receipt(self, data: Any) -> Complaint:
        serializer = s.ReceiptSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        return complaint_by_receipt(serializer.validated_data["code"], serializer.validated_data["secret"])


class StatusView(ReceiptView):
    @extend_schema(
        operation_id="status_lookup",
        summary="A complaint's status and messages, by receipt code and secret",
        description="For anonymous complainants. Returns the status and the messages exchanged, nothing more. "
        "404 (same answer) for a wrong code or a wrong secret.",
        request=s.ReceiptSerializer,
        responses={200: s.ReceiptStatusSerializer, **error_responses(400, 404)},
    )
    def post(self, request: Request) -> Response:
        return Response(receipt_status(self.receipt(request.data)), headers={"Cache-Control": "no-store"})

    @extend_schema(
        operation_id="status_lookup_headers",
        summary="The same lookup with the code and secret in headers",
        description="Prefer POST; headers keep the secret out of URLs but some proxies log them.",
        parameters=RECEIPT_HEADERS,
        responses={200: s.ReceiptStatusSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request) -> Response:
        data = {"code": request.headers.get("X-Receipt-Code"), "secret": request.headers.get("X-Receipt-Secret")}
        try:
            complaint = self.receipt(data)
        except serializers.ValidationError as exc:
            detail: Any = exc.detail
            raise serializers.ValidationError({f"X-Receipt-{k.title()}": v for k, v in detail.items()}) from None
        return Response(receipt_status(complaint), headers={"Cache-Control": "no-store"})


class StatusTransitionView(ReceiptView):
    @extend_schema(
        operation_id="status_transition",
        summary="Answer a request for information, or withdraw the complaint",
        description="`provide_info` (needs `comment`: the answer) when the status is needs_info; "
        "`withdraw` before a decision.",
        request=PolymorphicProxySerializer(
            component_name="ComplainantAction",
            serializers=s.COMPLAINANT_ACTION_BODIES,
            resource_type_field_name="action",
        ),
        responses={200: s.ReceiptStatusSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        choice = s.ActionChoiceSerializer(data=request.data, context={"choices": s.COMPLAINANT_ACTIONS})
        choice.is_valid(raise_exception=True)
        serializer = s.COMPLAINANT_ACTION_BODIES[choice.validated_data["action"]](data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        complaint = complaint_by_receipt(data["code"], data["secret"])
        complaint = services.complaint_transition(
            complaint=complaint,
            action=data["action"],
            actor=services.ComplainantActor(complaint_id=complaint.pk),
            comment=data.get("comment", ""),
            version=data.get("version"),
        )
        return Response(receipt_status(complaint), headers={"Cache-Control": "no-store"})


class StatusEvidenceView(ReceiptView):
    def get_parsers(self) -> list[Any]:
        return [MultiPartParser()]

    def body_limit(self) -> int:
        return int(settings.EVIDENCE_MAX_BYTES) + 2**20

    @extend_schema(
        operation_id="status_evidence",
        summary="Add an evidence file to your complaint (multipart, with code and secret)",
        request={"multipart/form-data": s.ComplainantEvidenceSerializer},
        responses={201: s.PublicEvidenceSerializer, **error_responses(400, 404, 409, 413, 415)},
    )
    def post(self, request: Request) -> Response:
        serializer = s.ComplainantEvidenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        complaint = complaint_by_receipt(data["code"], data["secret"])
        evidence = services.evidence_attach(
            complaint=complaint, upload=data["file"], actor=services.ComplainantActor(complaint_id=complaint.pk)
        )
        return Response(s.PublicEvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)
