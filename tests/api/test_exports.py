"""The complaints list as a file: Accept: text/csv or ?format=csv|xlsx, the API's filters and the key's scope."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.http import StreamingHttpResponse

from complaints.exports import BOM
from complaints.models import AuditEvent
from complaints.selectors.exports import EXPORT_COLUMNS
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints/"


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(BOM)
    return list(csv.DictReader(io.StringIO(body[1:])))


def json_codes(client: Any, query: str) -> list[str]:
    codes, url = [], f"{URL}?{query}&page_size=3"
    while url:
        body = client.get(url).json()
        codes += [row["code"] for row in body["results"]]
        url = body["next"]
    return codes


@pytest.fixture
def complaints(file_complaint: Any, territory: dict[str, Any]) -> list[Any]:
    made = [file_complaint(severity=1 + i % 3, full_name="Иван Петров", phone="+77011234567") for i in range(7)]
    made.append(file_complaint(polling_station=territory["ps_ala"]))  # outside the Pavlodar scope
    return made


def test_accept_text_csv_answers_the_filtered_list_in_its_order(client_for: Any, people: Any, complaints: Any) -> None:
    client = client_for(people["reviewer"])
    response = client.get(f"{URL}?severity=2", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert [r["code"] for r in rows] == json_codes(client, "severity=2")
    assert {r["severity"] for r in rows} == {"2"}
    assert list(rows[0]) == [c.name for c in EXPORT_COLUMNS]


def test_format_parameter_and_other_orderings(client_for: Any, people: Any, complaints: Any) -> None:
    client = client_for(people["reviewer"])
    for ordering in ("due_at", "-created_at", "next_deadline"):
        rows = csv_rows(client.get(f"{URL}?format=csv&ordering={ordering}"))
        assert [r["code"] for r in rows] == json_codes(client, f"ordering={ordering}"), ordering


def test_scope_of_the_key_is_kept(client_for: Any, people: Any, complaints: Any) -> None:
    rows = csv_rows(client_for(people["reviewer"]).get(URL, {"format": "csv"}))
    assert sorted(r["code"] for r in rows) == sorted(c.code for c in complaints[:7])
    rows = csv_rows(client_for(people["reviewer_elsewhere"]).get(URL, {"format": "csv"}))
    assert [r["code"] for r in rows] == [complaints[7].code]


def test_never_identity_through_the_api(client_for: Any, people: Any, complaints: Any) -> None:
    response = client_for(people["coordinator"]).get(URL, {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert "Иван" not in body
    assert "7011234567" not in body
    assert "reporter_name" not in body
    assert not AuditEvent.objects.filter(action="identity_viewed").exists()


def test_xlsx_matches_the_csv(client_for: Any, people: Any, complaints: Any) -> None:
    client = client_for(people["reviewer"])
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    header, *rows = list(book.active.iter_rows(values_only=True))
    as_text = [{k: "" if v is None else str(v) for k, v in zip(header, row, strict=True)} for row in rows]
    assert as_text == csv_rows(client.get(URL, {"format": "csv"}))


def test_json_stays_the_default(client_for: Any, people: Any, complaints: Any) -> None:
    client = client_for(people["reviewer"])
    for accept in ("application/json", "*/*", "text/html,application/xhtml+xml,*/*;q=0.8"):
        response = client.get(URL, HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert response["Content-Type"] == "application/json", accept
        assert "results" in response.json()


def test_unknown_format_is_a_clear_406(client_for: Any, people: Any, complaints: Any) -> None:
    client = client_for(people["reviewer"])
    for response in (client.get(URL, {"format": "pdf"}), client.get(URL, HTTP_ACCEPT="application/pdf")):
        assert response.status_code == 406
        assert response["Content-Type"] == "application/json"
        assert "csv" in error_of(response)["message"]


def test_bad_filter_is_a_json_400_even_when_csv_is_asked(client_for: Any, people: Any, complaints: Any) -> None:
    response = client_for(people["reviewer"]).get(URL, {"format": "csv", "severity": "9"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "severity" in error_of(response)["fields"]


def test_observers_get_no_export(client_for: Any, people: Any, observer_complaint: Any) -> None:
    response = client_for(people["observer"]).get(URL, {"format": "csv"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert client_for(people["observer"]).get(URL).status_code == 200  # the JSON list is still theirs


def test_a_method_the_list_lacks_is_405_whatever_format(client_for: Any, people: Any) -> None:
    client = client_for(people["reviewer"])
    for response in (client.generic("TRACE", f"{URL}?format=csv"), client.delete(URL, HTTP_ACCEPT="text/csv")):
        assert response.status_code == 405
        assert response["Content-Type"] == "application/json"
