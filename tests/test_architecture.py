"""The layout shows the architecture: no import cycles between chiso's modules (function-level
imports counted too), the runtime package imports nothing of the benchmark, and every module
sits in the package of its role."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "flows"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in (*PACKAGE.rglob("*.py"), *(ROOT / "bench").rglob("*.py"))}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The chiso modules a file imports, wherever the import statement is."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = _modules()
    edges = {m: _imports(p, modules) - {m} for m, p in modules.items()}
    # a package's __init__ is imported with any of its modules; it may re-export them
    for m in modules:
        if "." in m:
            parent = m.rpartition(".")[0]
            if parent in modules and m in edges.get(parent, set()):
                edges[m].discard(parent)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_counting_function_level_imports():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_runtime_package_does_not_import_the_benchmark():
    edges = graph()
    # `chiso bench` and `chiso gen` hand over to the bench package; nothing else may
    allowed = {"flows.cli"}
    offenders = {m for m, deps in edges.items() if m.startswith("flows")
                 and any(d.startswith("bench") for d in deps)} - allowed
    assert offenders == set()


def test_every_module_sits_in_a_package_of_its_role():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == {"__init__", "cli", "nightly", "paths", "errors", "console", "logs",
                   "vietnamese", "yamlfile"}
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert packages == {"intake", "warehouse", "plan", "checks", "notify", "documents",
                        "province", "serving", "instrument"}
    for package in packages:
        init = PACKAGE / package / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), package
