"""Imports flow one way: no module of ``sim`` imports, at run time, a module that imports it
back (directly or round a longer circle), and every module imports in a fresh interpreter.

The graph is read from the source with :mod:`ast`: every ``import`` and ``from ... import``,
at module level or inside a function (a function-level import runs too), except those under
``if TYPE_CHECKING:`` (never run). ``from package import name`` is an edge to the module
``package.name`` when there is one, else to the package itself.

An import inside a function is there for a reason (start-up time, an optional dependency, a
circle it breaks), and a comment says which: on the line above its block of imports, or beside
one of them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "sim"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _typing_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``sim`` that module ``name`` (at ``path``) imports at run time."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _typing_only(child):
                for other in child.orelse:
                    visit_statement(other)
            else:
                visit_statement(child)

    def visit_statement(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules else base)
        else:
            visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {module for module in found if module in modules and module != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_sim_imports_itself_round_a_circle():
    modules = _modules()
    assert len(modules) > 50
    graph = {name: _imported(name, path, modules) for name, path in modules.items()}
    assert sum(len(edges) for edges in graph.values()) > 100  # the reader does see imports
    circles = {
        " -> ".join(group): {m: sorted(graph[m] & set(group)) for m in group}
        for group in _cycles(graph)
    }
    assert circles == {}


def test_every_module_imports_in_a_fresh_interpreter():
    # A __main__ module runs its program when imported: it is not a library module.
    names = sorted(name for name in _modules() if not name.endswith(".__main__"))
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run(
        [sys.executable, "-c", code, *names], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _unexplained_imports(source: str) -> list[int]:
    """Lines of the function-level imports in ``source`` that no comment explains.

    Consecutive imports form one block; a comment on the line above the block, or on one of
    its lines, explains the whole block.
    """
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for body in _statement_lists(function):
            block: list[ast.stmt] = []
            for statement in [*body, None]:
                if isinstance(statement, ast.Import | ast.ImportFrom):
                    block.append(statement)
                    continue
                if block and not _commented(block, lines):
                    found.append(block[0].lineno)
                block = []
    return sorted(set(found))


def _statement_lists(function: ast.AST) -> list[list[ast.stmt]]:
    return [
        value
        for node in ast.walk(function)
        for field in ("body", "orelse", "finalbody")
        if isinstance(value := getattr(node, field, None), list)
    ]


def _commented(block: list[ast.stmt], lines: list[str]) -> bool:
    first, last = block[0].lineno, block[-1].end_lineno or block[-1].lineno
    above = lines[first - 2].strip() if first >= 2 else ""
    return above.startswith("#") or any("#" in line for line in lines[first - 1 : last])


def test_the_import_reader_finds_an_unexplained_import():
    source = (
        "def f():\n"
        "    # start-up time\n"
        "    import numpy\n"
        "    import pandas\n"
        "    x = 1\n"
        "    import scipy\n"
        "    if x:\n"
        "        import json  # optional\n"
        "        import csv\n"
    )
    assert _unexplained_imports(source) == [6]


def test_every_function_level_import_says_why():
    unexplained = {
        str(path.relative_to(ROOT.parent)): lines
        for path in _modules().values()
        if (lines := _unexplained_imports(path.read_text(encoding="utf-8")))
    }
    assert unexplained == {}
