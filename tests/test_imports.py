"""Imports run one way (config ← index ← ops ← app ← api, bot ← jauap); no cycle between packages or between modules.

Read from the source (AST), imports inside functions included: a lazy import hides a cycle, it does not remove it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "index", "app", "api", "bot", "ops", "jauap")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The project modules `name` (at `path`) imports, typing-only imports left out (they never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


# the entry points' first import, before any dependency (`python -m index` with a bare Python): standard library only,
# so outside the layers; test_the_installation_check_imports_no_project_module holds it to that
INSTALL_CHECK = "jauap.installed"


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imported(name, path, known)) - {INSTALL_CHECK} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def package_of(module: str) -> str:
    return module.split(".")[0]


def test_no_import_cycle_between_packages() -> None:
    between: dict[str, set[str]] = {}
    for source, targets in graph().items():
        for target in targets:
            if package_of(source) != package_of(target):
                between.setdefault(package_of(source), set()).add(package_of(target))
    assert cycles(between) == [], {p: sorted(t) for p, t in between.items()}


def test_the_installation_check_imports_no_project_module() -> None:
    known = modules()
    assert set(imported(INSTALL_CHECK, known[INSTALL_CHECK], known)) == set()
    package = ast.parse((ROOT / "jauap" / "__init__.py").read_text(encoding="utf-8"))  # runs first: no imports
    assert not [node for node in ast.walk(package) if isinstance(node, ast.Import | ast.ImportFrom)]


def test_no_import_cycle_between_modules() -> None:
    assert cycles(graph()) == []


LAYERS = {  # what each package may import besides itself
    "config": set(),  # the one settings object: every package may read it
    "index": {"config"},
    "ops": {"config", "index"},
    "app": {"config", "index"},
    "api": {"config", "index", "ops", "app"},
    "bot": {"config", "index", "ops", "app"},
    "jauap": {"config", "index", "ops", "app", "api", "bot"},
}


def test_each_package_imports_only_the_layers_below_it() -> None:
    uses: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for source, targets in graph().items():
        uses[package_of(source)] |= {package_of(t) for t in targets} - {package_of(source)}
    assert {p: sorted(used - LAYERS[p]) for p, used in uses.items() if used - LAYERS[p]} == {}
