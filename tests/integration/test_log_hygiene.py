"""Nothing identifying or secret in any log line of a full run, and one request id from web to worker.

A real gunicorn (two workers, the shipped registry/gunicorn_conf.py) and a real Celery worker,
both with LOG_FORMAT=json at LOG_LEVEL=DEBUG, over the test's PostgreSQL database, a Redis
database of their own, the harness's SMTP server and webhook receiver. The flow: a webhook
subscription; a named complaint filed through the web form and one through the API (name,
email and phone each); the complainant's status lookup with code and secret; a staff reveal
of the reporter; a transition; the receipts by email and the webhooks delivered by the worker;
a request that fails on a URL holding a receipt code. Then every line both processes wrote
is read: each is one JSON object, and none holds a receipt code, a secret, a name, an email,
a phone number, the API key, the webhook secret, the session id or the CSRF token. The API
filing's X-Request-ID is in a web line and in a worker line (the delivery task it caused).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from registry.logs import RECEIPT_CODE_RE
from tests.integration.conftest import (
    WORKER_SETTINGS,
    Mailbox,
    RedisServer,
    _die_with_parent,
    _require_postgresql,
    database_url,
    ensure_role_groups,
    port_open,
    wait_for,
)
from tests.integration.receiver import Receiver
from tests.integration.test_pgbouncer import free_port

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
BROKER_DB = 5  # a Redis database of its own: the harness's session worker never takes these tasks
WEB_PERSON = {"full_name": "Гульнара Сапарова", "email": "gulnara.saparova@example.kz", "phone": "+7 701 555 12 34"}
API_PERSON = {"full_name": "Ержан Тулегенов", "email": "yerzhan.tulegenov@example.kz", "phone": "8 (777) 321-65-43"}


def _seed() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from complaints.models import (
        ApiKey,
        Category,
        Election,
        ElectionKind,
        ElectionStatus,
        PollingStation,
        TerritorialUnit,
        UnitLevel,
    )

    ensure_role_groups()
    kz = TerritorialUnit.objects.create(code="kz", level=UnitLevel.COUNTRY, name_ru="Казахстан")
    station = PollingStation.objects.create(unit=kz, number="512", address="Экибастуз, школа №5")
    election = Election.objects.create(
        slug="hygiene",
        name_ru="Выборы",
        kind=ElectionKind.PRESIDENTIAL,
        voting_day=timezone.localdate(),
        status=ElectionStatus.ACTIVE,
    )
    category = Category.objects.create(code="pressure", name_ru="Давление", default_severity=2)
    admin = get_user_model().objects.create_user("hygiene-admin", password="not-used-1", email="")
    admin.groups.add(Group.objects.get(name="admin"))
    _, key = ApiKey.objects.create_key(name="hygiene", user=admin)
    return {"election": election.pk, "station": station.pk, "category": category.pk, "key": key}


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


@pytest.fixture
def stack(
    transactional_db: None,
    redis_server: RedisServer,
    smtp_server: Mailbox,
    webhook_receiver: Receiver,
    tmp_path: Path,
) -> Iterator[dict[str, Any]]:
    _require_postgresql()
    from tests.integration.conftest import SMTP_PORT

    seed = _seed()
    port = free_port()
    broker = f"redis://127.0.0.1:{redis_server.port}/{BROKER_DB}"
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CELERY_", "EMAIL_", "OUTBOX_", "WEBHOOK_", "LOG_"))
        },
        **WORKER_SETTINGS,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(SMTP_PORT),
        "EMAIL_TIMEOUT": "5",
        "SECRET_KEY": settings.SECRET_KEY,
        "VAR_DIR": str(tmp_path / "var"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        "LANGUAGE_CODE": "en",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
        "DB_CONN_MAX_AGE": "0",
        "OUTBOX_BATCH_SECONDS": "1",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if redis_server.process is None:
        redis_server.start()
    import redis

    redis.Redis.from_url(broker).flushdb()
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    bin_dir = Path(sys.executable).parent
    web = _spawn(
        [str(bin_dir / "gunicorn"), "-c", "python:registry.gunicorn_conf", "registry.wsgi:application"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"],
        env,
        web_log,
    )
    worker = _spawn(
        [sys.executable, "-m", "celery", "-A", "registry", "--quiet", "worker", "--concurrency=2"]
        + [f"--hostname=hygiene-{os.getpid()}@127.0.0.1", "--without-gossip", "--without-mingle"],
        env,
        worker_log,
    )
    try:
        wait_for(lambda: web.poll() is None and port_open(port), 30, f"gunicorn on {port} (log: {web_log})")
        wait_for(
            lambda: worker.poll() is None and b"ready" in worker_log.read_bytes(), 60, f"the worker ({worker_log})"
        )
        yield {
            "url": f"http://127.0.0.1:{port}",
            "seed": seed,
            "web": web,
            "worker": worker,
            "logs": (web_log, worker_log),
        }
    finally:
        _stop(web)
        _stop(worker)


def _file_on_the_web(url: str, seed: dict[str, Any]) -> dict[str, str]:
    session = requests.Session()
    form = session.get(url + reverse("web-file"), headers={"Accept-Language": "en"}, timeout=30)
    assert form.status_code == 200, form.text[:500]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert csrf, "no CSRF token in the form"
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "csrfmiddlewaretoken": csrf.group(1),
        "election": seed["election"],
        "category": seed["category"],
        "station": "512",
        "occurred_at": occurred,
        "description": "The director demands a photo of the ballot from every teacher.",
        "identity": "named",
        **WEB_PERSON,
    }
    filed = session.post(
        url + reverse("web-file"), data=data, headers={"Referer": url + "/"}, timeout=60, allow_redirects=False
    )
    assert filed.status_code == 302, filed.text[:1000]
    # http.cookiejar mangles the receipt cookie's escaped quotes: hand it back as the server wrote it.
    cookie = re.search(r'receipt=("(?:[^"\\]|\\.)*")', filed.headers["Set-Cookie"])
    assert cookie, filed.headers["Set-Cookie"]
    receipt = session.get(url + filed.headers["Location"], headers={"Cookie": f"receipt={cookie.group(1)}"}, timeout=30)
    assert receipt.status_code == 200, receipt.text[:1000]
    code = re.search(r'id="receipt-code"[^>]*>([^<]+)<', receipt.text)
    secret = re.search(r'id="receipt-secret"[^>]*>([^<]+)<', receipt.text)
    assert code, re.findall(r'(?s)class="[^"]*error[^"]*"[^>]*>(.{0,300}?)<', receipt.text) or receipt.text[-3000:]
    assert secret, receipt.text[:2000]
    return {
        "code": code.group(1),
        "secret": secret.group(1),
        "sessionid": session.cookies.get("sessionid") or "",
        "csrftoken": session.cookies.get("csrftoken") or "",
    }


def _api_flow(url: str, seed: dict[str, Any], receiver: Receiver, request_id: str) -> dict[str, str]:
    key = {"Authorization": f"Api-Key {seed['key']}", "Accept-Language": "en"}
    hook = requests.post(f"{url}/api/v1/webhooks/", json={"url": f"{receiver.url}/hook"}, headers=key, timeout=30)
    assert hook.status_code == 201, hook.text[:300]
    receiver.state.secrets["/hook"] = [hook.json()["secret"]]
    payload = {
        "election": seed["election"],
        "category": "pressure",
        "polling_station": seed["station"],
        "occurred_at": (timezone.now() - timedelta(minutes=30)).isoformat(),
        "description": "Observers were not let into the polling station before the count.",
        **API_PERSON,
    }
    filed = requests.post(
        f"{url}/api/v1/complaints/",
        json=payload,
        headers={"X-Request-ID": request_id, "Accept-Language": "en"},
        timeout=60,
    )
    assert filed.status_code == 201, filed.text[:500]
    assert filed.headers["X-Request-ID"] == request_id
    code, secret = filed.json()["code"], filed.json()["secret"]
    status = requests.post(f"{url}/api/v1/status/", json={"code": code, "secret": secret}, timeout=30)
    assert status.status_code == 200, status.text[:300]
    revealed = requests.post(
        f"{url}/api/v1/complaints/{code}/reporter/", json={"purpose": "Checking the witness"}, headers=key, timeout=30
    )
    assert revealed.status_code == 200, revealed.text[:300]
    assert revealed.json()["full_name"] == API_PERSON["full_name"]
    version = requests.get(f"{url}/api/v1/complaints/{code}/", headers=key, timeout=30).json()["version"]
    triaged = requests.post(
        f"{url}/api/v1/complaints/{code}/triage/", json={"version": version}, headers=key, timeout=30
    )
    assert triaged.status_code == 200, triaged.text[:300]
    # Failing requests on URLs that hold the code: Django logs the path of a 401 and a 404.
    assert requests.get(f"{url}/api/v1/complaints/{code}/", timeout=30).status_code == 401
    assert requests.get(f"{url}/api/v1/complaints/{code[:-1]}Z/?secret={secret}", headers=key, timeout=30).status_code
    return {"code": code, "secret": secret, "webhook_secret": hook.json()["secret"]}


# What Celery prints to the console itself, not through logging (its banner is off: --quiet):
# the shutdown notice, and the warning about running as root, issued before logging is set up.
CELERY_CONSOLE = re.compile(
    r"^(worker: (Warm|Cold) shutdown \(MainProcess\)|.*SecurityWarning: You're running the worker with superuser"
    r"|absolutely not recommended!|Please specify a different user using the --uid option\.|User information: uid="
    r"|\s+warnings\.warn\(SecurityWarning)"
)


def _lines(text: str, where: str) -> list[dict[str, Any]]:
    parsed = []
    for line in text.splitlines():
        if not line.strip() or (where == "worker" and CELERY_CONSOLE.match(line)):
            continue
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a {where} log line is not one JSON object: {line[:300]!r}") from None
    return parsed


def _variants(value: str) -> set[str]:
    """The value as written, in other cases, and a phone number's bare digits."""
    found = {value, value.lower(), value.upper()}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 10 and not re.search(r"[A-Za-z]", value):
        found.add(digits)
    return found


