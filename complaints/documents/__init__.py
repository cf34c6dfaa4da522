"""The formal complaint document: choices and texts (rules), the template context (compose), writers (pdf, word).

Pure rendering on top of the models: no writes, no network. The service
(services/documents.py) decides what goes in, stores the bytes and audits them.
"""

from complaints.documents.compose import (
    Composition,
    DocumentOptions,
    compose,
    default_template,
    render_template,
)
from complaints.documents.markup import Block, Kind, escape, parse, plain_text
from complaints.documents.pdf import PdfMeta, render_pdf
from complaints.documents.qr import qr_svg
from complaints.documents.rules import (
    Addressee,
    Remedy,
    Standing,
    addressee_text,
    default_addressee,
    default_remedies,
    remedy_text,
    standing_text,
)
from complaints.documents.word import DocxMeta, render_docx

__all__ = [
    "Addressee",
    "Block",
    "Composition",
    "DocumentOptions",
    "DocxMeta",
    "Kind",
    "PdfMeta",
    "Remedy",
    "Standing",
    "addressee_text",
    "compose",
    "default_addressee",
    "default_remedies",
    "default_template",
    "escape",
    "parse",
    "plain_text",
    "qr_svg",
    "remedy_text",
    "render_docx",
    "render_pdf",
    "render_template",
    "standing_text",
]
