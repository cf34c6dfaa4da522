"""Staff exports as files: CSV streamed row by row, XLSX written in constant memory then streamed.

Both take the columns and the row iterator of ``selectors.exports`` and hold only a chunk of
rows at a time, so a million-row queue costs the web process no more memory than a hundred.
Every text cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or
a carriage return) is prefixed with an apostrophe (OWASP "CSV injection"); the CSV starts
with a UTF-8 byte order mark so that Excel reads Cyrillic and Kazakh letters correctly.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import xlsxwriter
from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services
from complaints.errors import ValidationFailed
from complaints.models import Complaint
from complaints.selectors.exports import ExportColumn, export_columns, export_ids, export_rows, iso

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}
BOM = "\ufeff"
# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A worksheet holds 1,048,576 rows: the header and this many complaints.
XLSX_MAX_ROWS = 1_048_575
XLSX_MAX_CELL = 32_767  # characters in one cell
ROWS_PER_WRITE = 500  # CSV rows per streamed chunk
SPOOL_BYTES = 8 * 2**20  # an XLSX under this stays in memory, a larger one goes to a temporary file


class ExportTooLarge(ValidationFailed):
    """More rows than the format can hold."""

    code = "too_many_rows"


def cell(value: Any) -> Any:
    """A value as the file holds it: dates in ISO 8601, booleans as true/false, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return iso(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _disposition(filename: str) -> str:
    return f'attachment; filename="{filename}"'


def _csv_chunks(columns: Sequence[ExportColumn], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([c.name for c in columns])
    pending = 0
    for row in rows:
        writer.writerow([cell(v) for v in row])
        pending += 1
        if pending >= ROWS_PER_WRITE:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def csv_response(columns: Sequence[ExportColumn], rows: Iterable[list[Any]], filename: str) -> StreamingHttpResponse:
    """The rows streamed as CSV (RFC 4180, CRLF, UTF-8 with BOM) while the database cursor is read."""
    response = StreamingHttpResponse(_csv_chunks(columns, rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _xlsx_file(columns: Sequence[ExportColumn], rows: Iterable[list[Any]]) -> Any:
    """The workbook in a spooled temporary file, rewound; XlsxWriter's constant_memory flushes each row."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  # closed by the response
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("complaints")
    bold = book.add_format({"bold": True})
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.name, bold)
        sheet.set_column(index, index, 60 if column.name == "description" else 18)
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(rows, start=1):
        if number > XLSX_MAX_ROWS:
            book.close()
            out.close()
            raise ExportTooLarge(
                _("An XLSX sheet holds at most %(n)s rows: narrow the filters or export CSV.") % {"n": XLSX_MAX_ROWS}
            )
        for index, value in enumerate(row):
            value = cell(value)
            if isinstance(value, int):
                sheet.write_number(number, index, value)
            elif value:
                sheet.write_string(number, index, value[:XLSX_MAX_CELL])
    book.close()
    out.seek(0)
    return out


def xlsx_response(columns: Sequence[ExportColumn], rows: Iterable[list[Any]], filename: str) -> FileResponse:
    """The rows as one XLSX worksheet, written first (constant memory), then streamed from the file."""
    response = FileResponse(
        _xlsx_file(columns, rows), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export_response(
    fmt: str, columns: Sequence[ExportColumn], rows: Iterable[list[Any]], stem: str
) -> StreamingHttpResponse:
    """``fmt`` ("csv" or "xlsx") of the rows, named ``<stem>.<fmt>``."""
    if fmt == "xlsx":
        return xlsx_response(columns, rows, f"{stem}.xlsx")
    return csv_response(columns, rows, f"{stem}.csv")


def queue_export(
    *, user: Any, queue: QuerySet[Complaint], fmt: str, purpose: str | None = None
) -> StreamingHttpResponse:
    """The queue (a queryset in its order) as a ``fmt`` file; with a ``purpose``, with the reporters' identity.

    An identity export first audits every complaint it holds (``services.reporter_reveal_export``,
    one transaction) and then holds exactly those complaints, so a complaint filed meanwhile
    never leaves unaudited. The caller has checked the permission and the second factor; the
    service checks them again.
    """
    identity = purpose is not None
    revealed: list[str] = []
    if identity:
        limit = int(settings.EXPORT_IDENTITY_MAX_ROWS)
        ids = export_ids(queue, limit)
        if len(ids) > limit:
            raise ExportTooLarge(
                _("An export with the reporters' identity holds at most %(n)s complaints: narrow the filters.")
                % {"n": limit}
            )
        revealed = services.reporter_reveal_export(complaint_ids=ids, actor=user, purpose=purpose or "")
        queue = queue.filter(pk__in=ids)
    rows = export_rows(queue, identity=identity, revealed=revealed)
    stem = "complaints-" + timezone.localtime().strftime("%Y%m%d-%H%M")
    return export_response(fmt, export_columns(identity=identity), rows, stem)
