"""Audit hash scheme 2 (content and evidence covered) and signed checkpoints, append-only on PostgreSQL.

Existing events keep ``scheme`` 1 and verify under the rule they were written with: nothing
is re-chained (the audit table refuses UPDATE, and old hashes may already be quoted outside).
The checkpoint table gets the same append-only guard as the audit table.
"""

from django.db import migrations, models

GUARD_SQL = """
CREATE OR REPLACE FUNCTION complaints_checkpoint_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'complaints_checkpoint is append-only: %% refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS complaints_checkpoint_append_only ON complaints_checkpoint;
CREATE TRIGGER complaints_checkpoint_append_only
    BEFORE UPDATE OR DELETE ON complaints_checkpoint
    FOR EACH ROW EXECUTE FUNCTION complaints_checkpoint_append_only();
"""
UNGUARD_SQL = """
DROP TRIGGER IF EXISTS complaints_checkpoint_append_only ON complaints_checkpoint;
DROP FUNCTION IF EXISTS complaints_checkpoint_append_only();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0008_generated_documents'),
    ]

    operations = [
        migrations.CreateModel(
            name='Checkpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('serial', models.PositiveIntegerField(unique=True)),
                ('created_at', models.DateTimeField()),
                ('label', models.CharField(blank=True, max_length=200, verbose_name='label')),
                ('trigger', models.CharField(choices=[('scheduled', 'Scheduled'), ('manual', 'On demand')], max_length=12)),
                ('chains', models.PositiveIntegerField()),
                ('events', models.PositiveBigIntegerField()),
                ('merkle_root', models.CharField(max_length=64)),
                ('key_id', models.CharField(max_length=16)),
                ('statement', models.JSONField()),
                ('signature', models.CharField(max_length=200)),
                ('heads', models.JSONField(default=list)),
            ],
            options={
                'verbose_name': 'audit checkpoint',
                'verbose_name_plural': 'audit checkpoints',
                'ordering': ['serial'],
            },
        ),
        migrations.AddField(
            model_name='auditevent',
            name='content_hash',
            field=models.CharField(blank=True, db_default='', default='', max_length=64),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='evidence_hashes',
            field=models.TextField(blank=True, db_default='', default=''),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='scheme',
            field=models.PositiveSmallIntegerField(db_default=1, default=1),
        ),
        migrations.RunPython(guard, unguard),
    ]
