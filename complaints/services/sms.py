"""SMS in: one message files a complaint (polling station number and what happened), or answers a question.

The gateways' endpoints (``web/channels.py``) check the gateway's secret or signature, then
hand the sender, the text and the gateway's message id to ``sms_receive``, which answers
with the text to reply through the gateway (SMSSync's JSON, Twilio's TwiML).

The syntax is one message: the polling station's number, then the free text, e.g.
``512 Директор школы заставляет голосовать``. No category is asked: the complaint is filed
under ``SMS_CATEGORY`` for triage to correct, in the election of ``SMS_ELECTION`` (or the
active one with the nearest voting day), anonymous, channel ``sms``, the time it happened
being the time it came in. A number no station (or several) has is kept as the place in
words. A message without a number, or too short, gets the syntax back in the sender's
language, guessed from the text (Kazakh letters: kk, other Cyrillic: ru, else en).

Long and concatenated messages arrive joined by the gateway; a user data header left in
the text by a raw modem gateway is removed, so the parts read as one text.

A message from a number that follows a complaint awaiting information (needs info) is that
complaint's answer (``complaint_answer``), as in Telegram. ``STOP`` (``СТОП``, ``ТОҚТАТУ``)
ends the updates to the number.

The sender's number is sealed contact data (``ContactAddress`` kind ``sms``), never logged,
never on the complaint. A gateway delivering the same message id again gets the same
outcome, and nothing is filed twice: an ``IdempotencyRecord`` per gateway and message id is
inserted first, in the filing's transaction (as the API's ``Idempotency-Key`` is).
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.access import ComplainantActor
from complaints.errors import ServiceError, WorkflowError
from complaints.models import (
    Category,
    Channel,
    Complaint,
    ContactAddress,
    ContactKind,
    Election,
    ElectionStatus,
    IdempotencyRecord,
    PollingStation,
    Status,
)
from complaints.services.channels import (
    complaint_follow,
    contact_address_get_or_create,
    contact_find,
    contact_unfollow_all,
)
from complaints.services.filing import complaint_file
from complaints.services.transitions import complaint_answer

log = logging.getLogger(__name__)

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# The station's number first (№, # allowed), then the text after a space or punctuation.
SYNTAX = re.compile(r"^\s*[№#]?\s*(\d{1,8})(?:[\s,.:;\-–—)]+|$)(.*)$", re.DOTALL)
STOP_WORDS = frozenset({"stop", "стоп", "тоқтату", "токтату", "unsubscribe"})
# A concatenation header (IEI 0x00, 8-bit reference; or 0x08, 16-bit) left in by a raw modem.
UDH = re.compile("\x05\x00\x03[\x00-\xff]{3}|\x06\x08\x04[\x00-\xff]{4}")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Inbound:
    """One SMS as a gateway delivered it (the parts of a long message already joined); an MMS's
    photos and videos as ``files`` (fetched by ``sms_media_fetch``), ``lost_files`` the ones that
    could not be fetched (the reply says so)."""

    gateway: str
    sender: str
    text: str
    message_id: str = ""
    files: tuple[UploadedFile, ...] = ()
    lost_files: int = 0


# As many files as the web form and the bot take at once.
MAX_MEDIA = 10


def sms_media_fetch(
    urls: list[tuple[str, str]], *, host: str, account: str, token: str
) -> tuple[list[UploadedFile], int]:
    """An MMS's media, fetched from the gateway (Twilio: GET each ``MediaUrl<n>`` with basic auth,
    following its redirect to the media store). Only URLs on ``host`` over HTTPS (or the stand-in's
    loopback address in tests, configured as the host) are fetched; each is cut off past
    EVIDENCE_MAX_BYTES. Returns the files and how many could not be fetched; the files are checked
    like any upload by the filing."""
    pool = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=settings.SMS_SEND_TIMEOUT_SECONDS, read=settings.SMS_SEND_TIMEOUT_SECONDS),
        retries=urllib3.Retry(total=2, redirect=3, backoff_factor=0.2),
    )
    headers = urllib3.make_headers(basic_auth=f"{account}:{token}") if account and token else {}
    files: list[UploadedFile] = []
    lost = 0
    for n, (url, content_type) in enumerate(urls[:MAX_MEDIA], start=1):
        parsed = urlsplit(url)
        local = parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "::1", "localhost")
        if parsed.hostname != host or not (parsed.scheme == "https" or local):
            log.warning("sms media: a URL outside the gateway's media host was not fetched")
            lost += 1
            continue
        try:
            response = pool.request("GET", url, headers=headers, preload_content=False)
            data = response.read(settings.EVIDENCE_MAX_BYTES + 1, decode_content=True)
            response.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            log.warning("sms media: fetching failed (%s)", type(exc).__name__)
            lost += 1
            continue
        if response.status != 200:
            log.warning("sms media: the gateway answered %s", response.status)
            lost += 1
            continue
        kind = (response.headers.get("Content-Type") or content_type or "application/octet-stream").split(";")[0]
        extension = mimetypes.guess_extension(kind) or ""
        files.append(SimpleUploadedFile(f"mms-{n}{extension}", data, kind))
    return files, lost


def guess_language(text: str) -> str:
    """kk if the text has Kazakh letters, ru if it is otherwise Cyrillic, else en."""
    if any(ch in KAZAKH_LETTERS for ch in text):
        return "kk"
    if CYRILLIC.search(text):
        return "ru"
    return "en"


def clean_text(text: str) -> str:
    """The message as one text: concatenation headers and control characters out, line ends kept."""
    text = UDH.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return CONTROL.sub("", text).strip()


def syntax_text() -> str:
    return _(
        "To file a complaint, send one SMS: the polling station number, then what happened. "
        "Example: 512 The school director forces teachers to vote."
    )


def _election() -> Election | None:
    active = Election.objects.filter(status=ElectionStatus.ACTIVE)
    if settings.SMS_ELECTION:
        return active.filter(slug=settings.SMS_ELECTION).first()
    today = timezone.localdate()
    candidates = list(active)
    candidates.sort(key=lambda e: abs((e.voting_day - today).days))
    return candidates[0] if candidates else None


def _station(number: str) -> PollingStation | None:
    found = list(PollingStation.objects.filter(number=number).select_related("unit")[:2])
    return found[0] if len(found) == 1 else None


def _contact(sender: str, language: str, *, create: bool) -> ContactAddress | None:
    """The sender's sealed address (made only when ``create``: a filing); None for a sender that is
    no phone number (a short code, a name)."""
    try:
        if create:
            return contact_address_get_or_create(kind=ContactKind.SMS, address=sender, language=language)
        return contact_find(kind=ContactKind.SMS, address=sender)
    except ServiceError:
        return None


def _awaiting(contact: ContactAddress | None) -> Complaint | None:
    if contact is None:
        return None
    return (
        Complaint.objects.filter(contacts__contact=contact, status=Status.NEEDS_INFO)
        .order_by("-updated_at", "-pk")
        .first()
    )


def _idempotency_key(message_id: str) -> str:
    return hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()


def _repeat(inbound: Inbound, language: str) -> str:
    record = IdempotencyRecord.objects.filter(
        owner=f"sms:{inbound.gateway}", key=_idempotency_key(inbound.message_id)
    ).first()
    body = (record.response_body or {}) if record else {}
    if body.get("reply"):
        return str(body["reply"])
    code = body.get("code", "")
    with translation.override(language):
        if code:
            return _("This SMS was already received: complaint %(code)s.") % {"code": code}
        return _("This SMS was already received.")


def sms_receive(inbound: Inbound) -> str:
    """File, answer or refuse one SMS; the text to reply to the sender (once per gateway message id)."""
    text = clean_text(inbound.text)
    language = guess_language(text)
    if not inbound.message_id:
        return _handle(inbound, text, language, None)
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Claimed first: the same message id delivered again at once waits here, then repeats.
                record = IdempotencyRecord.objects.create(
                    owner=f"sms:{inbound.gateway}",
                    key=_idempotency_key(inbound.message_id),
                    request_hash="",
                    response_status=200,
                    response_body={},
                )
        except IntegrityError:
            log.info("sms from gateway %s: a repeated delivery, nothing filed", inbound.gateway)
            return _repeat(inbound, language)
        reply = _handle(inbound, text, language, record)
        if not record.response_body:
            # What a repeat is told: the same reply (never the filing's, which carries the secret).
            record.response_body = {"reply": reply}
            record.save(update_fields=["response_body"])
        return reply


def _handle(inbound: Inbound, text: str, language: str, record: IdempotencyRecord | None) -> str:
    with transaction.atomic():
        # Looked up, not made: a number is kept only once it files (a bad-syntax message leaves nothing).
        contact = _contact(inbound.sender, language, create=False)
        with translation.override(language):
            if text.strip().lower() in STOP_WORDS:
                count = contact_unfollow_all(contact=contact) if contact is not None else 0
                log.info("sms from gateway %s: updates stopped for %s complaint(s)", inbound.gateway, count)
                return _("You will get no more updates by SMS.")
            waiting = _awaiting(contact)
            if waiting is not None and text:
                return _answer(inbound, waiting, text)
            return _file(inbound, text, language, record)


def _answer(inbound: Inbound, complaint: Complaint, text: str) -> str:
    try:
        with transaction.atomic():
            complaint_answer(
                complaint=complaint,
                actor=ComplainantActor(complaint_id=complaint.pk),
                comment=text,
                files=list(inbound.files),
            )
    except (ServiceError, WorkflowError) as exc:
        log.info("sms from gateway %s: the answer was refused (%s)", inbound.gateway, type(exc).__name__)
        return str(getattr(exc, "message", None) or exc)
    log.info("sms from gateway %s: an answer recorded", inbound.gateway)
    return _lost(inbound) + _("Thank you. Your answer was sent to the reviewers (complaint %(code)s).") % {
        "code": complaint.code
    }


def _lost(inbound: Inbound) -> str:
    """Said first in the reply when some of an MMS's files could not be fetched: never a silent loss."""
    if not inbound.lost_files:
        return ""
    return _("%(count)s of your files could not be received; send them again as an answer to a question. ") % {
        "count": inbound.lost_files
    }


