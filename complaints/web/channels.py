"""Inbound channel endpoints: the Telegram webhook (the SMS gateways' endpoints will sit beside it).

The webhook checks ``X-Telegram-Bot-Api-Secret-Token`` against TELEGRAM_WEBHOOK_SECRET in
constant time (403 otherwise), keeps the update once per ``update_id`` and answers 200 at
once: the update is processed by a worker (``services.telegram_update_process``), so a slow
Bot API or a large photo never makes Telegram wait and retry. Nothing from the update is
logged. With the bot not configured, the endpoint does not exist (404).
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from complaints import services

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


def _refusal(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest) -> JsonResponse:
    expected = settings.TELEGRAM_WEBHOOK_SECRET
    if not settings.TELEGRAM_BOT_TOKEN or not expected:
        raise Http404(_("The Telegram bot is not configured."))
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8")):
        return _refusal(403, "forbidden", _("The secret token is missing or wrong."))
    try:
        update = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _refusal(400, "invalid", _("The body must be a Telegram update in JSON."))
    if not isinstance(update, dict):
        return _refusal(400, "invalid", _("The body must be a Telegram update in JSON."))
    try:
        row = services.telegram_update_receive(update=update)
    except ValueError:
        return _refusal(400, "invalid", _("The update has no integer update_id."))
    return JsonResponse({"ok": True, "duplicate": row is None})
