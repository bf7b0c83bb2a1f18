"""``docs/architecture.md`` stays true: its layout names every module, in the order imports flow."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
SIM = ROOT / "sim"


def _layout() -> list[str]:
    """The page's layout block, one line per entry."""
    text = PAGE.read_text(encoding="utf-8")
    block = text.split("```\nsim/\n", 1)[1].split("```", 1)[0]
    return block.splitlines()


def _units() -> list[str]:
    """The top-level modules and packages of ``sim``, in the page's order."""
    found = []
    for line in _layout():
        match = re.match(r"^  (\w+)(\.py|/)\s", line)
        if match and match.group(1) != "__init__":
            found.append(match.group(1))
    return found


def _unit(module: str) -> str:
    """The top-level module or package of ``sim`` that ``module`` belongs to."""
    return module.split(".")[1]


def _runtime_imports(path: Path) -> set[str]:
    """The ``sim`` modules ``path`` imports when it runs (not those for type checking only)."""
    found: set[str] = set()

    class Imports(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                self.generic_visit(node)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module == "sim":
                found.update(f"sim.{alias.name}" for alias in node.names)
            elif node.module and node.module.startswith("sim."):
                found.add(node.module)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names if a.name.startswith("sim."))

    Imports().visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_the_layout_names_every_module_and_package_once():
    units = _units()
    on_disk = {p.stem for p in SIM.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in SIM.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }
    assert sorted(units) == sorted(on_disk)
    layout = "\n".join(_layout())
    for package in ("scenarios", "sweep", "sensitivity", "calibration", "dashboard"):
        for module in (SIM / package).glob("*.py"):
            if module.stem != "__init__":
                assert f"{module.name}" in layout, f"sim/{package}/{module.name} is not on the page"


def test_imports_flow_down_the_layout():
    """A module imports only what stands above it in the layout (or its own package)."""
    order = {unit: position for position, unit in enumerate(_units())}
    upward = []
    for path in SIM.rglob("*.py"):
        parts = path.relative_to(SIM).with_suffix("").parts
        if parts == ("__init__",):
            continue  # the package root binds the notebook API from below
        me = parts[0]
        for module in _runtime_imports(path):
            target = _unit(module)
            if target == "__version__":
                continue  # read when called, the one import marked as a cycle broken on purpose
            if target != me and order[target] > order[me]:
                upward.append(f"sim/{'/'.join(parts)}.py imports {module}")
    assert not upward, upward


def test_the_layout_check_sees_an_upward_import(tmp_path):
    """Negative control: an import of a module below is found."""
    module = tmp_path / "low.py"
    module.write_text("from sim.sweep import sweep\n", encoding="utf-8")
    assert _runtime_imports(module) == {"sim.sweep"}
    order = {unit: position for position, unit in enumerate(_units())}
    assert order["sweep"] > order["engine"]
