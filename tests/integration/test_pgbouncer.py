"""The registry through PgBouncer in transaction-pooling mode: no session state, no prepared statements.

A private ``pgbouncer`` (Debian's package) of this test's own, on a free port, with its own
ini and userlist in a temporary folder: the shipped deploy/pgbouncer/pgbouncer.ini (the one
docker-compose.yml runs: ``pool_mode = transaction``, SCRAM auth) pointed at a fresh
database on the shared PostgreSQL (127.0.0.1:5432, user postgres), with two server
connections per pool. The system's pgbouncer service is never touched. Every
manage.py command and the workload run in subprocesses with DATABASE_URL pointing at the
pooler and ``DB_POOLER=transaction`` (registry/settings.py): migrate, seed_demo, then
four threads filing complaints with evidence through the API while others walk them
through transitions and read the queue (API and web page), an outbox sweep delivering
signed webhooks to a receiver in this process, a signed checkpoint and verify_audit
(QuerySet.iterator(): server-side cursors must be off).

Prepared statements: the same statements run far more often on one client connection
than psycopg's default ``prepare_threshold`` (5), with more clients than server
connections; a control shows that this very pooler breaks a psycopg connection that does
prepare, so the application passing is not luck. Missing pgbouncer or PostgreSQL skips on
a laptop and fails under CI=true.
"""

from __future__ import annotations

import base64
import configparser
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_service

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
HOST, PORT, SUPERUSER = "127.0.0.1", 5432, "postgres"
SHIPPED_INI = ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini"
# Clients log in to the pooler with SCRAM (the shipped auth_type); the shared server trusts it.
PASSWORD = "pooler-test-password"
POOL_SIZE = 2  # server connections per pool: fewer than the workload's client connections
PSYCOPG_DEFAULT_PREPARE_THRESHOLD = 5
THREADS, FILINGS_PER_THREAD = 4, 4

try:
    import psycopg
    from psycopg import sql
except ImportError:  # pragma: no cover - psycopg is a dependency
    psycopg = None  # type: ignore[assignment]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def postgres_available() -> tuple[bool, str]:
    if psycopg is None:
        return False, "psycopg is not installed"
    try:
        with psycopg.connect(host=HOST, port=PORT, user=SUPERUSER, dbname="postgres", connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return False, f"cannot connect to {HOST}:{PORT} as {SUPERUSER}: {exc}"
    return True, ""


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if Path(p).exists()), None
    )


