# Published cases: a coordinator's public summary of a complaint's case, with the stripped evidence chosen for it.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import complaints.models.publication


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0017_evidence_public_copies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PublishedCase",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "slug",
                    models.CharField(
                        default=complaints.models.publication.new_case_slug,
                        editable=False,
                        max_length=16,
                        unique=True,
                        verbose_name="public id",
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        choices=[("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")],
                        default="ru",
                        max_length=2,
                        verbose_name="language of the summary",
                    ),
                ),
                ("title_ru", models.CharField(blank=True, max_length=200, verbose_name="title (ru)")),
                ("title_kk", models.CharField(blank=True, max_length=200, verbose_name="title (kk)")),
                ("title_en", models.CharField(blank=True, max_length=200, verbose_name="title (en)")),
                ("summary", models.TextField(max_length=5000, verbose_name="public summary")),
                (
                    "show_station",
                    models.BooleanField(
                        default=False,
                        help_text="The station's number, address and point on the map are published with the case.",
                        verbose_name="show the polling station",
                    ),
                ),
                ("occurred_on", models.DateField(verbose_name="incident date")),
                ("published_at", models.DateTimeField(verbose_name="published at")),
                ("first_published_at", models.DateTimeField(verbose_name="first published at")),
                ("unpublished_at", models.DateTimeField(blank=True, null=True, verbose_name="unpublished at")),
                (
                    "unpublish_reason",
                    models.CharField(blank=True, max_length=500, verbose_name="why it was unpublished"),
                ),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="published_cases",
                        to="complaints.category",
                        verbose_name="category",
                    ),
                ),
                (
                    "complaint",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="published_case",
                        to="complaints.complaint",
                        verbose_name="complaint",
                    ),
                ),
                (
                    "election",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="published_cases",
                        to="complaints.election",
                        verbose_name="election",
                    ),
                ),
                (
                    "evidence",
                    models.ManyToManyField(
                        blank=True,
                        related_name="published_in",
                        to="complaints.evidence",
                        verbose_name="evidence published (stripped copies)",
                    ),
                ),
                (
                    "published_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="published by",
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="published_cases",
                        to="complaints.territorialunit",
                        verbose_name="region",
                    ),
                ),
                (
                    "unpublished_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="unpublished by",
                    ),
                ),
            ],
            options={
                "verbose_name": "published case",
                "verbose_name_plural": "published cases",
                "ordering": ["-published_at", "-id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("unpublished_at__isnull", True)),
                        fields=["-published_at", "-id"],
                        name="published_case_live",
                    ),
                    models.Index(fields=["election", "region", "category"], name="published_case_filters"),
                ],
            },
        ),
    ]
