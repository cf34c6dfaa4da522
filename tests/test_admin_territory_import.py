"""Territory import from CSV in the admin: the same all-or-nothing service as `import_polling_stations`."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from complaints.models import PollingStation, TerritorialUnit

URL = "/admin/complaints/pollingstation/import/"
GOOD = (
    "region_code,district_code,station_number,address,region_name_ru,district_name_ru\n"
    "pav,pav-aksu,701,г. Аксу ул. Ленина 1,,Аксу\n"
    "pav,pav-aksu,702,г. Аксу ул. Ленина 2,,\n"
).encode()
BAD = (
    "region_code,district_code,station_number,address,latitude,longitude\n"
    "pav,pav-aksu,703,,52.0,76.9\n"
    "pav,pav-ekibastuz,704,Экибастуз ул. Мира 3,95.5,75.3\n"
).encode()


@pytest.fixture
def admin_client_ru(db: Any, territory: dict[str, Any]) -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pass-for-tests-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(user)
    return client


def upload(data: bytes, **fields: Any) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("stations.csv", data, content_type="text/csv"), "country": "kz", **fields}


def test_the_change_list_links_to_the_import(admin_client_ru):
    html = admin_client_ru.get(reverse("admin:complaints_pollingstation_changelist")).content.decode()
    assert URL in html
    assert "Импорт из CSV" in html


def test_a_good_file_is_imported(admin_client_ru):
    response = admin_client_ru.post(URL, upload(GOOD), follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:complaints_pollingstation_changelist")
    assert PollingStation.objects.filter(unit__code="pav-aksu").count() == 2
    assert TerritorialUnit.objects.get(code="pav-aksu").parent.code == "pav"
    assert "Импортировано строк: 2" in response.content.decode()


def test_a_bad_file_lists_every_problem_by_line_and_column_and_imports_nothing(admin_client_ru):
    before = PollingStation.objects.count()
    response = admin_client_ru.post(URL, upload(BAD))
    assert response.status_code == 200
    html = response.content.decode()
    assert "строка 2, столбец address" in html
    assert "строка 3, столбец latitude" in html
    assert "ничего не импортировано" in html
    assert PollingStation.objects.count() == before
    assert not TerritorialUnit.objects.filter(code="pav-aksu").exists()


def test_a_dry_run_saves_nothing(admin_client_ru):
    response = admin_client_ru.post(URL, upload(GOOD, dry_run="on"), follow=True)
    assert response.status_code == 200
    assert not PollingStation.objects.filter(unit__code="pav-aksu").exists()
    assert "ничего не сохранено" in response.content.decode()


def test_staff_without_the_permissions_may_not_import(db, territory):
    user = get_user_model().objects.create_user("clerk", password="pass-for-tests-1", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.post(URL, upload(GOOD)).status_code == 403
    assert not PollingStation.objects.filter(unit__code="pav-aksu").exists()