def _runs_as() -> pwd.struct_passwd | None:
    """PgBouncer refuses to run as root: then it runs as the ``postgres`` user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(os.environ.get("PG_OWNER", "postgres"))
    except KeyError:
        require_service("a non-root user to run pgbouncer", False, "create a 'postgres' user or set PG_OWNER")
        raise


@dataclass
class Pooler:
    root: Path
    port: int
    database: str
    process: subprocess.Popen[bytes]

    def url(self, dbname: str | None = None) -> str:
        return f"postgres://{SUPERUSER}:{PASSWORD}@127.0.0.1:{self.port}/{dbname or self.database}"

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            password=PASSWORD,
            dbname=self.database,
            connect_timeout=5,
            **kwargs,
        )

    def admin(self, command: str) -> list[dict[str, Any]]:
        """A SHOW command on the admin console (simple query protocol only: a client-side cursor)."""
        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            password=PASSWORD,
            dbname="pgbouncer",
            autocommit=True,
            cursor_factory=psycopg.ClientCursor,
        ) as conn:
            cur = conn.execute(command)
            names = [c.name for c in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def log_tail(self) -> str:
        lines: list[str] = []
        for name in ("pgbouncer.out", "pgbouncer.log"):
            path = self.root / name
            if path.exists():
                lines += path.read_text(errors="replace").splitlines()[-30:]
        return "\n".join(lines)


def write_config(root: Path, port: int, database: str) -> Path:
    """The shipped deploy/pgbouncer/pgbouncer.ini (docker-compose.yml's), pointed at this test's database and port."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(SHIPPED_INI)
    assert config["pgbouncer"]["pool_mode"] == "transaction"
    config.remove_section("databases")
    config["databases"] = {database: f"host={HOST} port={PORT} dbname={database}"}
    (root / "userlist.txt").write_text(f'"{SUPERUSER}" "{PASSWORD}"\n')
    config["pgbouncer"].update(
        {
            "listen_addr": "127.0.0.1",
            "listen_port": str(port),
            "auth_file": str(root / "userlist.txt"),
            "admin_users": SUPERUSER,
            "default_pool_size": str(POOL_SIZE),
            "reserve_pool_size": "0",
            "logfile": str(root / "pgbouncer.log"),
            "pidfile": str(root / "pgbouncer.pid"),
        }
    )
    ini = root / "pgbouncer.ini"
    with ini.open("w") as fh:
        config.write(fh)
    return ini


@pytest.fixture
def pooler() -> Iterator[Pooler]:
    binary = pgbouncer_binary()
    require_service("pgbouncer", binary is not None, "install Debian's pgbouncer package")
    ok, why = postgres_available()
    require_service("PostgreSQL", ok, why)
    owner = _runs_as()
    root = Path(tempfile.mkdtemp(prefix="registry-pgbouncer-"))  # not under pytest's 0700 folders
    database = f"itest_pgbouncer_{uuid.uuid4().hex[:10]}"
    port = free_port()
    ini = write_config(root, port, database)
    kwargs: dict[str, Any] = {}
    if owner is not None:
        for path in (root, *root.iterdir()):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        kwargs = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    with psycopg.connect(host=HOST, port=PORT, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    with open(root / "pgbouncer.out", "wb") as out:
        process = subprocess.Popen([str(binary), str(ini)], cwd=root, stdout=out, stderr=subprocess.STDOUT, **kwargs)
    pool = Pooler(root, port, database, process)
    try:
        deadline = time.monotonic() + 15
        while not port_open(port):
            assert process.poll() is None, f"pgbouncer exited:\n{pool.log_tail()}"
            assert time.monotonic() < deadline, f"pgbouncer did not listen on {port}:\n{pool.log_tail()}"
            time.sleep(0.1)
        yield pool
    finally:
        process.terminate()  # SIGTERM: this pgbouncer only, by its own process
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        with psycopg.connect(host=HOST, port=PORT, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        shutil.rmtree(root, ignore_errors=True)


def app_env(pool: Pooler, var_dir: Path, **extra: str) -> dict[str, str]:
    drop = ("DATABASE_URL", "REDIS", "CELERY", "DB_", "MEDIA_ROOT", "VAR_DIR", "STORAGE", "AWS_", "S3_", "EMAIL_")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(drop)},
        "DATABASE_URL": pool.url(),
        "DB_POOLER": "transaction",
        "DB_CONN_MAX_AGE": "60",  # persistent client connections: many transactions each, as in production
        "VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        "SECRET_KEY": "pgbouncer-integration-test-only",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "testserver,127.0.0.1",  # the workload's django.test clients
        "AXES_ENABLED": "false",  # force_login's request has no address for django-axes to log
        **extra,
    }


def run(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{' '.join(args)[:200]}:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


# --- the workload, run in a subprocess with DATABASE_URL at the pooler ------------------------


def workload() -> None:  # pragma: no cover - runs in the subprocess
    """File, transition, read the queue, sweep the outbox, checkpoint and verify; print a JSON summary."""
    import threading
    from collections import Counter
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from rest_framework.test import APIClient

    from complaints.models import (
        ApiKey,
        Category,
        Complaint,
        Election,
        OutboxMessage,
        OutboxStatus,
        PollingStation,
        WebhookSubscription,
    )
    from complaints.notifications import outbox
    from complaints.notifications.delivery import sweep
    from registry.celery import app
    from tests.images import pdf_bytes, png_bytes

    db = settings.DATABASES["default"]
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert db["OPTIONS"]["prepare_threshold"] is None
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    api = "/api/v1"

    # Every statement each client connection runs, to show how often the same SQL repeats on it.
    repeats: Counter[tuple[int, str]] = Counter()
    lock = threading.Lock()

    def count(execute: Any, sql_text: str, params: Any, many: bool, context: Any) -> Any:
        with lock:
            repeats[(threading.get_ident(), sql_text)] += 1
        return execute(sql_text, params, many, context)

    User = get_user_model()
    reviewer = User.objects.get(username="reviewer")
    admin = User.objects.get(username="admin")
    _, key = ApiKey.objects.create_key(name="pgbouncer test", user=reviewer)
    WebhookSubscription.objects.create(owner=admin, url=os.environ["HOOK_URL"], secret=os.environ["HOOK_SECRET"])
    election = Election.objects.filter(status="active").first() or Election.objects.first()
    category = Category.objects.filter(children__isnull=True).order_by("pk").first()
    station = (
        PollingStation.objects.filter(unit__parent__code="pav").first()
        or PollingStation.objects.filter(unit__code__startswith="pav").first()
    )
    assert election is not None
    assert category is not None
    assert station is not None
    # As if the broker were down: every outbox row is left to the sweeper, which runs below.
    outbox._publish_paused_until = time.monotonic() + 3600
    png, pdf = png_bytes(), pdf_bytes()
    codes: list[str] = []
    errors: list[str] = []

    def reviewer_client() -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        return client

    def file_and_walk(n: int) -> None:
        try:
            with connection.execute_wrapper(count):
                anon, staff = APIClient(HTTP_ACCEPT_LANGUAGE="en"), reviewer_client()
                for i in range(FILINGS_PER_THREAD):
                    payload = {
                        "election": election.pk,
                        "category": category.code,
                        "polling_station": station.pk,
                        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
                        "description": f"Через пул соединений: жалоба {n}-{i}, директор требует фото бюллетеня.",
                        "files": [SimpleUploadedFile(f"ballot-{n}-{i}.png", png), SimpleUploadedFile("act.pdf", pdf)],
                    }
                    filed = anon.post(f"{api}/complaints/", payload, format="multipart")
                    assert filed.status_code == 201, filed.content
                    code = filed.json()["code"]
                    assert len(filed.json()["evidence"]) == 2
                    base = f"{api}/complaints/{code}"
                    moved = staff.post(f"{base}/triage/", {"version": 1}, format="json")
                    assert moved.status_code == 200, moved.content
                    moved = staff.post(f"{base}/transitions/", {"action": "start_review", "version": 2}, format="json")
                    assert moved.status_code == 200, moved.content
                    note = staff.post(f"{base}/notes/", {"body": "Checked through the pooler."}, format="json")
                    assert note.status_code == 201, note.content
                    queue = staff.get(f"{api}/complaints/", {"page_size": 50})
                    assert queue.status_code == 200, queue.content
                    assert staff.get(f"{base}/").status_code == 200
                    with lock:
                        codes.append(code)
        except BaseException as exc:  # reported by the main thread
            errors.append(f"thread {n}: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=file_and_walk, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors

    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(reviewer)
    for _ in range(3):
        page = web.get("/queue/")
        assert page.status_code == 200, page.status_code
        assert codes[0].encode() in page.content or b"queue" in page.content.lower()

    # The sweep: SELECT ... FOR UPDATE SKIP LOCKED, then each task runs here (eager) and sends.
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    swept = 0
    for _ in range(20):
        handled = sweep()
        swept += handled
        pending = OutboxMessage.objects.filter(channel="webhook", status=OutboxStatus.PENDING).count()
        if not pending:
            break
        time.sleep(0.5)
    webhooks = OutboxMessage.objects.filter(channel="webhook")
    delivered = webhooks.filter(status=OutboxStatus.DELIVERED).count()

    # QuerySet.iterator() between two fetches, while another client holds the server connection
    # it had: a server-side cursor (DECLARE ... WITH HOLD) would be gone on the next one.
    import psycopg

    from complaints.models import AuditEvent

    rows = AuditEvent.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=1)
    first = next(rows)
    with psycopg.connect(os.environ["DATABASE_URL"]) as holder:
        holder.execute("SELECT 1")  # a transaction left open: its server connection is taken
        rest = list(rows)
        holder.rollback()
    assert [first, *rest] == list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))

    call_command("audit_checkpoint", "--label", "through pgbouncer")
    call_command("verify_audit")  # QuerySet.iterator() over every event and file

    per_connection = max(repeats.values())
    print(
        json.dumps(
            {
                "codes": sorted(codes),
                "complaints": Complaint.objects.filter(code__in=codes).count(),
                "statuses": sorted(set(Complaint.objects.filter(code__in=codes).values_list("status", flat=True))),
                "swept": swept,
                "webhooks": webhooks.count(),
                "delivered": delivered,
                "statements": sum(repeats.values()),
                "max_repeats_on_one_connection": per_connection,
            }
        )
    )


