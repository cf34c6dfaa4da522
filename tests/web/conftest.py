from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.images import png_bytes


@pytest.fixture
def png_upload() -> Any:
    def make(name: str = "photo.png", color: tuple[int, int, int] = (200, 40, 40)) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, png_bytes(color), content_type="image/png")

    return make


@pytest.fixture
def reviewer_pav(make_user: Any, territory: dict[str, Any]) -> Any:
    return make_user("reviewer", [territory["pav"]], username="rev_pav", first_name="Айгуль", last_name="Сеитова")


@pytest.fixture
def coordinator(make_user: Any) -> Any:
    return make_user("coordinator", username="coord")


@pytest.fixture
def observer(make_user: Any) -> Any:
    return make_user("observer", username="obs")


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    """Assertions below read the English strings; the language tests switch explicitly."""
    settings.LANGUAGE_CODE = "en"
