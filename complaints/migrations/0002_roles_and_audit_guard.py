"""Role groups with their permissions, and (on PostgreSQL) an append-only audit table."""

from django.db import migrations

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
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from complaints.roles import ensure_role_groups

    ensure_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


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
