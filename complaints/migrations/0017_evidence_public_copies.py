"""Derived copies of evidence with the metadata stripped: the fields, and every existing file's state.

Existing photos and videos are marked ``pending``, so the periodic sweep makes their copies
(``complaints.tasks.evidence_copies_sweep``); every other file is ``unpublishable``.
"""

from django.db import migrations, models

import complaints.models.complaint

# Frozen here (not read from the application): the types the sweep may make a copy of.
COPYABLE_TYPES = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/heif",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/3gpp",
    "video/x-matroska",
]


def mark_existing(apps, schema_editor):
    Evidence = apps.get_model("complaints", "Evidence")
    Evidence.objects.filter(content_type__in=COPYABLE_TYPES).update(public_state="pending")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0016_search")]

    operations = [
        migrations.AddField(
            model_name="evidence",
            name="public_content_type",
            field=models.CharField(
                blank=True, editable=False, max_length=100, verbose_name="type of the stripped copy"
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="public_file",
            field=models.FileField(
                blank=True,
                max_length=300,
                upload_to=complaints.models.complaint.evidence_copy_path,
                verbose_name="stripped copy",
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="public_sha256",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="SHA-256 of the stripped copy"
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="public_size",
            field=models.PositiveBigIntegerField(
                editable=False, null=True, verbose_name="size of the stripped copy, bytes"
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="public_state",
            field=models.CharField(
                choices=[
                    ("pending", "Copy being prepared"),
                    ("ready", "Copy ready"),
                    ("unpublishable", "No copy: files of this type are never published"),
                    ("failed", "No copy: the file could not be read to make one"),
                ],
                default="unpublishable",
                editable=False,
                max_length=16,
                verbose_name="stripped copy",
            ),
        ),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(
                condition=models.Q(("public_state", "pending")), fields=["uploaded_at"], name="evidence_copy_pending"
            ),
        ),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
    ]
