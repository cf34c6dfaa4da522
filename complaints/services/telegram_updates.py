"""Telegram updates in: kept sealed once per ``update_id``, processed once by a worker, through the conversation.

The webhook (and the polling command) only store the update (``telegram_update_receive``)
and answer: Telegram retries an update it got no 200 for, and the unique ``update_id``
makes the retry a no-op. After commit the update's id goes to the task queue
(``set_update_publisher``, plugged in by ``complaints/tasks.py``); a sweep re-queues any
update still unprocessed, so a lost publish loses nothing.

Processing (``telegram_update_process``) claims the row by compare-and-set (as outbox rows
are), parses it with python-telegram-bot's ``Update``, fetches any file from the Bot API
outside a transaction, then applies the conversation step and marks the row processed in
one transaction: its effects (a filed complaint, an answer, the bot's replies as outbox
rows) and "processed" commit together. The sealed payload is emptied once processed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from telegram import Message, Update

from complaints.models import ContactKind, TelegramConversation, TelegramUpdate
from complaints.notifications import telegram
from complaints.services import telegram_conversation as conversation
from complaints.services.channels import contact_hash
from complaints.services.telegram_conversation import FileRef, Incoming

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# An update older than this (processed) is deleted; Telegram stops retrying within hours.
KEEP_PROCESSED = timedelta(days=2)
# Not re-queued by the sweep sooner than this after it arrived (its own task is on the way).
SWEEP_GRACE = timedelta(seconds=20)

_publisher: Callable[[int], None] | None = None


def set_update_publisher(publisher: Callable[[int], None]) -> None:
    """How a stored update is queued for processing (the tasks module plugs Celery in)."""
    global _publisher
    _publisher = publisher


def _publish(pk: int) -> None:
    if _publisher is None:
        return  # no queue plugged in: the sweep or the polling command processes it
    try:
        _publisher(pk)
    except Exception as exc:  # the broker is down: the sweep queues it later
        log.warning("telegram update %s not queued (%s); left to the sweep", pk, type(exc).__name__)


def telegram_update_receive(*, update: dict[str, Any], publish: bool = True) -> TelegramUpdate | None:
    """Keep an update (sealed) unless its ``update_id`` was seen: the new row, or None for a repeat."""
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise ValueError("an update has an integer update_id")
    try:
        with transaction.atomic():
            row = TelegramUpdate.objects.create(update_id=update_id, payload=json.dumps(update, ensure_ascii=False))
            if publish:
                transaction.on_commit(lambda: _publish(row.pk))
    except IntegrityError:
        return None  # Telegram delivered it again: already kept
    return row


def telegram_poll_offset() -> int | None:
    """Where polling goes on from: after the newest update kept (so a restart does not fetch old ones again)."""
    newest = TelegramUpdate.objects.order_by("-update_id").values_list("update_id", flat=True).first()
    return None if newest is None else newest + 1


def telegram_updates_due(*, limit: int = 100) -> list[int]:
    """Unprocessed, unclaimed updates that arrived a while ago (their task was lost)."""
    now = timezone.now()
    return list(
        TelegramUpdate.objects.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=now),
            processed_at__isnull=True,
            received_at__lt=now - SWEEP_GRACE,
        )
        .order_by("update_id")
        .values_list("pk", flat=True)[:limit]
    )


def telegram_housekeeping() -> dict[str, int]:
    """Delete old processed updates; forget conversations that expired half-way (their answers included)."""
    now = timezone.now()
    updates, _ = TelegramUpdate.objects.filter(processed_at__lt=now - KEEP_PROCESSED).delete()
    conversations = TelegramConversation.objects.filter(expires_at__lt=now).update(step="", data={}, expires_at=None)
    return {"telegram_updates": updates, "telegram_conversations": conversations}


def _claim(pk: int) -> TelegramUpdate | None:
    now = timezone.now()
    token = now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    taken = TelegramUpdate.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now), pk=pk, processed_at__isnull=True
    ).update(locked_until=token)
    return TelegramUpdate.objects.get(pk=pk) if taken else None


def _done(row: TelegramUpdate, error: str = "") -> None:
    TelegramUpdate.objects.filter(pk=row.pk, locked_until=row.locked_until).update(
        processed_at=timezone.now(), payload="", locked_until=None, last_error=error
    )


def _failed(row: TelegramUpdate, exc: Exception) -> None:
    # The type and a scrubbed message only: an exception's text may quote what the filer wrote.
    error = telegram.scrub(f"{type(exc).__name__}")
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        TelegramUpdate.objects.filter(pk=row.pk).update(
            attempts=attempts, last_error=error, processed_at=timezone.now(), payload="", locked_until=None
        )
        log.warning("telegram update %s given up after %s attempts: %s", row.pk, attempts, error)
        return
    TelegramUpdate.objects.filter(pk=row.pk).update(attempts=attempts, last_error=error, locked_until=None)
    log.info("telegram update %s attempt %s failed: %s", row.pk, attempts, error)


# --- parsing ------------------------------------------------------------------------


def file_of(message: Message) -> FileRef | None:
    """The photo (largest size), video, document, audio or voice note of a message."""
    if message.photo:
        best = message.photo[-1]
        return FileRef(best.file_id, "photo.jpg", best.file_size or 0)
    for item, default in (
        (message.video, "video.mp4"),
        (message.document, "file"),
        (message.audio, "audio.mp3"),
        (message.voice, "voice.ogg"),
        (message.video_note, "video.mp4"),
    ):
        if item is not None:
            return FileRef(item.file_id, getattr(item, "file_name", None) or default, item.file_size or 0)
    return None


def parse(data: dict[str, Any]) -> Incoming | None:
    """The update as the conversation needs it; None for what the bot ignores (groups, channels, edits)."""
    update = Update.de_json(data)
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type != "private":
        return None  # never in a group, where others would read the answers
    incoming = Incoming(chat_id=str(chat.id), telegram_language=(user.language_code or "") if user else "")
    if update.callback_query is not None:
        incoming.callback = update.callback_query.data or ""
        incoming.callback_id = update.callback_query.id
        return incoming
    message = update.message
    if message is None:
        return None
    text = (message.text or message.caption or "").strip()
    if message.text and text.startswith("/"):
        incoming.command = text.split()[0].split("@")[0].lower()
        incoming.text = text[len(text.split()[0]) :].strip()
    else:
        incoming.text = text
    incoming.file = file_of(message)
    return incoming


def _fetch(ref: FileRef) -> UploadedFile:
    limit = min(int(settings.EVIDENCE_MAX_BYTES), telegram.BOT_API_DOWNLOAD_LIMIT)
    data, path = telegram.download(ref.file_id, limit)
    name = ref.name
    if "." not in name and "." in path.rsplit("/", 1)[-1]:
        name = f"{name}.{path.rsplit('.', 1)[-1]}"
    return SimpleUploadedFile(name, data)


def _prefetch(incoming: Incoming) -> None:
    """Fetch from the Bot API, outside any transaction, the files this update needs."""
    if incoming.file is not None:
        limit = min(int(settings.EVIDENCE_MAX_BYTES), telegram.BOT_API_DOWNLOAD_LIMIT)
        if incoming.file.size > limit:
            incoming.file_error = conversation.too_large_text(incoming.file.name, incoming.file.size, limit)
        else:
            try:
                incoming.upload = _fetch(incoming.file)
            except telegram.FileTooLarge as exc:
                incoming.file_error = conversation.too_large_text(incoming.file.name, exc.size, limit)
    if incoming.callback == conversation.CONFIRM_YES:
        held = (
            TelegramConversation.objects.filter(
                contact__kind=ContactKind.TELEGRAM,
                contact__address_hash=contact_hash(ContactKind.TELEGRAM, incoming.chat_id),
            )
            .values_list("data", flat=True)
            .first()
        )
        for entry in (held or {}).get("files", []):
            upload = _fetch(FileRef(entry["id"], entry["name"], entry.get("size", 0)))
            upload.telegram_file_id = entry["id"]  # type: ignore[attr-defined]
            incoming.confirm_uploads.append(upload)


def telegram_update_process(*, update_pk: int) -> bool:
    """Process one stored update if nobody else is; True if this call processed it."""
    row = _claim(update_pk)
    if row is None:
        return False
    incoming = None
    try:
        incoming = parse(json.loads(row.payload)) if row.payload else None
        if incoming is not None:
            _prefetch(incoming)
        with transaction.atomic():
            if incoming is not None:
                conversation.handle(incoming)
            _done(row)
    except Exception as exc:
        _failed(row, exc)
        raise
    if incoming is not None and incoming.callback_id:
        telegram.answer_callback(incoming.callback_id)
    return True
