"""Emails read back by a modern parser: the subject has no leading space, non-ASCII headers survive."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_a_long_subject_reads_back_without_a_leading_space(
    file_complaint: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any, language: str
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(full_name="Айгерим Сеитова", email="filer@example.kz", language=language)
    [mail] = [m for m in mailoutbox if m.to == ["filer@example.kz"]]
    assert complaint.code in mail.subject
    for raw in (mail.message().as_bytes(), mail.message().as_bytes(linesep="\r\n")):
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert parsed["Subject"] == mail.subject
        assert not parsed["Subject"].startswith(" ")
        assert parsed.get_body(("plain",)).get_content().strip()


def test_every_header_line_fits_and_non_ascii_is_encoded(
    file_complaint: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "Реестр жалоб о выборах <noreply@registry.local>"
    with django_capture_on_commit_callbacks(execute=True):
        file_complaint(full_name="Айгерим Сеитова", email="filer@example.kz", language="ru")
    [mail] = [m for m in mailoutbox if m.to == ["filer@example.kz"]]
    raw = mail.message().as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\n"))
    head.decode("ascii")  # every header is 7-bit, encoded words for the rest
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["From"] == "Реестр жалоб о выборах <noreply@registry.local>"
