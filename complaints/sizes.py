"""Sizes in messages: megabytes in the reader's number format, never a size that reads as the limit.

"50.0 MB; the limit is 50 MB" reads as within the limit. A size over the limit is rounded up
to the next tenth, so it always shows above the limit it broke ("50.1 MB; the limit is 50 MB").
"""

from __future__ import annotations

import math

from django.utils.formats import number_format


def megabytes(size: int, *, up: bool = False) -> str:
    """``size`` bytes as megabytes with at most one decimal, in the active language's format."""
    tenths = size * 10 / 2**20
    value = (math.ceil(tenths) if up else round(tenths)) / 10
    return number_format(value, decimal_pos=0 if value == int(value) else 1)


def over_limit(size: int, limit: int) -> dict[str, str]:
    """The ``size`` and ``limit`` placeholders of a "too large" message."""
    return {"size": megabytes(size, up=True), "limit": megabytes(limit)}
