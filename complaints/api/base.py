"""What every API view shares: JSON only, the rate limits, the schema generator, keyset pages."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, generics, status
from rest_framework.metadata import SimpleMetadata
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from complaints.api.pagination import KeysetPagination
from complaints.api.parsers import JSONParser
from complaints.api.schema import RegistryAutoSchema
from complaints.api.throttling import ApiKeyThrottle
from complaints.sizes import megabytes, over_limit

RECEIPT_CODE = re.compile(r"^[0-9A-Z]{4}-?[0-9A-Z]{4}-?[0-9A-Z]{4}$")
MAX_ID = 2**63 - 1


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request is too large."


class BriefMetadata(SimpleMetadata):
    """OPTIONS answers with the name and description only (the schema documents the rest)."""

    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {"name": view.get_view_name(), "description": view.get_view_description()}


class ApiView(generics.GenericAPIView):
    renderer_classes = [JSONRenderer]
    metadata_class = BriefMetadata
    parser_classes = [JSONParser]
    throttle_classes = [ApiKeyThrottle]
    pagination_class: type[KeysetPagination] | None = KeysetPagination
    filter_backends: list[Any] = []
    schema = RegistryAutoSchema()

    def body_limit(self) -> int | None:
        """Upper bound on a POST body, checked from Content-Length before anything is read."""
        return None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        limit = self.body_limit()
        if limit is not None and request.method == "POST":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise PayloadTooLarge(
                    _(
                        "The request is %(size)s MB; this endpoint takes at most %(limit)s MB in all "
                        "(%(per_file)s MB per file). Send fewer or smaller files."
                    )
                    % {**over_limit(length, limit), "per_file": megabytes(settings.EVIDENCE_MAX_BYTES)}
                )
        super().initial(request, *args, **kwargs)


def normalize_code(code: str) -> str | None:
    """A receipt code as stored (XXXX-XXXX-XXXX), or None if it cannot be one."""
    code = code.strip().upper()
    if not RECEIPT_CODE.match(code):
        return None
    raw = code.replace("-", "")
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def parse_id(value: Any) -> int:
    """A positive database id from a URL, or 404."""
    try:
        number = int(str(value))
    except ValueError:
        raise exceptions.NotFound() from None
    if not 0 < number <= MAX_ID:
        raise exceptions.NotFound()
    return number