WORKLOAD = "import django; django.setup(); from tests.integration.test_pgbouncer import workload; workload()"


def test_the_app_runs_through_pgbouncer_in_transaction_mode(pooler: Pooler, tmp_path: Path) -> None:
    from tests.integration.receiver import Receiver

    started = time.monotonic()
    hook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    receiver = Receiver(free_port()).start()
    receiver.state.secrets["/hook"] = [hook_secret]
    env = app_env(pooler, tmp_path / "var", HOOK_URL=receiver.url + "/hook", HOOK_SECRET=hook_secret)
    manage = str(ROOT / "manage.py")
    try:
        run(env, manage, "migrate", "--no-input", "-v0")
        run(env, manage, "seed_demo", "--demo-password", "pass-for-tests-1")
        summary = json.loads(run(env, "-c", WORKLOAD, timeout=180).stdout.strip().splitlines()[-1])
        verified = run(env, manage, "verify_audit").stdout
    finally:
        receiver.stop()

    filed = THREADS * FILINGS_PER_THREAD
    assert summary["complaints"] == filed == len(summary["codes"])
    assert summary["statuses"] == ["under_review"]
    # Filing, triage and start_review each signal the subscriber; all of them went out through the sweep.
    assert summary["webhooks"] >= 3 * filed
    assert summary["delivered"] == summary["webhooks"], summary
    state = receiver.state
    assert all(r.verified for r in state.requests), "every webhook carries a valid signature"
    assert len(state.processed) == summary["webhooks"]
    assert "every chain intact; against 1 signed checkpoint(s)" in verified
    # The same statements ran many times on one persistent client connection: psycopg with its
    # default threshold would have prepared them, on whichever server connection it had then.
    assert summary["max_repeats_on_one_connection"] >= 3 * PSYCOPG_DEFAULT_PREPARE_THRESHOLD, summary

    # The pooler really multiplexed: more clients than its two server connections, many queries.
    stats = {row["database"]: row for row in pooler.admin("SHOW STATS")}[pooler.database]
    assert stats["total_query_count"] > summary["statements"] > 500, (stats, summary["statements"])
    servers = [row for row in pooler.admin("SHOW SERVERS") if row["database"] == pooler.database]
    assert 1 <= len(servers) <= POOL_SIZE
    print(
        f"through pgbouncer: {filed} filings with evidence, {summary['webhooks']} webhooks swept, "
        f"{stats['total_xact_count']} transactions / {stats['total_query_count']} queries on {POOL_SIZE} "
        f"server connections; up to {summary['max_repeats_on_one_connection']} runs of one statement on one "
        f"client connection; {time.monotonic() - started:.1f} s"
    )


