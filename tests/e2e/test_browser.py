"""The issue's acceptance story in a real browser, in Russian, on a phone-sized screen.

Screenshots of each step go to test-artifacts/e2e/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints import services
from complaints.models import Complaint, Status
from tests.images import png_bytes

pytestmark = [pytest.mark.e2e]

DESCRIPTION = "Директор ТОО «Экибастузтранс» собрал водителей и велел прислать ему фото заполненного бюллетеня."


def _file(name: str, mime: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


def _act(page: Any, action: str, done_text: str, **fields: str) -> None:
    """Open one action's form on the complaint page, fill it, submit, wait for the result."""
    details = page.locator(f"details[data-action={action}]")
    details.locator("summary").click()
    for name, value in fields.items():
        details.locator(f"[name={name}]").fill(value)
    details.locator("button[type=submit]").click()
    expect(page.locator(".notice--success")).to_contain_text(done_text)


def test_observer_files_reviewer_asks_observer_answers_coordinator_escalates(browse, people, election, jpeg_bytes):
    # (1) The observer, signed in on a phone, files a complaint in Russian with two photos.
    observer = browse.new_page()
    browse.login(observer, "observer")
    observer.goto(browse.url("/file/"))
    expect(observer.locator("h1")).to_have_text("Подать жалобу")
    expect(observer.locator("#id_election")).to_have_value(str(election.pk))  # the active election
    observer.select_option("#id_category", label="Давление работодателя")
    observer.fill("#id_description", DESCRIPTION)

    # A reload (or a dropped connection) keeps the typed text: it is a draft on the device.
    observer.wait_for_timeout(400)
    observer.reload()
    expect(observer.locator("[data-draft-notice]")).to_be_visible()
    expect(observer.locator("#id_description")).to_have_value(DESCRIPTION)
    expect(observer.locator("#id_category")).not_to_have_value("")

    observer.fill("#id_station", "512")
    observer.locator("[data-station-results] button").first.click()
    expect(observer.locator("[data-station-status]")).to_contain_text("№512")
    observer.set_input_files(
        "#id_files",
        [_file("участок-512.png", "image/png", png_bytes()), _file("директор.jpg", "image/jpeg", jpeg_bytes)],
    )
    expect(observer.locator("[data-file-list] li")).to_have_count(2)
    browse.shot(observer, "01-observer-form")
    observer.click("[data-submit]")
    observer.wait_for_url(re.compile(r"/file/receipt/$"))
    code = observer.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    expect(observer.locator("h1")).to_have_text("Ваша квитанция")
    browse.shot(observer, "01-observer-receipt")
    complaint = Complaint.objects.get(code=code)
    assert complaint.reporter.user == people["observer"]
    assert sorted(e.content_type for e in complaint.evidence.all()) == ["image/jpeg", "image/png"]

    # (2) The reviewer finds it in the queue and asks for more information.
    reviewer = browse.new_page(phone=False)
    browse.login(reviewer, "reviewer")
    reviewer.goto(browse.url("/queue/"))
    reviewer.get_by_role("link", name=code).click()
    expect(reviewer.locator(".gallery img")).to_have_count(2)
    _act(reviewer, "triage", "Жалоба зарегистрирована.")
    _act(reviewer, "start_review", "Рассмотрение начато")
    _act(reviewer, "request_info", "Информация запрошена", comment="Назовите, пожалуйста, фамилию директора.")
    expect(reviewer.locator("h1 .badge")).to_have_text("Нужна информация")
    browse.shot(reviewer, "02-reviewer-requests-info")

    # (3) The observer answers from "My complaints", with one more photo.
    observer.goto(browse.url("/my/"))
    expect(observer.locator(".cardlist__item")).to_contain_text("Нужен ваш ответ")
    observer.get_by_role("link", name=code).click()
    expect(observer.locator(".card--attention")).to_contain_text("фамилию директора")
    observer.fill("#id_comment", "Директор — Петров П. П.; приказ висел на доске объявлений.")
    observer.set_input_files("#id_files", [_file("приказ.png", "image/png", png_bytes((30, 30, 30)))])
    observer.get_by_role("button", name="Отправить ответ").click()
    expect(observer.locator(".notice--success")).to_contain_text("Спасибо")
    expect(observer.locator(".status-line .badge")).to_have_text("На рассмотрении")
    browse.shot(observer, "03-observer-answered")

    # (4) The reviewer substantiates it; a coordinator escalates it to the authority.
    reviewer.reload()
    expect(reviewer.locator(".messages-list")).to_contain_text("Петров")
    _act(reviewer, "substantiate", "Жалоба признана обоснованной.")
    browse.shot(reviewer, "04-reviewer-substantiated")
    coordinator = browse.new_page(phone=False)
    browse.login(coordinator, "coordinator")
    coordinator.goto(browse.url(f"/complaints/{code}/"))
    _act(
        coordinator,
        "escalate",
        "Жалоба направлена",
        authority="Центральная избирательная комиссия РК",
        authority_reference="ЦИК-2011/0412",
    )
    expect(coordinator.locator("h1 .badge")).to_have_text("Направлена в уполномоченный орган")
    browse.shot(coordinator, "04-coordinator-escalated")
    coordinator.goto(browse.url("/dashboard/"))
    # By region, by category and by channel (web, Telegram, SMS, phone).
    expect(coordinator.locator("svg.chart__svg")).to_have_count(3)
    expect(coordinator.locator("#chart-channel-title")).to_be_attached()
    browse.shot(coordinator, "04-coordinator-dashboard")
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED


