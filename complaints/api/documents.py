"""The formal complaint document over the API: generate a version (POST), list them, download one with its SHA-256.

Coordinators and admins in scope; outside the scope 404, a reviewer in scope 403
(``selectors.check_documents_access``). Every field of the body is optional: what is left
out takes the defaults the web form starts from.
"""

from __future__ import annotations

import base64
from typing import Any

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import documents, selectors, services
from complaints.api.base import ApiView, parse_id
from complaints.api.schema import error_responses
from complaints.api.serializers.common import RECEIPT_CODE_PATTERN, RECEIPT_CODE_VALIDATOR, StrictJSONMixin
from complaints.api.views import CODE_PARAM, get_complaint
from complaints.downloads import stored_file_response
from complaints.models import DocumentFormat, DocumentLanguage, GeneratedDocument
from complaints.models.documents import CONTENT_TYPES
from complaints.services.documents import LIMITS, MAX_RELATED


class DocumentCreateSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    language = serializers.ChoiceField(choices=DocumentLanguage.values, default="ru")
    format = serializers.ChoiceField(choices=DocumentFormat.values, default="pdf")
    addressee = serializers.ChoiceField(
        choices=documents.Addressee.values,
        required=False,
        help_text="The competent body; default from the category. The name is found from the polling station.",
    )
    addressee_text = serializers.CharField(
        required=False, allow_blank=True, max_length=LIMITS["addressee_text"], help_text="Replaces the found name."
    )
    standing = serializers.ChoiceField(
        choices=documents.Standing.values,
        required=False,
        help_text="Default: `organisation` for an anonymous reporter, `observer` for an account, else `voter`.",
    )
    complainant_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=LIMITS["complainant_name"],
        help_text="Who signs. Empty: a named reporter's name (needs `view_reporter_identity`). "
        "An anonymous reporter's identity is never used.",
    )
    organisation = serializers.CharField(required=False, allow_blank=True, max_length=LIMITS["organisation"])
    respondent = serializers.CharField(required=False, allow_blank=True, max_length=LIMITS["respondent"])
    legal_basis = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=LIMITS["legal_basis"],
        help_text="Default: the category's legal reference.",
    )
    remedies = serializers.ListField(
        child=serializers.ChoiceField(choices=documents.Remedy.values),
        required=False,
        max_length=len(documents.Remedy.values),
        help_text="Default from the category.",
    )
    remedy_text = serializers.CharField(
        required=False, allow_blank=True, max_length=LIMITS["remedy_text"], help_text="Further demands, one per line."
    )
    facts = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=LIMITS["facts"],
        help_text="Replaces the complaints' own descriptions.",
    )
    related = serializers.ListField(
        child=serializers.RegexField(RECEIPT_CODE_PATTERN, validators=[RECEIPT_CODE_VALIDATOR]),
        required=False,
        max_length=MAX_RELATED,
        help_text="Receipt codes of other complaints about the same incident, in your scope.",
    )

    def to_options(self) -> documents.DocumentOptions:
        d = self.validated_data
        return documents.DocumentOptions(
            language=d["language"],
            format=d["format"],
            addressee=d.get("addressee", ""),
            addressee_text=d.get("addressee_text", ""),
            standing=d.get("standing", ""),
            complainant_name=d.get("complainant_name", ""),
            organisation=d.get("organisation", ""),
            respondent=d.get("respondent", ""),
            legal_basis=d.get("legal_basis", ""),
            remedies=tuple(d.get("remedies", ())),
            remedy_text=d.get("remedy_text", ""),
            facts=d.get("facts", ""),
            related=tuple(d.get("related", ())),
        )


class GeneratedDocumentSerializer(serializers.ModelSerializer[GeneratedDocument]):
    complaint = serializers.SerializerMethodField(help_text="The main complaint's receipt code.")
    related = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = GeneratedDocument
        fields = [
            "id",
            "complaint",
            "related",
            "version",
            "language",
            "format",
            "sha256",
            "size",
            "options",
            "created_by",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_complaint(self, obj: GeneratedDocument) -> str:
        return obj.complaint.code

    def get_related(self, obj: GeneratedDocument) -> list[str]:
        return [c.code for c in obj.related.all()]

    def get_download_url(self, obj: GeneratedDocument) -> str:
        code = self.context["code"]
        path = reverse("api-complaint-document-download", kwargs={"code": code, "pk": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ComplaintDocumentsView(ApiView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(
        operation_id="complaints_documents_list",
        summary="The formal complaint documents generated for a complaint, newest first",
        parameters=[CODE_PARAM],
        responses={200: GeneratedDocumentSerializer(many=True), **error_responses(403, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        selectors.check_documents_access(user=request.user, complaint=complaint)
        docs = selectors.documents_for(complaint=complaint).prefetch_related("related")
        context = {"request": request, "code": complaint.code}
        return Response(GeneratedDocumentSerializer(docs, many=True, context=context).data)

    @extend_schema(
        operation_id="complaints_documents_create",
        summary="Generate the formal complaint document (PDF or DOCX), a new version each time",
        description="Addressed to the competent body found from the polling station and the category "
        "(`addressee`, `addressee_text` change it); the attachments list each evidence file with its "
        "SHA-256. The document's own SHA-256 and version are stored and recorded on the timeline of "
        "every complaint it covers.",
        parameters=[CODE_PARAM],
        request=DocumentCreateSerializer,
        responses={201: GeneratedDocumentSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request, code: str) -> Response:
        complaint = get_complaint(request, code)
        selectors.check_documents_access(user=request.user, complaint=complaint)
        serializer = DocumentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.document_generate(complaint=complaint, actor=request.user, options=serializer.to_options())
        context = {"request": request, "code": complaint.code}
        return Response(GeneratedDocumentSerializer(document, context=context).data, status=201)


DOCUMENT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The document's id.")


class ComplaintDocumentDownloadView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="complaints_documents_download",
        summary="Download one generated document (as an attachment)",
        description="Headers `X-Content-SHA256` (hex) and `Repr-Digest` (RFC 9530) carry the SHA-256 "
        "recorded when it was generated.",
        parameters=[CODE_PARAM, DOCUMENT_ID],
        responses={
            **{
                (200, mime): OpenApiResponse(OpenApiTypes.BINARY, description="The document.")
                for mime in sorted(CONTENT_TYPES.values())
            },
            **error_responses(403, 404),
        },
    )
    def get(self, request: Request, code: str, pk: int) -> FileResponse:
        complaint = get_complaint(request, code)
        selectors.check_documents_access(user=request.user, complaint=complaint)
        document = selectors.documents_for(complaint=complaint).filter(pk=parse_id(pk)).first()
        if document is None:
            raise exceptions.NotFound(_("No such document."))
        digest = base64.b64encode(bytes.fromhex(document.sha256)).decode()
        response = stored_file_response(
            document.file, as_attachment=True, filename=document.filename, content_type=document.content_type
        )
        response["X-Content-SHA256"] = document.sha256
        response["Repr-Digest"] = f"sha-256=:{digest}:"
        response["Cache-Control"] = "private, no-store"
        return response
