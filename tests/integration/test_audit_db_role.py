"""The application's database role does not own the audit table: it can add and read audit rows, nothing more.

A private database and two roles of this test's own on the shared PostgreSQL (127.0.0.1:5432,
trust auth): the owner runs the migrations and ``manage.py db_grants``; the application runs
as the other role (seed_demo, a checkpoint, verify_audit all work) and can neither UPDATE,
DELETE nor TRUNCATE audit or checkpoint rows, nor drop or disable their trigger, nor switch
triggers off for its session. Everything made here is dropped at the end; the server is
never stopped. Without PostgreSQL the test skips on a laptop and fails under CI=true.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_service

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
HOST, PORT, SUPERUSER = "127.0.0.1", 5432, "postgres"

try:
    import psycopg
    from psycopg import sql
except ImportError:  # pragma: no cover - psycopg is a dependency
    psycopg = None  # type: ignore[assignment]


def connect(user: str, dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(host=HOST, port=PORT, user=user, dbname=dbname, autocommit=True, connect_timeout=5)


def postgres_available() -> tuple[bool, str]:
    if psycopg is None:
        return False, "psycopg is not installed"
    try:
        with connect(SUPERUSER) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return False, f"cannot connect to {HOST}:{PORT} as {SUPERUSER}: {exc}"
    return True, ""


@dataclass
class Deployment:
    database: str
    owner: str
    app: str
    var_dir: Path

    def url(self, role: str) -> str:
        return f"postgres://{role}@{HOST}:{PORT}/{self.database}"

    def manage(self, role: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS", "CELERY"))},
            "DATABASE_URL": self.url(role),
            "VAR_DIR": str(self.var_dir),
            "PYTHONPATH": str(ROOT),
        }
        proc = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=600,
        )
        if check:
            assert proc.returncode == 0, f"manage.py {' '.join(args)} as {role}:\n{proc.stdout}\n{proc.stderr}"
        return proc


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    ok, why = postgres_available()
    require_service("PostgreSQL", ok, why)
    suffix = uuid.uuid4().hex[:10]
    dep = Deployment(f"itest_audit_{suffix}", f"itest_owner_{suffix}", f"itest_app_{suffix}", tmp_path / "var")
    with connect(SUPERUSER) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(dep.owner)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(dep.app)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(dep.database), sql.Identifier(dep.owner))
        )
    try:
        yield dep
    finally:
        with connect(SUPERUSER) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dep.database)))
            for role in (dep.app, dep.owner):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


class RolledBack(Exception):
    """Raised to roll a probing transaction back."""


def refused(conn: psycopg.Connection, statement: str) -> str:
    """Run ``statement`` in a transaction rolled back either way; return the error class name it raised."""
    try:
        with conn.transaction():
            conn.execute(statement)
            raise AssertionError(f"the application role was allowed: {statement}")
    except psycopg.Error as exc:
        return type(exc).__name__


def test_app_role_can_only_insert_and_select_audit_rows(deployment: Deployment) -> None:
    dep = deployment
    dep.manage(dep.owner, "migrate", "--no-input", "-v0")
    grants = dep.manage(dep.owner, "db_grants", dep.app).stdout
    with connect(dep.owner, dep.database) as owner:
        owner.execute(grants)

    # The application, as its own role, works normally: files complaints, appends events, checkpoints.
    dep.manage(dep.app, "seed_demo")
    dep.manage(dep.app, "audit_checkpoint", "--label", "after seeding")
    verified = dep.manage(dep.app, "verify_audit")
    assert "every chain intact; against 1 signed checkpoint(s)" in verified.stdout

    with connect(dep.app, dep.database) as app:
        assert app.execute("SELECT count(*) FROM complaints_auditevent").fetchone()[0] > 0
        # Normal rights elsewhere (rolled back: this is only a probe).
        with pytest.raises(RolledBack), app.transaction():  # noqa: PT012
            assert app.execute("UPDATE complaints_complaint SET priority = priority + 1").rowcount > 0
            raise RolledBack
        for table in ("complaints_auditevent", "complaints_checkpoint"):
            for statement in (
                f"UPDATE {table} SET id = id",  # noqa: S608
                f"DELETE FROM {table}",  # noqa: S608
                f"TRUNCATE {table}",
            ):
                assert refused(app, statement) == "InsufficientPrivilege", statement
            trigger = f"{table.removeprefix('complaints_').replace('auditevent', 'audit')}_append_only"
            for statement in (
                f"DROP TRIGGER complaints_{trigger} ON {table}",
                f"ALTER TABLE {table} DISABLE TRIGGER ALL",
                f"DROP TABLE {table}",
            ):
                assert refused(app, statement) == "InsufficientPrivilege", statement
        assert refused(app, "SET session_replication_role = replica") == "InsufficientPrivilege"
        assert refused(app, "DROP FUNCTION complaints_audit_append_only() CASCADE") == "InsufficientPrivilege"

    # Even the owner cannot change a row without first dropping or bypassing the trigger.
    with connect(dep.owner, dep.database) as owner:
        assert refused(owner, "UPDATE complaints_auditevent SET actor_label = 'x'") == "RaiseException"
        assert refused(owner, "DELETE FROM complaints_checkpoint") == "RaiseException"
