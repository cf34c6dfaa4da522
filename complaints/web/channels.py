"""Inbound channel endpoints: the Telegram webhook and the SMS gateways' endpoints.

The webhook checks ``X-Telegram-Bot-Api-Secret-Token`` against TELEGRAM_WEBHOOK_SECRET in
constant time (403 otherwise), keeps the update once per ``update_id`` and answers 200 at
once: the update is processed by a worker (``services.telegram_update_process``), so a slow
Bot API or a large photo never makes Telegram wait and retry. Nothing from the update is
logged. With the bot not configured, the endpoint does not exist (404).

An SMS gateway posts each message to ``/channels/sms/<name>/`` (``SMS_GATEWAYS``; a name
not configured is 404): SMSSync and FrontlineSMS style (form fields ``from``, ``message``,
``message_id``, ``secret``; the secret compared in constant time) or Twilio style (``From``,
``Body``, ``MessageSid``; ``X-Twilio-Signature`` checked with the twilio package's
``RequestValidator``). A bad secret or signature is 403. The message is handled at once
(``services.sms_receive``; an MMS's media fetched from the gateway first: ``_twilio_media``)
and the reply goes back in the answer, as SMSSync's
``{"payload": {"success": true, "task": "send", "messages": [...]}}`` or as TwiML.
Neither the number nor the text is logged.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from complaints import services
from complaints.services.sms import MAX_MEDIA, Inbound

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


TWILIO_SIGNATURE = "X-Twilio-Signature"


@csrf_exempt
@require_POST
def sms_gateway(request: HttpRequest, gateway: str) -> HttpResponse:
    config = settings.SMS_GATEWAYS.get(gateway)
    if not config:
        raise Http404(_("No SMS gateway of this name is configured."))
    if config["kind"] == "twilio":
        return _twilio(request, gateway, config)
    return _smssync(request, gateway, config)


def _smssync(request: HttpRequest, gateway: str, config: dict[str, str]) -> HttpResponse:
    """SMSSync / FrontlineSMS: the shared secret in the form; the reply as SMSSync's task=send."""
    given = request.POST.get("secret", "")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), config["secret"].encode("utf-8")):
        return JsonResponse({"payload": {"success": False, "error": _("The secret is missing or wrong.")}}, status=403)
    sender, text = request.POST.get("from", "").strip(), request.POST.get("message", "")
    if not sender:
        return JsonResponse({"payload": {"success": False, "error": _("The message has no sender.")}}, status=400)
    reply = services.sms_receive(
        Inbound(gateway=gateway, sender=sender, text=text, message_id=request.POST.get("message_id", "").strip())
    )
    return JsonResponse(
        {"payload": {"success": True, "error": None, "task": "send", "messages": [{"to": sender, "message": reply}]}}
    )


def _twiml(text: str = "", status: int = 200) -> HttpResponse:
    response = MessagingResponse()
    if text:
        response.message(text)
    return HttpResponse(str(response), content_type="text/xml; charset=utf-8", status=status)


def _twilio(request: HttpRequest, gateway: str, config: dict[str, str]) -> HttpResponse:
    """A Twilio-compatible form post, signed over the URL and the sorted fields; the reply as TwiML."""
    url = config.get("url") or request.build_absolute_uri()
    signature = request.headers.get(TWILIO_SIGNATURE, "")
    if not signature or not RequestValidator(config["secret"]).validate(url, request.POST, signature):
        return HttpResponse(_("The signature is missing or wrong."), content_type="text/plain", status=403)
    sender, text = request.POST.get("From", "").strip(), request.POST.get("Body", "")
    if not sender:
        return HttpResponse(_("The message has no sender."), content_type="text/plain", status=400)
    message_id = (request.POST.get("MessageSid") or request.POST.get("SmsSid") or "").strip()
    files, lost = _twilio_media(request, config)
    inbound = Inbound(
        gateway=gateway, sender=sender, text=text, message_id=message_id, files=tuple(files), lost_files=lost
    )
    return _twiml(services.sms_receive(inbound))


def _twilio_media(request: HttpRequest, config: dict[str, str]) -> tuple[list[Any], int]:
    """An MMS's photos and videos (``NumMedia``, ``MediaUrl<n>``, ``MediaContentType<n>``), fetched from
    the gateway with the account SID of the post and the gateway's token (the signature is checked)."""
    try:
        count = min(int(request.POST.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    urls = [
        (request.POST.get(f"MediaUrl{n}", ""), request.POST.get(f"MediaContentType{n}", ""))
        for n in range(count)
        if request.POST.get(f"MediaUrl{n}")
    ]
    if not urls:
        return [], 0
    return services.sms_media_fetch(
        urls,
        host=config.get("media_host") or "api.twilio.com",
        account=request.POST.get("AccountSid", ""),
        token=config["secret"],
    )
