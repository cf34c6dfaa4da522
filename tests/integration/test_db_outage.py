"""PostgreSQL stopped under a live gunicorn: 503 with Retry-After while it is down, then recovery by itself.

The test starts a PostgreSQL cluster of its own (initdb + pg_ctl from PG_BIN, default
/usr/lib/postgresql/15/bin) in a temporary folder on a free port, owned by the
``postgres`` user when the tests run as root (PostgreSQL refuses to run as root). It never
touches another server: only ``pg_ctl -D <its own folder>``. It migrates that cluster,
serves the app with gunicorn against it, files a complaint, stops the cluster with
``pg_ctl stop -m immediate`` (a crash, as the issue's fault run did), checks that every
database-backed request answers 503 with Retry-After (the API's JSON error body on /api/,
a plain page on the web) and never 500, starts the cluster again, and checks that the
same server answers normally again without a restart and that no acknowledged complaint
was lost. Missing binaries skip on a laptop and fail under CI=true.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import require_service
from tests.integration.conftest import ROOT, _die_with_parent, port_open, wait_for

pytestmark = pytest.mark.integration

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DB_USER, DB_NAME = "registry", "registry"
RETRY_AFTER = "7"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivatePostgres:
    """A throwaway cluster: its own folder, port and socket directory; stopped only through them."""

    root: Path
    port: int
    owner: pwd.struct_passwd | None  # who runs the server (None: this process's user)
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.root / "postgres.log"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, Any] = {}
        if self.owner is not None:
            kwargs = {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}
        return subprocess.run(args, cwd=self.root, capture_output=True, text=True, check=check, timeout=120, **kwargs)

    def init(self) -> None:
        if self.owner is not None:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", DB_USER, "--auth=trust", "-E", "UTF8", "--no-sync"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def running(self) -> bool:
        return self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status", check=False).returncode == 0

    def createdb(self) -> None:
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER, DB_NAME)


def _cluster_owner() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(os.environ.get("PG_OWNER", "postgres"))
    except KeyError:
        require_service(
            "a non-root user to own the PostgreSQL cluster", False, "create a 'postgres' user or set PG_OWNER"
        )
        raise


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    require_service("PostgreSQL server binaries", (PG_BIN / "pg_ctl").exists(), f"no pg_ctl in {PG_BIN}; set PG_BIN")
    owner = _cluster_owner()
    root = Path(tempfile.mkdtemp(prefix="registry-pg-"))
    cluster = PrivatePostgres(root, free_port(), owner)
    try:
        cluster.init()
        cluster.start()
        cluster.createdb()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def _manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


SEED = """
from django.utils import timezone
from complaints.models import ApiKey, Category, Election, ElectionKind, ElectionStatus, PollingStation
from complaints.models import TerritorialUnit, UnitLevel
from complaints.roles import ensure_role_groups
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

