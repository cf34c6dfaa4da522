"""The web queue filters by the next statutory deadline, lists those soonest first, and shows it per row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import CaseDeadline, DeadlineKind

pytestmark = pytest.mark.django_db


def _deadline(complaint, hours):
    CaseDeadline.objects.create(
        complaint=complaint, kind=DeadlineKind.FILING, due_at=timezone.now() + timedelta(hours=hours)
    )


def test_filter_lists_only_deadlines_within_the_window_soonest_first(client, staff, file_complaint):
    later, sooner, far, none = (file_complaint() for _ in range(4))
    _deadline(later, 20)
    _deadline(sooner, 3)
    _deadline(far, 24 * 5)
    client.force_login(staff["coordinator"])
    response = client.get(reverse("web-queue"), {"deadline": "24h"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert [c.code for c in response.context["page"]] == [sooner.code, later.code]
    html = response.content.decode()
    assert "soonest statutory deadline first" in html
    assert html.count("data-case-deadline") == 2

    week = client.get(reverse("web-queue"), {"deadline": "7d"})
    assert [c.code for c in week.context["page"]] == [sooner.code, later.code, far.code]
    everything = client.get(reverse("web-queue"))
    assert none.code in [c.code for c in everything.context["page"]]


def test_an_unknown_window_is_ignored_not_an_error(client, staff, file_complaint):
    file_complaint()
    client.force_login(staff["coordinator"])
    response = client.get(reverse("web-queue"), {"deadline": "5y"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1
