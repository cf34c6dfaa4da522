"""The case file over the API: download one complaint's (GET), import one (POST), and the case-file JSON schema.

Download: coordinators and admins in scope (a reviewer in scope 403, out of scope 404),
without the reporter's identity. Import: coordinators and admins, for a case that
happened in their scope; every hash is checked first and a refusal names the file. The
schema is public and cacheable.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import casefile, selectors, workflow
from complaints.access import access_for
from complaints.api.base import ApiView, PayloadTooLarge
from complaints.api.parsers import MultiPartParser
from complaints.api.schema import error_responses
from complaints.api.views import CODE_PARAM, get_complaint
from complaints.casefile.response import case_file_response
from complaints.sizes import megabytes

SCHEMA_DESCRIPTION = (
    "The archive holds `case.json` (JSON Schema draft 2020-12: `GET /api/v1/schema/case-file/v1.json`, "
    "`$id` `urn:complaint-registry:schema:case-file:v1`), every evidence original, decision and reply "
    "file and generated document, `audit.json` (the audit chain with the signed checkpoint covering it, "
    "for the standalone verifier `/audit/verify_case.py`) and `manifest.json` (each file's SHA-256 and size)."
)


class CaseFileDownloadView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="complaints_case_file",
        summary="Download the complaint's case file (ZIP), without the reporter's identity",
        description=SCHEMA_DESCRIPTION + " Header `X-Case-File-SHA256` is the SHA-256 of its case.json.",
        parameters=[CODE_PARAM],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The case file."),
            **error_responses(403, 404),
        },
    )
    def get(self, request: Request, code: str) -> FileResponse:
        complaint = get_complaint(request, code)
        selectors.check_documents_access(user=request.user, complaint=complaint)  # not staff here 404, reviewer 403
        return case_file_response(casefile.case_file_build(complaint=complaint, actor=request.user))


class CaseFileImportView(ApiView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]
    pagination_class = None

    def body_limit(self) -> int:
        return int(settings.EVIDENCE_MAX_BYTES) + 2**20

    @extend_schema(
        operation_id="case_files_import",
        summary="Import a case file exported by another registry (coordinators and admins)",
        description=SCHEMA_DESCRIPTION
        + " Every file is checked against the manifest, the manifest against case.json, and the audit "
        "chain against both; a refusal (400 `case_file_refused`) names the file. The election, category, "
        "territorial unit and polling station are matched by code. The receipt code is kept; if another "
        "complaint here has it, the import is refused. Importing the same file again answers 200 and "
        "creates nothing. Larger files than the upload limit: `manage.py import_case`.",
        request={
            "multipart/form-data": inline_serializer("CaseFileUpload", {"file": serializers.FileField()}),
        },
        responses={
            (201, "application/json"): inline_serializer(
                "CaseFileImported",
                {
                    "code": serializers.CharField(),
                    "created": serializers.BooleanField(),
                    "notes": serializers.ListField(child=serializers.CharField()),
                    "url": serializers.CharField(),
                },
            ),
            **error_responses(400, 403, 413),
        },
    )
    def post(self, request: Request) -> Response:
        if not access_for(request.user).staff_roles & workflow.SENIOR:
            raise workflow.NotAllowed(_("Only coordinators and admins import case files."))
        upload = request.FILES.get("file")
        if upload is None:
            raise exceptions.ValidationError({"file": [_("Attach the case file (.zip) as “file”.")]})
        if (upload.size or 0) > int(settings.EVIDENCE_MAX_BYTES):
            raise PayloadTooLarge(
                _(
                    "The case file is %(size)s MB; the API takes at most %(limit)s MB. "
                    "Import it with manage.py import_case."
                )
                % {"size": megabytes(upload.size or 0), "limit": megabytes(settings.EVIDENCE_MAX_BYTES)}
            )
        upload.seek(0)
        result = casefile.case_file_import(source=upload.file, actor=request.user)
        code = result.complaint.code
        body = {
            "code": code,
            "created": result.created,
            "notes": result.notes,
            "url": request.build_absolute_uri(reverse("api-complaint-detail", kwargs={"code": code})),
        }
        return Response(body, status=201 if result.created else 200)


@require_GET
def case_file_schema(request: HttpRequest) -> HttpResponse:
    """The JSON schema of case.json, version 1: public, the same bytes for everyone, cached a day."""
    data = casefile.schema_text()
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(data, content_type="application/schema+json")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    return response
