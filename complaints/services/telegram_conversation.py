"""The Telegram bot's conversation: file a complaint in a few steps, and answer the reviewers from the chat.

/start -> election (buttons) -> category (buttons, by group) -> polling station by number
(looked up), or the place in words -> when (now, a time today, or a date and time) -> what
happened -> photos and videos (each checked as the web checks them) -> confirm -> filed by
``complaint_file`` (channel telegram, anonymous), the chat following the complaint. The
receipt code and the follow-up secret come back in the chat, once.

Outside a filing, a message in a chat whose complaint awaits an answer (needs info) is
that answer (``complaint_answer``: text, and the file it carries); a file sent alone is
added to that complaint as evidence. ``/status`` lists the chat's complaints, ``/stop``
ends the updates, ``/language`` picks ru, kk or en (otherwise Telegram's language).

Everything runs inside the caller's transaction (``telegram_updates``); every answer is
an outbox row (``outbox_reply``), delivered by the worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.access import ComplainantActor
from complaints.errors import ServiceError, ValidationFailed, WorkflowError
from complaints.models import (
    Category,
    Channel,
    Complaint,
    ComplaintContact,
    ContactAddress,
    ContactKind,
    Election,
    PollingStation,
    Status,
    TelegramConversation,
    localized,
)
from complaints.notifications.contacts import Buttons
from complaints.notifications.outbox import outbox_reply
from complaints.services.channels import complaint_follow, contact_address_get_or_create, contact_unfollow_all
from complaints.services.evidence import evidence_attach, evidence_inspect
from complaints.services.filing import complaint_file, occurred_at_check
from complaints.services.transitions import complaint_answer
from complaints.sizes import over_limit

LANGUAGES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
# As many files as the web form takes at once (a test checks the two agree).
MAX_FILES = 10
PLACE_MAX_LENGTH = 300

ELECTION, CATEGORY, STATION, WHEN, WHAT, MEDIA, CONFIRM = (
    "election",
    "category",
    "station",
    "when",
    "what",
    "media",
    "confirm",
)
CONFIRM_YES = "cf:yes"
# Where a refusal at filing sends the conversation back to (ValidationFailed.field -> step).
STEP_OF_FIELD = {
    "election": ELECTION,
    "category": CATEGORY,
    "place_text": STATION,
    "unit": STATION,
    "polling_station": STATION,
    "occurred_at": WHEN,
    "description": WHAT,
    "files": MEDIA,
}


@dataclass
class FileRef:
    """A file in a message: Telegram's id for it, a name to keep, its size as Telegram says."""

    file_id: str
    name: str
    size: int


@dataclass
class Incoming:
    """What one update says, as the conversation needs it (parsed with python-telegram-bot's types)."""

    chat_id: str
    telegram_language: str
    text: str = ""
    command: str = ""
    callback: str = ""
    callback_id: str = ""
    file: FileRef | None = None
    upload: UploadedFile | None = None
    file_error: str = ""
    confirm_uploads: list[UploadedFile] = field(default_factory=list)


def language_of(code: str) -> str:
    code = (code or "").lower()[:2]
    return code if code in LANGUAGES else settings.LANGUAGE_CODE


def too_large_text(name: str, size: int, limit: int) -> str:
    return _("“%(name)s” is %(size)s MB; the bot can take files up to %(limit)s MB.") % {
        "name": name,
        **over_limit(size, limit),
    }


@dataclass
class Turn:
    """One update being handled: the chat's conversation (locked) and what came in."""

    conversation: TelegramConversation
    incoming: Incoming

    @property
    def contact(self) -> ContactAddress:
        return self.conversation.contact

    @property
    def data(self) -> dict[str, Any]:
        return self.conversation.data

    def say(self, text: str, buttons: Buttons | None = None) -> None:
        outbox_reply(contact=self.contact, text=text, buttons=buttons)

    def go(self, step: str) -> None:
        self.conversation.step = step


