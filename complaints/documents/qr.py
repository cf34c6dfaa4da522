"""QR codes as inline SVG, drawn server-side by segno (pure Python): no script, no CDN, no image request."""

from __future__ import annotations

import segno


def qr_svg(data: str, *, title: str = "", scale: int = 4) -> str:
    """An ``<svg>`` element encoding ``data`` (error correction M), sized in CSS pixels."""
    code = segno.make(data, error="m", micro=False)
    return code.svg_inline(scale=scale, border=2, title=title or None, dark="#000", light="#fff")
