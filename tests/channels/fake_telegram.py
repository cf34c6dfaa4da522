"""A local stand-in for the Telegram Bot API: a small threaded HTTP server speaking its real shapes.

``POST /bot<token>/<method>`` (form-encoded, as python-telegram-bot sends, or JSON) answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description"[, "parameters"]}``
for sendMessage, getFile, setWebhook, deleteWebhook, getUpdates, answerCallbackQuery,
editMessageReplyMarkup and getMe; ``GET /file/bot<token>/<path>`` serves a file. A wrong
token is 401, as on Telegram. Tests read what the bot sent (``sent``), queue updates for
getUpdates (``queue``), register files (``add_file``) and script failures (``fail_next``).

It also builds the updates Telegram would deliver (``message``, ``photo``, ``press``), with
increasing ``update_id``\\ s.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.stand_in import LocalServer

TOKEN = "123456:TEST-token_for-the-stand-in"


class FakeTelegram(LocalServer):
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.sent: list[dict[str, Any]] = []  # sendMessage calls, parsed
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every method call
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes)
        self.downloads: list[str] = []
        self.webhook: dict[str, Any] = {}
        self.updates: list[dict[str, Any]] = []
        self.failures: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
        self._ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._serve(self._handler())

    # --- what tests script ----------------------------------------------------------

    def add_file(self, data: bytes, path: str = "photos/file_1.jpg") -> str:
        file_id = f"AgAC-{next(self._ids)}"
        self.files[file_id] = (path, data)
        return file_id

    def fail_next(self, method: str, code: int, description: str, **parameters: Any) -> None:
        self.failures.setdefault(method, []).append((code, description, parameters))

    def queue(self, update: dict[str, Any]) -> None:
        self.updates.append(update)

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m["text"] for m in self.sent if chat_id is None or int(m["chat_id"]) == chat_id]

    def buttons(self, index: int = -1) -> list[dict[str, str]]:
        markup = self.sent[index].get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    # --- updates as Telegram delivers them --------------------------------------------

    def _chat(self, chat_id: int, language: str) -> tuple[dict[str, Any], dict[str, Any]]:
        user = {"id": chat_id, "is_bot": False, "first_name": "Observer", "language_code": language}
        return {"id": chat_id, "type": "private", "first_name": "Observer"}, user

    def message(self, chat_id: int, text: str, language: str = "ru", **extra: Any) -> dict[str, Any]:
        chat, user = self._chat(chat_id, language)
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": user}
        if text:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        message.update(extra)
        return {"update_id": next(self._ids), "message": message}

    def photo(self, chat_id: int, data: bytes, caption: str = "", language: str = "ru") -> dict[str, Any]:
        file_id = self.add_file(data)
        sizes = [
            {"file_id": f"{file_id}-thumb", "file_unique_id": "t", "width": 90, "height": 60, "file_size": 900},
            {"file_id": file_id, "file_unique_id": "u", "width": 64, "height": 48, "file_size": len(data)},
        ]
        self.files[f"{file_id}-thumb"] = ("photos/thumb.jpg", data)
        extra: dict[str, Any] = {"photo": sizes}
        if caption:
            extra["caption"] = caption
        return self.message(chat_id, "", language, **extra)

    def press(self, chat_id: int, data: str, language: str = "ru") -> dict[str, Any]:
        chat, user = self._chat(chat_id, language)
        return {
            "update_id": next(self._ids),
            "callback_query": {
                "id": str(next(self._ids)),
                "from": user,
                "chat_instance": "ci",
                "data": data,
                "message": {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "text": "?"},
            },
        }

    # --- the HTTP side ------------------------------------------------------------------

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "sendMessage":
            for key in ("reply_markup",):
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
            self.sent.append(params)
            chat = {"id": int(params["chat_id"]), "type": "private"}
            return {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat,
                "text": params["text"],
            }
        if method == "getFile":
            path, data = self.files[params["file_id"]]
            return {"file_id": params["file_id"], "file_unique_id": "u", "file_size": len(data), "file_path": path}
        if method == "setWebhook":
            self.webhook = {"url": params["url"], "secret_token": params.get("secret_token", "")}
            return True
        if method == "deleteWebhook":
            self.webhook = {}
            return True
        if method == "getUpdates":
            offset = int(params.get("offset", 0) or 0)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            return list(self.updates)
        if method in {"answerCallbackQuery", "editMessageReplyMarkup"}:
            return True
        if method == "getMe":
            return {"id": 123456, "is_bot": True, "first_name": "Registry", "username": "registry_bot"}
        raise KeyError(method)

    def answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and body for one Bot API call, as Telegram would answer it."""
        with self._lock:
            self.calls.append((method, params))
            if token != self.token:
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            if self.failures.get(method):
                code, description, parameters = self.failures[method].pop(0)
                body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
                if parameters:
                    body["parameters"] = parameters
                return code, body
            try:
                return 200, {"ok": True, "result": self._result(method, params)}
            except KeyError as exc:
                return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self, status: int, body: dict[str, Any] | bytes) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type", "application/json" if not isinstance(body, bytes) else "application/octet-stream"
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _params(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if "json" in (self.headers.get("Content-Type") or ""):
                    return json.loads(raw or b"{}")
                return {k: v[0] for k, v in parse_qs(raw.decode()).items()}

            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path)
                prefix = f"/file/bot{fake.token}/"
                if not path.startswith(prefix):
                    self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                wanted = path[len(prefix) :]
                for file_path, data in fake.files.values():
                    if file_path == wanted:
                        fake.downloads.append(wanted)
                        self._answer(200, data)
                        return
                self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                token, _, method = path.removeprefix("/bot").partition("/")
                self._answer(*fake.answer(token, method, self._params()))

        return Handler
