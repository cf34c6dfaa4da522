"""A real webhook receiver on 127.0.0.1, the way a careful API client would write one.

It verifies every request with ``standardwebhooks`` (401 if no signature matches),
processes each ``webhook-id`` once (a redelivery is answered 200 but not processed
again), and records every request. Tests can script answers per path (e.g. 500 then
200, or 410). Run as a script it serves until killed and reports ``GET /stats`` as
JSON; the notification benchmark uses it that way.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Request:
    path: str
    webhook_id: str
    status: int
    verified: bool
    received_at: float
    payload: dict[str, Any] | None


@dataclass
class ReceiverState:
    secrets: dict[str, list[str]] = field(default_factory=dict)  # path -> accepted secrets
    scripts: dict[str, list[int | tuple[int, dict[str, str]]]] = field(default_factory=lambda: defaultdict(list))
    delay: float = 0.0
    requests: list[Request] = field(default_factory=list)
    processed: dict[str, Request] = field(default_factory=dict)  # webhook-id -> first 2xx request
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.secrets.clear()
            self.scripts.clear()
            self.delay = 0.0
            self.requests.clear()
            self.processed.clear()

    def redeliveries(self) -> int:
        with self.lock:
            return sum(1 for r in self.requests if 200 <= r.status < 300) - len(self.processed)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            latencies = []
            for r in self.processed.values():
                sent = (r.payload or {}).get("timestamp")
                if sent:
                    from datetime import datetime

                    latencies.append(r.received_at - datetime.fromisoformat(sent).timestamp())
            times = [r.received_at for r in self.processed.values()]
            return {
                "requests": len(self.requests),
                "processed": len(self.processed),
                "unverified": sum(1 for r in self.requests if not r.verified),
                "first": min(times) if times else None,
                "last": max(times) if times else None,
                "latencies": latencies,
            }


def _verify(state: ReceiverState, path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any] | None:
    for secret in state.secrets.get(path, []):
        try:
            return Webhook(secret).verify(body, headers)  # type: ignore[no-any-return]
        except WebhookVerificationError:
            continue
    return None


def make_handler(state: ReceiverState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the sender's pool expects

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/stats":
                self._answer(200, json.dumps(state.stats()).encode(), {"Content-Type": "application/json"})
            else:
                self._answer(404)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received_at = time.time()
            if state.delay:
                time.sleep(state.delay)
            headers = {k.lower(): v for k, v in self.headers.items()}
            payload = _verify(state, self.path, body, headers)
            extra: dict[str, str] = {}
            with state.lock:
                if payload is None:
                    status = 401
                elif state.scripts[self.path]:
                    step = state.scripts[self.path].pop(0)
                    status, extra = step if isinstance(step, tuple) else (step, {})
                else:
                    status = 200
                webhook_id = headers.get("webhook-id", "")
                request = Request(self.path, webhook_id, status, payload is not None, received_at, payload)
                state.requests.append(request)
                if 200 <= status < 300 and webhook_id not in state.processed:
                    state.processed[webhook_id] = request  # process once; later copies are acknowledged only
            self._answer(status, b"", extra)

    return Handler


class Receiver:
    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.state = ReceiverState()
        self.server = ThreadingHTTPServer((host, port), make_handler(self.state))
        self.server.daemon_threads = True
        self.url = f"http://{host}:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/hook")
    parser.add_argument("--secret", action="append", required=True)
    args = parser.parse_args()
    receiver = Receiver(args.port)
    receiver.state.secrets[args.path] = args.secret
    print(f"receiver listening on {receiver.url}{args.path}", flush=True)
    receiver.server.serve_forever()


if __name__ == "__main__":
    main()
