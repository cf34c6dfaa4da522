"""A reviewer filters the queue, clicks "Export CSV", and the downloaded file holds exactly the rows shown."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.e2e]


def test_reviewer_exports_the_filtered_queue(
    browse: Any, people: dict[str, Any], file_complaint: Any, territory: dict[str, Any], tmp_path: Path
) -> None:
    for i in range(6):
        file_complaint(
            severity=4 if i % 2 else 2,
            occurred_at=timezone.now() - timedelta(hours=i + 1),
            description=f"=Директор требует фото бюллетеня, случай {i}",
        )
    file_complaint(polling_station=territory["ps_ala"], severity=4)  # outside the reviewer's region
    page = browse.new_page(phone=False)
    browse.login(page, "reviewer")
    page.goto(browse.url("/queue/"))
    page.locator("details.filters summary").click()
    page.select_option("#id_f_severity", "4")
    page.locator(".filters__form button[type=submit]").click()
    page.wait_for_url("**/queue/?*severity=4*")
    shown = page.locator("table.queue tbody tr code").all_inner_texts()
    assert len(shown) == 3

    with page.expect_download() as download_info:
        page.locator("a[data-export=csv]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    text = target.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["code"] for r in rows] == shown
    assert {r["severity"] for r in rows} == {"4"}
    assert all(r["description"].startswith("'=") for r in rows)  # no formula reaches the spreadsheet
    browse.shot(page, "queue-export")