def test_a_connection_that_prepares_statements_breaks_on_this_pooler(pooler: Pooler) -> None:
    """The control: what ``prepare_threshold=None`` protects the app from (PgBouncer before 1.21)."""
    query = "SELECT %s::int + 1"
    with pooler.connect(autocommit=True, prepare_threshold=0) as preparing, pooler.connect() as holder:
        assert preparing.execute(query, [1]).fetchone() == (2,)  # prepared on the server connection it had
        holder.execute("SELECT 1")  # holder's open transaction now holds that server connection (LIFO)
        with pytest.raises(psycopg.Error) as excinfo:
            preparing.execute(query, [2])  # another server connection: no such prepared statement there
        assert "prepared statement" in str(excinfo.value)
        holder.rollback()
    with pooler.connect(autocommit=True, prepare_threshold=None) as safe, pooler.connect() as holder:
        for n in range(3 * PSYCOPG_DEFAULT_PREPARE_THRESHOLD):
            assert safe.execute(query, [n]).fetchone() == (n + 1,)
            if n == PSYCOPG_DEFAULT_PREPARE_THRESHOLD:
                holder.execute("SELECT 1")
        holder.rollback()


def test_db_pooler_setting(tmp_path: Path) -> None:
    """DB_POOLER=transaction turns prepared statements and server-side cursors off; a typo fails start-up."""
    probe = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; "
        "print(json.dumps([d.get('DISABLE_SERVER_SIDE_CURSORS', False), d.get('OPTIONS', {})]))"
    )
    base = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DB_"))},
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://u@db.invalid:6432/registry",
    }

    def probe_with(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
        )

    pooled = probe_with(DB_POOLER="transaction")
    assert pooled.returncode == 0, pooled.stderr
    assert json.loads(pooled.stdout.strip().splitlines()[-1]) == [True, {"prepare_threshold": None}]
    direct = probe_with()
    assert direct.returncode == 0, direct.stderr
    assert json.loads(direct.stdout.strip().splitlines()[-1])[0] is False
    typo = probe_with(DB_POOLER="transactoin")
    assert typo.returncode != 0
    assert "DB_POOLER" in typo.stderr


def test_compose_puts_pgbouncer_in_transaction_mode_between_the_app_and_postgres() -> None:
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["pgbouncer"]["build"] == "./deploy/pgbouncer"
    assert "postgres" in services["pgbouncer"]["depends_on"]
    for name in ("web", "worker", "worker-mail", "worker-webhooks", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://registry:registry@pgbouncer:6432/"), name
        assert env["DB_POOLER"] == "transaction", name
        assert "pgbouncer" in services[name]["depends_on"], name
    config = configparser.ConfigParser(interpolation=None)
    config.read(SHIPPED_INI)
    assert config["pgbouncer"]["pool_mode"] == "transaction"
    assert config["databases"]["registry"].startswith("host=postgres port=5432")
