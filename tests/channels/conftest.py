"""Fixtures for the Telegram channel: the Bot API stand-in, the bot configured against it, a chat."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse

from tests.channels.fake_telegram import TOKEN, FakeTelegram

WEBHOOK_SECRET = "s3cret-Token_for-the-webhook"
CHAT_ID = 777000111


@pytest.fixture
def bot_api(settings: Any) -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    settings.TELEGRAM_API_BASE = fake.base
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.TELEGRAM_TIMEOUT_SECONDS = 5
    yield fake
    fake.stop()


@pytest.fixture
def telegram_post(client: Any, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """POST an update to the webhook as Telegram does; the worker's processing and deliveries run after commit."""

    def post(update: dict[str, Any], secret: str = WEBHOOK_SECRET) -> Any:
        headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("telegram-webhook"), data=update, content_type="application/json", **headers)

    return post
