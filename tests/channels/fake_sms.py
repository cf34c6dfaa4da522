"""A local stand-in for an SMS gateway's outbound API: Twilio's Messages resource, in its real shapes.

``POST /2010-04-01/Accounts/<sid>/Messages.json`` (form-encoded ``To``, ``From`` or
``MessagingServiceSid``, ``Body``; basic auth with the account SID and token) answers 201
with a message resource, or Twilio's error body ``{"code", "message", "status"}``. A wrong
account or token is 401, as on Twilio. Tests read what was sent (``sent``) and script
failures (``fail_next``).

It also signs inbound form posts as Twilio does (``twilio_signature``), with the twilio
package's own ``RequestValidator``, and serves an MMS's media as Twilio does:
``GET /2010-04-01/Accounts/<sid>/Messages/<MM sid>/Media/<ME sid>`` with basic auth answers a
redirect to the media store (``/media-store/<id>``, no auth), which serves the bytes
(``add_media`` makes one; ``media_fetches`` counts the authorised fetches).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

from tests.stand_in import LocalServer

ACCOUNT = "AC00000000000000000000000000000001"
TOKEN = "auth-token-of-the-stand-in"
FROM = "+77010000000"


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    return RequestValidator(token).compute_signature(url, params)


class FakeSmsGateway(LocalServer):
    def __init__(self, account: str = ACCOUNT, token: str = TOKEN) -> None:
        self.account, self.token = account, token
        self.sent: list[dict[str, str]] = []
        self.failures: list[tuple[int, dict[str, Any]]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_fetches = 0
        self._serve(self._handler())

    @property
    def messages_url(self) -> str:
        return f"{self.base}/2010-04-01/Accounts/{self.account}/Messages.json"

    def add_media(self, data: bytes, content_type: str) -> str:
        """The MediaUrl of a new media item of an inbound MMS."""
        media_id = f"ME{next(self._ids):032d}"
        self.media[media_id] = (data, content_type)
        return f"{self.base}/2010-04-01/Accounts/{self.account}/Messages/MM{'0' * 32}/Media/{media_id}"

    def fail_next(self, status: int, code: int = 0, message: str = "failed") -> None:
        self.failures.append((status, {"code": code, "message": message, "status": status}))

    def texts(self, to: str | None = None) -> list[str]:
        return [m["Body"] for m in self.sent if to is None or m["To"] == to]

    def _serve_media(self, request: Any) -> None:
        """Twilio's media URL (basic auth) redirects to the media store, which serves the bytes."""
        expected = "Basic " + base64.b64encode(f"{self.account}:{self.token}".encode()).decode()
        media_id = request.path.rsplit("/", 1)[-1]
        if request.path.startswith("/media-store/") and media_id in self.media:
            data, content_type = self.media[media_id]
            request.send_response(200)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        elif f"/Accounts/{self.account}/Messages/" in request.path and media_id in self.media:
            if request.headers.get("Authorization") != expected:
                request._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                return
            with self._lock:
                self.media_fetches += 1
            request.send_response(307)
            request.send_header("Location", f"{self.base}/media-store/{media_id}")
            request.send_header("Content-Length", "0")
            request.end_headers()
        else:
            request._answer(404, {"code": 20404, "message": "not found", "status": 404})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                fake._serve_media(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                expected = "Basic " + base64.b64encode(f"{fake.account}:{fake.token}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return
                if self.path != f"/2010-04-01/Accounts/{fake.account}/Messages.json":
                    self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                    return
                with fake._lock:
                    failure = fake.failures.pop(0) if fake.failures else None
                    if failure is None:
                        fake.sent.append(form)
                if failure is not None:
                    self._answer(*failure)
                    return
                sid = f"SM{next(fake._ids):032d}"
                self._answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": fake.account,
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "status": "queued",
                        "num_segments": "1",
                    },
                )

        return Handler
