"""The OpenAPI schema is generated in one language, English, whatever the request asks for.

It is a contract for developers: field names, codes and descriptions are English, so its
titles, summaries and enum labels are too, and the same URL gives the same document (a
client generated from it, or a diff between versions, does not change with the caller's
Accept-Language). Error messages in API *responses* still follow the request's language.
"""

from __future__ import annotations

import json
import re

import pytest
from django.utils import translation

CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def schema(client, query: str = "", language: str = "ru") -> dict:
    response = client.get(f"/api/v1/schema/?format=json{query}", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return json.loads(response.content)


def russian_strings(document: dict) -> list[str]:
    return sorted(
        {s for s in re.findall(r'"((?:[^"\\]|\\.)*)"', json.dumps(document, ensure_ascii=False)) if CYRILLIC.search(s)}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "language"), [("", "ru"), ("", "kk"), ("&lang=ru", "en"), ("&lang=kk", "ru")])
def test_the_schema_is_english_whatever_the_request_language(client, query, language):
    english = schema(client, "", "en")
    assert schema(client, query, language) == english
    assert russian_strings(english) == []


@pytest.mark.django_db
def test_enum_labels_and_action_summaries_are_english_even_when_russian_is_active(client):
    with translation.override("ru"):  # as in a request handled in Russian
        document = schema(client, "", "ru")
    statuses = document["components"]["schemas"]["ComplaintStatusEnum"]["description"]
    assert "`submitted` - Submitted" in statuses
    summaries = [op["summary"] for path in document["paths"].values() for op in path.values() if "summary" in op]
    assert any(s.startswith("Triage") or "triage" in s.lower() for s in summaries)
    assert [s for s in summaries if CYRILLIC.search(s)] == []
