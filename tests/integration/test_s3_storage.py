"""Evidence, decisions and documents in an S3 bucket, against a real S3-protocol server.

The server is moto's (``moto.server.ThreadedMotoServer``, from PyPI: ``moto[s3]`` with Flask
and flask-cors): a real HTTP server on a free port of 127.0.0.1 speaking the S3 REST
protocol, so boto3 and django-storages talk to it exactly as to AWS or MinIO, signatures,
multipart uploads and ACLs included (an unsigned GET of a private object is 403 there as
on AWS). The storage settings are the ones ``registry/settings.py`` derives from the
environment (``S3_BUCKET``, ``S3_ENDPOINT_URL``, ...), read from a child process.

Without moto these tests skip on a laptop and fail under CI=true.
"""

# ruff: noqa: F811 - fixtures imported from other conftests, then named as parameters

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, Decision, Evidence, GeneratedDocument
from complaints.services.files import BucketStream, open_stored
from tests.api.conftest import API, PDF, PNG, anon, client_for, error_of, filing_payload, people  # noqa: F401 - shared
from tests.casefile.conftest import case  # noqa: F401 - a whole case: evidence, decision, reply, document
from tests.cases.conftest import bodies, rules, staff, substantiated  # noqa: F401 - shared fixtures
from tests.conftest import require_service
from tests.integrity.conftest import audit_keys  # noqa: F401 - a signing key of the test's own

ROOT = Path(__file__).resolve().parents[2]
KEY_ID, SECRET = "registry-test", "registry-test-secret"

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        require_service("an S3 server (moto)", False, f"pip install 'moto[s3]' flask flask-cors ({exc})")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request in the test output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def storage_from_environment(**env: str) -> dict[str, Any]:
    """``STORAGES["default"]`` as registry/settings.py builds it from these environment variables."""
    code = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES['default']))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "AWS_"))}
    run = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "registry.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def environment_storage(s3_endpoint: str) -> dict[str, Any]:
    return storage_from_environment(
        S3_BUCKET="registry-files",
        S3_ENDPOINT_URL=s3_endpoint,
        S3_REGION="us-east-1",
        AWS_ACCESS_KEY_ID=KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET,
    )


class Bucket:
    def __init__(self, endpoint: str, name: str) -> None:
        import boto3

        self.endpoint, self.name = endpoint, name
        self.client = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET
        )
        self.client.create_bucket(Bucket=name)

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def unsigned_get(self, key: str) -> int:
        """The status of a plain GET of the object's URL, as anyone on the network could send it."""
        try:
            with urllib.request.urlopen(f"{self.endpoint}/{self.name}/{key}", timeout=10) as answer:  # noqa: S310
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


@pytest.fixture
def bucket(s3_endpoint: str, environment_storage: dict[str, Any], settings: Any, tmp_path: Path) -> Bucket:
    """A fresh bucket of this test, and the default storage pointed at it (settings from the environment)."""
    made = Bucket(s3_endpoint, f"registry-{uuid.uuid4().hex[:16]}")
    options = {**environment_storage["OPTIONS"], "bucket_name": made.name}
    settings.STORAGES = {**settings.STORAGES, "default": {**environment_storage, "OPTIONS": options}}
    settings.MEDIA_ROOT = tmp_path / "media-must-stay-empty"
    return made


def local_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# --- the settings ------------------------------------------------------------------------


def test_the_environment_selects_a_private_bucket(environment_storage: dict[str, Any], s3_endpoint: str) -> None:
    assert environment_storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = environment_storage["OPTIONS"]
    assert options["bucket_name"] == "registry-files"
    assert options["endpoint_url"] == s3_endpoint
    assert options["region_name"] == "us-east-1"
    assert (options["access_key"], options["secret_key"]) == (KEY_ID, SECRET)
    assert options["default_acl"] is None  # never public-read
    assert options["querystring_auth"] is True  # any URL it makes is signed and short-lived
    assert options["file_overwrite"] is False
    assert storage_from_environment()["BACKEND"] == "django.core.files.storage.FileSystemStorage"


# --- evidence ------------------------------------------------------------------------------


