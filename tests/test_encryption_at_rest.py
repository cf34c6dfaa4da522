"""Reporter identity is encrypted at rest: the raw row holds no name, email or phone; keys rotate; lookups hash.

The raw-row test runs on whichever database the suite runs on (SQLite here, PostgreSQL with
DATABASE_URL, as in CI). The migration test runs the real 0014 -> 0015 -> 0014 steps on a
fresh SQLite database in a subprocess, so the shared test database is never rolled back.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from complaints import crypto, selectors
from complaints.models import Reporter
from tests.conftest import require_service

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
NAME = "Гульнара Канарейкина"
EMAIL = "Gulnara.Canary@example.kz"
PHONE = "+7 701 555 0199"
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def raw_row(complaint_id: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM complaints_reporter WHERE complaint_id = %s", [complaint_id])
        return cursor.fetchone()


def assert_no_plaintext(row: tuple) -> None:
    text = " ".join(str(v) for v in row)
    for needle in (NAME, "Канарейкина", EMAIL, EMAIL.lower(), "canary", PHONE, "5550199", "0199"):
        assert needle.lower() not in text.lower(), needle


@pytest.fixture
def named(file_complaint, make_user):
    user = make_user("observer", email=EMAIL)
    return file_complaint(reporter_user=user, full_name=NAME, email=EMAIL, phone=PHONE)


def test_the_raw_database_row_holds_no_plaintext_name_email_or_phone(named):
    row = raw_row(named.pk)
    assert row is not None
    assert_no_plaintext(row)
    reporter = Reporter.objects.get(pk=named.pk)  # read back through the model: plaintext again
    assert (reporter.full_name, reporter.email, reporter.phone) == (NAME, EMAIL, PHONE)


def test_the_ciphertext_is_authenticated(named):
    token = Reporter._meta.get_field("full_name").get_prep_value(NAME)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_reporter SET full_name = %s WHERE complaint_id = %s", [tampered, named.pk])
    with pytest.raises(InvalidToken):
        Reporter.objects.get(pk=named.pk)


def test_looking_up_ciphertext_by_plaintext_is_refused_and_empty_still_works(named, file_complaint):
    anonymous = file_complaint(anonymous=True)
    with pytest.raises(FieldError, match="encrypted"):
        list(Reporter.objects.filter(email=EMAIL))
    with pytest.raises(FieldError, match="encrypted"):
        list(Reporter.objects.filter(full_name__icontains="Гульнара"))
    assert list(Reporter.objects.filter(email="").values_list("pk", flat=True)) == [anonymous.pk]
    assert list(Reporter.objects.exclude(phone="").values_list("pk", flat=True)) == [named.pk]


def test_lookup_by_email_uses_a_keyed_hash_not_a_plain_sha256(named, file_complaint, settings):
    file_complaint(full_name="Другой", email="other@example.kz")
    found = selectors.reporters_with_email(email="  gulnara.CANARY@example.kz ")
    assert [r.pk for r in found] == [named.pk]
    stored = Reporter.objects.get(pk=named.pk).email_hash
    for unkeyed in (EMAIL, EMAIL.lower(), "email\x00" + EMAIL.lower()):
        assert stored != hashlib.sha256(unkeyed.encode()).hexdigest()
    settings.FIELD_HASH_KEY = "another-hash-key-for-this-test"
    assert not selectors.reporters_with_email(email=EMAIL).exists()  # the key matters


def test_my_complaints_still_lists_a_named_filing(client, named):
    client.force_login(named.reporter.user)
    response = client.get(reverse("web-my"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert named.code in response.content.decode()


def test_rotation_re_encrypts_with_the_newest_key_and_the_old_one_can_then_be_dropped(file_complaint, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    complaint = file_complaint(full_name=NAME, email=EMAIL, phone=PHONE)
    before = raw_row(complaint.pk)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    dry = StringIO()
    call_command("rotate_field_keys", "--dry-run", stdout=dry)
    assert "would re-encrypt 1 " in dry.getvalue()
    assert raw_row(complaint.pk) == before  # a dry run writes nothing
    out = StringIO()
    call_command("rotate_field_keys", "--batch-size", "1", stdout=out)
    assert "re-encrypted 1 with the newest key" in out.getvalue()
    assert raw_row(complaint.pk) != before
    again = StringIO()
    call_command("rotate_field_keys", stdout=again)
    assert "re-encrypted 0 " in again.getvalue()  # idempotent
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    reporter = Reporter.objects.get(pk=complaint.pk)
    assert (reporter.full_name, reporter.email, reporter.phone) == (NAME, EMAIL, PHONE)
    assert_no_plaintext(raw_row(complaint.pk))
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    with pytest.raises(InvalidToken):
        Reporter.objects.get(pk=complaint.pk)


def test_a_row_not_yet_rotated_keeps_reading_during_the_rotation(file_complaint, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    old = file_complaint(full_name="Старый ключ", email="old@example.kz")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]  # every instance restarted with the new key first
    new = file_complaint(full_name="Новый ключ", email="new@example.kz")
    assert Reporter.objects.get(pk=old.pk).full_name == "Старый ключ"
    assert Reporter.objects.get(pk=new.pk).full_name == "Новый ключ"
    out = StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "2 reporter rows checked; re-encrypted 1 " in out.getvalue()


def test_rotation_recomputes_the_lookup_hashes_under_a_new_hash_key(named, settings):
    settings.FIELD_HASH_KEY = "a-new-hash-key"
    assert not selectors.reporters_with_email(email=EMAIL).exists()
    out = StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "recomputed 1 lookup hashes" in out.getvalue()
    assert [r.pk for r in selectors.reporters_with_email(email=EMAIL)] == [named.pk]


def test_check_deploy_warns_while_a_key_derived_from_secret_key_is_in_use(settings):
    settings.DEBUG = False
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_HASH_KEY = ""
    assert {m.id for m in crypto.check_derived_keys()} == {"complaints.W101", "complaints.W102"}
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, "derived"]  # moving off the development key: still warned
    settings.FIELD_HASH_KEY = "a-real-hash-key"
    assert {m.id for m in crypto.check_derived_keys()} == {"complaints.W101"}
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert crypto.check_derived_keys() == []
    settings.DEBUG = True
    settings.FIELD_ENCRYPTION_KEYS = []
    assert crypto.check_derived_keys() == []


def test_a_malformed_key_is_an_error_at_start_up_that_does_not_repeat_it(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, "not-a-fernet-key-123"]
    [error] = crypto.check_encryption_keys()
    assert error.id == "complaints.E101"
    assert "#2" in error.msg
    assert "not-a-fernet-key-123" not in error.msg


def test_the_derived_development_key_moves_to_a_real_one(file_complaint, settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    complaint = file_complaint(full_name=NAME)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A, "derived"]
    call_command("rotate_field_keys", stdout=StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    assert Reporter.objects.get(pk=complaint.pk).full_name == NAME


MIGRATION_SCRIPT = r"""
import datetime, json, django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
call_command("migrate", "complaints", "0014", verbosity=0)
old = MigrationLoader(connection).project_state(("complaints", "0014_webhook_subscription_api_key")).apps
day = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
election = old.get_model("complaints", "Election").objects.create(
    slug="e", name_ru="e", kind="local", voting_day=day.date(), status="active"
)
category = old.get_model("complaints", "Category").objects.create(
    code="c", name_ru="c", name_kk="c", name_en="c", default_severity=2
)
complaint = old.get_model("complaints", "Complaint").objects.create(
    election=election, category=category, place_text="school", occurred_at=day, description="d", severity=2,
    channel="web",
)
old.get_model("complaints", "Reporter").objects.create(complaint=complaint, full_name=NAME, email=EMAIL, phone=PHONE)


