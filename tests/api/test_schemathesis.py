"""Schemathesis (the `st` CLI, all checks) against the live schema on a live server.

The server is pytest-django's ``live_server`` (set DJANGO_LIVE_TEST_SERVER_ADDRESS to pin
its port). Data the fuzzer cannot invent is seeded and offered through schemathesis
"dictionaries": a real receipt code (and its secret), so generated requests reach the
business logic instead of 404ing; the opaque pagination cursor is pinned to the first page.

Configuration choices, each for a reason the schema cannot express:
- `allow-x00 = false`: PostgreSQL text cannot hold NUL; the API answers 400 (documented).
- positive_data_acceptance also accepts 400/413/415/422 on the operations whose input is
  checked against stored data or file contents (an election id that exists, a date not in
  the future, a username, a duplicate's original, a resolvable webhook URL, a real image,
  a document's organisation or signatory that the standing needs,
  an Idempotency-Key already used with another body). Everything else is checked as is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.testcases import QuietWSGIRequestHandler
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from complaints import services
from complaints.models import ApiKey
from tests.api.conftest import PNG
from tests.conftest import require_service

# Transactional: the live server thread must see the data. The role groups a flush removes are
# re-created by make_user (no serialized_rollback: it clashes with content types re-created on flush).
pytestmark = pytest.mark.django_db(transaction=True)

BUSINESS_VALIDATED = [
    "complaints_create",
    "complaints_assign",
    "complaints_mark_duplicate",
    "complaints_transition",
    "complaints_evidence_create",
    "complaints_documents_create",
    "status_evidence",
    "webhooks_create",
    "webhooks_update",
    # The legal case: an authority id in the register, dates not in the future, the submission's state.
    "complaints_submissions_create",
    "complaints_submissions_outcome",
    "complaints_submissions_appeal",
    "complaints_respondents_create",
    "complaints_respondents_reply",
    # A case file is refused (400, naming the file) unless it is a genuine archive whose hashes verify.
    "case_files_import",
]
CONFIG = """\
workers = 1

[generation]
allow-x00 = false

[dictionaries.codes]
values = ["{code}", "{anon_code}"]

[dictionaries.receipt_codes]
values = ["{anon_code}"]

[dictionaries.receipt_secrets]
values = ["{anon_secret}"]

[dictionaries.evidence]
values = [{evidence}]

[parameters]
"query.cursor" = ""
"path.code" = {{ dictionary = "codes", probability = 0.5 }}
"body.code" = {{ dictionary = "receipt_codes", probability = 0.5 }}
"body.secret" = {{ dictionary = "receipt_secrets", probability = 0.5 }}
"header.X-Receipt-Code" = {{ dictionary = "receipt_codes", probability = 0.5 }}
"header.X-Receipt-Secret" = {{ dictionary = "receipt_secrets", probability = 0.5 }}

[[operations]]
include-operation-id = "evidence_download"
parameters = {{ "path.id" = {{ dictionary = "evidence", probability = 0.5 }} }}

[[operations]]
include-operation-id = {business}
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "400", "401", "403", "404", "409", "413", "415", "422", "429"
]
"""


def st_binary() -> str | None:
    candidate = Path(sys.executable).with_name("st")
    return str(candidate) if candidate.exists() else shutil.which("st")


# Roles other than admin: the same checks, fewer examples and only the deterministic phases
# (the schema's examples and the coverage phase: each parameter's edge values, missing and wrong
# types), so the four extra runs stay within ~3 minutes of CI time together.
ROLE_RUN = ["--max-examples", "3", "--phases", "examples,coverage"]
ROLES = ["anonymous", "observer", "reviewer", "coordinator"]

# Failures left on purpose, per role: (role, operation id, check) -> the reason. Each is disabled
# for that operation only (and only for that role); everything else is checked.
KNOWN_FAILURES: dict[tuple[str, str, str], str] = {}


def _known_failures_config(role: str) -> str:
    blocks = []
    for (who, operation, check), _reason in KNOWN_FAILURES.items():
        if who == role:
            blocks.append(f'[[operations]]\ninclude-operation-id = "{operation}"\nchecks.{check}.enabled = false\n')
    return "\n".join(blocks)


def _run_schemathesis(
    live_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    tmp_path: Path,
    file_complaint: Any,
    make_user: Any,
    territory: dict[str, Any],
    *,
    role: str,
    options: list[str],
) -> str:
    binary = st_binary()
    require_service("schemathesis CLI (st)", binary is not None)
    # Django's test server writes headers and body separately; with Nagle on, each keep-alive
    # request stalls ~40 ms on delayed ACKs, which would triple the run time.
    monkeypatch.setattr(QuietWSGIRequestHandler, "disable_nagle_algorithm", True, raising=False)
    # Delivery is not under test here: fuzzed webhook URLs must not be called.
    monkeypatch.setattr("complaints.notifications.outbox.dispatch", lambda ids: None)
    # No rate limits: every throttle scope the API has, switched off.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", dict.fromkeys(SimpleRateThrottle.THROTTLE_RATES))
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True

    admin = make_user("admin", username="st-admin")
    observer = make_user("observer", username="st-observer")
    users = {
        "admin": admin,
        "observer": observer,
        # Scoped to the region of the seeded complaints, so their reads and actions reach the workflow.
        "reviewer": make_user("reviewer", [territory["pav"], territory["ala"]], username="st-reviewer"),
        "coordinator": make_user("coordinator", [territory["pav"], territory["ala"]], username="st-coordinator"),
    }
    complaint = file_complaint(reporter_user=observer)
    evidence = services.evidence_attach(complaint=complaint, upload=SimpleUploadedFile("p.png", PNG), actor=observer)
    anonymous = services.complaint_file(
        election=complaint.election,
        category=complaint.category,
        polling_station=territory["ps_ala"],
        occurred_at=timezone.now() - timedelta(hours=2),
        description="Anonymous witness: carousel voting at the school.",
    )
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(
            code=complaint.code,
            anon_code=anonymous.complaint.code,
            anon_secret=anonymous.secret,
            evidence=evidence.pk,
            business="[" + ", ".join(f'"{op}"' for op in BUSINESS_VALIDATED) + "]",
        )
        + _known_failures_config(role)
    )
    auth: list[str] = []
    if role != "anonymous":
        _, key = ApiKey.objects.create_key(name=f"schemathesis {role}", user=users[role])
        auth = ["--header", f"Authorization: Api-Key {key}"]
    command = [
        binary,
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/v1/schema/",
        *auth,
        "--checks",
        "all",
        *options,
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", "20110403"),
        "--request-timeout",
        "20",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-15000:]
    assert "Tested: " in output
    return output


def test_schemathesis_all_checks_pass(
    live_server, monkeypatch, settings, tmp_path, file_complaint, make_user, territory
):
    _run_schemathesis(
        live_server,
        monkeypatch,
        settings,
        tmp_path,
        file_complaint,
        make_user,
        territory,
        role="admin",
        options=["--max-examples", "10"],
    )


@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_all_checks_pass_for_every_role(
    role, live_server, monkeypatch, settings, tmp_path, file_complaint, make_user, territory
):
    _run_schemathesis(
        live_server, monkeypatch, settings, tmp_path, file_complaint, make_user, territory, role=role, options=ROLE_RUN
    )
