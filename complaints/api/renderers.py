"""The file formats a list endpoint offers besides JSON, for DRF's content negotiation.

They only name the formats (``Accept: text/csv``, ``?format=csv``): a view that negotiates
one of them answers with a streamed file from ``complaints.exports`` and never calls
``render``. Anything that still reaches ``render`` (an error body) is written as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from rest_framework.renderers import BaseRenderer

from complaints import exports


class _ExportRenderer(BaseRenderer):
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data, ensure_ascii=False, default=str).encode()


class CsvExportRenderer(_ExportRenderer):
    media_type = "text/csv"
    format = "csv"


class XlsxExportRenderer(_ExportRenderer):
    media_type = exports.XLSX_CONTENT_TYPE
    format = "xlsx"