def raw():
    with connection.cursor() as c:
        c.execute("SELECT full_name, email, phone FROM complaints_reporter")
        return list(c.fetchone())


out = {"before": raw()}
call_command("migrate", "complaints", "0015", verbosity=0)
out["encrypted"] = raw()
from complaints.models import Reporter
from tests.conftest import require_service
r = Reporter.objects.get()
out["read"] = [r.full_name, r.email, r.phone]
out["found"] = Reporter.objects.filter(email_hash=Reporter._meta.get_field("email_hash").hash_of(EMAIL)).count()
call_command("migrate", "complaints", "0014", verbosity=0)
out["reversed"] = raw()
print(json.dumps(out))
"""


@contextmanager
def scratch_database(vendor: str) -> Iterator[dict[str, str]]:
    """Environment for a subprocess on an empty database of ``vendor`` (never the test database)."""
    if vendor == "sqlite":
        yield {}
        return
    require_service("PostgreSQL", connection.vendor == "postgresql", "run the suite with DATABASE_URL on PostgreSQL")
    import psycopg

    db = connection.settings_dict
    params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"]}
    params["password"] = db["PASSWORD"] or None
    name = f"enc_migration_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    try:
        yield {"DATABASE_URL": f"postgres://{auth}@{params['host']}:{params['port']}/{name}"}
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_the_migration_encrypts_existing_rows_and_reverses(tmp_path, vendor):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "FIELD_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "registry.settings", "VAR_DIR": str(tmp_path)})
    script = f"NAME, EMAIL, PHONE = {NAME!r}, {EMAIL!r}, {PHONE!r}\n" + MIGRATION_SCRIPT
    with scratch_database(vendor) as database:
        proc = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**env, **database},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["before"] == [NAME, EMAIL, PHONE]
    assert_no_plaintext(tuple(out["encrypted"]))
    assert out["read"] == [NAME, EMAIL, PHONE]
    assert out["found"] == 1
    assert out["reversed"] == [NAME, EMAIL, PHONE]


def test_the_admin_refuses_a_lookup_by_the_email_hash(client, make_user, named, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    digest = Reporter.objects.get(pk=named.pk).email_hash
    response = client.get(reverse("admin:complaints_reporter_changelist"), {"email_hash": digest})
    assert response.status_code == 400
    assert named.code.encode() not in response.content


def test_the_keys_can_come_from_a_file_newest_first(tmp_path):
    keys = tmp_path / "field-keys"
    keys.write_text(f"{KEY_B}\n{KEY_A}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELD_")}
    env.update({"DJANGO_SETTINGS_MODULE": "registry.settings", "VAR_DIR": str(tmp_path)})
    env["FIELD_ENCRYPTION_KEYS_FILE"] = str(keys)
    probe = "import django; django.setup(); from django.conf import settings; print(settings.FIELD_ENCRYPTION_KEYS)"
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == str([KEY_B, KEY_A])