def _file(inbound: Inbound, text: str, language: str, record: IdempotencyRecord | None) -> str:
    match = SYNTAX.match(text)
    if match is None or not match.group(2).strip():
        log.info("sms from gateway %s: refused, not the syntax", inbound.gateway)
        return syntax_text()
    number, description = match.group(1), match.group(2).strip()
    election = _election()
    category = Category.objects.filter(code=settings.SMS_CATEGORY, is_active=True).first()
    if election is None or category is None:
        log.warning("sms from gateway %s: no active election or no SMS_CATEGORY; nothing filed", inbound.gateway)
        return _("Complaints cannot be filed by SMS now. Please use the website.")
    station = _station(number)
    try:
        with transaction.atomic():
            filing = complaint_file(
                election=election,
                category=category,
                polling_station=station,
                place_text="" if station else _("polling station №%(number)s") % {"number": number},
                occurred_at=timezone.now(),
                description=description,
                channel=Channel.SMS,
                anonymous=True,
                language=language,
                files=list(inbound.files),
            )
            contact = _contact(inbound.sender, language, create=True)
            if contact is not None:
                complaint_follow(complaint=filing.complaint, contact=contact)
            if record is not None:
                record.complaint = filing.complaint
                record.response_body = {"code": filing.complaint.code}
                record.save(update_fields=["complaint", "response_body"])
    except ServiceError as exc:
        log.info("sms from gateway %s: refused at filing (%s)", inbound.gateway, exc.field or "")
        return f"{exc.message} {syntax_text()}"
    log.info("sms from gateway %s: complaint filed", inbound.gateway)
    return _lost(inbound) + _(
        "Complaint filed. Receipt code: %(code)s. Secret: %(secret)s. Check the status at %(site)s/status/ "
        "with the code and the secret. Updates and questions will come by SMS; reply to answer. STOP ends them."
    ) % {"code": filing.complaint.code, "secret": filing.secret, "site": settings.SITE_URL}


__all__ = ["Inbound", "clean_text", "guess_language", "sms_media_fetch", "sms_receive", "syntax_text"]
