"""Request bodies we parse ourselves: JSON bounded in size and depth before parsing, and no NUL anywhere.

A JSON value nested 10,000 deep makes the standard parser raise RecursionError (a 500),
and a NUL character in a string reaches PostgreSQL, which refuses it (another 500). Here
the body's size is checked from Content-Length and by reading at most one byte past the
limit (``API_JSON_MAX_BYTES``, 413), its nesting from a scan of its brackets before it is
parsed (``API_JSON_MAX_DEPTH``, 400), and every string and key of the result for NUL
(400 naming the field). ``api/errors.py`` renders :class:`BodyRefused` in the API's error
format; ``complaints/middleware.py`` applies the same checks to query strings and forms.

Multipart bodies: a declared Content-Length above :func:`multipart_limit` is refused (413)
before anything is read, and what Django's multipart parser cannot read (a part header over
its 1 KB limit, i.e. a file name of more than about 900 bytes; too many fields or files;
text fields over ``DATA_UPLOAD_MAX_MEMORY_SIZE``) is said in words by :func:`form_refused`,
never a bare "Bad Request (400)".
"""

from __future__ import annotations

import codecs
import re
from array import array
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status
from rest_framework.utils import json

from complaints.sizes import megabytes, over_limit

# A JSON string, escapes included (the unrolled form: linear, no backtracking), in UTF-8 bytes:
# no byte of a multi-byte character is ASCII, so brackets and quotes are found exactly.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 for an opener, -1 (signed) for a closer
NUL = "\x00"
# Files one multipart request may carry (the web forms and the API's ``files`` take ten).
MAX_FILES_PER_REQUEST = 10
# What Django's multipart parser says when one part's headers pass its 1 KB limit.
HEADER_TOO_LONG = "header size exceeded"


class BodyRefused(exceptions.APIException):
    """A request refused before a view reads it: ``code``, a message, and the field it is about (if any)."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "The request was refused."

    def __init__(
        self, message: str, code: str, *, http_status: int = status.HTTP_400_BAD_REQUEST, field: str | None = None
    ) -> None:
        super().__init__(message, code)
        self.status_code = http_status
        self.code = code
        self.message = message
        self.field = field

    def fields(self) -> dict[str, list[dict[str, str]]]:
        return {self.field: [{"code": self.code, "message": self.message}]} if self.field else {}


def too_large(size: int) -> BodyRefused:
    limit = int(settings.API_JSON_MAX_BYTES)
    return BodyRefused(
        _("The request body is %(size)s KB; the limit for JSON is %(limit)s KB. Send less, or files as multipart.")
        % {"size": max(1, round(size / 1024)), "limit": max(1, limit // 1024)},
        "too_large",
        http_status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def multipart_limit() -> int:
    """The most a multipart body may declare: ten files at the per-file limit and a megabyte of fields."""
    return int(settings.EVIDENCE_MAX_BYTES) * MAX_FILES_PER_REQUEST + 2**20


def declared_length(meta: Mapping[str, Any]) -> int:
    try:
        return max(0, int(meta.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def upload_too_large(size: int, limit: int) -> BodyRefused:
    """413 for a multipart body declared larger than ``limit``: refused before it is read."""
    return BodyRefused(
        _(
            "The upload is %(size)s MB; the limit is %(limit)s MB per request (%(per_file)s MB per file). "
            "Send fewer or smaller files."
        )
        % {**over_limit(size, limit), "per_file": megabytes(int(settings.EVIDENCE_MAX_BYTES))},
        "too_large",
        http_status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def form_refused(exc: Exception) -> BodyRefused:
    """What Django could not parse in a form or multipart body (it would answer a bare 400), in words."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        return BodyRefused(
            _("The form's text is larger than %(limit)s MB; shorten it and send again.") % {"limit": megabytes(limit)},
            "too_large",
            http_status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFilesSent):
        return BodyRefused(
            _("Attach at most %(max)s files at once.") % {"max": settings.DATA_UPLOAD_MAX_NUMBER_FILES},
            "too_many",
            field="files",
        )
    if isinstance(exc, TooManyFieldsSent):
        return BodyRefused(
            _("The form has more than %(max)s fields; send only the form's own fields.")
            % {"max": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS},
            "too_many_fields",
        )
    if isinstance(exc, MultiPartParserError) and HEADER_TOO_LONG in str(exc):
        return BodyRefused(
            _("A file name is too long: rename the file to at most 255 characters and attach it again."),
            "file_name_too_long",
            field="files",
        )
    return BodyRefused(
        _("The form could not be read: the upload was damaged or interrupted. Send it again."), "parse_error"
    )


