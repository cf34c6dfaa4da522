"""``manage.py rotate_field_keys``: re-encrypt reporters' identity with the newest key; recompute the lookup hashes.

Without downtime: every running instance already lists the new key first and the old ones
after it (FIELD_ENCRYPTION_KEYS=new,old), so rows not yet rotated keep decrypting while
this runs. Rows are taken in primary-key order, ``--batch-size`` at a time, each batch in
its own short transaction with its rows locked (FOR UPDATE on PostgreSQL). Idempotent: a
row already under the newest key, with a current hash, is left as it is. When a run (or a
``--dry-run``) reports nothing left to rotate, the old key can be dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from complaints import crypto
from complaints.models import Reporter
from complaints.models.fields import KeyedHashField

ENCRYPTED = ("full_name", "email", "phone")


@dataclass
class Counts:
    rows: int = 0
    reencrypted: int = 0
    rehashed: int = 0


def _batch(after: int | None, size: int) -> list[tuple[Any, ...]]:
    qn = connection.ops.quote_name
    table = qn(Reporter._meta.db_table)
    columns = ", ".join(qn(c) for c in ("complaint_id", *ENCRYPTED, "email_hash"))
    where = "" if after is None else f" WHERE {qn('complaint_id')} > %s"
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT {columns} FROM {table}{where} ORDER BY {qn('complaint_id')} LIMIT %s{lock}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [size] if after is None else [after, size])
        return list(cursor.fetchall())


def _rotated(row: tuple[Any, ...], counts: Counts) -> list[Any] | None:
    """The row's new (full_name, email, phone, email_hash), or None when it is current."""
    _, *tokens, email_hash = row
    tokens = [t or "" for t in tokens]
    stale = [not crypto.newest_key_reads(t) for t in tokens]
    new_tokens = [crypto.rotate(t) if s else t for t, s in zip(tokens, stale, strict=True)]
    field = cast(KeyedHashField, Reporter._meta.get_field("email_hash"))
    new_hash = field.hash_of(crypto.decrypt(tokens[1]))
    counts.reencrypted += any(stale)
    counts.rehashed += new_hash != (email_hash or "")
    if not any(stale) and new_hash == (email_hash or ""):
        return None
    return [*new_tokens, new_hash]


def _write(updates: list[list[Any]]) -> None:
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(c)} = %s" for c in (*ENCRYPTED, "email_hash"))
    sql = f"UPDATE {qn(Reporter._meta.db_table)} SET {assignments} WHERE {qn('complaint_id')} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, updates)


class Command(BaseCommand):
    help = (
        "Re-encrypt every reporter's name, email and phone with the newest key in FIELD_ENCRYPTION_KEYS "
        "and recompute the email lookup hash with FIELD_HASH_KEY, in batches, while the site runs. "
        "Safe to run again; --dry-run only counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        size = max(1, int(options["batch_size"]))
        dry_run = bool(options["dry_run"])
        counts = Counts()
        after: int | None = None
        while True:
            with transaction.atomic():
                rows = _batch(after, size)
                if not rows:
                    break
                updates = [[*new, row[0]] for row in rows if (new := _rotated(row, counts)) is not None]
                if updates and not dry_run:
                    _write(updates)
            counts.rows += len(rows)
            after = rows[-1][0]
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(
            f"{counts.rows} reporter rows checked; {verb} {counts.reencrypted} with the newest key; "
            f"{'would recompute' if dry_run else 'recomputed'} {counts.rehashed} lookup hashes."
        )
        if dry_run and (counts.reencrypted or counts.rehashed):
            self.stdout.write("Run it without --dry-run before dropping an old key.")
        else:
            self.stdout.write("Every row is under the newest key: older keys may now be dropped from the list.")
