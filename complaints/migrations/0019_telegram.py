"""Telegram intake and filers' contact channels: the new source channels (telegram, sms, phone), the
telegram and sms outbox channels, sealed contact addresses, the complaints they follow, and the
bot's conversation and received-update tables."""

import django.db.models.deletion
from django.db import migrations, models

import complaints.models.fields


class Migration(migrations.Migration):
    dependencies = [("complaints", "0018_published_cases")]

    operations = [
        migrations.AlterField(
            model_name="complaint",
            name="channel",
            field=models.CharField(
                choices=[
                    ("web", "Web form"),
                    ("api", "API"),
                    ("admin", "Admin"),
                    ("import", "Import"),
                    ("telegram", "Telegram"),
                    ("sms", "SMS"),
                    ("phone", "Phone hotline"),
                ],
                max_length=10,
                verbose_name="source channel",
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="channel",
            field=models.CharField(
                choices=[("email", "Email"), ("webhook", "Webhook"), ("telegram", "Telegram"), ("sms", "SMS")],
                max_length=10,
                verbose_name="channel",
            ),
        ),
        migrations.CreateModel(
            name="ContactAddress",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("telegram", "Telegram chat"), ("sms", "SMS"), ("email", "Email")],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("address", complaints.models.fields.EncryptedTextField(max_length=254, verbose_name="address")),
                (
                    "address_hash",
                    complaints.models.fields.KeyedHashField(
                        editable=False,
                        kind="contact",
                        max_length=64,
                        source="address",
                        verbose_name="address lookup hash",
                    ),
                ),
                ("language", models.CharField(default="ru", max_length=8, verbose_name="language")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("disabled_reason", models.CharField(blank=True, max_length=200, verbose_name="why it was disabled")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
            ],
            options={
                "verbose_name": "contact address",
                "verbose_name_plural": "contact addresses",
                "ordering": ["id"],
                "constraints": [
                    models.UniqueConstraint(fields=("kind", "address_hash"), name="contact_address_unique")
                ],
            },
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="contact",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="messages",
                to="complaints.contactaddress",
                verbose_name="contact address",
            ),
        ),
        migrations.CreateModel(
            name="TelegramConversation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("step", models.CharField(blank=True, max_length=20, verbose_name="step")),
                ("data", models.JSONField(blank=True, default=dict, verbose_name="answers so far")),
                ("language", models.CharField(default="ru", max_length=8, verbose_name="language")),
                ("language_chosen", models.BooleanField(default=False, verbose_name="language chosen")),
                ("expires_at", models.DateTimeField(blank=True, null=True, verbose_name="expires at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "contact",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="conversation",
                        to="complaints.contactaddress",
                        verbose_name="contact address",
                    ),
                ),
            ],
            options={
                "verbose_name": "Telegram conversation",
                "verbose_name_plural": "Telegram conversations",
            },
        ),
        migrations.CreateModel(
            name="TelegramUpdate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("update_id", models.BigIntegerField(unique=True, verbose_name="update id")),
                ("payload", complaints.models.fields.EncryptedTextField(blank=True, verbose_name="update")),
                ("received_at", models.DateTimeField(auto_now_add=True, verbose_name="received at")),
                ("processed_at", models.DateTimeField(blank=True, null=True, verbose_name="processed at")),
                ("locked_until", models.DateTimeField(blank=True, null=True, verbose_name="being processed until")),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                ("last_error", models.TextField(blank=True, verbose_name="last error")),
            ],
            options={
                "verbose_name": "Telegram update",
                "verbose_name_plural": "Telegram updates",
                "ordering": ["update_id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("processed_at", None)),
                        fields=["received_at"],
                        name="telegram_update_pending",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ComplaintContact",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                (
                    "complaint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contacts",
                        to="complaints.complaint",
                        verbose_name="complaint",
                    ),
                ),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="follows",
                        to="complaints.contactaddress",
                        verbose_name="contact address",
                    ),
                ),
            ],
            options={
                "verbose_name": "complaint followed by a contact",
                "verbose_name_plural": "complaints followed by contacts",
                "ordering": ["id"],
                "constraints": [
                    models.UniqueConstraint(fields=("complaint", "contact"), name="complaint_contact_unique")
                ],
            },
        ),
    ]
