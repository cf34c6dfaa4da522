"""The editable writer: the same blocks as a DOCX (python-docx), for the lawyer to adjust in a word processor."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from complaints.documents.markup import Block, Kind

# Word processors on the lawyers' machines have it, with Cyrillic and Kazakh letters; a DOCX
# does not embed fonts, so the PDF is the copy that prints the same everywhere.
FONT = "Times New Roman"


@dataclass(frozen=True)
class DocxMeta:
    title: str
    language: str
    created_at: datetime
    author: str = ""


def render_docx(blocks: list[Block], meta: DocxMeta) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(2.5), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(2.0)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    props = document.core_properties
    props.title, props.author, props.language = meta.title, meta.author, meta.language
    props.created = props.modified = meta.created_at
    previous: Kind | None = None
    for block in blocks:
        _write(document, block, previous)
        previous = block.kind
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _paragraph(document: DocxDocument, text: str, *, bold: bool = False, size: float | None = None) -> Paragraph:
    paragraph = document.add_paragraph()
    for n, line in enumerate(text.split("\n")):
        run = paragraph.add_run()
        if n:
            run.add_break()
        run.add_text(line)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
    return paragraph


def _write(document: DocxDocument, block: Block, previous: Kind | None) -> None:
    kind, text = block.kind, block.text
    if kind == Kind.ADDRESS:
        paragraph = _paragraph(document, text)
        fmt = paragraph.paragraph_format
        fmt.left_indent = Cm(9)
        fmt.space_after = Pt(0)
        return
    if kind == Kind.TITLE:
        paragraph = _paragraph(document, text, bold=True, size=14)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_before = Pt(18)
        paragraph.paragraph_format.space_after = Pt(0)
    elif kind == Kind.HEADING:
        paragraph = _paragraph(document, text, bold=True)
        if previous == Kind.TITLE:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            paragraph.paragraph_format.space_before = Pt(10)
        paragraph.paragraph_format.keep_with_next = True
    elif kind == Kind.ITEM:
        paragraph = _paragraph(document, f"– {text}")
        fmt = paragraph.paragraph_format
        fmt.left_indent, fmt.first_line_indent, fmt.space_after = Cm(0.6), Cm(-0.6), Pt(2)
    elif kind == Kind.SMALL:
        paragraph = _paragraph(document, text, size=9)
        for run in paragraph.runs:
            run.font.color.rgb = RGBColor(0x46, 0x46, 0x46)
        fmt = paragraph.paragraph_format
        fmt.space_after = Pt(3)
        if previous in (Kind.ITEM, Kind.SMALL):
            fmt.left_indent = Cm(0.6)
    else:
        _paragraph(document, text)
