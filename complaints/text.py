"""User text, one rule for web forms and the API: kept as sent, or refused with the field named.

Django's ``forms.CharField(strip=True)`` and DRF's ``CharField(trim_whitespace=True)`` call
``str.strip()``, which also removes U+000B, U+000C, U+001C..U+001F, U+0085, U+00A0, U+2028,
U+2029, U+3000 and the other Unicode spaces at either end: a value lost characters without
anyone being told. Here only ASCII space, tab, CR and LF are trimmed at the ends; otherwise
the value is stored exactly as sent, or refused:

- control characters (C0 other than tab, LF and CR; DEL; C1, U+0080..U+009F, which holds
  U+0085) are refused in every field;
- one-line fields (names, places, phones, authorities, registration numbers, purposes)
  also refuse CR, LF, U+2028 and U+2029; multi-line fields (descriptions, comments, notes)
  keep them.

A value of nothing but whitespace counts as empty (``required`` answers it). The form
fields below and ``api.serializers.common.OneLineField``/``MultiLineField`` apply this.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _

ASCII_TRIM = " \t\r\n"
# Refused everywhere. NUL is among them (the middleware usually refuses it first, naming the field).
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_LINE_BREAKS = "\r\n\u2028\u2029"
CONTROL_RE = re.compile(f"[{_CONTROL}]")
ONE_LINE_RE = re.compile(f"[{_CONTROL}{_LINE_BREAKS}]")
# The same rules as patterns that both Python and JSON Schema (ECMA-262) read, for the API schema.
_MULTI_LINE_REFUSED = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
_ONE_LINE_REFUSED = r"\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029"


def text_pattern(*, multiline: bool, not_blank: bool = False) -> str:
    """A pattern of what a field takes; ``not_blank``: with something besides whitespace in it."""
    refused = _MULTI_LINE_REFUSED if multiline else _ONE_LINE_REFUSED
    if not not_blank:
        return f"^[^{refused}]*$"
    return f"^[^{refused}]*[^\\s{refused}\\u0085][^{refused}]*$"


class TextRefused(ValueError):
    """Text a field does not take: ``code`` and a message naming the field."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _shown(char: str) -> str:
    return f"U+{ord(char):04X}"


def clean_text(value: str, *, field: str, multiline: bool) -> str:
    """``value`` with ASCII whitespace trimmed at its ends, or :class:`TextRefused` naming ``field``."""
    found = (CONTROL_RE if multiline else ONE_LINE_RE).search(value)
    if found is not None:
        char = found.group()
        if char in _LINE_BREAKS:
            raise TextRefused(
                _("“%(field)s” takes one line: remove the line break (%(char)s) and send again.")
                % {"field": field, "char": _shown(char)},
                "line_break",
            )
        raise TextRefused(
            _(
                "“%(field)s” contains a control character (%(char)s), which is not allowed in text. "
                "Remove it and send again."
            )
            % {"field": field, "char": _shown(char)},
            "control_character",
        )
    if not value.strip():  # only whitespace, of any kind: empty
        return ""
    return value.strip(ASCII_TRIM)


class _TextFormField(forms.CharField):
    multiline = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["strip"] = False  # str.strip() would remove more than ASCII whitespace
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        if not text:
            return text
        try:
            return clean_text(text, field=str(self.label or ""), multiline=self.multiline)
        except TextRefused as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


class OneLineFormField(_TextFormField):
    """A web form's one-line text: no control characters, no line breaks."""


class MultiLineFormField(_TextFormField):
    """A web form's multi-line text (a textarea): no control characters; line breaks kept."""

    multiline = True
