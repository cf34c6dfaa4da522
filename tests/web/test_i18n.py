"""Every UI string is translated into Russian and Kazakh, and the committed .mo files match the .po files."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "complaints" / "locale"
ENTRY = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$')


def _entries(lang: str) -> list[dict[str, str]]:
    """A small .po reader: enough for the files makemessages writes."""
    entries: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in (LOCALE / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line)
        if match:
            key = match.group(1)
            if key == "msgid" and current:
                entries.append(current)
                current = {}
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip():
            key = ""
    if current:
        entries.append(current)
    return [e for e in entries if e.get("msgid")]


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_entry_is_translated(lang):
    entries = _entries(lang)
    assert len(entries) > 300
    missing = [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))]
    assert missing == []


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_compiled_catalog_matches_the_po_file(lang):
    with translation.override(lang):
        for e in _entries(lang):
            if "msgctxt" in e:
                continue
            if "msgid_plural" in e:
                assert translation.ngettext(e["msgid"], e["msgid_plural"], 1) == e["msgstr[0]"]
            else:
                assert translation.gettext(e["msgid"]) == e["msgstr"], "stale .mo: run `make messages`"


def test_workflow_and_status_labels_are_translated():
    from complaints.models import Status
    from complaints.workflow import BY_ACTION

    with translation.override("kk"):
        assert str(Status.NEEDS_INFO.label) == "Ақпарат қажет"
        assert str(BY_ACTION["escalate"].label) == "Уәкілетті органға жолдау"
    with translation.override("ru"):
        assert str(Status.SUBSTANTIATED.label) == "Обоснована"
