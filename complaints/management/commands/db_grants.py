"""``manage.py db_grants <role>``: SQL giving the app's database role its rights, append-only on the audit tables."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from complaints.models import AuditEvent, Checkpoint

# Tables whose rows are evidence: the application may add and read them, never change or remove them.
APPEND_ONLY = [AuditEvent._meta.db_table, Checkpoint._meta.db_table]


def grants_sql(role: str, schema: str = "public") -> list[str]:
    quote = connection.ops.quote_name
    r, s = quote(role), quote(schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
    ]
    for table in APPEND_ONLY:
        t = f"{s}.{quote(table)}"
        statements += [
            f"REVOKE ALL ON {t} FROM {r}",
            f"GRANT SELECT, INSERT ON {t} TO {r}",
        ]
    return statements


class Command(BaseCommand):
    help = (
        "Print the SQL (PostgreSQL) that the owner of the schema runs after each migrate: the application's "
        "role gets normal rights everywhere but only SELECT and INSERT on the audit and checkpoint tables, "
        "so it can neither change audit rows nor drop their trigger (only the owner can)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="The role the application connects as (not the owner of the tables).")
        parser.add_argument("--schema", default="public")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["role"].replace("_", "").isalnum():
            raise CommandError("a role name of letters, digits and underscores, please")
        for statement in grants_sql(options["role"], options["schema"]):
            self.stdout.write(statement + ";")
