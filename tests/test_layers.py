"""The layer contract: entry points -> services/selectors/notifications -> core; never upward, never a cycle.

Read from the source with ``ast``, function-level imports included, so a cycle cannot
hide inside a function. The checker is run on the real tree and on a small fixture
tree with a deliberate upward import and a deliberate cycle, to show it can fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Longest prefix wins. 3 = entry points, 2 = writes and reads, 1 = the core.
LAYERS: dict[str, int] = {
    "complaints": 3,  # anything not named below (apps, admin, health, demo, templatetags) is an entry point
    "complaints.api": 3,
    "complaints.web": 3,
    "complaints.management": 3,
    "complaints.tasks": 3,
    "complaints.notifications.tasks": 3,
    "complaints.notifications.admin": 3,
    "complaints.services": 2,
    "complaints.selectors": 2,
    "complaints.notifications": 2,
    "complaints.workflow": 1,
    "complaints.legal_workflow": 1,
    "complaints.deadlines": 1,
    "complaints.audit": 1,
    "complaints.integrity": 1,  # the hashing rules and the standalone verifier: stdlib + cryptography only
    "complaints.crypto": 1,  # field encryption and lookup hashes (models' fields use it)
    "complaints.access": 1,
    "complaints.events": 1,
    "complaints.errors": 1,
    "complaints.models": 1,
    "complaints.roles": 1,
    "complaints.uploads": 1,
    "complaints.textsearch": 1,  # staff search words, stems and match expressions (snowballstemmer only)
    "complaints.text": 1,  # text-field rules (what is kept, what is refused), shared by forms, serializers, services
    "complaints.sizes": 1,  # sizes in messages
    "complaints.masking": 1,  # masked contact data for lists
    "complaints.metrics": 1,  # the Prometheus counters (prometheus_client only), incremented by every layer
    "complaints.formats": 1,
    "complaints.geo": 1,  # the shipped region boundaries and their projection: stdlib only
    "complaints.documents": 1,
    "complaints.migrations": 1,
}


def layer_of(module: str) -> int:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise KeyError(module)


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str, known: set[str]) -> set[str]:
    """The application modules ``module`` imports anywhere in its body (functions included)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph(root: Path, package: str = "complaints") -> dict[str, set[str]]:
    paths = {module_name(p, root): p for p in (root / package).rglob("*.py") if "migrations" not in p.parts}
    known = set(paths)
    # `from complaints import services` names the package, `from complaints.services import x` too:
    # neither is a dependency on the parent package's own code unless that is all there is.
    graph = {}
    for module, path in paths.items():
        deps = imports_of(path, module, known)
        graph[module] = {d for d in deps if not (module.startswith(d + ".") and d == package)}
    return graph


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} (layer {layer_of(module)}) imports {dep} (layer {layer_of(dep)})"
        for module, deps in graph.items()
        for dep in deps
        if layer_of(dep) > layer_of(module)
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in graph.get(node, ()):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_parents(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop a package's imports of its own submodules (re-exports), which are not dependencies."""
    return {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}


def test_no_upward_import() -> None:
    assert upward_imports(import_graph(ROOT)) == []


def test_no_import_cycle() -> None:
    assert cycles(package_parents(import_graph(ROOT))) == []


def test_only_the_tasks_module_imports_celery_in_notifications() -> None:
    offenders = []
    for path in (ROOT / "complaints" / "notifications").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            if any(m == "celery" or m.startswith("celery.") for m in mods) and path.name != "tasks.py":
                offenders.append(path.name)
    assert offenders == []


def test_every_module_opens_with_a_line_saying_what_it_is_for() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "complaints").rglob("*.py")
        if "migrations" not in p.parts and p.stat().st_size and not ast.get_docstring(ast.parse(p.read_text()))
    ]
    assert missing == []


# --- the checker fails on a deliberate upward import and a deliberate cycle ------------


@pytest.fixture
def broken_tree(tmp_path: Path) -> Path:
    files = {
        "complaints/__init__.py": "",
        "complaints/models/__init__.py": "from complaints.api.views import thing\n",  # core -> entry point
        "complaints/api/__init__.py": "",
        "complaints/api/views.py": "thing = 1\n",
        "complaints/services/__init__.py": "",
        "complaints/services/a.py": "def f():\n    from complaints.selectors import g\n",  # hidden in a function
        "complaints/selectors.py": "from complaints.services import a\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_checker_reports_an_upward_import(broken_tree: Path) -> None:
    assert upward_imports(import_graph(broken_tree)) == [
        "complaints.models (layer 1) imports complaints.api.views (layer 3)"
    ]


def test_checker_reports_a_cycle_hidden_in_a_function(broken_tree: Path) -> None:
    graph = package_parents(import_graph(broken_tree))
    assert cycles(graph) == [["complaints.selectors", "complaints.services.a"]]
