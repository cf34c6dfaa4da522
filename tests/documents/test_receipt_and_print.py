"""The filer's printable receipt (code, QR of the status page without the secret, hashes) and the print CSS."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from complaints.documents import qr_svg
from complaints.models import Complaint
from tests.images import png_bytes

pytestmark = pytest.mark.django_db


def _file(client, election, category, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "election": election.pk,
        "category": category.pk,
        "station": "512",
        "polling_station": "",
        "region": "",
        "place_text": "",
        "occurred_at": timezone.localtime(timezone.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"),
        "description": "Директор школы требует от учителей фотографию бюллетеня.",
        "identity": "anonymous",
        "full_name": "",
        "email": "",
        "phone": "",
        "files": [
            SimpleUploadedFile("a.png", png_bytes(), content_type="image/png"),
            SimpleUploadedFile("b.png", png_bytes((0, 90, 200)), content_type="image/png"),
        ],
        **extra,
    }
    response = client.post(reverse("web-file"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Complaint.objects.get()


def test_receipt_has_a_qr_of_the_status_page_without_the_secret_and_the_hashes(client, election, category, territory):
    complaint = _file(client, election, category)
    response = client.get(reverse("web-receipt"))
    html = response.content.decode()
    secret = response.context["secret"]
    url = response.context["status_url"]
    assert url == "http://testserver/status/"  # neither the code nor the secret: no URL carries them
    assert secret not in url
    assert complaint.code not in url
    # The SVG drawn server-side encodes exactly that URL (segno is deterministic).
    assert qr_svg(url, title="QR code of the status page").split(">", 1)[1] in html
    assert '<svg role="img"' in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0]
    for e in complaint.evidence.all():
        assert e.sha256 in html
        assert e.original_name in html
    assert "data-print" in html


def test_the_status_page_does_not_take_the_code_from_a_url(client, election, category, territory):
    complaint = _file(client, election, category)
    response = client.get(reverse("web-status") + f"?code={complaint.code}")
    assert response.context["form"]["code"].value() in (None, "")  # no link carries it, so none is read


def test_a_signed_in_filer_gets_a_qr_of_their_own_status_page(client, election, category, territory, make_user):
    observer = make_user("observer", username="obs_qr")
    client.force_login(observer)
    complaint = _file(client, election, category, identity="named", full_name="Obs")
    response = client.get(reverse("web-receipt"))
    assert response.context["status_url"] == "http://testserver/my/"
    assert complaint.code not in response.context["track_url"]
    assert client.get(response.context["track_url"]).context["complaint"] == complaint


def test_print_stylesheet_is_served_and_hides_forms_buttons_and_navigation(client, election):
    path = finders.find("complaints/print.css")
    assert path
    css = Path(path).read_text()
    assert "@media print" in css
    rules = css.split("@media print", 1)[1]
    for selector in (".site-header", ".nav", "form", "button", ".button", "details.action"):
        assert selector in rules
    page = client.get(reverse("home")).content.decode()
    assert "/static/complaints/print.css" in page
    served = client.get("/static/complaints/print.css")
    assert served.status_code == 200
    assert b"@media print" in b"".join(served.streaming_content if served.streaming else [served.content])
