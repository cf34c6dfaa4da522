"""Test helpers for putting complaints in a given state.

Production code never writes ``status`` directly; tests may, to reach a state without
replaying a whole path (the path itself is covered by the generated transition tests).
"""

from __future__ import annotations

from typing import Any

from complaints.models import Complaint, Status


def force_state(complaint: Complaint, state: str, original: Complaint | None = None) -> Complaint:
    fields: dict[str, Any] = {"status": state}
    if state == Status.DUPLICATE:
        assert original is not None
        fields["duplicate_of"] = original
    Complaint.objects.filter(pk=complaint.pk).update(**fields)
    return Complaint.objects.select_related("reporter").get(pk=complaint.pk)
