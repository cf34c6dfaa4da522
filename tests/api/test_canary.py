"""Canary crawl: a named complaint with distinctive identity, walked through the workflow, then every
page and API response each role can reach, every webhook payload, every email to staff, every log
line and every public output is searched for the canary. None may appear where the reader lacks the
identity permission and has not asked for it in an audited reveal.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse

from complaints import services
from complaints.models import Authority, AuthorityKind, AuthorityLevel, OutboxChannel, OutboxMessage

pytestmark = pytest.mark.django_db

CANARIES = {
    "name": "Канарейкина Зоя Кузьминична",
    "surname": "Канарейкина",
    "email": "zoya.canary.7731@example.org",
    "email_local": "zoya.canary.7731",
    "phone": "+7 777 313 73 13",
    "phone_digits": "7773137313",
    "username": "canary_filer_7731",
}


def leaks(text: str) -> list[str]:
    flat = text.replace(" ", "")
    found = [k for k, v in CANARIES.items() if v in text]
    if CANARIES["phone_digits"] in flat and "phone" not in found:
        found.append("phone_digits")
    return found


@pytest.fixture
def story(make_user, territory, file_complaint, settings, django_capture_on_commit_callbacks):
    """The canary's complaint through review, a question and answer, escalation and a decision."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    filer = make_user("observer", username=CANARIES["username"], first_name="Зоя", last_name="Канарейкина")
    reviewer = make_user("reviewer", [territory["pav"]], username="rev_crawl", first_name="Айгуль")
    coordinator = make_user("coordinator", [territory["pav"]], username="coord_crawl", first_name="Марат")
    other = make_user("observer", username="other_observer")
    cec = Authority.objects.create(
        code="kz-cec", kind=AuthorityKind.COMMISSION, level=AuthorityLevel.CENTRAL, name_ru="ЦИК", unit=territory["kz"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_subscribe(owner=coordinator, url="http://127.0.0.1:9/hook")
        complaint = file_complaint(
            reporter_user=filer,
            full_name=CANARIES["name"],
            email=CANARIES["email"],
            phone=CANARIES["phone"],
            description="Директор собрал паспорта сотрудников.",
        )
        for action, actor, extra in [
            ("triage", reviewer, {}),
            ("start_review", reviewer, {}),
            ("request_info", reviewer, {"comment": "Какой участок?"}),
            ("provide_info", filer, {"comment": "Участок 512."}),
            ("substantiate", reviewer, {}),
            ("escalate", coordinator, {"authority": "ЦИК", "authority_reference": "ЦИК-1"}),
        ]:
            complaint.refresh_from_db()
            services.complaint_transition(complaint=complaint, action=action, actor=actor, **extra)
        services.note_add(complaint=complaint, actor=reviewer, body="Проверить у наблюдателя.")
    complaint.refresh_from_db()
    return {
        "complaint": complaint,
        "filer": filer,
        "reviewer": reviewer,
        "coordinator": coordinator,
        "other": other,
        "cec": cec,
    }


def _api_urls(code: str) -> list[str]:
    base = "/api/v1"
    return [
        f"{base}/complaints/",
        f"{base}/complaints/{code}/",
        f"{base}/complaints/{code}/timeline/",
        f"{base}/complaints/{code}/notes/",
        f"{base}/complaints/{code}/evidence/",
        f"{base}/complaints/{code}/documents/",
        f"{base}/complaints/{code}/case/",
        f"{base}/complaints/{code}/submissions/",
        f"{base}/complaints/{code}/respondents/",
        f"{base}/webhooks/",
        f"{base}/webhooks/dead-letters/",
        f"{base}/public/stats/",
    ]


def _web_urls(code: str) -> list[str]:
    return [
        "/",
        reverse("web-queue"),
        reverse("web-complaint", args=[code]),
        reverse("web-dashboard"),
        reverse("web-my"),
        reverse("public-stats"),
        reverse("public-open-data"),
        reverse("audit-checkpoints"),
    ]


@pytest.mark.parametrize("role", ["reviewer", "coordinator", "other", "anonymous"])
def test_no_page_or_api_answer_shows_the_canary(client, client_for, story, role, caplog):
    code = story["complaint"].code
    caplog.set_level(logging.DEBUG)
    web, api = client, None
    if role != "anonymous":
        web.force_login(story[role])
        api = client_for(story[role])
    found: dict[str, list[str]] = {}
    for url in _web_urls(code):
        response = web.get(url)
        if response.status_code == 200 and leaks(response.content.decode(errors="replace")):
            found[url] = leaks(response.content.decode(errors="replace"))
    for url in _api_urls(code) if api else ["/api/v1/public/stats/"]:
        response = (api or web).get(url)
        if response.status_code == 200 and leaks(response.content.decode(errors="replace")):
            found[f"api {url}"] = leaks(response.content.decode(errors="replace"))
    assert found == {}, f"the canary reached {role}: {found}"


def test_staff_emails_webhooks_and_logs_hold_no_canary(story, caplog, mailoutbox):
    caplog.set_level(logging.DEBUG)
    staff_mail = [m for m in mailoutbox if CANARIES["email"] not in m.to]
    for message in staff_mail:
        body = "\n".join([message.subject, message.body, *(str(c) for c, _ in getattr(message, "alternatives", []))])
        assert not leaks(body), (message.to, message.subject, leaks(body))
    for row in OutboxMessage.objects.filter(channel=OutboxChannel.WEBHOOK):
        assert not leaks(json.dumps(row.payload, ensure_ascii=False)), row.event_type
    for row in OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL).exclude(recipient=CANARIES["email"]):
        assert not leaks(json.dumps(row.payload, ensure_ascii=False)), row.event_type


def test_logs_of_the_whole_story_hold_no_canary(make_user, territory, file_complaint, caplog, client):
    caplog.set_level(logging.DEBUG)
    filer = make_user("observer", username=CANARIES["username"])
    client.force_login(filer)
    complaint = file_complaint(
        reporter_user=filer, full_name=CANARIES["name"], email=CANARIES["email"], phone=CANARIES["phone"]
    )
    client.get(reverse("web-my"))
    client.get(reverse("web-queue"))
    text = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert not leaks(text), leaks(text)
    assert complaint.code not in text, "a receipt code in a log line"


def test_the_crawl_sees_the_canary_where_it_is_shown_on_purpose(client, story):
    """The control: the same detector finds the canary in an audited reveal's answer and in the
    receipt email to the filer, so a clean crawl above means absent, not unseen."""
    from complaints.models import AuditEvent

    complaint = story["complaint"]
    reporter = services.reporter_reveal(complaint=complaint, actor=story["coordinator"], purpose="crawl control")
    shown = f"{reporter.full_name} {reporter.email} {reporter.phone}"
    assert {"name", "email", "phone"} <= set(leaks(shown))
    assert AuditEvent.objects.filter(complaint=complaint, action="identity_viewed").count() == 1
