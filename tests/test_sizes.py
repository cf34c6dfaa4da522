"""Size messages never show a size that reads as the limit it broke."""

from __future__ import annotations

import pytest
from django.utils import translation

from complaints.sizes import megabytes, over_limit

MB = 2**20


@pytest.mark.parametrize(
    ("size", "limit", "expected"),
    [
        (50 * MB + 1, 50 * MB, {"size": "50.1", "limit": "50"}),
        (50 * MB + 200 * 1024, 50 * MB, {"size": "50.2", "limit": "50"}),
        (2 * 1024 * MB, 50 * MB, {"size": "2048", "limit": "50"}),
        (5 * MB + 1, int(5.5 * MB), {"size": "5.1", "limit": "5.5"}),
    ],
)
def test_a_size_over_the_limit_always_shows_above_it(size, limit, expected):
    with translation.override("en"):
        assert over_limit(size, limit) == expected


def test_sizes_use_the_readers_decimal_separator():
    with translation.override("ru"):
        assert megabytes(int(50.2 * MB)) == "50,2"
    with translation.override("en"):
        assert megabytes(int(50.2 * MB)) == "50.2"


def test_api_refusal_names_the_request_size_and_both_limits(client, settings):
    settings.EVIDENCE_MAX_BYTES = MB
    response = client.post(
        "/api/v1/complaints/",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(11 * MB + 1),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    text = response.content.decode()
    assert "The request is 11.1 MB; this endpoint takes at most 11 MB in all (1 MB per file)." in text


def test_a_file_just_over_the_limit_never_reads_as_the_limit(settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from complaints import services

    settings.EVIDENCE_MAX_BYTES = 50 * MB
    upload = SimpleUploadedFile("photo.jpg", b"x")
    upload.size = 50 * MB + 1
    with translation.override("en"), pytest.raises(services.EvidenceTooLarge) as refused:
        services.evidence_inspect(upload)
    assert "is 50.1 MB; the limit is 50 MB per file" in str(refused.value)