def test_evidence_filed_through_the_api_is_in_the_bucket_private_and_served_after_the_check(
    bucket: Bucket,
    anon: Any,
    filing_payload: Any,
    client_for: Any,
    people: dict[str, Any],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payload = filing_payload()
    payload["files"] = [SimpleUploadedFile("ballot.png", PNG), SimpleUploadedFile("act.pdf", PDF)]
    response = anon.post(f"{API}/complaints/", payload, format="multipart")
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get(code=response.json()["code"])
    evidence = list(Evidence.objects.filter(complaint=complaint).order_by("pk"))
    assert [e.sha256 for e in evidence] == [hashlib.sha256(PNG).hexdigest(), hashlib.sha256(PDF).hexdigest()]
    assert bucket.keys() == sorted(e.file.name for e in evidence)
    assert local_files(settings) == []
    for item, data in zip(evidence, (PNG, PDF), strict=True):
        assert bucket.read(item.file.name) == data
        assert bucket.unsigned_get(item.file.name) == 403  # private: only the app's signed requests read it

    opened: list[Any] = []

    def spy(fieldfile: Any) -> Any:
        opened.append(open_stored(fieldfile))
        return opened[-1]

    monkeypatch.setattr("complaints.downloads.open_stored", spy)
    reviewer = client_for(people["reviewer"])
    download = reviewer.get(f"{API}/evidence/{evidence[0].pk}/download/")
    assert download.status_code == 200
    assert isinstance(opened[0], BucketStream)  # streamed from the bucket, not loaded whole first
    data = body_of(download)
    assert data == PNG
    assert hashlib.sha256(data).hexdigest() == download["X-Content-SHA256"] == evidence[0].sha256
    assert download["Content-Length"] == str(len(PNG))

    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(people["reviewer"])
    page = web.get(reverse("web-evidence", args=[complaint.code, evidence[1].pk]))
    assert page.status_code == 200
    assert hashlib.sha256(body_of(page)).hexdigest() == evidence[1].sha256
    assert page["Content-Length"] == str(len(PDF))

    # The permission check stays in front: out of scope the file does not exist.
    elsewhere = client_for(people["reviewer_elsewhere"])
    assert elsewhere.get(f"{API}/evidence/{evidence[0].pk}/download/").status_code == 404
    web.force_login(people["reviewer_elsewhere"])
    assert web.get(reverse("web-evidence", args=[complaint.code, evidence[0].pk])).status_code == 404


def test_a_filing_that_does_not_commit_leaves_no_object(
    bucket: Bucket, file_complaint: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(**_: Any) -> None:
        raise RuntimeError("the outbox refused (after the evidence was stored)")

    monkeypatch.setattr("complaints.services.filing.outbox_record", refused)
    with pytest.raises(RuntimeError, match="outbox refused"):
        file_complaint(files=[SimpleUploadedFile("ballot.png", PNG), SimpleUploadedFile("act.pdf", PDF)])
    assert Complaint.objects.count() == 0
    assert bucket.keys() == []


def test_a_bucket_that_cannot_be_reached_is_503_and_nothing_is_kept(
    bucket: Bucket, anon: Any, filing_payload: Any, settings: Any
) -> None:
    from botocore.config import Config

    default = settings.STORAGES["default"]
    options = {
        **default["OPTIONS"],
        "endpoint_url": "http://127.0.0.1:9",  # discard: nothing listens
        "client_config": Config(connect_timeout=1, retries={"max_attempts": 1}),
    }
    settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}
    payload = filing_payload()
    payload["files"] = [SimpleUploadedFile("ballot.png", PNG)]
    response = anon.post(f"{API}/complaints/", payload, format="multipart")
    assert response.status_code == 503, response.content
    error = error_of(response)
    assert error["code"] == "storage_unavailable"
    assert "file storage cannot be reached" in error["message"]
    assert Complaint.objects.count() == 0


# --- decisions, documents, the case file ------------------------------------------------


def test_a_generated_document_is_stored_in_the_bucket_and_downloaded(
    bucket: Bucket, substantiated: Complaint, staff: dict[str, Any], settings: Any
) -> None:
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(staff["coordinator"])
    created = web.post(
        reverse("api-complaint-documents", args=[substantiated.code]),
        {"language": "ru", "format": "pdf", "organisation": "Наблюдатели", "legal_basis": "ст. 47"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    document = GeneratedDocument.objects.get(pk=created.json()["id"])
    assert bucket.keys() == [document.file.name]
    assert bucket.unsigned_get(document.file.name) == 403
    for url in (
        reverse("api-complaint-document-download", args=[substantiated.code, document.pk]),
        reverse("web-document", args=[substantiated.code, document.pk]),
    ):
        download = web.get(url)
        assert download.status_code == 200, url
        data = body_of(download)
        assert data[:5] == b"%PDF-"
        assert hashlib.sha256(data).hexdigest() == document.sha256 == download["X-Content-SHA256"]
    assert local_files(settings) == []


def test_a_decision_with_its_file_is_stored_in_the_bucket(
    bucket: Bucket, client_for: Any, staff: dict[str, Any], substantiated: Complaint, bodies: Any, rules: None
) -> None:
    coordinator = client_for(staff["coordinator"])
    base = f"{API}/complaints/{substantiated.code}/"
    filed = coordinator.post(base + "submissions/", {"authority": bodies["ekib"].pk, "channel": "post"}, format="json")
    assert filed.status_code == 201, filed.content
    sid = filed.json()["id"]
    decided = coordinator.post(
        base + f"submissions/{sid}/outcome/",
        {
            "outcome": "rejected",
            "decided_on": timezone.localdate().isoformat(),
            "text": "Отказ",
            "file": SimpleUploadedFile("decision.pdf", PDF, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert decided.status_code == 200, decided.content
    decision = Decision.objects.get(submission_id=sid)
    assert decision.sha256 == hashlib.sha256(PDF).hexdigest()
    assert bucket.keys() == [decision.file.name]
    assert bucket.unsigned_get(decision.file.name) == 403
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(staff["coordinator"])
    download = web.get(reverse("web-decision-file", args=[substantiated.code, sid]))
    assert download.status_code == 200
    assert body_of(download) == PDF


def test_a_decision_that_does_not_commit_leaves_no_object(
    bucket: Bucket, staff: dict[str, Any], substantiated: Complaint, bodies: Any, rules: None, monkeypatch: Any
) -> None:
    submission = services.submission_file(complaint=substantiated, actor=staff["coordinator"], authority=bodies["ekib"])

    def refused(**_: Any) -> None:
        raise RuntimeError("the audit refused (after the decision's file was stored)")

    monkeypatch.setattr("complaints.services.cases.audit_append", refused)
    with pytest.raises(RuntimeError, match="audit refused"):
        services.submission_record_outcome(
            submission=submission,
            actor=staff["coordinator"],
            outcome="rejected",
            decided_on=timezone.localdate(),
            upload=SimpleUploadedFile("decision.pdf", PDF, content_type="application/pdf"),
        )
    assert not Decision.objects.exists()
    assert bucket.keys() == []


def test_the_case_file_export_reads_every_file_from_the_bucket(
    bucket: Bucket, case: Complaint, staff: dict[str, Any], client_for: Any, audit_keys: Any, tmp_path: Path
) -> None:
    stored = {
        *(e.file.name for e in case.evidence.all()),
        *(d.file.name for d in GeneratedDocument.objects.filter(complaint=case)),
        *(d.file.name for d in Decision.objects.filter(submission__complaint=case) if d.file),
    }
    assert stored <= set(bucket.keys())
    assert len(bucket.keys()) == 5  # two evidence files, the document, the decision and the reply
    response = client_for(staff["coordinator"]).get(f"{API}/complaints/{case.code}/case-file/")
    assert response.status_code == 200
    archive_bytes = body_of(response)
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        listed = {item["path"]: item for item in manifest["files"]}
        for path, item in listed.items():
            data = archive.read(path)
            assert hashlib.sha256(data).hexdigest() == item["sha256"], path
            assert len(data) == item["size"], path
        kept = {e.sha256 for e in case.evidence.all()} | {
            d.sha256 for d in GeneratedDocument.objects.filter(complaint=case)
        }
        assert kept <= {item["sha256"] for item in listed.values()}
    exported = tmp_path / "case.zip"
    exported.write_bytes(archive_bytes)
    verifier = tmp_path / "verify_case.py"
    verifier.write_bytes((ROOT / "complaints" / "integrity.py").read_bytes())
    run = subprocess.run(
        [sys.executable, "-I", str(verifier), str(exported), "--public-key", str(audit_keys.public)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr

    # verify_audit reads every evidence file back from the bucket; a changed object is named.
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("OK:")
    changed = case.evidence.order_by("pk").last()
    assert changed is not None
    bucket.client.put_object(Bucket=bucket.name, Key=changed.file.name, Body=bucket.read(changed.file.name) + b"\0")
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
    refused = client_for(staff["coordinator"]).get(f"{API}/complaints/{case.code}/case-file/")
    assert refused.status_code == 400
    assert "the stored file no longer matches" in error_of(refused)["message"]
