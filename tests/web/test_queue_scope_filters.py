"""The queue's region filter lists only the regions the reader's scope can hold."""

from __future__ import annotations

from django.urls import reverse


def _region_choices(client):
    form = client.get(reverse("web-queue")).context["form"]
    return [code for code, _label in form.fields["region"].choices if code]


def test_scoped_reviewer_sees_only_their_region(client, reviewer_pav):
    client.force_login(reviewer_pav)
    assert _region_choices(client) == ["pav"]


def test_district_reviewer_sees_the_region_holding_the_district(client, make_user, territory):
    client.force_login(make_user("reviewer", [territory["ekib"]], username="rev_ekib"))
    assert _region_choices(client) == ["pav"]


def test_country_wide_unit_lists_every_region(client, make_user, territory):
    client.force_login(make_user("reviewer", [territory["kz"]], username="rev_kz"))
    assert sorted(_region_choices(client)) == ["ala", "pav"]


def test_coordinator_marked_nationwide_sees_every_region(client, coordinator, territory):
    client.force_login(coordinator)
    assert sorted(_region_choices(client)) == ["ala", "pav"]
