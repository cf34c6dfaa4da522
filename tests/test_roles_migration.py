"""Role groups come from frozen migrations, not from live code (issue 9).

Migration 0002 carries its own copy of the role table; roles.py may change, but then a
new migration must carry the change to existing databases. These tests fail when a
migration imports application code, when migrating leaves groups that
``ensure_role_groups()`` would still change, and when roles.py no longer matches the
newest frozen table.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission

from complaints import roles
from complaints.roles import ensure_role_groups

pytestmark = pytest.mark.django_db

MIGRATIONS_DIR = Path(roles.__file__).resolve().parent / "migrations"
# snowballstemmer: a pinned library, not application code; migration 0016 stems the SQLite search index with it.
ALLOWED_TOP_LEVEL = {"django", "__future__", "snowballstemmer"} | set(sys.stdlib_module_names)
# What roles.py expands "*" to (see ensure_role_groups).
WILDCARD_APP_LABELS = ["complaints", "auth"]


def forbidden_imports(source: str) -> list[str]:
    """Uses of anything but Django and the standard library, function-level imports included.

    One exception: makemigrations writes module-level ``import complaints.models.<module>``
    to refer to callables in field definitions (``default=``, ``upload_to=``); those stay, as
    long as no function (a RunPython step) touches ``complaints``.
    """
    tree = ast.parse(source)
    in_function = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for node in ast.walk(fn)
        if node is not fn
    }
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level or module.split(".")[0] not in ALLOWED_TOP_LEVEL:
                bad.append(f"line {node.lineno}: from {'.' * node.level}{module} import ...")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ALLOWED_TOP_LEVEL:
                    continue
                field_reference = alias.name.startswith("complaints.models.") and id(node) not in in_function
                if not field_reference or alias.asname:
                    bad.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Name) and node.id == "complaints" and id(node) in in_function:
            bad.append(f"line {node.lineno}: application code used in a function")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in {"import_module", "__import__"}
        ):
            bad.append(f"line {node.lineno}: dynamic import")
    return bad


def migration_files() -> list[Path]:
    return sorted(p for p in MIGRATIONS_DIR.glob("[0-9]*.py"))


def snapshot() -> dict[str, list[str]]:
    """Group name -> sorted "app_label.codename" of its permissions."""
    return {
        group.name: sorted(f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all())
        for group in Group.objects.prefetch_related("permissions__content_type").order_by("name")
    }


def live_table() -> dict[str, list[str]]:
    """roles.ROLE_PERMISSIONS with "*" resolved the way ensure_role_groups resolves it."""
    table = {}
    for name, perms in roles.ROLE_PERMISSIONS.items():
        if perms == ["*"]:
            perms = [
                f"{app_label}.{codename}"
                for app_label, codename in Permission.objects.filter(
                    content_type__app_label__in=WILDCARD_APP_LABELS
                ).values_list("content_type__app_label", "codename")
            ]
        table[name] = sorted(perms)
    return table


def newest_frozen_table() -> tuple[str, dict[str, list[str]]]:
    """The ROLE_PERMISSIONS of the newest migration that has one."""
    found: tuple[str, Any] | None = None
    for path in migration_files():
        module = importlib.import_module(f"complaints.migrations.{path.stem}")
        if hasattr(module, "ROLE_PERMISSIONS"):
            found = (path.stem, module.ROLE_PERMISSIONS)
    assert found, "no migration in complaints/migrations defines ROLE_PERMISSIONS"
    name, table = found
    return name, {group: sorted(perms) for group, perms in table.items()}


# (a) ------------------------------------------------------------------------------------


def test_the_import_check_catches_the_old_function_level_import() -> None:
    old_0002 = (
        "def create_roles(apps, schema_editor):\n"
        "    from django.contrib.auth.management import create_permissions\n"
        "    from complaints.roles import ensure_role_groups\n"
    )
    assert forbidden_imports(old_0002) == ["line 3: from complaints.roles import ..."]
    assert forbidden_imports("import complaints.roles\nfrom . import roles\n") == [
        "line 1: import complaints.roles",
        "line 2: from . import ...",
    ]
    # What makemigrations writes for a callable default is fine; calling app code from RunPython is not.
    field_default = "import complaints.models.complaint\nf = Field(default=complaints.models.complaint.new_code)\n"
    assert forbidden_imports(field_default) == []
    run_python = "import complaints.models.complaint\ndef forwards(apps, se):\n    complaints.models.complaint.go()\n"
    assert forbidden_imports(run_python) == ["line 3: application code used in a function"]
    assert forbidden_imports("def forwards(apps, se):\n    import complaints.models.complaint\n") == [
        "line 2: import complaints.models.complaint"
    ]
    assert forbidden_imports("import importlib\nimportlib.import_module('complaints.roles')\n") == [
        "line 2: dynamic import"
    ]
    assert (
        forbidden_imports("import json\nfrom django.db import migrations\nfrom __future__ import annotations\n") == []
    )


@pytest.mark.parametrize("path", migration_files(), ids=lambda p: p.name)
def test_migrations_import_only_django_and_the_standard_library(path: Path) -> None:
    bad = forbidden_imports(path.read_text(encoding="utf-8"))
    assert not bad, f"{path.name} imports application code (use a frozen copy and apps.get_model): " + "; ".join(bad)


# (b) ------------------------------------------------------------------------------------


def test_ensure_role_groups_changes_nothing_after_migrate() -> None:
    before = snapshot()
    assert set(roles.ROLE_PERMISSIONS) <= set(before), (
        f"role groups missing after migrate (was the test database flushed?): {sorted(before)}"
    )
    ensure_role_groups()
    after = snapshot()
    assert after == before, (
        "ensure_role_groups() changed the groups left by the migrations: roles.py has changed, "
        "add a migration that carries the change"
    )


def test_migrated_groups_are_the_frozen_table() -> None:
    name, frozen = newest_frozen_table()
    migrated = {group: perms for group, perms in snapshot().items() if group in frozen}
    assert migrated == frozen, f"the groups after migrate differ from the table frozen in {name}"


# (c) ------------------------------------------------------------------------------------


def test_roles_py_matches_the_newest_frozen_table() -> None:
    name, frozen = newest_frozen_table()
    live = live_table()
    if live != frozen:
        diff = {
            group: {
                "only in roles.py": sorted(set(live.get(group, [])) - set(frozen.get(group, []))),
                "only in migration": sorted(set(frozen.get(group, [])) - set(live.get(group, []))),
            }
            for group in sorted(set(live) | set(frozen))
            if live.get(group) != frozen.get(group)
        }
        pytest.fail(
            f"complaints/roles.py no longer matches the role table frozen in migration {name}: "
            f"add a migration (with its own frozen ROLE_PERMISSIONS) that updates the groups. Differences: {diff}"
        )