def handle(incoming: Incoming) -> None:
    """Apply one update to its chat's conversation (in the caller's transaction)."""
    language = language_of(incoming.telegram_language)
    contact = contact_address_get_or_create(kind=ContactKind.TELEGRAM, address=incoming.chat_id, language=language)
    conv, _created = TelegramConversation.objects.select_for_update().get_or_create(
        contact=contact, defaults={"language": language}
    )
    conv.contact = contact
    if not conv.language_chosen and conv.language != language:
        conv.language = language
    if contact.language != conv.language:
        ContactAddress.objects.filter(pk=contact.pk).update(language=conv.language)
        contact.language = conv.language
    turn = Turn(conv, incoming)
    with translation.override(conv.language):
        if conv.step and conv.expires_at is not None and conv.expires_at < timezone.now():
            _reset(turn)
            if not incoming.command:
                turn.say(_("The unfinished complaint was forgotten after a long pause. Send /start to begin again."))
                conv.save()
                return
        _dispatch(turn)
    conv.expires_at = timezone.now() + timedelta(minutes=settings.TELEGRAM_CONVERSATION_MINUTES) if conv.step else None
    conv.save()


def _reset(turn: Turn) -> None:
    turn.conversation.step, turn.conversation.data = "", {}


def _dispatch(turn: Turn) -> None:
    incoming = turn.incoming
    commands = {
        "/start": _start,
        "/new": _start,
        "/cancel": _cancel,
        "/language": _ask_language,
        "/status": _status,
        "/stop": _stop,
        "/help": _help,
    }
    if incoming.command:
        commands.get(incoming.command, _help)(turn)
    elif incoming.callback.startswith("lg:"):
        _set_language(turn, incoming.callback[3:])
    elif incoming.callback:
        _on_button(turn, incoming.callback)
    elif turn.conversation.step:
        _on_message(turn)
    else:
        _follow_up(turn)


# --- commands -----------------------------------------------------------------------


def _start(turn: Turn) -> None:
    _reset(turn)
    elections = list(selectors.filing_elections())
    if not elections:
        turn.say(_("No election takes complaints right now."))
        return
    turn.go(ELECTION)
    turn.say(
        _(
            "Let's file a complaint. You file anonymously: no name or phone number is asked. "
            "Send /cancel at any time to stop.\n\nWhich election is it about?"
        ),
        [[{"text": localized(e, "name"), "data": f"el:{e.pk}"}] for e in elections],
    )


def _cancel(turn: Turn) -> None:
    _reset(turn)
    turn.say(_("Stopped; nothing was filed. Send /start to file a complaint."))


def _help(turn: Turn) -> None:
    turn.say(
        _(
            "This bot files complaints about electoral violations.\n\n"
            "/start: file a complaint\n/status: your complaints and their status\n"
            "/language: change the language\n/stop: no more updates in this chat\n/cancel: stop filing"
        )
    )


def _ask_language(turn: Turn) -> None:
    turn.say(_("Choose a language:"), [[{"text": name, "data": f"lg:{code}"} for code, name in LANGUAGES.items()]])


def _set_language(turn: Turn, code: str) -> None:
    if code not in LANGUAGES:
        _ask_language(turn)
        return
    conv = turn.conversation
    conv.language, conv.language_chosen = code, True
    ContactAddress.objects.filter(pk=turn.contact.pk).update(language=code)
    turn.contact.language = code
    with translation.override(code):
        turn.say(_("The bot now speaks English."))
        if conv.step:
            _ask(turn, conv.step)


def _followed(turn: Turn) -> list[Complaint]:
    follows = ComplaintContact.objects.filter(contact=turn.contact).select_related("complaint")
    return sorted((f.complaint for f in follows), key=lambda c: c.updated_at, reverse=True)


def _status(turn: Turn) -> None:
    complaints = _followed(turn)
    if not complaints:
        turn.say(_("No complaint sends its updates to this chat. Send /start to file one."))
        return
    lines = [f"{c.code}: {Status(c.status).label}" for c in complaints[:20]]
    turn.say(_("Your complaints:") + "\n" + "\n".join(lines))


def _stop(turn: Turn) -> None:
    count = contact_unfollow_all(contact=turn.contact)
    _reset(turn)
    turn.say(
        _("No more updates will come to this chat (complaints: %(count)s). You can still follow them on the web.")
        % {"count": count}
    )


# --- the filing steps ---------------------------------------------------------------


