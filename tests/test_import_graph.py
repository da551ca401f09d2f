"""The package has no import cycle: every module imports alone, in a fresh interpreter,
and the graph of module-level imports (read from the source, not from what happens to
be imported first) has no loop. A cycle works until someone imports the modules in
the other order; this catches it the day it is written."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import hazard_ledger

PACKAGE_DIR = Path(hazard_ledger.__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
# run by Alembic inside a migration context, never imported
ALEMBIC_SCRIPTS = {"hazard_ledger.migrations.env"}
WEB = "hazard_ledger.web"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    """Every module of the package (the migrations' scripts are Alembic's, loaded by path)."""
    return {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))
            if "migrations/versions" not in path.as_posix()}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module, deferred: bool):
    """The import statements a module runs as it is imported: top level, and inside
    top-level if/try blocks, but not under `if TYPE_CHECKING:`; `deferred`: also those
    inside functions and classes, which run later but are dependencies all the same."""
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            pending.extend(node.orelse if _is_type_checking(node.test) else node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody
                           + [stmt for handler in node.handlers for stmt in handler.body])
        elif deferred and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.With,
                                            ast.For, ast.While)):
            pending.extend(node.body + getattr(node, "orelse", []))


def import_graph(deferred: bool = False) -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8")), deferred):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else base)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert len(graph) > 50  # the walk found the package
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_cycle_through_deferred_imports():
    """An import inside a function hides a cycle from the interpreter, not from the
    design: the domain packages have none either. (The web layer's init functions import
    their blueprints as the app is built; that loop is the app's assembly, left out.)"""
    graph = {name: {target for target in targets if not target.startswith(WEB)}
             for name, targets in import_graph(deferred=True).items() if not name.startswith(WEB)}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle through deferred imports: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_imports_alone():
    """Each module in an interpreter of its own (one interpreter imports them one after
    another, each after forgetting every module of the package), so a module that only
    works when another was imported first fails here."""
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m == 'hazard_ledger' or m.startswith('hazard_ledger.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed.append(f'{name}: {type(error).__name__}: {error}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    names = sorted(name for name in _modules() if name not in ALEMBIC_SCRIPTS)
    result = subprocess.run([sys.executable, "-c", script, *names], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