def test_anonymous_filer_checks_the_status_with_code_and_secret(browse, people, election, territory):
    # (5) No account: the receipt shows a code and a secret once; they unlock the status.
    page = browse.new_page(width=360)  # the narrowest phone we support
    page.goto(browse.url("/file/"))
    page.select_option("#id_category", label="Давление работодателя")
    page.fill("#id_station", "512")
    page.locator("[data-station-results] button").first.click()
    page.fill("#id_description", "Наблюдателя не пустили к столу подсчёта голосов.")
    page.click("[data-submit]")
    page.wait_for_url(re.compile(r"/file/receipt/$"))
    code = page.locator("#receipt-code").inner_text()
    secret = page.locator("#receipt-secret").inner_text()
    expect(page.locator("[data-copy=receipt-secret]")).to_be_visible()
    browse.shot(page, "05-anonymous-receipt")
    page.reload()
    expect(page.locator("h1")).to_have_text("Квитанция уже показана")

    page.goto(browse.url("/status/"))
    page.fill("#id_code", code.lower())
    page.fill("#id_secret", secret)
    page.get_by_role("button", name="Показать статус").click()
    expect(page.locator(".status-line .badge")).to_have_text("Подана")
    assert secret not in page.url
    browse.shot(page, "05-anonymous-status")

    # The same page in Kazakh, from the language switcher.
    page.get_by_role("button", name="KK").click()
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator(".status-line")).to_contain_text("Жіберілді")
    browse.shot(page, "05-anonymous-status-kk")


def test_a_script_in_a_description_is_shown_as_text(browse, people, election, category, territory):
    # (6) User content is escaped: the tag appears as text and never runs.
    payload = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    complaint = services.complaint_file(
        election=election,
        category=category,
        polling_station=territory["ps_pav"],
        occurred_at=timezone.now() - timedelta(minutes=5),
        description=f"Вброс. {payload}",
    ).complaint
    page = browse.new_page(phone=False)
    browse.login(page, "reviewer")
    page.goto(browse.url(f"/complaints/{complaint.code}/"))
    expect(page.locator(".description")).to_contain_text("<script>window.__pwned = 1</script>")
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".description script, .description img").count() == 0
    browse.shot(page, "06-script-shown-as-text")


def test_filing_works_with_javascript_disabled(browse, people, election, territory, jpeg_bytes):
    # (7) A plain multipart form post: no draft, no search-as-you-type, same result.
    page = browse.new_page(js=False, width=360)
    page.goto(browse.url("/file/"))
    page.select_option("#id_category", label="Давление работодателя")
    page.fill("#id_station", "512")
    page.fill("#id_description", "На участке №512 раздавали продуктовые наборы за голос.")
    page.set_input_files(
        "#id_files",
        [_file("набор.png", "image/png", png_bytes((240, 200, 0))), _file("очередь.jpg", "image/jpeg", jpeg_bytes)],
    )
    browse.shot(page, "07-nojs-form")
    page.get_by_role("button", name="Отправить жалобу").click()
    page.wait_for_url(re.compile(r"/file/receipt/$"))
    code = page.locator("#receipt-code").inner_text()
    expect(page.locator("#receipt-secret")).not_to_be_empty()
    browse.shot(page, "07-nojs-receipt")
    complaint = Complaint.objects.get(code=code)
    assert complaint.polling_station.number == "512"
    assert complaint.evidence.count() == 2