ensure_role_groups()
kz = TerritorialUnit.objects.create(code="kz", level=UnitLevel.COUNTRY, name_ru="Казахстан")
station = PollingStation.objects.create(unit=kz, number="512", address="Экибастуз, школа №5")
election = Election.objects.create(
    slug="outage", name_ru="Выборы", kind=ElectionKind.PRESIDENTIAL,
    voting_day=timezone.localdate(), status=ElectionStatus.ACTIVE,
)
Category.objects.create(code="pressure", name_ru="Давление", default_severity=2)
user = get_user_model().objects.create_user("coordinator", password="not-used-1")
user.groups.add(Group.objects.get(name="admin"))
_, key = ApiKey.objects.create_key(name="outage", user=user)
import json
print(json.dumps({"election": election.pk, "station": station.pk, "key": key}))
"""


@dataclass
class Server:
    url: str
    seed: dict[str, Any]
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Accept-Language": "en", **kwargs.pop("headers", {})}
        return requests.get(self.url + path, headers=headers, timeout=30, **kwargs)

    def file(self, description: str) -> requests.Response:
        payload = {
            "election": self.seed["election"],
            "category": "pressure",
            "polling_station": self.seed["station"],
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 600)),
            "description": description,
        }
        return requests.post(
            self.url + "/api/v1/complaints/", json=payload, headers={"Accept-Language": "en"}, timeout=30
        )

    def api_key(self) -> dict[str, str]:
        return {"Authorization": f"Api-Key {self.seed['key']}"}

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@pytest.fixture(scope="module")
def server(postgres: PrivatePostgres) -> Iterator[Server]:
    require_service("gunicorn", shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is not None)
    var = postgres.root / "var"
    var.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "STATIC_"))},
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DATABASE_URL": postgres.url,
        "CELERY_BROKER_URL": "memory://",  # no worker here: what is published is never consumed
        "SECRET_KEY": "db-outage-test-only",
        "VAR_DIR": str(var),
        "STATIC_ROOT": str(var / "static"),
        "SECURE_COOKIES": "false",
        "LOG_LEVEL": "WARNING",
        "DB_UNAVAILABLE_RETRY_AFTER": RETRY_AFTER,
        "LANGUAGE_CODE": "en",
        # The fuzzing test below sends hundreds of requests: no rate limit gets in its way.
        "THROTTLE_ANON_FILING": "100000/minute",
        "THROTTLE_ANON_STATUS": "100000/minute",
        "THROTTLE_API_KEY": "100000/minute",
        "THROTTLE_PUBLIC_STATS": "100000/minute",
    }
    _manage(env, "migrate", "--no-input")
    _manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    seed = json.loads(_manage(env, "shell", stdin=SEED).strip().splitlines()[-1])
    port = free_port()
    log = postgres.root / "gunicorn.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "registry.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    live = Server(f"http://127.0.0.1:{port}", seed, process, log)
    try:
        wait_for(lambda: process.poll() is None and port_open(port), 30, f"gunicorn on {port}:\n{live.log_tail()}")
        yield live
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def complaint_count(postgres: PrivatePostgres) -> int:
    import psycopg

    with psycopg.connect(postgres.url, connect_timeout=5) as conn:
        row = conn.execute("SELECT count(*) FROM complaints_complaint").fetchone()
    return int(row[0]) if row else 0


def _database_backed(server: Server) -> dict[str, requests.Response]:
    return {
        "public stats API": server.get("/api/v1/public/stats/"),
        "complaint list (API key)": server.get("/api/v1/complaints/", headers=server.api_key()),
        "elections (API key)": server.get("/api/v1/elections/", headers=server.api_key()),
        "station search": server.get("/file/stations.json", params={"q": "512"}),
        "filing form": server.get("/file/"),
        # A new address each time: /stats/ is cached for a minute (and served from the cache meanwhile).
        "public stats page": server.get("/stats/", params={"election": "outage", "n": str(time.monotonic_ns())}),
    }


def test_postgresql_down_answers_503_with_retry_after_and_recovers_by_itself(
    postgres: PrivatePostgres, server: Server
) -> None:
    before = _database_backed(server)
    assert {name: r.status_code for name, r in before.items()} == dict.fromkeys(before, 200), server.log_tail()
    first = server.file("Директор требует сфотографировать бюллетень.")
    assert first.status_code == 201, first.text
    acknowledged = [first.json()["code"]]

    postgres.stop("immediate")
    assert not postgres.running()
    try:
        down = _database_backed(server)
        for name, response in down.items():
            assert response.status_code == 503, (name, response.status_code, response.text[:300])
            assert response.headers["Retry-After"] == RETRY_AFTER, name
        for name in ("public stats API", "complaint list (API key)", "elections (API key)"):
            assert down[name].json()["error"]["code"] == "database_unavailable", name
        for name in ("filing form", "public stats page", "station search"):
            assert down[name].headers["Content-Type"].startswith("text/html"), name
            assert "Temporarily unavailable" in down[name].text, name
        filing = server.file("Подано, пока база данных недоступна.")
        assert filing.status_code == 503, filing.text
        assert filing.json()["error"]["code"] == "database_unavailable"
        assert server.get("/readyz").status_code == 503
        assert server.get("/healthz").status_code == 200
    finally:
        postgres.start()

    # No restart of gunicorn: the next requests reconnect by themselves.
    def recovered() -> bool:
        return all(r.status_code == 200 for r in _database_backed(server).values())

    wait_for(recovered, 30, "every endpoint to answer 200 again", interval=0.5)
    again = server.file("Подано после возвращения базы данных.")
    assert again.status_code == 201, again.text
    acknowledged.append(again.json()["code"])
    listed = server.get("/api/v1/complaints/", headers=server.api_key()).json()["results"]
    assert sorted(c["code"] for c in listed) == sorted(acknowledged)
    assert complaint_count(postgres) == len(acknowledged)  # nothing lost, nothing half-filed


def _filing_fields(server: Server) -> dict[str, Any]:
    return {
        "election": server.seed["election"],
        "category": "pressure",
        "polling_station": server.seed["station"],
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 600)),
        "description": "Hostile upload over gunicorn: the answer is a 4xx, never a 5xx.",
    }


def test_the_hostile_upload_and_bad_body_sets_never_answer_5xx_over_gunicorn(server: Server) -> None:
    """The robustness layers' cases, sent over HTTP to gunicorn on PostgreSQL (not the test client).

    After the outage test (which counts the complaints it filed): this one files more."""
    from tests.robustness.test_hostile_uploads import ACCEPTED, MULTIPART, REFUSED, multipart

    answers: dict[str, int] = {}
    for case in REFUSED:
        body = multipart(_filing_fields(server), [(case.name, case.data)])
        response = requests.post(
            server.url + "/api/v1/complaints/",
            data=body,
            headers={"Content-Type": MULTIPART, "Accept-Language": "en"},
            timeout=60,
        )
        answers[f"refused {case.name[:30]}"] = response.status_code
        assert response.status_code == case.status, (case.name[:40], response.status_code, response.text[:300])
        assert response.json()["error"]["code"], response.text[:300]
    for name, data, _kept in ACCEPTED:
        body = multipart(_filing_fields(server), [(name, data)])
        response = requests.post(
            server.url + "/api/v1/complaints/",
            data=body,
            headers={"Content-Type": MULTIPART, "Accept-Language": "en"},
            timeout=60,
        )
        answers[f"accepted {name[:30]!r}"] = response.status_code
        assert response.status_code == 201, (name, response.status_code, response.text[:300])
    fields = json.dumps(_filing_fields(server))[:-1]
    bad_bodies = [
        fields + ', "extra": ' + "[" * 10_000 + '"x"' + "]" * 10_000 + "}",
        json.dumps({**_filing_fields(server), "category": "pres\u0000sure"}),
        json.dumps({**_filing_fields(server), "occurred_at": "0001-01-01T00:00:00Z"}),
        '{"election": 1, "category": ',
        json.dumps({**_filing_fields(server), "polling_station": 10**40}),
    ]
    for body in bad_bodies:
        response = requests.post(
            server.url + "/api/v1/complaints/",
            data=body.encode(),
            headers={"Content-Type": "application/json", "Accept-Language": "en"},
            timeout=60,
        )
        answers[f"json {body[:30]}"] = response.status_code
        assert 400 <= response.status_code < 500, (body[:80], response.status_code, response.text[:300])
        assert response.json()["error"]["code"]
    for path in ("/stats/?election=%00", "/api/v1/public/stats/?election=%00", "/file/stations.json?q=%00"):
        response = server.get(path)
        answers[path] = response.status_code
        assert response.status_code == 400, (path, response.status_code)
    assert all(code < 500 for code in answers.values()), answers


def _noise_png(size: int = 160) -> bytes:
    """A decodable PNG that does not compress (random pixels): about 77 KB at 160 x 160."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3)).save(out, format="PNG")
    return out.getvalue()


