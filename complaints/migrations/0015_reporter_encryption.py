# Reporter identity encrypted at rest, its lookup hash, and the per-election retention moment.
#
# The columns become text (a Fernet token is far longer than the 200/254/40 characters
# of the plaintext), then every existing row is encrypted in place. Reading and writing the
# raw column here keeps each value passing through the encryption exactly once; the
# encrypting and hashing are the historical model's own fields (no application import).
# Reversible: the reverse step decrypts back to plaintext before the columns shrink.

import complaints.models.fields
import django.core.validators
from django.db import migrations, models

BATCH = 1000
IDENTITY = ("full_name", "email", "phone")


def _batches(connection, table):
    """Rows of (complaint_id, full_name, email, phone), in primary key order, BATCH at a time."""
    qn = connection.ops.quote_name
    last = None
    while True:
        with connection.cursor() as cursor:
            where = "" if last is None else f" WHERE {qn('complaint_id')} > %s"
            cursor.execute(
                f"SELECT {qn('complaint_id')}, {', '.join(qn(c) for c in IDENTITY)} FROM {qn(table)}"
                f"{where} ORDER BY {qn('complaint_id')} LIMIT {BATCH}",
                [] if last is None else [last],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _write(connection, table, rows):
    qn = connection.ops.quote_name
    columns = ", ".join(f"{qn(c)} = %s" for c in (*IDENTITY, "email_hash"))
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {qn(table)} SET {columns} WHERE {qn('complaint_id')} = %s", rows)


def encrypt_rows(apps, schema_editor):
    Reporter = apps.get_model("complaints", "Reporter")
    fields = [Reporter._meta.get_field(name) for name in IDENTITY]
    email_hash = Reporter._meta.get_field("email_hash")
    connection = schema_editor.connection
    table = Reporter._meta.db_table
    for rows in _batches(connection, table):
        out = []
        for pk, *values in rows:
            plain = [v or "" for v in values]
            out.append([*(f.get_prep_value(v) for f, v in zip(fields, plain, strict=True)), email_hash.hash_of(plain[1]), pk])
        _write(connection, table, out)


def decrypt_rows(apps, schema_editor):
    Reporter = apps.get_model("complaints", "Reporter")
    fields = [Reporter._meta.get_field(name) for name in IDENTITY]
    connection = schema_editor.connection
    table = Reporter._meta.db_table
    for rows in _batches(connection, table):
        out = []
        for pk, *values in rows:
            out.append([*(f.from_db_value(v or "", None, connection) for f, v in zip(fields, values, strict=True)), "", pk])
        _write(connection, table, out)


class Migration(migrations.Migration):

    dependencies = [
        ("complaints", "0014_webhook_subscription_api_key"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reporter",
            name="full_name",
            field=complaints.models.fields.EncryptedTextField(blank=True, max_length=200, verbose_name="full name"),
        ),
        migrations.AlterField(
            model_name="reporter",
            name="email",
            field=complaints.models.fields.EncryptedTextField(
                blank=True,
                max_length=254,
                validators=[django.core.validators.EmailValidator()],
                verbose_name="email",
            ),
        ),
        migrations.AlterField(
            model_name="reporter",
            name="phone",
            field=complaints.models.fields.EncryptedTextField(blank=True, max_length=40, verbose_name="phone"),
        ),
        migrations.AddField(
            model_name="reporter",
            name="email_hash",
            field=complaints.models.fields.KeyedHashField(
                blank=True,
                db_index=True,
                editable=False,
                kind="email",
                max_length=64,
                source="email",
                verbose_name="email lookup hash",
            ),
        ),
        migrations.AddField(
            model_name="election",
            name="identity_retention_until",
            field=models.DateTimeField(
                blank=True,
                help_text=(
                    "When the dispute window closes: after this moment the names and contacts of this "
                    "election's reporters are erased (complaints and evidence are kept). Empty: kept until "
                    "this is set."
                ),
                null=True,
                verbose_name="reporters' identity kept until",
            ),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
