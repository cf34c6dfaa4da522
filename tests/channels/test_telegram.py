"""The Telegram bot end to end against the Bot API stand-in: filing with a photo, the receipt, a question
delivered and answered from the chat, a status change delivered; forged and replayed webhooks; the chat id
sealed and out of every staff page."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.urls import reverse

from complaints import crypto, services
from complaints.models import (
    Channel,
    Complaint,
    ComplaintContact,
    ContactAddress,
    ContactKind,
    Note,
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    Status,
    TelegramConversation,
    TelegramUpdate,
)
from tests.channels.conftest import CHAT_ID
from tests.channels.fake_telegram import FakeTelegram
from tests.images import jpeg_bytes

pytestmark = pytest.mark.django_db


def file_through_the_bot(bot_api: FakeTelegram, telegram_post: Any, territory: dict[str, Any], photo: bytes) -> None:
    """The whole conversation, as a filer in Russian would have it."""
    steps = [
        bot_api.message(CHAT_ID, "/start"),
        None,  # election button
        None,  # category button
        bot_api.message(CHAT_ID, "512"),
        bot_api.press(CHAT_ID, "wh:now"),
        bot_api.message(CHAT_ID, "Директор школы требует от учителей фото бюллетеня."),
        bot_api.photo(CHAT_ID, photo),
        bot_api.press(CHAT_ID, "md:done"),
        bot_api.press(CHAT_ID, "cf:yes"),
    ]
    for step in steps:
        if step is None:  # press the first button of the last question
            step = bot_api.press(CHAT_ID, bot_api.buttons()[0]["callback_data"])
        response = telegram_post(step)
        assert response.status_code == 200, response.content


def test_filing_with_a_photo_through_webhook_updates(bot_api, telegram_post, territory, election, category):
    photo = jpeg_bytes()
    file_through_the_bot(bot_api, telegram_post, territory, photo)

    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.TELEGRAM
    assert complaint.polling_station == territory["ps_pav"]
    assert complaint.category == category
    assert complaint.reporter.is_anonymous
    [evidence] = complaint.evidence.all()
    assert evidence.sha256 == hashlib.sha256(photo).hexdigest()
    assert evidence.content_type == "image/jpeg"
    # The receipt code and the secret came back in the chat, and the secret works on the web.
    receipt = bot_api.texts(CHAT_ID)[-1]
    assert complaint.code in receipt
    secret = receipt.split("\n")[3].split(": ", 1)[1].strip()
    assert services.hash_secret(secret) == complaint.reporter.secret_hash
    # ... and it is not left on the outbox row that carried it.
    row = OutboxMessage.objects.filter(channel=OutboxChannel.TELEGRAM).order_by("pk").last()
    assert row.status == OutboxStatus.DELIVERED
    assert row.payload == {"sealed": ""}
    # The chat follows the complaint; the conversation is cleared.
    assert ComplaintContact.objects.get().complaint == complaint
    assert TelegramConversation.objects.get().step == ""
    # The photo was fetched through getFile and the file URL.
    assert "photos/file_1.jpg" in bot_api.downloads


def test_questions_answers_and_status_changes_go_through_the_chat(
    bot_api, telegram_post, territory, election, category, make_user
):
    file_through_the_bot(bot_api, telegram_post, territory, jpeg_bytes())
    complaint = Complaint.objects.get()
    reviewer = make_user("reviewer", units=[territory["pav"]])
    for action in ("triage", "start_review"):
        complaint = services.complaint_transition(complaint=complaint, action=action, actor=reviewer)
    sent_before = len(bot_api.sent)
    complaint = _transition(complaint, "request_info", reviewer, "Какой номер кабинета?")
    question = bot_api.texts(CHAT_ID)[-1]
    assert "Какой номер кабинета?" in question
    assert complaint.code in question
    assert len(bot_api.sent) > sent_before

    # The filer answers in the chat, with a photo: the answer is the complainant's reply.
    assert (
        telegram_post(bot_api.photo(CHAT_ID, jpeg_bytes((80, 60)), caption="Кабинет 12, второй этаж")).status_code
        == 200
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.UNDER_REVIEW
    answer = Note.objects.filter(complaint=complaint, from_complainant=True).get()
    assert answer.body == "Кабинет 12, второй этаж"
    assert complaint.evidence.count() == 2
    assert "отправлен" in bot_api.texts(CHAT_ID)[-1].lower()

    # A decision reaches the chat.
    _transition(complaint, "substantiate", reviewer, "")
    assert complaint.code in bot_api.texts(CHAT_ID)[-1]
    assert "Обоснованная" in bot_api.texts(CHAT_ID)[-1] or "решение" in bot_api.texts(CHAT_ID)[-1].lower()


def _transition(complaint: Complaint, action: str, actor: Any, comment: str) -> Complaint:
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.complaint_transition(complaint=complaint, action=action, actor=actor, comment=comment)


def test_a_forged_webhook_is_refused(bot_api, telegram_post):
    response = telegram_post(bot_api.message(CHAT_ID, "/start"), secret="guessed")
    assert response.status_code == 403
    assert telegram_post(bot_api.message(CHAT_ID, "/start"), secret=None).status_code == 403
    assert not TelegramUpdate.objects.exists()
    assert bot_api.sent == []


def test_without_a_token_the_webhook_does_not_exist(client, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    response = client.post(reverse("telegram-webhook"), data={"update_id": 1}, content_type="application/json")
    assert response.status_code == 404


def test_a_replayed_update_is_processed_once(bot_api, telegram_post, election):
    update = bot_api.message(CHAT_ID, "/start")
    assert telegram_post(update).json() == {"ok": True, "duplicate": False}
    assert telegram_post(update).json() == {"ok": True, "duplicate": True}
    assert TelegramUpdate.objects.count() == 1
    assert len(bot_api.sent) == 1


def test_bad_bodies_are_refused_with_what_to_fix(bot_api, client):
    url = reverse("telegram-webhook")
    from tests.channels.conftest import WEBHOOK_SECRET

    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": WEBHOOK_SECRET}
    response = client.post(url, data="not json", content_type="application/json", **headers)
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]["message"]
    response = client.post(url, data={"message": {}}, content_type="application/json", **headers)
    assert response.status_code == 400
    assert "update_id" in response.json()["error"]["message"]


def test_the_chat_id_is_sealed_and_in_no_staff_page_api_or_admin(
    bot_api, telegram_post, territory, election, category, make_user, client
):
    file_through_the_bot(bot_api, telegram_post, territory, jpeg_bytes())
    complaint = Complaint.objects.get()
    contact = ContactAddress.objects.get()
    assert contact.kind == ContactKind.TELEGRAM
    assert contact.address == str(CHAT_ID)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM complaints_contactaddress")
        [(stored,)] = cursor.fetchall()
    assert str(CHAT_ID) not in stored
    assert crypto.decrypt(stored) == str(CHAT_ID)
    for row in TelegramUpdate.objects.all():
        assert row.payload == ""  # emptied once processed

    admin = make_user("admin", is_staff=True, is_superuser=True)
    coordinator = make_user("coordinator")
    client.force_login(coordinator)
    pages = [
        reverse("web-complaint", args=[complaint.code]),
        reverse("web-queue"),
        f"/api/v1/complaints/{complaint.code}/",
        f"/api/v1/complaints/{complaint.code}/timeline/",
    ]
    client.force_login(admin)
    pages_admin = [
        reverse("admin:complaints_complaint_change", args=[complaint.pk]),
        reverse("admin:complaints_outboxmessage_changelist"),
        *[reverse("admin:complaints_outboxmessage_change", args=[m.pk]) for m in OutboxMessage.objects.all()],
    ]
    for user, urls in ((coordinator, pages), (admin, pages_admin)):
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert str(CHAT_ID) not in response.content.decode(), url
