"""Pages never answer 500 because `collectstatic` was not run (or not re-run after a change).

The site's storage hashes and compresses static files once `collectstatic` wrote its
manifest; before that (``manage.py runserver`` right after ``migrate``) it links the files
by their plain names, which WhiteNoise serves from the apps (WHITENOISE_USE_FINDERS).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/file/", "/status/", "/accounts/login/", "/admin/login/", "/api/v1/docs/"]


@pytest.fixture
def real_storage(settings, tmp_path):
    """The storage registry/settings.py configures (tests/conftest.py swaps in a plain one), on an empty STATIC_ROOT."""
    from registry import settings as project

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.STORAGES = {**settings.STORAGES, "staticfiles": dict(project.STORAGES["staticfiles"])}
    return settings.STATIC_ROOT


def test_settings_use_the_forgiving_storage():
    code = "import django; django.setup(); from django.conf import settings; print(settings.STORAGES['staticfiles'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "registry.staticfiles.StaticFilesStorage" in out.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_pages_render_before_collectstatic(real_storage, path):
    assert not (real_storage / "staticfiles.json").exists()
    response = Client().get(path, follow=True)
    assert response.status_code == 200, path
    for url in re.findall(rb'(?:href|src)="(/static/[^"]+)"', response.content):
        assert b"." in url  # a plain name, e.g. /static/complaints/site.css


@pytest.mark.django_db
def test_the_linked_static_files_are_served_without_collectstatic(real_storage):
    page = Client().get("/")
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.content.decode())
    assert urls
    for url in urls:
        assert not re.search(r"\.[0-9a-f]{12}\.", url), url  # plain names: there is no manifest yet
        response = Client().get(url)
        assert response.status_code == 200, url
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        response.close()


@pytest.mark.django_db
def test_after_collectstatic_names_are_hashed_and_a_file_added_later_still_renders(real_storage, settings):
    call_command("collectstatic", "--no-input", verbosity=0)
    assert (real_storage / "staticfiles.json").exists()
    from django.core.files.storage import storages

    storage = storages.create_storage(settings.STORAGES["staticfiles"])
    assert re.search(r"base\.[0-9a-f]{12}\.css$", storage.url("admin/css/base.css"))
    # A file the manifest does not know (added after the last collectstatic): its plain name, no 500.
    assert storage.url("complaints/not-collected-yet.js").endswith("/static/complaints/not-collected-yet.js")
