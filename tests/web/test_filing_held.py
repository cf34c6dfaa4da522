"""Without JavaScript, a filing form re-shown after an error keeps the files it was sent (issue 14).

The files are held on the server against an unguessable key, listed as attached on the
re-shown form, filed with the complaint when it is sent again, and deleted on submit, on
expiry and on "forget this device". A file that cannot be kept is named, to attach again.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.errors import StorageFull
from complaints.models import Complaint, Evidence, HeldUpload
from complaints.web import privacy
from tests.images import png_bytes
from tests.web.test_filing import _form

pytestmark = pytest.mark.django_db

RED, BLUE = (200, 40, 40), (0, 90, 200)


def _png(name: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(color), content_type="image/png")


def _tokens(html: str, name: str = "held") -> list[str]:
    return re.findall(rf'<input type="hidden" name="{name}" value="([^"]+)"', html)


def _first_try(client, election, category):
    """Two photos with a description that is too short: refused, the photos held."""
    data = _form(election, category, description="", files=[_png("a.png", RED), _png("b.png", BLUE)])
    return client.post(reverse("web-file"), data)


def test_a_form_sent_back_with_an_error_keeps_both_files_and_files_them_on_the_next_submit(
    client, election, category, territory, django_capture_on_commit_callbacks
):
    response = _first_try(client, election, category)
    assert response.status_code == 400
    html = response.content.decode()
    assert not Complaint.objects.exists()
    # Both listed as attached, with their size and a way to leave each out.
    assert re.search(r"attached: <bdi>a\.png</bdi></span>\s*<span class=\"muted\">\(\d+\s(bytes|байт)", html), html
    assert "attached: <bdi>b.png</bdi>" in html
    assert html.count('name="held_remove"') == 2
    tokens = _tokens(html)
    assert len(tokens) == 2
    assert HeldUpload.objects.count() == 2
    assert privacy.HELD_COOKIE in response.cookies
    held_names = [h.file.name for h in HeldUpload.objects.all()]
    assert all(name.startswith("held/") and default_storage.exists(name) for name in held_names)

    # Fixed and sent again, without attaching anything: the complaint has both, hashed as sent.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("web-file"), _form(election, category, held=tokens))
    assert again.status_code == 302, again.content.decode()[:3000]
    complaint = Complaint.objects.get()
    stored = {e.original_name: e.sha256 for e in complaint.evidence.all()}
    assert stored == {
        "a.png": hashlib.sha256(png_bytes(RED)).hexdigest(),
        "b.png": hashlib.sha256(png_bytes(BLUE)).hexdigest(),
    }
    # Held copies are gone once filed: rows and files.
    assert not HeldUpload.objects.exists()
    assert not any(default_storage.exists(name) for name in held_names)


def test_held_files_and_new_ones_are_filed_together_and_a_removed_one_is_left_out_and_deleted(
    client, election, category, territory, django_capture_on_commit_callbacks
):
    tokens = _tokens(_first_try(client, election, category).content.decode())
    b_file = HeldUpload.objects.get(original_name="b.png").file.name
    data = _form(election, category, held=tokens, held_remove=[tokens[1]], files=[_png("c.png", (10, 200, 10))])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("web-file"), data).status_code == 302
    assert sorted(Evidence.objects.values_list("original_name", flat=True)) == ["a.png", "c.png"]
    assert not default_storage.exists(b_file)


def test_a_held_file_that_expired_is_named_and_the_complaint_is_not_filed_without_saying_so(
    client, election, category, territory
):
    tokens = _tokens(_first_try(client, election, category).content.decode())
    HeldUpload.objects.filter(original_name="a.png").update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("web-file"), _form(election, category, held=tokens))
    assert response.status_code == 400
    html = response.content.decode()
    assert not Complaint.objects.exists()
    assert "“a.png” was attached earlier but is no longer kept on the server" in html
    assert "Attach it again." in html
    assert "attached: <bdi>b.png</bdi>" in html  # the other one is still kept
    assert len(_tokens(html)) == 1

    # Told once, the filer may send it without the lost file.
    assert client.post(reverse("web-file"), _form(election, category, held=_tokens(html))).status_code == 302
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["b.png"]


def test_a_held_file_whose_bytes_changed_is_not_filed(client, election, category, territory):
    tokens = _tokens(_first_try(client, election, category).content.decode())
    held = HeldUpload.objects.get(original_name="a.png")
    default_storage.delete(held.file.name)
    default_storage.save(held.file.name, SimpleUploadedFile("x", png_bytes((1, 2, 3))))
    response = client.post(reverse("web-file"), _form(election, category, held=tokens))
    assert response.status_code == 400
    assert "“a.png” was attached earlier but is no longer kept" in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_refused_file_is_named_to_attach_again_while_the_good_one_is_kept(client, election, category, territory):
    bad = SimpleUploadedFile("notes.exe", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/octet-stream")
    response = client.post(reverse("web-file"), _form(election, category, files=[_png("a.png", RED), bad]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "notes.exe" in html
    assert "attached: <bdi>a.png</bdi>" in html
    assert "notes.exe</bdi>" not in html  # not listed as kept
    assert list(HeldUpload.objects.values_list("original_name", flat=True)) == ["a.png"]


def test_a_file_that_cannot_be_held_is_named(client, election, category, territory, monkeypatch):
    def full(**kwargs):
        raise StorageFull()

    monkeypatch.setattr(services, "held_upload_create", full)
    response = client.post(reverse("web-file"), _form(election, category, description="", files=[_png("a.png", RED)]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "“a.png” could not be kept:" in html
    assert "Attach it again." in html
    assert "attached: <bdi>a.png</bdi>" not in html


def test_held_files_are_usable_only_from_the_browser_that_sent_them(client, election, category, territory):
    tokens = _tokens(_first_try(client, election, category).content.decode())
    client.cookies.pop(privacy.HELD_COOKIE)
    response = client.post(reverse("web-file"), _form(election, category, held=tokens))
    assert response.status_code == 400
    assert "no longer kept on the server" in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_forged_token_is_ignored(client, election, category, territory):
    _first_try(client, election, category)
    key = HeldUpload.objects.first().key
    response = client.post(reverse("web-file"), _form(election, category, held=[key, "garbage:abc"]))
    assert response.status_code == 302
    assert not Evidence.objects.exists()


def test_forget_this_device_deletes_the_held_files(
    client, election, category, territory, django_capture_on_commit_callbacks
):
    _first_try(client, election, category)
    names = [h.file.name for h in HeldUpload.objects.all()]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web-device-forget"))
    assert response.status_code == 200
    assert not HeldUpload.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
    assert response.cookies[privacy.HELD_COOKIE]["max-age"] == 0


def test_expired_held_files_are_swept_by_housekeeping(
    client, election, category, territory, django_capture_on_commit_callbacks
):
    _first_try(client, election, category)
    names = [h.file.name for h in HeldUpload.objects.all()]
    assert services.housekeeping_purge()["held_uploads"] == 0
    later = timezone.now() + timedelta(minutes=61)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.housekeeping_purge(now=later)["held_uploads"] == 2
    assert not HeldUpload.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_the_sweep_task_is_scheduled_well_within_the_hold_time(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["held-uploads-sweep"]
    assert entry["task"] == "complaints.tasks.held_uploads_sweep"
    assert entry["schedule"] <= settings.HELD_UPLOAD_TTL_MINUTES * 60 / 2


def test_the_enhanced_form_keeps_its_files_itself_so_nothing_is_held(client, election, category, territory):
    data = _form(election, category, description="", files=[_png("a.png", RED)])
    response = client.post(reverse("web-file"), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert not HeldUpload.objects.exists()


def test_no_more_than_max_files_in_all(client, election, category, territory):
    tokens = _tokens(_first_try(client, election, category).content.decode())
    files = [_png(f"n{i}.png", (i, i, i)) for i in range(9)]
    response = client.post(reverse("web-file"), _form(election, category, held=tokens, files=files))
    assert response.status_code == 400
    assert "Attach at most 10 files in all; 2 are attached already." in response.content.decode()
