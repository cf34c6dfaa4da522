"""JSON bodies: nesting depth and size are bounded before parsing, NUL is refused, in the API's error format."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from complaints.api import parsers
from complaints.models import Complaint
from tests.api.conftest import API, error_of

pytestmark = pytest.mark.django_db


def deep(depth: int, leaf: object = 1) -> str:
    return "[" * depth + json.dumps(leaf) + "]" * depth


def post_raw(client: Client, path: str, body: str | bytes, **extra: object) -> object:
    return client.post(path, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **extra)


def test_json_nested_10000_deep_in_anonymous_filing_answers_400_not_500(filing_payload):
    client = Client(raise_request_exception=False)
    payload = json.dumps(filing_payload())[:-1] + ', "description": ' + deep(10_000) + "}"
    response = post_raw(client, f"{API}/complaints/", payload)
    assert response.status_code == 400, response.content[:300]
    error = error_of(response)
    assert error["code"] == "too_deep"
    assert "32" in error["message"]
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    "path",
    [f"{API}/complaints/", f"{API}/status/", f"{API}/status/transitions/", f"{API}/webhooks/"],
)
def test_deep_json_is_refused_on_every_json_endpoint(path, client_for, people):
    client = client_for(people["admin"]) if "webhooks" in path else Client()
    client.raise_request_exception = False
    for body in (deep(10_000), '{"a": ' * 5_000 + "1" + "}" * 5_000, "[" * 10_000):
        response = post_raw(client, path, body)
        assert response.status_code == 400, (path, response.status_code, response.content[:200])
        assert error_of(response)["code"] in {"too_deep", "parse_error"}


def test_nesting_up_to_the_limit_parses_and_one_more_is_refused(settings):
    settings.API_JSON_MAX_DEPTH = 4
    assert parsers.loads(deep(3)) == [[[1]]]
    assert parsers.loads('{"a": [{"b": "[[[[[[{{{{"}]}') == {"a": [{"b": "[[[[[[{{{{"}]}
    assert parsers.loads(deep(4)) == [[[[1]]]]
    with pytest.raises(parsers.BodyRefused) as refused:
        parsers.loads(deep(5))
    assert refused.value.code == "too_deep"
    with pytest.raises(parsers.BodyRefused) as refused:
        parsers.loads("[" * 100)  # never closed: as deep as it opens
    assert refused.value.code == "too_deep"
    with pytest.raises(parsers.BodyRefused) as refused:
        parsers.loads("[[[1}]]")  # malformed within the depth: the parser says so
    assert refused.value.code == "parse_error"
    # Brackets inside strings, escaped quotes and non-ASCII text do not count.
    text = r'["\"[[[[[[", "Ё[[[[[[[[", {"k\"{{{{{": 1}]'
    assert parsers.loads(text) == ['"[[[[[[', "Ё[[[[[[[[", {'k"{{{{{': 1}]
    assert parsers.loads(text.encode("utf-16"), "utf-16") == parsers.loads(text)


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(settings, filing_payload):
    settings.API_JSON_MAX_BYTES = 2048
    client = Client(raise_request_exception=False)
    payload = filing_payload(description="x" * 3000)
    response = post_raw(client, f"{API}/complaints/", json.dumps(payload))
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "too_large"
    assert not Complaint.objects.exists()
    # Under the limit the same endpoint works.
    response = post_raw(client, f"{API}/complaints/", json.dumps(filing_payload()))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "pressure\u0000employer"}, "category"),
        ({"description": "Описание с нулём \u0000 внутри текста"}, "description"),
        ({"files": ["ok", "bad\u0000"]}, "files.1"),
        ({"extra": {"deep": "x\u0000"}}, "extra.deep"),
    ],
)
def test_nul_in_a_json_string_is_refused_naming_the_field(filing_payload, body, field):
    client = Client(raise_request_exception=False)
    response = post_raw(client, f"{API}/complaints/", json.dumps(filing_payload(**body)))
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert field in error["fields"], error
    assert error["fields"][field][0]["code"] == "null_character"
    assert not Complaint.objects.exists()


def test_nul_in_a_json_key_is_refused():
    client = Client(raise_request_exception=False)
    response = post_raw(client, f"{API}/status/", '{"co\\u0000de": "x", "secret": "y"}')
    assert response.status_code == 400
    assert error_of(response)["code"] == "null_character"


def test_an_escaped_backslash_before_u0000_is_text_not_nul(anon, filing_payload):
    payload = filing_payload(description="Путь C:\\u0000 — это просто текст, не NUL.")
    response = anon.post(f"{API}/complaints/", payload, format="json")
    assert response.status_code == 201, response.content


def test_the_parser_is_the_default_for_drf_views(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"][0] == "complaints.api.parsers.JSONParser"


def test_the_multipart_parser_refuses_nul_naming_the_field():
    import io

    from django.test import RequestFactory
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    body = encode_multipart(BOUNDARY, {"description": "fine", "category": "a\x00b"})
    request = RequestFactory().generic("POST", "/", body, content_type=MULTIPART_CONTENT)
    with pytest.raises(parsers.BodyRefused) as refused:
        parsers.MultiPartParser().parse(io.BytesIO(body), MULTIPART_CONTENT, {"request": request})
    assert (refused.value.code, refused.value.field) == ("null_character", "category")


def test_nul_in_a_multipart_api_field_is_refused(anon, filing_payload):
    response = anon.post(f"{API}/complaints/", filing_payload(category="pressure\x00employer"), format="multipart")
    assert response.status_code == 400
    assert error_of(response)["fields"]["category"][0]["code"] == "null_character"
