"""Users, API keys and reference data the benchmarks need (made through the ORM, as admin would)."""

from __future__ import annotations

from typing import Any


def service_user(username: str, group: str, units: list[Any] | None = None) -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from complaints.models import Profile

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=group))
    profile, _ = Profile.objects.get_or_create(user=user)
    if units is not None:
        profile.units.set(units)
    return user


def api_key(user: Any, label: str) -> str:
    from complaints.models import ApiKey

    _, key = ApiKey.objects.create_key(name=label, user=user)
    return str(key)


def filing_choices() -> dict[str, Any]:
    """An active election, the active categories and the polling stations (created if the DB has none)."""
    from complaints.management.commands.generate_complaints import load_reference
    from complaints.models import Category, Election, ElectionStatus, PollingStation

    load_reference(reporters=0)
    election = Election.objects.exclude(status=ElectionStatus.ARCHIVED).order_by("-voting_day").first()
    return {
        "election": election.pk if election else None,
        "categories": list(Category.objects.filter(is_active=True).values_list("code", flat=True)),
        "stations": list(PollingStation.objects.values_list("pk", flat=True)),
    }
