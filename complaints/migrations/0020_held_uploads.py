from django.db import migrations, models


class Migration(migrations.Migration):
    # Coordinator's note: this depends on 0019_telegram (not 0018), so the chain stays linear
    # while the helpers fill 0016-0020. Keep this dependency; fill in the operations only.
    dependencies = [("complaints", "0019_telegram")]

    operations = [
        migrations.CreateModel(
            name="HeldUpload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=64, unique=True, verbose_name="key")),
                ("holder_hash", models.CharField(db_index=True, max_length=64, verbose_name="holder hash")),
                ("file", models.FileField(max_length=200, upload_to="held/", verbose_name="file")),
                ("original_name", models.CharField(max_length=200, verbose_name="original name")),
                ("size", models.PositiveBigIntegerField(verbose_name="size")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("content_type", models.CharField(max_length=100, verbose_name="content type")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("expires_at", models.DateTimeField(db_index=True, verbose_name="expires at")),
            ],
            options={
                "verbose_name": "held upload",
                "verbose_name_plural": "held uploads",
            },
        ),
    ]
