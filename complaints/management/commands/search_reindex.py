"""``manage.py search_reindex``: rebuild every complaint's staff search document (docs/search.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from complaints import services


class Command(BaseCommand):
    help = "Rebuild the staff search index of every complaint (after renaming territorial units, for instance)."

    def handle(self, *args: Any, **options: Any) -> None:
        done = services.search_index_rebuild()
        self.stdout.write(f"Re-indexed {done} complaints.")
