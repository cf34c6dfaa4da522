"""The Telegram channel's edges: how Bot API failures are treated, polling and webhook setup, languages,
the conversation's checks, and what is never logged."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from complaints import services
from complaints.events import EventType
from complaints.models import (
    ContactAddress,
    ContactKind,
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    PollingStation,
    TelegramConversation,
    TelegramUpdate,
)
from complaints.notifications import delivery, outbox, telegram
from complaints.services import telegram_conversation
from tests.channels.conftest import CHAT_ID
from tests.channels.fake_telegram import FakeTelegram

pytestmark = pytest.mark.django_db


def a_reply(text: str = "Здравствуйте") -> OutboxMessage:
    contact = services.contact_address_get_or_create(kind=ContactKind.TELEGRAM, address=str(CHAT_ID))
    return outbox.outbox_reply(contact=contact, text=text)


def test_a_blocked_bot_disables_the_chat_and_dead_letters(bot_api: FakeTelegram):
    row = a_reply()
    bot_api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    assert delivery.deliver(row.pk) is False
    row.refresh_from_db()
    assert row.status == OutboxStatus.DEAD
    contact = ContactAddress.objects.get()
    assert not contact.is_active
    assert contact.disabled_reason == "the filer blocked the bot"
    # Writing to the bot again makes the chat reachable again.
    services.contact_address_get_or_create(kind=ContactKind.TELEGRAM, address=str(CHAT_ID))
    assert ContactAddress.objects.get().is_active


def test_flood_control_makes_every_telegram_row_wait_unsent(bot_api: FakeTelegram):
    cache.delete(telegram.PAUSE_KEY)
    first, second = a_reply("1"), a_reply("2")
    bot_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    assert delivery.deliver(first.pk) is False
    first.refresh_from_db()
    assert first.status == OutboxStatus.PENDING
    assert first.attempts == 0  # postponed, not an attempt
    assert first.next_attempt_at > timezone.now() + timedelta(seconds=25)
    # The other row is held back too, without a call to Telegram.
    calls = len(bot_api.calls)
    assert delivery.deliver(second.pk) is False
    assert len(bot_api.calls) == calls
    cache.delete(telegram.PAUSE_KEY)


def test_a_network_failure_is_retried_on_the_schedule(bot_api: FakeTelegram, settings: Any):
    row = a_reply()
    bot_api.fail_next("sendMessage", 502, "Bad Gateway")
    assert delivery.deliver(row.pk) is False
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 1
    assert settings.TELEGRAM_BOT_TOKEN not in row.last_error
    # The sealed text is still there for the retry; it is wiped once sent.
    assert row.payload["sealed"]
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert delivery.deliver(row.pk) is True
    row.refresh_from_db()
    assert row.payload == {"sealed": ""}
    assert bot_api.texts(CHAT_ID) == ["Здравствуйте"]


def test_telegram_rows_go_to_the_messengers_queue(settings: Any):
    from complaints.notifications import tasks

    assert set(tasks.MESSENGER_CHANNELS) == {"telegram", "sms"}
    route = settings.CELERY_TASK_ROUTES[tasks.deliver_messenger_message.name]
    assert route == {"queue": "messengers"}
    assert "messengers" in settings.CELERY_TASK_QUEUES


def test_polling_processes_updates_and_delivers_replies(bot_api: FakeTelegram, election: Any):
    bot_api.queue(bot_api.message(CHAT_ID, "/start", language="kk"))
    out = StringIO()
    call_command("telegram_bot", "--poll", "--once", "--timeout", "0", "--deliver", stdout=out)
    assert TelegramUpdate.objects.get().processed_at is not None
    [greeting] = bot_api.texts(CHAT_ID)
    assert "Шағым берейік" in greeting  # Kazakh, from the chat's Telegram language
    assert bot_api.buttons()[0]["callback_data"] == f"el:{election.pk}"
    # A second poll passes the offset: the same update is not processed again.
    call_command("telegram_bot", "--poll", "--once", "--timeout", "0", "--deliver", stdout=out)
    assert len(bot_api.texts(CHAT_ID)) == 1
    assert bot_api.calls[-1][1]["offset"] == str(TelegramUpdate.objects.get().update_id + 1)


def test_set_webhook_sends_the_url_and_the_secret(bot_api: FakeTelegram):
    call_command(
        "telegram_bot", "--set-webhook", "https://registry.example.org/channels/telegram/webhook/", stdout=StringIO()
    )
    assert bot_api.webhook["url"] == "https://registry.example.org/channels/telegram/webhook/"
    assert bot_api.webhook["secret_token"] == "s3cret-Token_for-the-webhook"
    call_command("telegram_bot", "--delete-webhook", stdout=StringIO())
    assert bot_api.webhook == {}


def test_the_language_command_switches_the_bot(bot_api, telegram_post, election):
    telegram_post(bot_api.message(CHAT_ID, "/language"))
    telegram_post(bot_api.press(CHAT_ID, "lg:en"))
    assert bot_api.texts(CHAT_ID)[-1] == "The bot now speaks English."
    telegram_post(bot_api.message(CHAT_ID, "/start"))  # Telegram still says "ru": the choice wins
    assert bot_api.texts(CHAT_ID)[-1].startswith("Let's file a complaint.")


def test_a_station_number_shared_by_two_stations_asks_which(bot_api, telegram_post, territory, election, category):
    other = PollingStation.objects.create(unit=territory["ala_d"], number="512", address="Алматы, ул. Гоголя 1")
    telegram_post(bot_api.message(CHAT_ID, "/start"))
    telegram_post(bot_api.press(CHAT_ID, f"el:{election.pk}"))
    telegram_post(bot_api.press(CHAT_ID, f"ct:{category.pk}"))
    telegram_post(bot_api.message(CHAT_ID, "№512"))
    assert {b["callback_data"] for b in bot_api.buttons()} == {f"ps:{territory['ps_pav'].pk}", f"ps:{other.pk}"}
    telegram_post(bot_api.message(CHAT_ID, "999"))
    assert "999" in bot_api.texts(CHAT_ID)[-1]
    assert TelegramConversation.objects.get().step == telegram_conversation.STATION


def test_a_time_outside_the_filing_window_is_refused_with_the_reason(bot_api, telegram_post, election, category):
    telegram_post(bot_api.message(CHAT_ID, "/start", language="en"))
    telegram_post(bot_api.press(CHAT_ID, f"el:{election.pk}", language="en"))
    telegram_post(bot_api.press(CHAT_ID, f"ct:{category.pk}", language="en"))
    telegram_post(bot_api.message(CHAT_ID, "School gym, Lenin street", language="en"))
    telegram_post(bot_api.message(CHAT_ID, "01.01.2001 10:00", language="en"))
    assert "before this election's campaign began" in bot_api.texts(CHAT_ID)[-1]
    telegram_post(bot_api.message(CHAT_ID, "half past two", language="en"))
    assert bot_api.texts(CHAT_ID)[-1].startswith("I did not understand the time.")
    assert TelegramConversation.objects.get().data["place"] == "School gym, Lenin street"


def test_parse_when_reads_the_usual_spellings():
    now = datetime(2011, 4, 3, 18, 0, tzinfo=timezone.get_default_timezone())
    assert timezone.localtime(telegram_conversation.parse_when("14:30", now)).strftime("%d.%m %H:%M") == "03.04 14:30"
    assert telegram_conversation.parse_when("02.04 9.05", now).day == 2
    assert telegram_conversation.parse_when("02.04.11 09:05", now).year == 2011
    assert telegram_conversation.parse_when("31.02 10:00", now) is None
    assert telegram_conversation.parse_when("noon", now) is None


def test_an_expired_conversation_is_forgotten(bot_api, telegram_post, election):
    telegram_post(bot_api.message(CHAT_ID, "/start"))
    TelegramConversation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    telegram_post(bot_api.message(CHAT_ID, "512"))
    assert "/start" in bot_api.texts(CHAT_ID)[-1]
    assert TelegramConversation.objects.get().step == ""


def test_a_refused_file_is_said_in_the_chat_and_not_kept(bot_api, telegram_post, election, category):
    telegram_post(bot_api.message(CHAT_ID, "/start", language="en"))
    TelegramConversation.objects.update(
        step=telegram_conversation.MEDIA, data={"election": election.pk, "category": category.pk}
    )
    file_id = bot_api.add_file(b"PK\x03\x04" + b"\x00" * 200, path="documents/votes.zip")
    update = bot_api.message(
        CHAT_ID, "", language="en", document={"file_id": file_id, "file_unique_id": "z", "file_name": "votes.zip"}
    )
    telegram_post(update)
    assert "archive" in bot_api.texts(CHAT_ID)[-1]
    assert TelegramConversation.objects.get().data.get("files", []) == []


def test_the_bot_takes_as_many_files_as_the_web_form():
    from complaints.web.forms import MAX_FILES

    assert telegram_conversation.MAX_FILES == MAX_FILES


def test_group_chats_are_ignored(bot_api, telegram_post, election):
    update = bot_api.message(CHAT_ID, "/start")
    update["message"]["chat"] = {"id": -100200, "type": "supergroup", "title": "Observers"}
    assert telegram_post(update).status_code == 200
    assert bot_api.sent == []
    assert not ContactAddress.objects.exists()


def test_a_lost_task_is_picked_up_by_the_sweep(bot_api, election, django_capture_on_commit_callbacks):
    row = services.telegram_update_receive(update=bot_api.message(CHAT_ID, "/start"), publish=False)
    assert services.telegram_updates_due() == []  # within its grace period its own task is expected
    TelegramUpdate.objects.filter(pk=row.pk).update(received_at=timezone.now() - timedelta(minutes=1))
    from complaints.tasks import telegram_updates_sweep

    with django_capture_on_commit_callbacks(execute=True):
        assert telegram_updates_sweep() == 1
    assert TelegramUpdate.objects.get().processed_at is not None
    assert len(bot_api.sent) == 1


def test_nothing_of_the_chat_is_logged(bot_api, telegram_post, territory, election, category, caplog):
    caplog.set_level(logging.DEBUG)
    from tests.channels.test_telegram import file_through_the_bot
    from tests.images import jpeg_bytes

    file_through_the_bot(bot_api, telegram_post, territory, jpeg_bytes())
    bot_api.fail_next("sendMessage", 502, "Bad Gateway")
    a_reply()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert str(CHAT_ID) not in logged
    assert bot_api.token not in logged
    assert "Директор" not in logged


def test_contact_events_skip_what_the_complainant_did_themselves():
    assert outbox.contact_events([EventType.STATUS_CHANGED, EventType.NEEDS_INFO], {"action": "request_info"}) == [
        EventType.NEEDS_INFO
    ]
    assert outbox.contact_events([EventType.STATUS_CHANGED], {"action": "triage"}) == [EventType.STATUS_CHANGED]
    assert outbox.contact_events([EventType.STATUS_CHANGED, EventType.INFO_PROVIDED], {"action": "provide_info"}) == []
    assert outbox.contact_events([EventType.SUBMITTED], {}) == []


def test_the_identity_purge_forgets_the_chat(bot_api, telegram_post, territory, election, category):
    from tests.channels.test_telegram import file_through_the_bot
    from tests.images import jpeg_bytes

    file_through_the_bot(bot_api, telegram_post, territory, jpeg_bytes())
    from complaints.models import AuditEvent, ComplaintContact

    election.identity_retention_until = timezone.now() - timedelta(minutes=1)
    election.save()
    assert services.identities_purge(election=election).purged == 1
    assert not ComplaintContact.objects.exists()
    assert not ContactAddress.objects.exists()
    assert not TelegramConversation.objects.exists()
    # The notifications sent to the chat keep their record, without the address.
    assert OutboxMessage.objects.filter(channel=OutboxChannel.TELEGRAM, contact__isnull=True).exists()
    purge = AuditEvent.objects.filter(action="identity_purged").get()
    assert purge.payload["erased"] == ["contact:telegram"]
