"""The case file over HTTP: the coordinator's download (web and API) in scope only, the API import, the schema."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from complaints.casefile import SCHEMA_PATH
from complaints.models import Complaint
from tests.api.conftest import error_of
from tests.casefile.conftest import flip_byte, members, rezip

pytestmark = pytest.mark.django_db


def _web(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_a_coordinator_downloads_the_case_file_from_the_complaint_page(case: Complaint, staff: dict[str, Any]) -> None:
    client = _web(staff["coordinator"])
    page = client.get(f"/complaints/{case.code}/")
    assert f'/complaints/{case.code}/case-file.zip"'.encode() in page.content
    response = client.get(f"/complaints/{case.code}/case-file.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"case-{case.code}.zip" in response["Content-Disposition"]
    files = members(_body(response))
    assert response["X-Case-File-SHA256"] == hashlib.sha256(files["case.json"]).hexdigest()
    assert json.loads(files["case.json"])["reporter"]["identity_included"] is False


def test_web_download_is_404_out_of_scope_and_403_for_a_reviewer(
    case: Complaint, staff: dict[str, Any], make_user: Any, territory: dict[str, Any]
) -> None:
    url = f"/complaints/{case.code}/case-file.zip"
    outsider = make_user("reviewer", [territory["ala"]])
    assert _web(outsider).get(url).status_code == 404
    assert _web(staff["coordinator_ala"]).get(url).status_code == 404
    assert _web(staff["reviewer"]).get(url).status_code == 403
    assert (
        f"/complaints/{case.code}/case-file.zip".encode()
        not in _web(staff["reviewer"]).get(f"/complaints/{case.code}/").content
    )


def test_api_download_in_scope_only(
    case: Complaint,
    staff: dict[str, Any],
    client_for: Any,
    make_user: Any,
    territory: dict[str, Any],
) -> None:
    url = f"/api/v1/complaints/{case.code}/case-file/"
    response = client_for(staff["coordinator"]).get(url)
    assert response.status_code == 200
    assert "case.json" in members(_body(response))
    assert error_of(client_for(make_user("reviewer", [territory["ala"]])).get(url))["code"] == "not_found"
    assert client_for(staff["coordinator_ala"]).get(url).status_code == 404
    assert client_for(staff["reviewer"]).get(url).status_code == 403


def test_api_import_creates_once_and_names_a_changed_file(
    exported: Path,
    case: Complaint,
    staff: dict[str, Any],
    client_for: Any,
) -> None:
    data = exported.read_bytes()
    Complaint.objects.filter(pk=case.pk).update(code="MOVE-DASI-DE22")
    client = client_for(staff["coordinator"])

    def post(payload: bytes) -> Any:
        upload = SimpleUploadedFile("case.zip", payload, content_type="application/zip")
        return client.post("/api/v1/case-files/", {"file": upload}, format="multipart")

    files = members(data)
    files["evidence/01-photo.jpg"] = flip_byte(files["evidence/01-photo.jpg"])
    refused = post(rezip(files))
    assert refused.status_code == 400
    error = error_of(refused)
    assert error["code"] == "case_file_refused"
    assert error["message"] == "evidence/01-photo.jpg: SHA-256 does not match the manifest."
    first = post(data)
    assert first.status_code == 201, first.content
    assert first.json()["code"] == case.code
    assert first.json()["created"] is True
    again = post(data)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert Complaint.objects.filter(code=case.code).count() == 1
    reviewer = client_for(staff["reviewer"])
    upload = SimpleUploadedFile("case.zip", data, content_type="application/zip")
    assert reviewer.post("/api/v1/case-files/", {"file": upload}, format="multipart").status_code == 403


def test_an_api_import_outside_the_coordinators_territory_is_refused(
    exported: Path,
    case: Complaint,
    staff: dict[str, Any],
    client_for: Any,
) -> None:
    Complaint.objects.filter(pk=case.pk).update(code="MOVE-DASI-DE22")
    upload = SimpleUploadedFile("case.zip", exported.read_bytes(), content_type="application/zip")
    response = client_for(staff["coordinator_ala"]).post("/api/v1/case-files/", {"file": upload}, format="multipart")
    assert response.status_code == 403
    assert "outside your territory" in error_of(response)["message"]


def test_refusals_speak_the_requests_language(exported: Path, staff: dict[str, Any], client_for: Any) -> None:
    client = client_for(staff["coordinator"])
    upload = SimpleUploadedFile("case.zip", b"not a zip at all", content_type="application/zip")
    response = client.post("/api/v1/case-files/", {"file": upload}, format="multipart", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert "ZIP" in error_of(response)["message"]
    assert "архив" in error_of(response)["message"]


def test_the_schema_is_public_and_cacheable(client: Client) -> None:
    response = client.get("/api/v1/schema/case-file/v1.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    assert "public" in response["Cache-Control"]
    assert response.content == SCHEMA_PATH.read_bytes()
    assert json.loads(response.content)["$id"] == "urn:complaint-registry:schema:case-file:v1"
    again = client.get("/api/v1/schema/case-file/v1.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_the_openapi_description_links_the_schema(client_for: Any, staff: dict[str, Any]) -> None:
    schema = client_for(staff["coordinator"]).get("/api/v1/schema/", HTTP_ACCEPT="application/json").content
    assert b"/api/v1/schema/case-file/v1.json" in schema
    assert b"/api/v1/complaints/{code}/case-file/" in schema
    assert io.BytesIO(schema).read(1)
