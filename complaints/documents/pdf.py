"""The PDF writer: fpdf2 (pure Python) with DejaVu Sans embedded, so Cyrillic and Kazakh print on any machine.

The fonts are bundled in complaints/documents/fonts/ (Bitstream Vera / DejaVu licence,
see LICENSE there) and subset into each file; nothing is fetched at run time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from complaints.documents.markup import Block, Kind

FONTS = Path(__file__).resolve().parent / "fonts"
# fontTools reports every subsetting step at INFO; a document is not worth a page of log.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)
FONT = "DejaVuSans"
LEFT, RIGHT, TOP = 22.0, 15.0, 18.0
ADDRESS_OFFSET = 85.0  # the addressee block sits in the right part of the page
LINE = 5.6


@dataclass(frozen=True)
class PdfMeta:
    title: str
    language: str
    footer: str  # e.g. "ABCD-EFGH-JKMN · v3": printed on every page with the page number
    created_at: datetime
    author: str = ""


class _Document(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def render_pdf(blocks: list[Block], meta: PdfMeta) -> bytes:
    pdf = _Document(format="A4", unit="mm")
    pdf.footer_text = meta.footer
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(meta.title)
    pdf.set_lang(meta.language)
    pdf.set_author(meta.author)
    pdf.set_creator("Election complaint registry")
    pdf.set_creation_date(meta.created_at)
    pdf.add_page()
    width = pdf.w - LEFT - RIGHT
    previous: Kind | None = None
    for block in blocks:
        _write(pdf, block, previous, width)
        previous = block.kind
    return bytes(pdf.output())


def _write(pdf: FPDF, block: Block, previous: Kind | None, width: float) -> None:
    kind, text = block.kind, block.text
    if kind == Kind.ADDRESS:
        pdf.set_font(FONT, size=11)
        pdf.set_x(LEFT + ADDRESS_OFFSET)
        if text:
            pdf.multi_cell(width - ADDRESS_OFFSET, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.ln(LINE / 2)
        return
    if previous == Kind.ADDRESS:
        pdf.ln(LINE * 1.5)
    if kind == Kind.TITLE:
        pdf.set_font(FONT, "B", 14)
        pdf.ln(2)
        pdf.multi_cell(width, 7, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    elif kind == Kind.HEADING:
        pdf.set_font(FONT, "B", 11)
        pdf.ln(0 if previous == Kind.TITLE else 2.5)
        align = "C" if previous == Kind.TITLE else "L"
        pdf.multi_cell(width, LINE, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    elif kind == Kind.ITEM:
        pdf.set_font(FONT, size=11)
        pdf.cell(6, LINE, "–")
        pdf.multi_cell(width - 6, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    elif kind == Kind.SMALL:
        pdf.set_font(FONT, size=8.5)
        pdf.set_text_color(70, 70, 70)
        indent = 6.0 if previous in (Kind.ITEM, Kind.SMALL) else 0.0
        pdf.set_x(LEFT + indent)
        pdf.multi_cell(width - indent, 4.2, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(0.8)
    else:
        pdf.set_font(FONT, size=11)
        pdf.multi_cell(width, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
