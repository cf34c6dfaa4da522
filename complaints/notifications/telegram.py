"""The Telegram Bot API from sync code (python-telegram-bot), and the sender of the telegram outbox channel.

python-telegram-bot is asyncio; the registry's workers are not. Each call here runs one
coroutine on a fresh event loop (``asyncio.run``) with its own HTTP client, closed after
it: a worker process makes a few calls a second at most, so a pooled client would save
little and tie the process to one loop. The Bot API server is ``TELEGRAM_API_BASE``
(Telegram's, a self-hosted ``telegram-bot-api``, or the tests' stand-in).

How answers are treated when sending to a chat:

- sent: delivered; a sealed direct reply is wiped from its row.
- 403 Forbidden (the filer blocked the bot or deleted the chat) or 400 "chat not found":
  the contact address is disabled and the row dead-lettered; nothing more goes there.
- 429 flood control: every telegram row waits the time Telegram asks (kept in the cache,
  so the whole bot backs off, not one row), unsent, no attempt counted.
- network errors, timeouts, 5xx: retried on the outbox schedule.
- any other 400: retried ``OUTBOX_CLIENT_ERROR_ATTEMPTS`` times in all, then dead-lettered.

The bot's token is in every Bot API URL: error texts kept on rows have it replaced, and
httpx's request log is silenced (``registry/logs.py``). Chat ids are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import certifi
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from complaints.models import ContactAddress, OutboxMessage
from complaints.notifications import contacts
from complaints.notifications.failures import DeliveryFailed

log = logging.getLogger(__name__)
T = TypeVar("T")
PAUSE_KEY = "telegram:paused-until"
# The Bot API serves files up to 20 MB to bots (a self-hosted server more).
BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024
UPDATE_TYPES = ["message", "callback_query"]


class NotConfigured(Exception):
    """TELEGRAM_BOT_TOKEN is not set."""


def configured() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN)


def scrub(text: str) -> str:
    """An error text without the bot's token (it is part of every Bot API URL)."""
    token = settings.TELEGRAM_BOT_TOKEN
    return text.replace(token, "<token>") if token else text


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs ~0.1 s, more than the call itself."""
    return ssl.create_default_context(cafile=certifi.where())


def call(op: Callable[[Bot], Awaitable[T]], *, read_timeout: float | None = None) -> T:
    """Run ``op(bot)`` on a fresh event loop against TELEGRAM_API_BASE; the HTTP client is closed after."""
    if not configured():
        raise NotConfigured("TELEGRAM_BOT_TOKEN is not set")
    timeout = float(settings.TELEGRAM_TIMEOUT_SECONDS)
    base = settings.TELEGRAM_API_BASE

    async def run() -> T:
        request = HTTPXRequest(
            connection_pool_size=2,
            connect_timeout=timeout,
            read_timeout=read_timeout or timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
            httpx_kwargs={"verify": _tls()},
        )
        bot = Bot(
            settings.TELEGRAM_BOT_TOKEN,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=request,
            get_updates_request=request,
        )
        try:
            return await op(bot)
        finally:
            await request.shutdown()

    return asyncio.run(run())


# --- what the bot does ------------------------------------------------------------------


def markup(buttons: contacts.Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["data"]) for b in row] for row in buttons]
    )


def send_text(chat_id: str, text: str, buttons: contacts.Buttons | None = None) -> None:
    call(lambda bot: bot.send_message(chat_id=int(chat_id), text=text, reply_markup=markup(buttons or [])))


def answer_callback(callback_id: str) -> None:
    """Stop the button's spinner; best effort (the answer itself comes as a message)."""
    try:
        call(lambda bot: bot.answer_callback_query(callback_id))
    except (TelegramError, NotConfigured) as exc:
        log.info("answerCallbackQuery failed: %s", scrub(str(exc)))


class FileTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def download(file_id: str, max_bytes: int) -> tuple[bytes, str]:
    """The file's bytes and its path on the Bot API server (getFile, then the file URL)."""

    async def fetch(bot: Bot) -> tuple[bytes, str]:
        info = await bot.get_file(file_id)
        if info.file_size and info.file_size > max_bytes:
            raise FileTooLarge(info.file_size)
        data = await info.download_as_bytearray()
        if len(data) > max_bytes:
            raise FileTooLarge(len(data))
        return bytes(data), info.file_path or ""

    return call(fetch)


def get_updates(offset: int | None, timeout: int) -> list[dict[str, Any]]:
    """Raw updates (the same JSON a webhook receives), long-polling up to ``timeout`` seconds."""
    kwargs: dict[str, Any] = {"timeout": timeout, "allowed_updates": UPDATE_TYPES}
    if offset is not None:
        kwargs["offset"] = offset

    async def fetch(bot: Bot) -> list[dict[str, Any]]:
        # The raw JSON, exactly what a webhook receives (the library warns that a typed method exists).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBUserWarning)
            return await bot.do_api_request("getUpdates", api_kwargs=kwargs)

    return call(fetch, read_timeout=timeout + float(settings.TELEGRAM_TIMEOUT_SECONDS))


def set_webhook(url: str, secret: str) -> bool:
    return call(lambda bot: bot.set_webhook(url=url, secret_token=secret, allowed_updates=UPDATE_TYPES))


def delete_webhook() -> bool:
    return call(lambda bot: bot.delete_webhook())


# --- the outbox channel -----------------------------------------------------------------


def paused_until() -> datetime | None:
    until = cache.get(PAUSE_KEY)
    return until if isinstance(until, datetime) and until > timezone.now() else None


def _pause(exc: RetryAfter) -> datetime:
    with warnings.catch_warnings():  # an int today, a timedelta in the next major version: both are read
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
    until = timezone.now() + timedelta(seconds=max(seconds, 1.0))
    cache.set(PAUSE_KEY, until, timeout=int(seconds) + 5)
    return until


def _disable(contact: ContactAddress, reason: str) -> None:
    ContactAddress.objects.filter(pk=contact.pk).update(is_active=False, disabled_reason=reason[:200])


def send_telegram(message: OutboxMessage) -> None:
    contact = message.contact
    if contact is None or not contact.is_active:
        raise DeliveryFailed("the contact address is disabled", skip=True)
    if (until := paused_until()) is not None:
        raise DeliveryFailed("Telegram asked the bot to wait (flood control)", postpone_until=until)
    text, buttons = contacts.message_content(message)
    if not text:
        raise DeliveryFailed("already sent (the sealed text was wiped)", skip=True)
    try:
        send_text(contact.address, text, buttons)
    except NotConfigured as exc:
        raise DeliveryFailed(str(exc)) from None
    except Forbidden as exc:
        _disable(contact, "the filer blocked the bot")
        raise DeliveryFailed(f"403: {scrub(str(exc))}", permanent=True) from None
    except RetryAfter as exc:
        raise DeliveryFailed(scrub(str(exc)), postpone_until=_pause(exc)) from None
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():
            _disable(contact, "the chat no longer exists")
            raise DeliveryFailed(f"400: {scrub(str(exc))}", permanent=True) from None
        raise DeliveryFailed(f"400: {scrub(str(exc))}", max_attempts=settings.OUTBOX_CLIENT_ERROR_ATTEMPTS) from None
    except (NetworkError, TelegramError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {scrub(str(exc))}"[:500]) from None
    contacts.reply_delivered(message)
