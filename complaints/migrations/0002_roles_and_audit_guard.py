"""Role groups with their permissions, and (on PostgreSQL) an append-only audit table.

The role table below is a frozen copy of complaints/roles.py as it was when this
migration was written; it must never follow later edits of roles.py. When the roles
change, add a new migration with its own frozen ROLE_PERMISSIONS (a test compares the
newest one with roles.py). Only historical models are used: nothing is imported from
the application.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Group name -> "app_label.codename" permissions, frozen. "admin" was ["*"] in roles.py
# (every complaints and auth permission); it is spelled out here so that it cannot grow.
ROLE_PERMISSIONS = {
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
    ],
    "admin": [
        "auth.add_group",
        "auth.add_permission",
        "auth.add_user",
        "auth.change_group",
        "auth.change_permission",
        "auth.change_user",
        "auth.delete_group",
        "auth.delete_permission",
        "auth.delete_user",
        "auth.view_group",
        "auth.view_permission",
        "auth.view_user",
        "complaints.add_apikey",
        "complaints.add_auditevent",
        "complaints.add_category",
        "complaints.add_complaint",
        "complaints.add_election",
        "complaints.add_evidence",
        "complaints.add_idempotencyrecord",
        "complaints.add_note",
        "complaints.add_outboxmessage",
        "complaints.add_pollingstation",
        "complaints.add_profile",
        "complaints.add_reporter",
        "complaints.add_territorialunit",
        "complaints.add_webhookdelivery",
        "complaints.add_webhooksubscription",
        "complaints.change_apikey",
        "complaints.change_auditevent",
        "complaints.change_category",
        "complaints.change_complaint",
        "complaints.change_election",
        "complaints.change_evidence",
        "complaints.change_idempotencyrecord",
        "complaints.change_note",
        "complaints.change_outboxmessage",
        "complaints.change_pollingstation",
        "complaints.change_profile",
        "complaints.change_reporter",
        "complaints.change_territorialunit",
        "complaints.change_webhookdelivery",
        "complaints.change_webhooksubscription",
        "complaints.coordinate",
        "complaints.delete_apikey",
        "complaints.delete_auditevent",
        "complaints.delete_category",
        "complaints.delete_complaint",
        "complaints.delete_election",
        "complaints.delete_evidence",
        "complaints.delete_idempotencyrecord",
        "complaints.delete_note",
        "complaints.delete_outboxmessage",
        "complaints.delete_pollingstation",
        "complaints.delete_profile",
        "complaints.delete_reporter",
        "complaints.delete_territorialunit",
        "complaints.delete_webhookdelivery",
        "complaints.delete_webhooksubscription",
        "complaints.view_apikey",
        "complaints.view_auditevent",
        "complaints.view_category",
        "complaints.view_complaint",
        "complaints.view_election",
        "complaints.view_evidence",
        "complaints.view_idempotencyrecord",
        "complaints.view_note",
        "complaints.view_outboxmessage",
        "complaints.view_pollingstation",
        "complaints.view_profile",
        "complaints.view_reporter",
        "complaints.view_reporter_identity",
        "complaints.view_territorialunit",
        "complaints.view_webhookdelivery",
        "complaints.view_webhooksubscription",
        "complaints.work_queue",
    ],
}

GUARD_SQL = """
CREATE OR REPLACE FUNCTION complaints_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'complaints_auditevent is append-only: %% refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS complaints_audit_append_only ON complaints_auditevent;
CREATE TRIGGER complaints_audit_append_only
    BEFORE UPDATE OR DELETE ON complaints_auditevent
    FOR EACH ROW EXECUTE FUNCTION complaints_audit_append_only();
"""
UNGUARD_SQL = """
DROP TRIGGER IF EXISTS complaints_audit_append_only ON complaints_auditevent;
DROP FUNCTION IF EXISTS complaints_audit_append_only();
"""


def create_roles(apps, schema_editor):
    using = schema_editor.connection.alias
    labels = sorted({perm.split(".")[0] for perms in ROLE_PERMISSIONS.values() for perm in perms})
    # Permissions are normally created by post_migrate, after all migrations; create
    # the ones this migration needs now, from the historical models.
    for label in labels:
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # historical app configs have none
        try:
            create_permissions(app_config, apps=apps, using=using, verbosity=0)
        finally:
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using)
        .filter(content_type__app_label__in=labels)
        .values_list("pk", "content_type__app_label", "codename")
    }
    for name, perms in ROLE_PERMISSIONS.items():
        missing = sorted(set(perms) - set(by_name))
        if missing:
            raise RuntimeError(f"role {name!r}: permissions not found: {', '.join(missing)}")
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set([by_name[perm] for perm in perms])


def guard_audit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL)


def unguard_audit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(guard_audit, unguard_audit),
    ]
