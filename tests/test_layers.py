"""The layering rules hold in the code: route -> schema -> service -> store, and no import cycles.

Services are plain Python, so they run (and will be reused) without a web framework or a
validation library; the API reads and writes only through them; and no module of ``sandbox``
needs another that, directly or not, needs it back while it loads.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import rebilly_sandbox

PACKAGE_DIR = Path(rebilly_sandbox.__file__).parent
#: The import name of the package, whose source folder is ``sandbox/``.
PACKAGE = "rebilly_sandbox"
FORBIDDEN_IN_SERVICES = ("flask", "werkzeug", "marshmallow")


def _module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(PACKAGE_DIR).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run while the module loads: not in functions, not under TYPE_CHECKING."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                pending.extend(node.body)
            pending.extend(node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                pending.extend(handler.body)
        elif isinstance(node, (ast.With, ast.For, ast.While)):
            pending.extend(node.body)
    return found


def _all_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import a module may run, in functions too, but not those under TYPE_CHECKING."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                pending.extend(child.orelse)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            else:
                pending.append(child)
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(in_functions: bool = False) -> dict[str, set[str]]:
    """Each ``sandbox`` module and the ``sandbox`` modules it imports while it loads (and, with
    ``in_functions``, those its functions import when they run)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    imports_of = _all_imports if in_functions else _module_level_imports
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in imports_of(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                target = _resolve(name, path.name == "__init__.py", node)
                # ``from pkg import name``: the submodule when there is one, else the package.
                targets = [f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules
                           else target for alias in node.names]
            graph[name].update(target for target in targets
                               if target in modules and target != name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or ``None`` when the graph has none."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph[node]):
            if target in on_path:
                return path[path.index(target):] + [target]
            if target not in done and (cycle := visit(target)):
                return cycle
        on_path.discard(path.pop())
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done and (cycle := visit(start)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_import_graph_sees_relative_and_package_imports():
    graph = import_graph()

    assert "rebilly_sandbox.store" in graph["rebilly_sandbox.namespacesalt"]
    assert "rebilly_sandbox.api.customers" in graph["rebilly_sandbox.api"]
    assert "rebilly_sandbox.app" not in graph["rebilly_sandbox"], \
        "a function-level import does not count"


def test_no_module_of_the_package_imports_itself_back():
    cycle = find_cycle(import_graph())

    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_import_in_a_function_hides_a_cycle():
    """An import moved into a function to dodge a cycle still makes one: none may."""
    graph = import_graph(in_functions=True)
    assert "rebilly_sandbox.app" in graph["rebilly_sandbox"], "a function-level import counts here"

    cycle = find_cycle(graph)

    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


SERVICE_MODULES = sorted(name for name in _modules()
                         if name.startswith("rebilly_sandbox.services."))


@pytest.mark.parametrize("module", SERVICE_MODULES)
def test_a_service_loads_without_flask_werkzeug_or_marshmallow(module):
    probe = (f"import sys, {module}\n"
             f"print(','.join(sorted(name for name in {FORBIDDEN_IN_SERVICES!r} "
             f"if name in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=PACKAGE_DIR.parent, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} loads {result.stdout.strip()}"


def test_there_are_services_to_check():
    assert "rebilly_sandbox.services.customers" in SERVICE_MODULES


def test_api_modules_do_not_import_the_store():
    graph = import_graph()
    api_modules = [name for name in graph
                   if name == "rebilly_sandbox.api" or name.startswith("rebilly_sandbox.api.")]

    offenders = {name: sorted(target for target in graph[name]
                              if target == "rebilly_sandbox.store"
                              or target.startswith("rebilly_sandbox.store."))
                 for name in api_modules}

    assert api_modules
    assert {name: targets for name, targets in offenders.items() if targets} == {}
