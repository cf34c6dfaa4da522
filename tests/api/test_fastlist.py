"""The queue's fast rows are exactly what ComplaintSerializer (the documented schema) produces."""

from __future__ import annotations

import json

import pytest
from django.utils import translation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from complaints import selectors, services
from complaints.api import fastlist
from complaints.api import serializers as s

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(file_complaint, people, territory):
    plain = file_complaint(reporter_user=people["observer"])
    no_station = file_complaint(polling_station=None, unit=territory["pav"], place_text="У акимата")
    worked = file_complaint(severity=4)
    for action in ["triage", "start_review"]:
        services.complaint_transition(complaint=worked, action=action, actor=people["reviewer"])
    services.complaint_transition(complaint=worked, action="request_info", actor=people["reviewer"], comment="?")
    dup = file_complaint()
    services.complaint_transition(
        complaint=dup, action="mark_duplicate", actor=people["coordinator"], duplicate_of=plain
    )
    return [plain, no_station, worked, dup]


@pytest.mark.parametrize("role", ["reviewer", "observer", "admin"])
@pytest.mark.parametrize("language", ["ru", "en", "kk"])
def test_fast_rows_equal_the_serializer(varied, people, role, language):
    user = people[role]
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    with translation.override(language):
        qs = selectors.complaint_queue_for(user=user).select_related("reporter", "duplicate_of")
        slow = json.loads(json.dumps(s.ComplaintSerializer(list(qs), many=True, context={"request": request}).data))
        fast = json.loads(json.dumps(fastlist.RowRenderer(user).render_all(list(fastlist.rows_queryset(qs)))))
    assert fast == slow
    assert len(fast) == (4 if role != "observer" else 1)


def test_every_serializer_field_is_a_column_or_has_a_renderer(people):
    renderer = fastlist.RowRenderer(people["reviewer"])
    names = [name for name, *_ in renderer.plan]
    assert names == list(s.ComplaintSerializer().fields)
    for name, is_plain, _is_datetime, render in renderer.plan:
        assert is_plain or render is not None, name
        if is_plain:
            assert name in fastlist.COLUMNS, name
    assert set(fastlist.SPECIAL_COLUMNS) <= set(names), "a renderer for a field the serializer no longer has"


def test_a_plain_field_added_to_the_serializer_needs_no_edit_here(varied, people, monkeypatch):
    fields = [*s.ComplaintSerializer.Meta.fields, "sla_paused_at"]
    monkeypatch.setattr(s.ComplaintSerializer.Meta, "fields", fields)
    monkeypatch.setattr(s.ComplaintSerializer.Meta, "read_only_fields", fields)
    monkeypatch.setattr(s.ComplaintSerializer, "_cached_field_prototype", None, raising=False)
    monkeypatch.setattr(fastlist, "COLUMNS", fastlist._columns())
    user = people["reviewer"]
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    qs = selectors.complaint_queue_for(user=user).select_related("reporter", "duplicate_of")
    slow = json.loads(json.dumps(s.ComplaintSerializer(list(qs), many=True, context={"request": request}).data))
    fast = json.loads(json.dumps(fastlist.RowRenderer(user).render_all(list(fastlist.rows_queryset(qs)))))
    assert fast == slow
    assert "sla_paused_at" in fast[0]