def test_no_log_line_of_a_full_flow_holds_identity_codes_or_secrets(
    stack: dict[str, Any], smtp_server: Mailbox, webhook_receiver: Receiver
) -> None:
    from complaints.models import OutboxMessage, OutboxStatus

    url, seed = stack["url"], stack["seed"]
    request_id = f"hygiene-{uuid.uuid4().hex[:12]}"
    web_filing = _file_on_the_web(url, seed)
    api_filing = _api_flow(url, seed, webhook_receiver, request_id)

    def delivered() -> bool:
        mail = smtp_server.to(WEB_PERSON["email"]) and smtp_server.to(API_PERSON["email"])
        events = {(r.payload or {}).get("type") for r in webhook_receiver.state.processed.values()}
        pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()
        return bool(mail) and {"complaint.submitted", "complaint.status_changed"} <= events and not pending

    wait_for(delivered, 60, "the receipts by email and the webhooks")
    assert all(r.verified for r in webhook_receiver.state.requests)
    _stop(stack["web"])  # flushed and complete
    _stop(stack["worker"])
    web_log, worker_log = stack["logs"]
    logs = {"web": web_log.read_text(errors="replace"), "worker": worker_log.read_text(errors="replace")}

    forbidden = {
        "web receipt code": web_filing["code"],
        "web secret": web_filing["secret"],
        "session id": web_filing["sessionid"],
        "CSRF token": web_filing["csrftoken"],
        "API receipt code": api_filing["code"],
        "API secret": api_filing["secret"],
        "webhook secret": api_filing["webhook_secret"],
        "API key": seed["key"],
        **{f"web {k}": v for k, v in WEB_PERSON.items()},
        **{f"API {k}": v for k, v in API_PERSON.items()},
    }
    for where, text in logs.items():
        lines = _lines(text, where)
        assert len(lines) > 20, f"too few {where} lines to judge: {text[:500]}"
        for what, value in forbidden.items():
            for variant in _variants(value) if value else ():
                assert variant not in text, f"the {what} is in the {where} log"
        decoded = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
        leaked = RECEIPT_CODE_RE.search(decoded)
        assert not leaked, f"something shaped like a receipt code in the {where} log: {leaked}"
    web_lines, worker_lines = _lines(logs["web"], "web"), _lines(logs["worker"], "worker")
    assert [x for x in web_lines if x.get("request_id") == request_id and x.get("event") == "request"]
    carried = [x for x in worker_lines if x.get("request_id") == request_id]
    assert carried, "no worker line carries the request id of the filing that caused the delivery"
    assert {x.get("task") for x in carried} & {
        "complaints.notifications.tasks.deliver_email_message",
        "complaints.notifications.tasks.deliver_outbox_message",
    }
    # The access log is gone: no line names a path of the API or the client's address.
    assert not [x for x in web_lines if "/api/v1/complaints/" in json.dumps(x) and x.get("logger") == "gunicorn.access"]
