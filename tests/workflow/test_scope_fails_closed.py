"""Scope fails closed: staff with no units (or no profile) see nothing unless marked nationwide, an audited change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from complaints import selectors, services
from complaints.access import GROUP_COORDINATOR, GROUP_REVIEWER, access_for, staff_in_scope, visible_complaints
from complaints.models import Profile, ScopeChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_regions(file_complaint, territory):
    return [file_complaint(), file_complaint(polling_station=territory["ps_ala"])]


@pytest.mark.parametrize("role", ["reviewer", "coordinator"])
def test_staff_without_units_see_nothing(make_user, two_regions, role):
    user = make_user(role, units=[])
    assert not visible_complaints(user).exists()
    assert not selectors.complaint_queue_for(user=user).exists()
    assert not access_for(user).covers(two_regions[0].unit_path)


def test_staff_without_a_profile_see_nothing(make_user, two_regions):
    user = make_user("reviewer", units=[])
    Profile.objects.filter(user=user).delete()
    assert not visible_complaints(user).exists()


def test_staff_without_scope_still_see_what_they_filed_themselves(make_user, file_complaint):
    user = make_user("reviewer", units=[])
    own = file_complaint(reporter_user=user)
    assert list(visible_complaints(user)) == [own]


def test_nationwide_staff_see_every_region(make_user, two_regions):
    user = make_user("coordinator", units=[], nationwide=True)
    assert visible_complaints(user).count() == 2


def test_a_scoped_reviewer_sees_only_the_scope(make_user, territory, two_regions):
    user = make_user("reviewer", [territory["pav"]])
    assert list(visible_complaints(user)) == [two_regions[0]]


def test_unscoped_staff_are_not_notified_as_in_scope(make_user, territory, two_regions):
    make_user("reviewer", units=[])  # no units, not nationwide
    scoped = make_user("reviewer", [territory["pav"]])
    nationwide = make_user("coordinator", units=[], nationwide=True)
    assert list(staff_in_scope(two_regions[0], GROUP_REVIEWER)) == [scoped]
    assert list(staff_in_scope(two_regions[1], GROUP_COORDINATOR)) == [nationwide]


def test_widening_a_scope_is_recorded(make_user, territory):
    admin = make_user("admin")
    user = make_user("reviewer", [territory["pav"]])
    change = services.staff_set_scope(user=user, actor=admin, nationwide=True)
    assert change is not None
    assert change.before == {"nationwide": False, "units": ["pav"]}
    assert change.after == {"nationwide": True, "units": ["pav"]}
    assert change.actor == admin
    assert services.staff_set_scope(user=user, actor=admin, nationwide=True) is None, "no change, no record"
    services.staff_set_scope(user=user, actor=admin, units=[territory["ala"]])
    assert ScopeChange.objects.filter(user=user).count() == 2


def test_preloaded_access_agrees_with_access_for(make_user, territory):
    from complaints.access import preload_access

    users = [
        make_user("reviewer", units=[]),
        make_user("reviewer", [territory["pav"]]),
        make_user("coordinator", units=[], nationwide=True),
    ]
    expected = [access_for(type(u).objects.get(pk=u.pk)) for u in users]
    fresh = [type(u).objects.get(pk=u.pk) for u in users]
    preload_access(fresh)
    assert [access_for(u) for u in fresh] == expected
    assert Group.objects.exists()


def test_marking_nationwide_in_the_admin_is_recorded(make_user, client):
    from django.urls import reverse

    admin = make_user("admin", is_staff=True, is_superuser=True)
    user = make_user("reviewer", units=[])
    client.force_login(admin)
    url = reverse("admin:auth_user_change", args=[user.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None and k not in ("password", "groups", "user_permissions", "last_login", "date_joined")
    }
    data.update(
        {
            "username": user.username,
            "groups": [g.pk for g in user.groups.all()],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-id": user.profile.pk,
            "profile-0-user": user.pk,
            "profile-0-language": "ru",
            "profile-0-nationwide": "on",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    change = ScopeChange.objects.get(user=user)
    assert change.actor == admin
    assert change.before["nationwide"] is False
    assert change.after["nationwide"] is True
