"""Two web nodes, one database (through PgBouncer) and one bucket: what node A stores, node B serves.

Two gunicorn processes on different ports, each with its own local folder (VAR_DIR), share a
private PgBouncer in transaction mode in front of one PostgreSQL database and one S3 bucket
(moto's server). A complaint with evidence filed on node A is listed and downloaded from
node B, byte for byte; a transition on B is seen at once on A and notifies as usual (the
webhook subscribed on A gets both events, signed, sent from B's process); neither node's
local folder holds a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.images import png_bytes
from tests.integration.receiver import Receiver
from tests.integration.test_db_outage import SEED, _die_with_parent, port_open, wait_for
from tests.integration.test_pgbouncer import Pooler, app_env, free_port, pooler, run  # noqa: F401 - the fixture
from tests.integration.test_s3_storage import KEY_ID, SECRET, s3_endpoint  # noqa: F401 - the fixture
from tests.robustness.test_hostile_uploads import MULTIPART, multipart

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
BUCKET = "registry-multi-node"


def _gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "registry.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
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


@pytest.fixture
def nodes(pooler: Pooler, s3_endpoint: str, tmp_path: Path) -> Iterator[dict[str, Any]]:  # noqa: F811
    import boto3

    boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, region_name="us-east-1"
    ).create_bucket(Bucket=BUCKET)
    shared = {
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "SECRET_KEY": "multi-node-integration-test-only",  # one key for both: sessions, derived field keys
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_COOKIES": "false",
        "LANGUAGE_CODE": "en",
        "CELERY_BROKER_URL": "memory://",  # no worker: the sweep below, run as node B, delivers
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",  # the receiver is on 127.0.0.1
        # A row handed to the (unconsumed) broker is held for its task this long; then anyone may send it.
        "OUTBOX_DISPATCH_LEASE_SECONDS": "1",
    }
    envs = {name: app_env(pooler, tmp_path / name, **shared) for name in ("a", "b")}
    for name in envs:
        (tmp_path / name).mkdir()
    run(envs["a"], "manage.py", "migrate", "--no-input")
    for env in envs.values():
        run(env, "manage.py", "collectstatic", "--no-input", "--verbosity", "0")
    seeded = subprocess.run(
        [sys.executable, "manage.py", "shell"], input=SEED, cwd=ROOT, env=envs["a"], capture_output=True, text=True
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    import json

    seed = json.loads(seeded.stdout.strip().splitlines()[-1])
    started: dict[str, Any] = {}
    try:
        for name, env in envs.items():
            port = free_port()
            log = tmp_path / f"gunicorn-{name}.log"
            process = _gunicorn(env, port, log)
            started[name] = {"process": process, "url": f"http://127.0.0.1:{port}", "log": log, "env": env}
            wait_for(lambda p=process, q=port: p.poll() is None and port_open(q), 30, f"gunicorn {name} on {port}")
        yield {"seed": seed, "pooler": pooler, "tmp": tmp_path, **started}
    finally:
        for node in started.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node["process"].pid, signal.SIGTERM)
            try:
                node["process"].wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(node["process"].pid, signal.SIGKILL)


def test_a_complaint_filed_on_node_a_is_served_with_its_evidence_by_node_b(nodes: dict[str, Any]) -> None:
    seed, a, b = nodes["seed"], nodes["a"]["url"], nodes["b"]["url"]
    key = {"Authorization": f"Api-Key {seed['key']}", "Accept-Language": "en"}
    receiver = Receiver(free_port()).start()
    try:
        _story(nodes, receiver, key, seed, a, b)
    finally:
        receiver.stop()


def _story(
    nodes: dict[str, Any], receiver: Receiver, key: dict[str, str], seed: dict[str, Any], a: str, b: str
) -> None:
    subscribed = requests.post(f"{a}/api/v1/webhooks/", json={"url": f"{receiver.url}/hook"}, headers=key, timeout=30)
    assert subscribed.status_code == 201, subscribed.text[:300]
    receiver.state.secrets["/hook"] = [subscribed.json()["secret"]]
    photo = png_bytes((12, 90, 160), width=64, height=48)
    fields = {
        "election": seed["election"],
        "category": "pressure",
        "polling_station": seed["station"],
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 600)),
        "description": "Filed on node A, read on node B: the evidence is in the shared bucket.",
    }
    filed = requests.post(
        f"{a}/api/v1/complaints/",
        data=multipart(fields, [("ballot.png", photo)]),
        headers={"Content-Type": MULTIPART, **key},
        timeout=60,
    )
    assert filed.status_code == 201, filed.text[:500]
    code = filed.json()["code"]

    listed = requests.get(f"{b}/api/v1/complaints/{code}/evidence/", headers=key, timeout=30)
    assert listed.status_code == 200, listed.text[:300]
    [item] = listed.json()
    download = requests.get(f"{b}/api/v1/evidence/{item['id']}/download/", headers=key, timeout=30)
    assert download.status_code == 200, download.text[:300]
    assert download.content == photo
    assert hashlib.sha256(download.content).hexdigest() == item["sha256"]
    for node in ("a", "b"):
        media = nodes["tmp"] / node / "media"
        assert not [p for p in media.rglob("*") if p.is_file()] if media.exists() else True, node

    detail = requests.get(f"{b}/api/v1/complaints/{code}/", headers=key, timeout=30).json()
    triaged = requests.post(
        f"{b}/api/v1/complaints/{code}/triage/", json={"version": detail["version"]}, headers=key, timeout=30
    )
    assert triaged.status_code == 200, triaged.text[:300]
    with nodes["pooler"].connect(autocommit=True) as conn:
        rows = conn.execute(
            "SELECT o.event_type, o.channel FROM complaints_outboxmessage o"
            " JOIN complaints_complaint c ON c.id = o.complaint_id WHERE c.code = %s",
            (code,),
            prepare=False,
        ).fetchall()
    events = {event for event, _channel in rows}
    assert {"complaint.submitted", "complaint.status_changed"} <= events, rows
    # Delivered from node B's process, signed, to the subscriber recorded on node A.
    time.sleep(1.5)  # the dispatch lease above
    deliver = (
        "from complaints.models import OutboxMessage; from complaints.notifications import delivery; "
        "[delivery.deliver(pk) for pk in OutboxMessage.objects.filter(status='pending').values_list('pk', flat=True)]"
    )
    run(nodes["b"]["env"], "manage.py", "shell", "-c", deliver)
    delivered = {(r.payload or {}).get("type") for r in receiver.state.processed.values()}
    assert {"complaint.submitted", "complaint.status_changed"} <= delivered, receiver.state.requests
    assert all(r.verified for r in receiver.state.requests)
    # Node A sees node B's transition at once: one database, no node-local state.
    again = requests.get(f"{a}/api/v1/complaints/{code}/", headers=key, timeout=30).json()
    assert again["status"] == "triaged"
    assert again["version"] == detail["version"] + 1
