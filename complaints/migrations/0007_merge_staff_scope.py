# Joins the staff-scope branch (0004_staff_scope_fails_closed) with the main line.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0004_staff_scope_fails_closed"),
        ("complaints", "0006_legal_case"),
    ]

    operations: list[migrations.operations.base.Operation] = []
