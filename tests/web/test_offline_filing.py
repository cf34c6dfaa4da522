"""Offline-first filing, the server's side: the service worker and the filing form's Idempotency-Key."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from complaints.models import Complaint, Evidence, IdempotencyRecord
from tests.web.test_filing import _form

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def test_service_worker_is_javascript_at_the_root_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    assert 'importScripts("/static/complaints/outbox.js")' in body
    assert '"/static/complaints/app.js"' in body  # an asset kept for offline use, not HTML-escaped
    assert 'var OFFLINE_COPY = "/file/?offline\\u003D1";' in body
    assert "&quot;" not in body


def test_service_worker_cache_version_follows_the_assets(client, monkeypatch):
    from complaints.web import offline

    first = client.get("/sw.js").content
    assert client.get("/sw.js").content == first  # the same files: the same worker, no reinstall
    monkeypatch.setattr(offline, "WORKER_REVISION", "test-changed")
    assert client.get("/sw.js").content != first


def test_offline_copy_of_the_filing_page_holds_nothing_of_who_is_signed_in(client, observer, election, category):
    client.force_login(observer)
    signed_in = client.get(reverse("web-file")).content.decode()
    assert observer.get_username() in signed_in
    copy = client.get(reverse("web-file") + "?offline=1")
    assert copy.status_code == 200
    html = copy.content.decode()
    assert observer.get_username() not in html
    assert "data-outbox" in html
    assert copy.context["form"].initial.get("identity") != "named"


def _post(client, data, key, **extra):
    return client.post(reverse("web-file"), data, HTTP_IDEMPOTENCY_KEY=key, **JSON, **extra)


def test_a_queued_complaint_sent_twice_is_filed_once(client, election, category, territory, png_upload):
    key = str(uuid.uuid4())
    files = [png_upload("a.png"), png_upload("b.png", (0, 90, 200))]
    first = _post(client, _form(election, category, files=files), key)
    assert first.status_code == 200, first.content
    receipt = first.json()["receipt"]
    assert receipt["code"]
    assert receipt["secret"]  # the queue has no receipt page to go to

    for f in files:
        f.seek(0)
    again = _post(client, _form(election, category, files=files), key)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["receipt"] == {"code": receipt["code"], "secret": None}  # the secret is never stored
    complaint = Complaint.objects.get()
    assert complaint.code == receipt["code"]
    assert Evidence.objects.filter(complaint=complaint).count() == 2
    assert IdempotencyRecord.objects.get().complaint == complaint


def test_the_same_key_with_other_content_is_refused(client, election, category, territory):
    key = str(uuid.uuid4())
    assert _post(client, _form(election, category), key).status_code == 200
    other = _post(client, _form(election, category, description="Совсем другая жалоба о том же участке."), key)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["errors"]["__all__"][0]["message"]
    assert Complaint.objects.count() == 1


def test_a_refused_queued_complaint_keeps_its_key_free_for_the_correction(client, election, category, territory):
    key = str(uuid.uuid4())
    refused = _post(client, _form(election, category, description=""), key)
    assert refused.status_code == 400
    assert "description" in refused.json()["errors"]
    assert not IdempotencyRecord.objects.exists()
    assert _post(client, _form(election, category), key).status_code == 200
    assert Complaint.objects.count() == 1


def test_a_short_key_from_an_anonymous_filer_is_refused(client, election, category, territory):
    response = _post(client, _form(election, category), "short")
    assert response.status_code == 400
    assert not Complaint.objects.exists()


def test_the_fingerprint_ignores_the_csrf_token_and_sees_the_files(rf, png_upload):
    from complaints.web.offline import _fingerprint

    def fp(token, name):
        request = rf.post("/file/", {"csrfmiddlewaretoken": token, "description": "x", "files": [png_upload(name)]})
        return _fingerprint(request)

    assert fp("a" * 32, "a.png") == fp("b" * 32, "a.png")
    assert fp("a" * 32, "a.png") != fp("a" * 32, "b.png")