def _ask(turn: Turn, step: str) -> None:
    """Ask the question of ``step`` again (after a refusal, a language change or an old button)."""
    turn.go(step)
    if step == ELECTION:
        _start(turn)
    elif step == CATEGORY:
        _ask_category(turn, None)
    elif step == STATION:
        turn.say(_("Send the number of the polling station (for example 512), or describe the place in words."))
    elif step == WHEN:
        turn.say(
            _("When did it happen? Press “Just now”, or send the time (14:30 for today, or 03.04 14:30)."),
            [[{"text": _("Just now"), "data": "wh:now"}]],
        )
    elif step == WHAT:
        turn.say(_("What happened? Describe it in your own words: who, what, how."))
    elif step == MEDIA:
        turn.say(
            _("Send photos or videos if you have them (as photos, videos or files). Press “Done” when finished."),
            [[{"text": _("Done"), "data": "md:done"}]],
        )
    elif step == CONFIRM:
        _ask_confirm(turn)


def _ask_category(turn: Turn, group: Category | None) -> None:
    categories = list(selectors.filing_categories())
    if group is None:
        parents = {c.parent_id for c in categories if c.parent_id}
        tops = [c for c in categories if c.parent_id is None]
        rows = [
            [
                {
                    "text": (f"{c.name} …" if c.pk in parents else c.name),
                    "data": f"{'cg' if c.pk in parents else 'ct'}:{c.pk}",
                }
            ]
            for c in tops
        ]
        turn.say(_("What kind of violation was it?"), rows)
        return
    rows = [[{"text": c.name, "data": f"ct:{c.pk}"}] for c in categories if c.parent_id == group.pk]
    rows.append([{"text": _("« Back"), "data": "cg:0"}])
    turn.say(group.name, rows)


def _on_button(turn: Turn, data: str) -> None:
    kind, _sep, value = data.partition(":")
    step = turn.conversation.step
    expected = {"el": ELECTION, "cg": CATEGORY, "ct": CATEGORY, "ps": STATION, "wh": WHEN, "md": MEDIA, "cf": CONFIRM}
    if expected.get(kind) != step:
        if step:
            _ask(turn, step)  # a button of an earlier question
        else:
            _help(turn)
        return
    if kind == "el" and (election := selectors.filing_elections().filter(pk=_int(value)).first()):
        turn.data["election"] = election.pk
        turn.go(CATEGORY)
        _ask_category(turn, None)
    elif kind == "cg":
        _ask_category(turn, selectors.filing_categories().filter(pk=_int(value)).first())
    elif kind == "ct" and (category := selectors.filing_categories().filter(pk=_int(value)).first()):
        turn.data["category"] = category.pk
        _ask(turn, STATION)
    elif kind == "ps" and (station := PollingStation.objects.filter(pk=_int(value)).first()):
        turn.data.update(station=station.pk, place="")
        _ask(turn, WHEN)
    elif kind == "wh":
        turn.data["occurred_at"] = timezone.now().isoformat()
        _ask(turn, WHAT)
    elif kind == "md":
        _ask(turn, CONFIRM)
    elif data == CONFIRM_YES:
        _file(turn)
    elif kind == "cf":
        _start(turn)
    else:
        _ask(turn, step)


def _picked(data: dict[str, Any], key: str) -> int:
    """The id an earlier answer picked (0 if none)."""
    value = data.get(key)
    return value if isinstance(value, int) else 0


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _on_message(turn: Turn) -> None:
    step, text = turn.conversation.step, turn.incoming.text
    if step == MEDIA and (turn.incoming.file or turn.incoming.file_error):
        _on_file(turn)
    elif step == STATION and text:
        _on_place(turn, text)
    elif step == WHEN and text:
        _on_when(turn, text)
    elif step == WHAT and text:
        turn.data["description"] = text
        _ask(turn, MEDIA)
    else:
        _ask(turn, step)


STATION_NUMBER = re.compile(r"^[№#]?\s*(\d{1,8}[a-zA-Zа-яА-Я]?)$")


