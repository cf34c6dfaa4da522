"""The live role table and ensure_role_groups(); migration 0002 holds a frozen copy (a test keeps them equal)."""

from __future__ import annotations

from typing import Any

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "observer": ["complaints.add_complaint", "complaints.add_evidence"],
    "reviewer": [
        "complaints.view_complaint",
        "complaints.work_queue",
        "complaints.view_evidence",
        "complaints.add_note",
        "complaints.view_note",
        "complaints.view_auditevent",
    ],
    "coordinator": [
        "complaints.view_complaint",
        "complaints.work_queue",
        "complaints.coordinate",
        "complaints.view_evidence",
        "complaints.add_note",
        "complaints.view_note",
        "complaints.view_auditevent",
        "complaints.view_reporter_identity",
        "complaints.view_reporter",
        "complaints.take_calls",
    ],
    "admin": ["*"],
}


def ensure_role_groups(group_model: Any = None, permission_model: Any = None) -> None:
    """Create or update the role groups. Takes historical models when run from a migration."""
    if group_model is None or permission_model is None:
        from django.contrib.auth.models import Group, Permission
        from django.contrib.contenttypes.models import ContentType

        # After a flush (which re-creates content types and permissions under new ids)
        # the content type cache may still point at the deleted rows.
        ContentType.objects.clear_cache()
        group_model, permission_model = Group, Permission
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        if perms == ["*"]:
            group.permissions.set(permission_model.objects.filter(content_type__app_label__in=["complaints", "auth"]))
            continue
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
