"""Backup and restore, the way docs/operations.md tells an operator to do it.

A private database on the shared PostgreSQL (127.0.0.1:5432, user postgres) is populated
through the app's own commands in subprocesses (migrate, seed_demo, complaints filed
through the API with evidence, transitions, a signed checkpoint archived with ``--out``).
The backup is ``pg_dump -Fc`` of the database plus a tar of MEDIA_ROOT; the keys (the
checkpoint signing key, the identity encryption and lookup-hash keys, SECRET_KEY) are
held outside both, as in production. The restore goes into an empty new database
(``pg_restore``) and a new media folder, and there ``verify_audit`` passes against the
stored checkpoints and against the archived checkpoint file with only the public key;
every evidence file's SHA-256 matches the one recorded at upload; reporter identities
still decrypt; the restored registry files, signs and verifies on. A file changed after
the restore is caught. Both databases are dropped at the end. Without PostgreSQL,
pg_dump or pg_restore the test skips on a laptop and fails under CI=true.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_service

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
HOST, PORT, SUPERUSER = "127.0.0.1", 5432, "postgres"
REPORTER = "Гульнара Резервная"

try:
    import psycopg
    from psycopg import sql
except ImportError:  # pragma: no cover - psycopg is a dependency
    psycopg = None  # type: ignore[assignment]


def connect(dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(host=HOST, port=PORT, user=SUPERUSER, dbname=dbname, autocommit=True, connect_timeout=5)


def postgres_available() -> tuple[bool, str]:
    if psycopg is None:
        return False, "psycopg is not installed"
    try:
        with connect() as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return False, f"cannot connect to {HOST}:{PORT} as {SUPERUSER}: {exc}"
    return True, ""


@dataclass
class Site:
    """One installation: its database, its media folder and its var folder; the keys are shared."""

    database: str
    root: Path
    keys: dict[str, str]

    @property
    def media(self) -> Path:
        return self.root / "media"

    @property
    def url(self) -> str:
        return f"postgres://{SUPERUSER}@{HOST}:{PORT}/{self.database}"

    def env(self) -> dict[str, str]:
        drop = ("DATABASE_URL", "REDIS", "CELERY", "DB_", "MEDIA_ROOT", "VAR_DIR", "STORAGE", "AWS_", "S3_", "AUDIT_")
        drop += ("FIELD_", "EMAIL_", "SECRET_KEY")
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(drop)},
            **self.keys,
            "DATABASE_URL": self.url,
            "MEDIA_ROOT": str(self.media),
            "VAR_DIR": str(self.root / "var"),
            "AUDIT_CHECKPOINT_DIR": str(self.root / "var" / "checkpoints"),
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "registry.settings",
            "ALLOWED_HOSTS": "testserver",  # the populating script's django.test client
            "AXES_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
        }

    def python(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=180, check=False
        )
        if check:
            assert proc.returncode == 0, f"{' '.join(args)[:200]}:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        return proc

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.python(str(ROOT / "manage.py"), *args, check=check)

    def script(self, function: str, *args: str) -> dict[str, object]:
        module = "tests.integration.test_backup_restore"
        code = f"import django; django.setup(); from {module} import {function}; {function}()"
        out = self.python("-c", code, *args).stdout
        return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def tool(name: str) -> str:
    path = shutil.which(name)
    require_service(name, path is not None, "install the postgresql-client package")
    assert path is not None
    return path


def run(*args: str | Path) -> None:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"{' '.join(map(str, args))}:\n{proc.stdout}\n{proc.stderr}"


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[tuple[Site, Site]]:
    ok, why = postgres_available()
    require_service("PostgreSQL", ok, why)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    # Held outside the database and its backup, as docs/operations.md says.
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    signing = Ed25519PrivateKey.generate()
    (keys_dir / "audit-signing-key.pem").write_bytes(
        signing.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (keys_dir / "audit-public-key.pem").write_bytes(
        signing.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    keys = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_SIGNING_KEY_FILE": str(keys_dir / "audit-signing-key.pem"),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "FIELD_HASH_KEY": secrets.token_urlsafe(32),
    }
    suffix = uuid.uuid4().hex[:10]
    original = Site(f"itest_backup_{suffix}", tmp_path / "original", keys)
    restored = Site(f"itest_restore_{suffix}", tmp_path / "restored", keys)
    for site in (original, restored):
        site.root.mkdir()
    with connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(original.database)))
    try:
        yield original, restored
    finally:
        with connect() as conn:
            for site in (original, restored):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(site.database)))


# --- run in the subprocesses ------------------------------------------------------------


def populate() -> None:  # pragma: no cover - runs in a subprocess
    """File complaints with evidence through the API and move them along; print their codes."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone
    from rest_framework.test import APIClient

    from complaints.models import ApiKey, Category, Election, PollingStation
    from tests.images import pdf_bytes, png_bytes

    count = int(sys.argv[1])
    reviewer = get_user_model().objects.get(username="reviewer")
    _, key = ApiKey.objects.create_key(name=f"backup test {uuid.uuid4().hex[:6]}", user=reviewer)
    staff = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    staff.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    anon = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    election = Election.objects.filter(status="active").first() or Election.objects.first()
    category = Category.objects.filter(children__isnull=True).order_by("pk").first()
    station = PollingStation.objects.filter(unit__parent__code="pav").first()
    assert election is not None
    assert category is not None
    assert station is not None
    codes = []
    for n in range(count):
        payload = {
            "election": election.pk,
            "category": category.code,
            "polling_station": station.pk,
            "occurred_at": (timezone.now() - timedelta(hours=2)).isoformat(),
            "description": f"Копия бюллетеня требовалась у сотрудников, случай {n} ({time.time()}).",
            "full_name": REPORTER,
            "files": [
                SimpleUploadedFile(f"photo-{n}.png", png_bytes(color=(n * 40 % 256, 90, 30), width=8 + n)),
                SimpleUploadedFile(f"act-{n}.pdf", pdf_bytes(text=f"Act {n} {time.time()}")),
            ],
        }
        filed = anon.post("/api/v1/complaints/", payload, format="multipart")
        assert filed.status_code == 201, filed.content
        code = filed.json()["code"]
        base = f"/api/v1/complaints/{code}"
        assert staff.post(f"{base}/triage/", {"version": 1}, format="json").status_code == 200
        moved = staff.post(f"{base}/transitions/", {"action": "start_review", "version": 2}, format="json")
        assert moved.status_code == 200, moved.content
        codes.append(code)
    print(json.dumps({"codes": codes}))