def _on_place(turn: Turn, text: str) -> None:
    number = STATION_NUMBER.match(text.strip())
    if number is None:
        if len(text.strip()) < 3:
            _ask(turn, STATION)
            return
        turn.data.update(station=None, place=text.strip()[:PLACE_MAX_LENGTH])
        _ask(turn, WHEN)
        return
    term = number.group(1)
    found = [s for s in selectors.polling_station_search(query=term, limit=20) if s.number.lower() == term.lower()]
    if len(found) == 1:
        turn.data.update(station=found[0].pk, place="")
        turn.say(
            _("Polling station №%(number)s: %(address)s.") % {"number": found[0].number, "address": found[0].address}
        )
        _ask(turn, WHEN)
    elif found:
        turn.say(
            _("There are several polling stations №%(number)s. Which one?") % {"number": term},
            [[{"text": f"№{s.number}: {s.address[:48]}", "data": f"ps:{s.pk}"}] for s in found[:8]],
        )
    else:
        turn.say(
            _("No polling station №%(number)s is known. Send another number, or describe the place in words.")
            % {"number": term}
        )


TIME_TODAY = re.compile(r"^(\d{1,2})[:.](\d{2})$")
DATE_TIME = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?\s+(\d{1,2})[:.](\d{2})$")


def parse_when(text: str, now: datetime) -> datetime | None:
    """14:30 (today), 03.04 14:30 or 03.04.2011 14:30, in local time; None if it is none of these."""
    local = timezone.localtime(now)
    text = text.strip()
    try:
        if m := TIME_TODAY.match(text):
            return local.replace(hour=int(m[1]), minute=int(m[2]), second=0, microsecond=0)
        if m := DATE_TIME.match(text):
            year = int(m[3]) if m[3] else local.year
            year = year + 2000 if year < 100 else year
            return local.replace(
                year=year, month=int(m[2]), day=int(m[1]), hour=int(m[4]), minute=int(m[5]), second=0, microsecond=0
            )
    except ValueError:  # 31.02, 25:00
        return None
    return None


def _on_when(turn: Turn, text: str) -> None:
    when = parse_when(text, timezone.now())
    if when is None:
        turn.say(_("I did not understand the time. Send it as 14:30, or as 03.04 14:30, or press “Just now”."))
        return
    election = Election.objects.filter(pk=_picked(turn.data, "election")).first()
    if election is not None:
        try:
            occurred_at_check(election=election, occurred_at=when)
        except ValidationFailed as exc:
            turn.say(exc.message)
            return
    turn.data["occurred_at"] = when.isoformat()
    _ask(turn, WHAT)


def _on_file(turn: Turn) -> None:
    incoming = turn.incoming
    files = turn.data.setdefault("files", [])
    if incoming.file_error:
        turn.say(incoming.file_error)
        return
    if len(files) >= MAX_FILES:
        turn.say(_("That is %(max)s files already, as many as one complaint takes at once.") % {"max": MAX_FILES})
        return
    assert incoming.file is not None
    assert incoming.upload is not None
    try:
        inspected = evidence_inspect(incoming.upload)
    except ServiceError as exc:
        turn.say(exc.message)
        return
    files.append(
        {"id": incoming.file.file_id, "name": inspected.name, "sha256": inspected.sha256, "size": inspected.size}
    )
    turn.say(
        _("Received “%(name)s” (SHA-256 %(hash)s…). Send more, or press “Done”.")
        % {"name": inspected.name, "hash": inspected.sha256[:16]},
        [[{"text": _("Done"), "data": "md:done"}]],
    )


def _summary(turn: Turn) -> str:
    data = turn.data
    election = Election.objects.filter(pk=_picked(data, "election")).first()
    category = Category.objects.filter(pk=_picked(data, "category")).first()
    station = PollingStation.objects.filter(pk=_picked(data, "station")).first() if data.get("station") else None
    place = _("polling station №%(number)s") % {"number": station.number} if station else data.get("place", "")
    when = datetime.fromisoformat(data["occurred_at"]) if data.get("occurred_at") else None
    description = data.get("description", "")
    return "\n".join(
        [
            _("Election: %(value)s") % {"value": localized(election, "name") if election else "—"},
            _("Violation: %(value)s") % {"value": category.name if category else "—"},
            _("Place: %(value)s") % {"value": place or "—"},
            _("When: %(value)s") % {"value": timezone.localtime(when).strftime("%d.%m.%Y %H:%M") if when else "—"},
            _("What happened: %(value)s") % {"value": description[:300] + ("…" if len(description) > 300 else "")},
            _("Files: %(count)s") % {"count": len(data.get("files", []))},
        ]
    )


