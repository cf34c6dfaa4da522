"""SMS end to end: filing through an SMSSync-style and a Twilio-style gateway (the receipt in the reply), a
question delivered by SMS through the outbound gateway stand-in and answered by SMS, a status change
delivered; forged requests refused; a repeated message id filed once; a long Cyrillic message kept whole;
bad syntax answered in the sender's language; the phone number sealed and out of every staff page and log."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import translation

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
)
from complaints.services import sms
from tests.channels.fake_sms import ACCOUNT, FROM, TOKEN, FakeSmsGateway, twilio_signature
from tests.conftest import require_service

pytestmark = pytest.mark.django_db

SMSSYNC_SECRET = "smssync-shared-secret-1"
TWILIO_TOKEN = TOKEN  # as on Twilio: one Auth Token signs the posts and opens the API
PHONE = "+7 701 234-56-78"
PHONE_DIGITS = "77012345678"
TEXT = "512 Директор школы заставляет учителей голосовать и фотографировать бюллетень"


@pytest.fixture
def gateway(settings: Any, category: Any) -> Iterator[FakeSmsGateway]:
    fake = FakeSmsGateway().start()
    settings.SMS_GATEWAYS = {
        "smssync": {"kind": "smssync", "secret": SMSSYNC_SECRET, "url": ""},
        "twilio": {"kind": "twilio", "secret": TWILIO_TOKEN, "url": "", "media_host": "127.0.0.1"},
    }
    settings.SMS_SEND_URL = fake.messages_url
    settings.SMS_SEND_ACCOUNT = ACCOUNT
    settings.SMS_SEND_TOKEN = TOKEN
    settings.SMS_SEND_FROM = FROM
    settings.SMS_CATEGORY = category.code
    yield fake
    fake.stop()


@pytest.fixture
def smssync(client: Any, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """POST a message as SMSSync does; deliveries after commit run at once."""
    ids = iter(range(1, 10_000))

    def post(text: str, sender: str = PHONE, secret: str = SMSSYNC_SECRET, message_id: str | None = None) -> Any:
        data = {
            "from": sender,
            "message": text,
            "message_id": message_id or f"8c8a5c9e-0000-4000-8000-{next(ids):012d}",
            "sent_to": "+77010000000",
            "secret": secret,
            "device_id": "1",
            "sent_timestamp": "1733300000000",
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("sms-gateway", args=["smssync"]), data=data)

    return post


@pytest.fixture
def twilio(client: Any, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    def post(
        text: str,
        sender: str = PHONE,
        sid: str = "SM" + "a" * 32,
        signature: str | None = None,
        media: list[tuple[str, str]] = (),
    ) -> Any:
        url = "http://testserver" + reverse("sms-gateway", args=["twilio"])
        data = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": ACCOUNT,
            "From": sender,
            "To": FROM,
            "Body": text,
            "NumSegments": "1",
            "NumMedia": str(len(media)),
        }
        for n, (media_url, content_type) in enumerate(media):
            data[f"MediaUrl{n}"] = media_url
            data[f"MediaContentType{n}"] = content_type
        if signature is None:
            signature = twilio_signature(TWILIO_TOKEN, url, data)
        headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data=data, **headers)

    return post


def reply_of(response: Any) -> str:
    assert response.status_code == 200, response.content
    [message] = response.json()["payload"]["messages"]
    return message["message"]


def twiml_of(response: Any) -> str:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer
    assert root.tag == "Response"
    return "".join(m.text or "" for m in root.iter("Message"))


def _transition(complaint: Complaint, action: str, actor: Any, comment: str = "") -> Complaint:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.complaint_transition(complaint=complaint, action=action, actor=actor, comment=comment)


def test_filing_by_smssync_replies_the_receipt(gateway, smssync, territory, election, category):
    response = smssync(TEXT)
    payload = response.json()["payload"]
    assert payload["success"] is True
    assert payload["task"] == "send"
    assert payload["messages"][0]["to"] == PHONE

    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.SMS
    assert complaint.polling_station == territory["ps_pav"]
    assert complaint.category == category  # left for triage
    assert complaint.description == TEXT[4:]
    assert complaint.reporter.is_anonymous
    assert complaint.reporter.phone == ""
    assert complaint.reporter.language == "ru"
    receipt = reply_of(response)
    assert complaint.code in receipt
    assert "/status/" in receipt
    # In Russian, as the message was; the secret (shown once) opens the status page.
    assert "Код квитанции" in receipt
    secret = re.search(r"Секрет: ([\w-]+)\.", receipt).group(1)
    assert services.hash_secret(secret) == complaint.reporter.secret_hash
    # The number follows the complaint, sealed; the receipt went in the reply, not through the outbox.
    follow = ComplaintContact.objects.get()
    assert follow.complaint == complaint
    assert follow.contact.kind == ContactKind.SMS
    assert follow.contact.address == "+" + PHONE_DIGITS
    assert gateway.sent == []


def test_filing_by_twilio_replies_twiml(gateway, twilio, territory, election):
    text = twiml_of(twilio("101 На участке раздают деньги за голос"))
    complaint = Complaint.objects.get()
    assert complaint.polling_station == territory["ps_ala"]
    assert complaint.code in text


def test_an_mms_files_its_photo_and_answers_a_question_with_another(gateway, twilio, territory, election, make_user):
    from tests.images import jpeg_bytes

    photo = jpeg_bytes()
    url = gateway.add_media(photo, "image/jpeg")
    # Twilio's account SID is the post's; the gateway's auth token (the signing secret) fetches the media.
    twiml_of(twilio("512 Фото приказа директора школы о явке", media=[(url, "image/jpeg")]))
    complaint = Complaint.objects.get()
    [evidence] = complaint.evidence.all()
    assert evidence.content_type == "image/jpeg"
    assert evidence.sha256 == hashlib.sha256(photo).hexdigest()
    assert gateway.media_fetches == 1

    reviewer = make_user("reviewer")
    _transition(complaint, "triage", reviewer)
    _transition(complaint, "start_review", reviewer)
    _transition(complaint, "request_info", reviewer, "Пришлите фото объявления.")
    second = jpeg_bytes((80, 60))
    reply = twiml_of(
        twilio("Вот объявление", sid="SM" + "b" * 32, media=[(gateway.add_media(second, "image/jpeg"), "image/jpeg")])
    )
    assert complaint.code in reply
    assert sorted(e.sha256 for e in complaint.evidence.all()) == sorted(
        hashlib.sha256(b).hexdigest() for b in (photo, second)
    )


def test_mms_media_it_cannot_fetch_are_said_lost_never_silently(gateway, twilio, territory, election):
    gone = gateway.base + "/2010-04-01/Accounts/" + ACCOUNT + "/Messages/MM0/Media/ME-missing"
    elsewhere = "https://media.example.org/photo.jpg"  # not the gateway's media host: never fetched
    reply = twiml_of(twilio("512 Два фото не дошли", media=[(gone, "image/jpeg"), (elsewhere, "image/jpeg")]))
    complaint = Complaint.objects.get()
    assert complaint.evidence.count() == 0
    # "2 of your files ...", "Не удалось получить файлов: 2 ...": the count, in the sender's language.
    assert re.search(r"(?<![\w-])2(?![\w-])", reply.replace(complaint.code, "")), reply
    assert complaint.code in reply


def test_forged_requests_are_refused(gateway, smssync, twilio, election):
    assert smssync(TEXT, secret="guessed").status_code == 403
    assert smssync(TEXT, secret="").status_code == 403
    assert twilio(TEXT, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert twilio(TEXT, signature="").status_code == 403
    # Signed with another token, or over another URL: refused too.
    url = "http://testserver" + reverse("sms-gateway", args=["twilio"])
    assert twilio(TEXT, signature=twilio_signature("another-token", url, {"Body": TEXT})).status_code == 403
    assert not Complaint.objects.exists()
    assert not ContactAddress.objects.exists()


def test_without_a_gateway_configured_the_endpoints_do_not_exist(client, settings):
    settings.SMS_GATEWAYS = {}
    for name in ("smssync", "twilio"):
        assert client.post(reverse("sms-gateway", args=[name]), data={"from": PHONE}).status_code == 404


def test_a_question_by_sms_is_answered_by_sms_and_the_decision_delivered(
    gateway, smssync, territory, election, make_user
):
    reply_of(smssync(TEXT))
    complaint = Complaint.objects.get()
    reviewer = make_user("reviewer", units=[territory["pav"]])
    for action in ("triage", "start_review"):
        complaint = _transition(complaint, action, reviewer)
    # Each status change by the reviewers reached the number (triaged, under review), then the question.
    assert len(gateway.sent) == 2
    complaint = _transition(complaint, "request_info", reviewer, "Какой номер кабинета?")
    question = gateway.sent[-1]
    assert question["To"] == "+" + PHONE_DIGITS
    assert question["From"] == FROM
    assert "Какой номер кабинета?" in question["Body"]
    assert complaint.code in question["Body"]
    assert "ответьте на это SMS" in question["Body"]
    rows = OutboxMessage.objects.filter(channel=OutboxChannel.SMS)
    assert {row.status for row in rows} == {OutboxStatus.DELIVERED}
    assert rows.count() == 3

    # The answer by SMS from the same number (spelled another way) is the complainant's reply.
    answer = "Кабинет 12, второй этаж"
    thanks = reply_of(smssync(answer, sender="+77012345678"))
    assert complaint.code in thanks
    complaint.refresh_from_db()
    assert complaint.status == Status.UNDER_REVIEW
    assert Note.objects.get(complaint=complaint, from_complainant=True).body == answer
    assert Complaint.objects.count() == 1

    _transition(complaint, "substantiate", reviewer)
    assert complaint.code in gateway.texts()[-1]
    assert len(gateway.sent) == 4


def test_a_repeated_message_id_files_once(gateway, smssync, twilio, territory, election):
    first = reply_of(smssync(TEXT, message_id="msg-1"))
    again = reply_of(smssync(TEXT, message_id="msg-1"))
    complaint = Complaint.objects.get()
    assert complaint.code in first
    assert complaint.code in again
    assert "уже получено" in again
    assert "Секрет" not in again
    twiml_of(twilio(TEXT, sid="SM" + "b" * 32))
    twiml_of(twilio(TEXT, sid="SM" + "b" * 32))
    assert Complaint.objects.count() == 2
    # The same id from another gateway is another message.
    reply_of(smssync(TEXT, message_id="SM" + "b" * 32))
    assert Complaint.objects.count() == 3


def test_a_long_concatenated_cyrillic_message_is_kept_whole(gateway, smssync, territory, election):
    parts = [
        "Директор школы №5 собрал учителей в актовом зале и объявил, что все должны голосовать до обеда ",
        "и прислать ему фотографию заполненного бюллетеня в мессенджере, иначе лишат премии за квартал. ",
        "Завуч записывает, кто уже проголосовал; у входа на участок стоит автобус с сотрудниками акимата,\n",
        "которые раздают списки. Наблюдателя от партии не пустили к столу выдачи бюллетеней в 9:40.",
    ]
    body = "".join(parts) * 2
    assert len(body) > 700  # more than ten SMS parts of 67 Cyrillic characters
    # The gateway joined the parts (a UDH-concatenated message arrives as one text).
    reply_of(smssync("512 " + body))
    assert Complaint.objects.get().description == body.strip()


def test_concatenation_headers_left_in_by_a_raw_gateway_are_removed():
    # A raw modem gateway may leave each part's header (IEI 0x00, ref 0x2A, 2 parts; or IEI 0x08) in the text.
    raw = "\x05\x00\x03\x2a\x02\x01512 Директор школы \x06\x08\x04\x01\x2a\x02\x02заставляет голосовать\r\n"
    assert sms.clean_text(raw) == "512 Директор школы заставляет голосовать"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Помогите, на участке давят на людей", "ru"),
        ("Сайлау учаскесінде қысым көрсетіліп жатыр", "kk"),
        ("Help, they are buying votes here", "en"),
        ("", "en"),
        ("512", "en"),
    ],
)
def test_bad_syntax_gets_the_syntax_in_the_senders_language(gateway, smssync, election, text, language):
    reply = reply_of(smssync(text))
    assert sms.guess_language(text) == language
    with translation.override(language):
        assert reply == sms.syntax_text()
    if language != "en":
        with translation.override("en"):
            assert "512" in reply
            assert reply != sms.syntax_text()
    assert not Complaint.objects.exists()


def test_too_short_a_text_is_refused_with_the_reason(gateway, smssync, election):
    reply = reply_of(smssync("512 плохо"))
    assert not Complaint.objects.exists()
    with translation.override("ru"):
        assert sms.syntax_text() in reply


def test_stop_ends_the_updates(gateway, smssync, territory, election, make_user):
    reply_of(smssync(TEXT))
    assert ContactAddress.objects.get().follows.count() == 1
    reply_of(smssync("СТОП"))
    assert not ComplaintContact.objects.exists()


def test_a_number_that_cannot_receive_is_disabled(gateway, smssync, territory, election, make_user):
    reply_of(smssync(TEXT))
    complaint = Complaint.objects.get()
    reviewer = make_user("reviewer", units=[territory["pav"]])
    for action in ("triage", "start_review"):
        complaint = _transition(complaint, action, reviewer)
    gateway.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    _transition(complaint, "request_info", reviewer, "Какой номер кабинета?")
    row = OutboxMessage.objects.filter(channel=OutboxChannel.SMS).last()
    assert row.status == OutboxStatus.DEAD
    assert PHONE_DIGITS not in row.last_error
    assert "21610" in row.last_error
    assert not ContactAddress.objects.get().is_active


def test_the_number_is_sealed_and_in_no_staff_page_api_admin_or_log(
    gateway, smssync, territory, election, make_user, client, caplog
):
    caplog.set_level(logging.DEBUG)
    reply_of(smssync(TEXT))
    complaint = Complaint.objects.get()
    reviewer = make_user("reviewer", units=[territory["pav"]])
    for action in ("triage", "start_review"):
        complaint = _transition(complaint, action, reviewer)
    _transition(complaint, "request_info", reviewer, "Какой номер кабинета?")
    reply_of(smssync("Кабинет 12, второй этаж"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM complaints_contactaddress")
        [(stored,)] = cursor.fetchall()
    assert PHONE_DIGITS not in stored
    assert crypto.decrypt(stored) == "+" + PHONE_DIGITS
    logged = caplog.text
    for secret in (PHONE_DIGITS, "701 234", "Директор", "Кабинет 12", SMSSYNC_SECRET, TOKEN):
        assert secret not in logged, secret

    admin = make_user("admin", is_staff=True, is_superuser=True)
    coordinator = make_user("coordinator")
    pages = [
        reverse("web-complaint", args=[complaint.code]),
        reverse("web-queue"),
        f"/api/v1/complaints/{complaint.code}/",
        f"/api/v1/complaints/{complaint.code}/timeline/",
    ]
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
            content = response.content.decode()
            for spelling in (PHONE_DIGITS, "701 234", "7012345678"):
                assert spelling not in content, url


def test_gateways_are_configured_from_the_environment(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from registry.settings import _sms_gateways

    monkeypatch.setenv("SMS_GATEWAYS", "smssync, Twilio-Main")
    monkeypatch.setenv("SMS_SMSSYNC_SECRET", "one")
    monkeypatch.setenv("SMS_TWILIO_MAIN_KIND", "twilio")
    monkeypatch.setenv("SMS_TWILIO_MAIN_SECRET", "two")
    monkeypatch.setenv("SMS_TWILIO_MAIN_URL", "https://registry.example/channels/sms/twilio-main/")
    assert _sms_gateways() == {
        "smssync": {"kind": "smssync", "secret": "one", "url": "", "media_host": "api.twilio.com"},
        "twilio-main": {
            "kind": "twilio",
            "secret": "two",
            "url": "https://registry.example/channels/sms/twilio-main/",
            "media_host": "api.twilio.com",
        },
    }
    monkeypatch.delenv("SMS_SMSSYNC_SECRET")
    with pytest.raises(ImproperlyConfigured, match="SMS_SMSSYNC_SECRET"):
        _sms_gateways()
    monkeypatch.setenv("SMS_GATEWAYS", "modem")
    with pytest.raises(ImproperlyConfigured, match="KIND"):
        _sms_gateways()


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_message_file_once(gateway, territory, election):
    require_service("PostgreSQL", connection.vendor == "postgresql", "row locks need a real server")
    barrier, replies = threading.Barrier(4), []
    data = {"from": PHONE, "message": TEXT, "message_id": "concurrent-1", "secret": SMSSYNC_SECRET}

    def post() -> None:
        barrier.wait()
        try:
            replies.append(reply_of(Client().post(reverse("sms-gateway", args=["smssync"]), data=data)))
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    complaint = Complaint.objects.get()
    assert len(replies) == 4
    assert all(complaint.code in reply for reply in replies)
    assert sum("Секрет" in reply for reply in replies) == 1


def test_an_unknown_station_number_is_kept_as_the_place_and_a_named_sender_follows_nothing(
    gateway, smssync, territory, election
):
    reply = reply_of(smssync("9999 Сайлау учаскесінде дауыс сатып алып жатыр", sender="InfoSMS"))
    complaint = Complaint.objects.get()
    assert complaint.polling_station is None
    assert "№9999" in complaint.place_text
    assert complaint.reporter.language == "kk"
    assert complaint.code in reply
    assert "Түбіртек коды" in reply
    assert not ContactAddress.objects.exists()


def test_without_an_outbound_gateway_sms_rows_wait(gateway, smssync, territory, election, make_user, settings):
    reply_of(smssync(TEXT))
    settings.SMS_SEND_URL = ""
    complaint = Complaint.objects.get()
    reviewer = make_user("reviewer", units=[territory["pav"]])
    _transition(complaint, "triage", reviewer)
    row = OutboxMessage.objects.get(channel=OutboxChannel.SMS)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 1
    assert "SMS_SEND_URL" in row.last_error
    assert gateway.sent == []


def test_a_refused_message_keeps_no_number(gateway, smssync, election):
    reply_of(smssync("Помогите"))
    reply_of(smssync("СТОП"))
    assert not ContactAddress.objects.exists()
