from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints.models import IdempotencyRecord
from complaints.tasks import housekeeping

pytestmark = pytest.mark.django_db


def test_expired_idempotency_records_are_purged_and_fresh_ones_kept(file_complaint, settings):
    settings.IDEMPOTENCY_KEEP_HOURS = 72
    complaint = file_complaint()
    start = timezone.now()
    with time_machine.travel(start - timedelta(hours=80), tick=False):
        IdempotencyRecord.objects.create(
            owner="k1", key="old", request_hash="x", response_status=201, response_body={}, complaint=complaint
        )
    IdempotencyRecord.objects.create(owner="k1", key="new", request_hash="x", response_status=201, response_body={})
    result = housekeeping.delay().get()
    assert (result["idempotency_records"], result["webhook_deliveries"]) == (1, 0)
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert housekeeping.delay().get()["idempotency_records"] == 0
    complaint.refresh_from_db()  # the complaint itself is never touched