def nul_refused(field: str) -> BodyRefused:
    """The one refusal of a NUL character, wherever it is (JSON, query string, form)."""
    shown = field.replace(NUL, "\\u0000")
    return BodyRefused(
        _("“%(field)s” contains a NUL character (U+0000), which is not allowed in text. Remove it and send again.")
        % {"field": shown},
        "null_character",
        field=shown,
    )


def nesting_exceeds(raw: bytes, limit: int) -> bool:
    """Whether the JSON text ``raw`` (UTF-8) opens more than ``limit`` arrays/objects at once.

    Strings are cut out, the brackets kept as +1/-1 steps, and the deepest running sum
    taken, all in C: about 0.1 s for a megabyte of brackets, where the parser itself would
    recurse into a RecursionError. Whatever is malformed stays for the parser to report;
    its recursion can never go deeper than this count.
    """
    steps = _STRING.sub(b"", raw).translate(_STEPS, _NOT_BRACKETS)
    if b"\x01" * (limit + 1) in steps:  # the usual attack, [[[[..., found without summing
        return True
    return max(accumulate(array("b", steps)), default=0) > limit


def find_nul(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string or key holding NUL (``files.1``, ``extra.note``), else None."""
    if isinstance(value, str):
        return (path or "non_field_errors") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return name
            found = find_nul(item, name)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_nul(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def loads(raw: bytes | str, encoding: str = "utf-8", *, strict: bool = True) -> Any:
    """Parse a JSON body within the limits, or raise :class:`BodyRefused`."""
    if len(raw) > int(settings.API_JSON_MAX_BYTES):
        raise too_large(len(raw))
    try:
        text = raw if isinstance(raw, str) else codecs.decode(raw, encoding)
        utf8 = raw if isinstance(raw, bytes) and codecs.lookup(encoding).name == "utf-8" else text.encode()
    except (UnicodeError, LookupError) as exc:
        raise BodyRefused(_("The body is not text in %(encoding)s.") % {"encoding": encoding}, "parse_error") from exc
    limit = int(settings.API_JSON_MAX_DEPTH)
    if nesting_exceeds(utf8, limit):
        raise BodyRefused(
            _("The JSON is nested more than %(limit)s levels deep; send a flatter document.") % {"limit": limit},
            "too_deep",
        )
    try:
        data = json.loads(text, parse_constant=json.strict_constant if strict else None)
    except (ValueError, RecursionError) as exc:
        raise BodyRefused(f"JSON parse error - {exc}", "parse_error") from exc
    where = find_nul(data)
    if where is not None:
        raise nul_refused(where)
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the limits above (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"])."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        request = parser_context.get("request")
        limit = int(settings.API_JSON_MAX_BYTES)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise too_large(declared)
        raw = stream.read(limit + 1) if stream is not None else b""
        return loads(raw, encoding, strict=bool(self.strict))


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing NUL in field names and values as the JSON parser does, and
    saying what is wrong with a body Django cannot parse (:func:`form_refused`)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        if declared_length(meta) > multipart_limit():
            raise upload_too_large(declared_length(meta), multipart_limit())
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data, files = DjangoMultiPartParser(meta, stream, request.upload_handlers, encoding).parse()
        except (MultiPartParserError, SuspiciousOperation) as exc:  # RequestDataTooBig, TooManyFieldsSent...
            raise form_refused(exc) from exc
        result = parsers.DataAndFiles(data, files)
        for name in result.data:
            for value in [name, *result.data.getlist(name)]:
                if NUL in value:
                    raise nul_refused(name)
        return result
