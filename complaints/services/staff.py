"""Staff scope: which territory a reviewer or coordinator works on, changed only here and recorded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from complaints.models import Profile, ScopeChange, TerritorialUnit


def _scope_of(profile: Profile) -> dict[str, Any]:
    return {"nationwide": profile.nationwide, "units": sorted(profile.units.values_list("code", flat=True))}


@transaction.atomic
def staff_set_scope(
    *, user: Any, actor: Any, units: Iterable[TerritorialUnit] | None = None, nationwide: bool | None = None
) -> ScopeChange | None:
    """Set a staff member's units and/or nationwide flag; every real change leaves a ScopeChange row."""
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    before = _scope_of(profile)
    if nationwide is not None and nationwide != profile.nationwide:
        profile.nationwide = nationwide
        profile.save(update_fields=["nationwide"])
    if units is not None:
        profile.units.set(list(units))
    after = _scope_of(profile)
    if after == before:
        return None
    return record_scope_change(user=user, actor=actor, before=before, after=after)


def record_scope_change(*, user: Any, actor: Any, before: dict[str, Any], after: dict[str, Any]) -> ScopeChange:
    """Record a change made elsewhere (the admin's inline form) in the same append-only log."""
    return ScopeChange.objects.create(
        user=user, actor=actor if getattr(actor, "pk", None) else None, before=before, after=after
    )


def scope_snapshot(user: Any) -> dict[str, Any]:
    profile = Profile.objects.filter(user=user).first()
    return _scope_of(profile) if profile is not None else {"nationwide": False, "units": []}
