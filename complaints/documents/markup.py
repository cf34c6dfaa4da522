"""The line markup a document template renders to, shared by the PDF and DOCX writers.

``# `` title, ``## `` heading, ``> `` addressee block (right column), ``- `` list item,
``~ `` small print (hashes, notes), a blank line ends a paragraph; consecutive plain
lines form one paragraph and keep their line breaks. Text that came from users is passed
through ``escape`` first, so a line of a complaint that starts with ``#`` stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MARKERS = ("## ", "# ", "> ", "- ", "~ ")
# What neither a PDF string nor DOCX's XML can hold: control characters but tab and newline,
# lone surrogates, the non-characters U+FFFE and U+FFFF.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
ESCAPE = "\\"


class Kind(StrEnum):
    TITLE = "title"
    HEADING = "heading"
    ADDRESS = "address"
    ITEM = "item"
    SMALL = "small"
    PARAGRAPH = "paragraph"


_PREFIX = {"# ": Kind.TITLE, "## ": Kind.HEADING, "> ": Kind.ADDRESS, "- ": Kind.ITEM, "~ ": Kind.SMALL}


@dataclass(frozen=True)
class Block:
    kind: Kind
    text: str


def escape(text: str) -> str:
    """Make user text inert: a line that would read as markup gets a leading backslash."""
    lines = []
    for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.lstrip()
        if stripped.startswith((ESCAPE, ">", "#", "~")) or stripped in {"-", "~", ">"} or stripped.startswith("- "):
            line = ESCAPE + stripped
        lines.append(line)
    return "\n".join(lines)


def _unescape(line: str) -> str:
    return line[1:] if line.startswith(ESCAPE) else line


def parse(text: str) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block(Kind.PARAGRAPH, "\n".join(paragraph).strip()))
            paragraph.clear()

    text = UNPRINTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    for raw in text.split("\n"):
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        marker = next((m for m in MARKERS if line.startswith(m) or line == m.rstrip()), None)
        if marker is None:
            paragraph.append(_unescape(line.strip()))
            continue
        flush()
        body = line[len(marker) :].strip()
        kind = _PREFIX[marker]
        if kind == Kind.ADDRESS and not body:
            blocks.append(Block(kind, ""))  # a spacer inside the addressee block
        elif body:
            blocks.append(Block(kind, _unescape(body)))
    flush()
    return blocks


def plain_text(blocks: list[Block]) -> str:
    """The document as plain text (what both writers print), for tests and previews."""
    return "\n".join(b.text for b in blocks)
