"""A local stand-in for an SMS gateway's outbound API: Twilio's Messages resource, in its real shapes.

``POST /2010-04-01/Accounts/<sid>/Messages.json`` (form-encoded ``To``, ``From`` or
``MessagingServiceSid``, ``Body``; basic auth with the account SID and token) answers 201
with a message resource, or Twilio's error body ``{"code", "message", "status"}``. A wrong
account or token is 401, as on Twilio. Tests read what was sent (``sent``) and script
failures (``fail_next``).

It also signs inbound form posts as Twilio does (``twilio_signature``), with the twilio
package's own ``RequestValidator``.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

ACCOUNT = "AC00000000000000000000000000000001"
TOKEN = "auth-token-of-the-stand-in"
FROM = "+77010000000"


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    return RequestValidator(token).compute_signature(url, params)


class FakeSmsGateway:
    def __init__(self, account: str = ACCOUNT, token: str = TOKEN) -> None:
        self.account, self.token = account, token
        self.sent: list[dict[str, str]] = []
        self.failures: list[tuple[int, dict[str, Any]]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def messages_url(self) -> str:
        return f"{self.base}/2010-04-01/Accounts/{self.account}/Messages.json"

    def start(self) -> FakeSmsGateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, status: int, code: int = 0, message: str = "failed") -> None:
        self.failures.append((status, {"code": code, "message": message, "status": status}))

    def texts(self, to: str | None = None) -> list[str]:
        return [m["Body"] for m in self.sent if to is None or m["To"] == to]

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