def _ask_confirm(turn: Turn) -> None:
    turn.say(
        _("Please check:") + "\n\n" + _summary(turn) + "\n\n" + _("Send it to the reviewers? It is filed anonymously."),
        [[{"text": _("Send"), "data": CONFIRM_YES}, {"text": _("Start over"), "data": "cf:restart"}]],
    )


def _uploads(turn: Turn) -> list[UploadedFile] | None:
    """The files fetched for this confirmation, in the conversation's order; None if they no longer match."""
    wanted = [f["id"] for f in turn.data.get("files", [])]
    fetched = {getattr(u, "telegram_file_id", None): u for u in turn.incoming.confirm_uploads}
    if set(wanted) - set(fetched):
        return None
    return [fetched[i] for i in wanted]


def _file(turn: Turn) -> None:
    data = turn.data
    uploads = _uploads(turn)
    if uploads is None:
        _ask(turn, CONFIRM)
        return
    election = Election.objects.filter(pk=_picked(data, "election")).first()
    category = Category.objects.filter(pk=_picked(data, "category")).first()
    if election is None or category is None or not data.get("occurred_at"):
        _start(turn)
        return
    try:
        with transaction.atomic():
            filing = complaint_file(
                election=election,
                category=category,
                polling_station=PollingStation.objects.filter(pk=_picked(data, "station")).first()
                if data.get("station")
                else None,
                place_text=data.get("place", ""),
                occurred_at=datetime.fromisoformat(data["occurred_at"]),
                description=data.get("description", ""),
                channel=Channel.TELEGRAM,
                anonymous=True,
                language=turn.conversation.language,
                files=uploads,
            )
            complaint_follow(complaint=filing.complaint, contact=turn.contact)
    except ServiceError as exc:
        turn.say(exc.message)
        if exc.field == "files":
            data["files"] = []  # send them again
        _ask(turn, STEP_OF_FIELD.get(exc.field or "", CONFIRM))
        return
    _reset(turn)
    turn.say(
        _(
            "Your complaint is filed.\n\nReceipt code: %(code)s\nFollow-up secret: %(secret)s\n\n"
            "The secret is shown only this once. With the code and the secret you can follow the "
            "complaint at %(site)s/status/.\n\nStatus changes and the reviewers' questions will come to "
            "this chat; reply here to answer them. /stop ends the updates.\n\n"
            "If someone else may look at this phone, write the code and the secret down somewhere safe "
            "and delete this chat."
        )
        % {"code": filing.complaint.code, "secret": filing.secret, "site": settings.SITE_URL}
    )


# --- follow-up: answers from the chat -----------------------------------------------


def _follow_up(turn: Turn) -> None:
    """A message outside a filing: the answer to a pending question, a file for it, or help."""
    incoming = turn.incoming
    waiting = [c for c in _followed(turn) if c.status == Status.NEEDS_INFO]
    if not waiting:
        if incoming.file or incoming.file_error:
            turn.say(_("To file a new complaint with this file, send /start first."))
        else:
            _help(turn)
        return
    if incoming.file_error:
        turn.say(incoming.file_error)
        return
    complaint = waiting[0]
    actor = ComplainantActor(complaint_id=complaint.pk)
    try:
        with transaction.atomic():
            if incoming.text:
                files = [incoming.upload] if incoming.upload is not None else []
                complaint_answer(complaint=complaint, actor=actor, comment=incoming.text, files=files)
                turn.say(
                    _("Thank you. Your answer was sent to the reviewers (complaint %(code)s).")
                    % {"code": complaint.code}
                )
            elif incoming.upload is not None:
                evidence_attach(complaint=complaint, upload=incoming.upload, actor=actor)
                turn.say(
                    _("The file was added to complaint %(code)s. Now send your answer as text.")
                    % {"code": complaint.code}
                )
    except (ServiceError, WorkflowError) as exc:
        turn.say(getattr(exc, "message", None) or str(exc))


__all__ = ["CONFIRM_YES", "FileRef", "Incoming", "handle", "language_of", "parse_when", "too_large_text"]