def inventory() -> None:  # pragma: no cover - runs in a subprocess
    """Every evidence row's recorded SHA-256 and its file's actual one; the reporter names of some complaints."""
    from django.core.files.storage import default_storage

    from complaints.models import AuditEvent, Checkpoint, Complaint, Evidence

    files = {}
    for evidence in Evidence.objects.order_by("pk"):
        with default_storage.open(evidence.file.name, "rb") as fh:
            actual = hashlib.sha256(fh.read()).hexdigest()
        files[evidence.file.name] = [evidence.sha256, actual]
    codes = sys.argv[1].split(",")
    names = {
        c.code: c.reporter.full_name
        for c in Complaint.objects.filter(code__in=codes).select_related("reporter")
        if hasattr(c, "reporter") and c.reporter is not None
    }
    print(
        json.dumps(
            {
                "files": files,
                "names": names,
                "complaints": Complaint.objects.count(),
                "events": AuditEvent.objects.count(),
                "checkpoints": Checkpoint.objects.count(),
            }
        )
    )


# --- the test --------------------------------------------------------------------------------


def test_pg_dump_and_media_tar_restore_into_an_empty_database_that_verifies(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    pg_dump, pg_restore = tool("pg_dump"), tool("pg_restore")
    original, restored = sites
    started = time.monotonic()

    # A populated registry with a signed checkpoint, archived off the server.
    original.manage("migrate", "--no-input", "-v0")
    original.manage("seed_demo", "--demo-password", "pass-for-tests-1")
    codes = original.script("populate", "4")["codes"]
    assert isinstance(codes, list)
    archive = tmp_path / "checkpoint-archive"
    archive.mkdir()
    original.manage("audit_checkpoint", "--label", "before the backup", "--out", str(archive))
    [archived] = archive.glob("checkpoint-*.json")
    before = original.script("inventory", ",".join(codes))

    # The backup: the database in pg_dump's custom format, and the files.
    backup = tmp_path / "backup"
    backup.mkdir()
    run(pg_dump, "-Fc", "--no-owner", "-d", original.url, "-f", backup / "registry.dump")
    with tarfile.open(backup / "media.tar.gz", "w:gz") as tar:
        tar.add(original.media, arcname=".")

    # The restore: an empty new database and a new media folder.
    with connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(restored.database)))
    run(pg_restore, "--no-owner", "--exit-on-error", "-d", restored.url, backup / "registry.dump")
    restored.media.mkdir()
    with tarfile.open(backup / "media.tar.gz") as tar:
        tar.extractall(restored.media, filter="data")

    after = restored.script("inventory", ",".join(codes))
    for field in ("complaints", "events", "checkpoints", "names"):
        assert after[field] == before[field], field
    assert after["names"] == dict.fromkeys(codes, REPORTER), "identities decrypt with the keys held outside"
    files = after["files"]
    assert isinstance(files, dict)
    assert len(files) >= 2 * len(codes)
    assert files == before["files"]
    for name, (recorded, actual) in files.items():
        assert actual == recorded, f"{name}: the restored file's SHA-256 is not the one recorded at upload"

    # verify_audit: every chain, content and evidence file, against the stored checkpoints...
    verified = restored.manage("verify_audit").stdout
    assert "every chain intact; against 1 signed checkpoint(s)" in verified, verified
    # ...and against the archived checkpoint file, trusting only the public key kept outside.
    public_key = Path(original.keys["AUDIT_SIGNING_KEY_FILE"]).with_name("audit-public-key.pem")
    verified = restored.manage("verify_audit", "--checkpoint", str(archived), "--public-key", str(public_key)).stdout
    assert "every chain intact; against 1 signed checkpoint(s) (latest 1)" in verified, verified

    # The restored registry carries on: files (sequences restored), signs and verifies.
    more = restored.script("populate", "1")["codes"]
    assert isinstance(more, list)
    assert not set(more) & set(codes)
    restored.manage("audit_checkpoint", "--label", "after the restore")
    verified = restored.manage("verify_audit", "--checkpoint", str(archived), "--stored-checkpoints").stdout
    assert "every chain intact; against 2 signed checkpoint(s) (latest 2)" in verified, verified

    # A restore whose files do not match is caught.
    victim = restored.media / next(iter(files))
    victim.write_bytes(victim.read_bytes() + b"\0")
    broken = restored.manage("verify_audit", check=False)
    assert broken.returncode != 0
    assert "BROKEN" in broken.stderr
    print(
        f"backup and restore: {after['complaints']} complaints, {after['events']} audit events, "
        f"{len(files)} evidence files; dump {(backup / 'registry.dump').stat().st_size // 1024} KiB, "
        f"media {(backup / 'media.tar.gz').stat().st_size // 1024} KiB; {time.monotonic() - started:.1f} s"
    )