def test_a_full_media_disk_answers_507_keeps_nothing_and_recovers_over_gunicorn(
    server: Server, postgres: PrivatePostgres
) -> None:
    """A real full filesystem (a 256 KiB tmpfs over the media folder of the live gunicorn)."""
    from tests.robustness.test_hostile_uploads import MULTIPART, multipart

    require_service("mounting a tmpfs (root)", os.geteuid() == 0 and shutil.which("mount") is not None)
    media = postgres.root / "var" / "media"
    media.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(media)], check=True)
    try:
        before = complaint_count(postgres)
        answers = []
        for i in range(6):
            body = multipart(_filing_fields(server), [(f"photo-{i}.png", _noise_png())])
            response = requests.post(
                server.url + "/api/v1/complaints/",
                data=body,
                headers={"Content-Type": MULTIPART, "Accept-Language": "en"},
                timeout=60,
            )
            answers.append(response.status_code)
            if response.status_code == 507:
                assert response.json()["error"]["code"] == "storage_full", response.text[:300]
        assert set(answers) <= {201, 507}, answers
        assert 201 in answers, answers
        assert 507 in answers, answers
        files = [p for p in media.rglob("*") if p.is_file()]
        assert all(p.stat().st_size > 0 for p in files), "an empty file was left behind"
        assert len(files) == answers.count(201), (answers, [p.name for p in files])
        assert complaint_count(postgres) == before + answers.count(201), "a refused filing left a complaint"
    finally:
        subprocess.run(["umount", str(media)], check=False)
    # Room again: the next filing goes through, nothing to restart.
    body = multipart(_filing_fields(server), [("after.png", _noise_png())])
    response = requests.post(
        server.url + "/api/v1/complaints/", data=body, headers={"Content-Type": MULTIPART}, timeout=60
    )
    assert response.status_code == 201, response.text[:300]


def test_schemathesis_over_gunicorn_on_postgresql_finds_no_server_error(server: Server, tmp_path: Path) -> None:
    """The property-based layer over HTTP: schemathesis, every check, the deterministic phases,
    against gunicorn on PostgreSQL (the in-process runs are in tests/api/test_schemathesis.py)."""
    from tests.api.test_schemathesis import BUSINESS_VALIDATED, CONFIG, st_binary

    binary = st_binary()
    require_service("schemathesis CLI (st)", binary is not None)
    filed = server.file("Fuzzing seed over gunicorn: a complaint to aim the codes at.")
    assert filed.status_code == 201, filed.text[:300]
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(
            code=filed.json()["code"],
            anon_code=filed.json()["code"],
            anon_secret=filed.json()["secret"],
            evidence=1,
            business="[" + ", ".join(f'"{op}"' for op in BUSINESS_VALIDATED) + "]",
        )
    )
    result = subprocess.run(
        [
            binary,
            "--config-file",
            str(config),
            "run",
            f"{server.url}/api/v1/schema/",
            "--header",
            f"Authorization: Api-Key {server.seed['key']}",
            "--checks",
            "all",
            "--phases",
            "examples,coverage",
            "--max-examples",
            "2",
            "--seed",
            "20110403",
            "--request-timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-15000:]
    assert "Tested: " in output
    assert "Server error" not in output
