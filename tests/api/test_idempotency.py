from __future__ import annotations

import threading
import uuid

import pytest
from django.db import close_old_connections, connection
from rest_framework.test import APIClient

from complaints.models import Complaint, IdempotencyRecord
from tests.api.conftest import API, error_of
from tests.conftest import require_service

pytestmark = pytest.mark.django_db


def test_retry_with_the_same_key_replays_without_filing_twice(client_for, people, filing_payload):
    client = client_for(people["observer"])
    key, payload = str(uuid.uuid4()), filing_payload()
    first = client.post(f"{API}/complaints/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = client.post(f"{API}/complaints/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["code"] == second.json()["code"]
    assert first.json()["secret"]
    assert first.json()["secret_redacted"] is False
    # The secret's plaintext is never stored, so the replay cannot repeat it: it says so.
    assert second.json()["secret"] is None
    assert second.json()["secret_redacted"] is True
    assert second["Idempotent-Replayed"] == "true"
    assert {k: v for k, v in first.json().items() if not k.startswith("secret")} == {
        k: v for k, v in second.json().items() if not k.startswith("secret")
    }
    assert Complaint.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert first.json()["secret"] not in str(record.response_body)


def test_same_key_with_another_body_is_422(client_for, people, filing_payload):
    client = client_for(people["observer"])
    key = "retry-" + uuid.uuid4().hex
    assert (
        client.post(f"{API}/complaints/", filing_payload(), format="json", HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    )
    response = client.post(
        f"{API}/complaints/",
        filing_payload(description="A different complaint altogether, filed under a reused key."),
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert Complaint.objects.count() == 1


def test_keys_are_per_owner(client_for, people, anon, filing_payload):
    key, payload = "shared-key-" + uuid.uuid4().hex, filing_payload()
    a = client_for(people["observer"]).post(f"{API}/complaints/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    b = client_for(people["other_observer"]).post(
        f"{API}/complaints/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    c = anon.post(f"{API}/complaints/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert len({a.json()["code"], b.json()["code"], c.json()["code"]}) == 3
    assert Complaint.objects.count() == 3


def test_a_failed_request_does_not_burn_the_key(anon, filing_payload):
    key = "k-" + uuid.uuid4().hex
    bad = anon.post(f"{API}/complaints/", filing_payload(description="short"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    good = anon.post(f"{API}/complaints/", filing_payload(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert good.status_code == 201


def test_malformed_key_is_400(anon, filing_payload):
    response = anon.post(f"{API}/complaints/", filing_payload(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_file_once(people, client_for, filing_payload):
    require_service("PostgreSQL", connection.vendor == "postgresql", "row locks need a real server")
    key = client_for(people["observer"]).api_key
    payload, idem = filing_payload(), str(uuid.uuid4())
    barrier, results = threading.Barrier(6), []

    def post() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        barrier.wait()
        try:
            response = client.post(f"{API}/complaints/", payload, format="json", HTTP_IDEMPOTENCY_KEY=idem)
            results.append((response.status_code, response.json().get("code")))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in results] == [201] * 6
    assert len({code for _, code in results}) == 1
    assert Complaint.objects.count() == 1


def test_an_anonymous_filing_stores_no_address_with_its_key(anon, filing_payload):
    from complaints.models import IdempotencyRecord

    key, payload = "anon-" + uuid.uuid4().hex, filing_payload()
    response = anon.post(
        f"{API}/complaints/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 201
    record = IdempotencyRecord.objects.get(key=key)
    assert "203.0.113.7" not in record.owner
    assert "203.0.113.7" not in str(record.response_body)
    # A retry from another address (a phone moving between networks) still replays.
    again = anon.post(
        f"{API}/complaints/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key, REMOTE_ADDR="198.51.100.9"
    )
    assert again.status_code == 201, again.content
    assert again["Idempotent-Replayed"] == "true"


def test_an_anonymous_key_must_be_long_enough_not_to_be_guessed(anon, filing_payload):
    response = anon.post(f"{API}/complaints/", filing_payload(), format="json", HTTP_IDEMPOTENCY_KEY="1")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
