"""Each documented dataclass of ``sim`` documents its fields, and only them.

A frozen dataclass's numpy docstring lists its fields under ``Attributes``; the field
declarations are the other home of their names, so the two are checked against each other
here. Prose at the left margin of that section would be read by numpydoc as one more
attribute: it belongs before the section, or in ``Notes``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "sim"
_HEADER = re.compile(r"^(\w[\w ]*)\n-+$", re.MULTILINE)


def _is_dataclass(node: ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name) and target.id == "dataclass":
            return True
    return False


def _fields(node: ast.ClassDef) -> list[str]:
    """Public fields in declaration order (``ClassVar`` and ``_private`` ones left out)."""
    return [
        statement.target.id
        for statement in node.body
        if isinstance(statement, ast.AnnAssign)
        and isinstance(statement.target, ast.Name)
        and not statement.target.id.startswith("_")
        and "ClassVar" not in ast.unparse(statement.annotation)
    ]


def attributes_section(docstring: str) -> str | None:
    """The body of a numpy docstring's ``Attributes`` section, or None when it has none."""
    headers = list(_HEADER.finditer(docstring))
    for index, header in enumerate(headers):
        if header.group(1) == "Attributes":
            end = headers[index + 1].start() if index + 1 < len(headers) else len(docstring)
            return docstring[header.end() : end]
    return None


def documented_names(section: str) -> list[str]:
    """Names an ``Attributes`` section lists: its lines at the left margin, split at commas."""
    names = []
    for line in section.splitlines():
        if line.strip() and not line.startswith(" "):
            names += [name.strip() for name in line.split(" : ")[0].split(",")]
    return names


def mismatches(docstring: str, fields: list[str]) -> list[str]:
    """What is wrong between a docstring's ``Attributes`` and a class's fields (empty: none)."""
    section = attributes_section(docstring)
    if section is None:
        return []
    names = documented_names(section)
    problems = [f"field {name!r} is not documented" for name in fields if name not in names]
    problems += [f"{name!r} is documented but is no field" for name in names if name not in fields]
    return problems


def _documented_dataclasses() -> list[tuple[str, str, list[str]]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and _is_dataclass(node):
                docstring = ast.get_docstring(node) or ""
                if attributes_section(docstring) is not None:
                    where = f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name}"
                    found.append((where, docstring, _fields(node)))
    return found


DOCUMENTED = _documented_dataclasses()


def test_dataclasses_are_found() -> None:
    assert len(DOCUMENTED) >= 50


@pytest.mark.parametrize(
    ("where", "docstring", "fields"), DOCUMENTED, ids=[d[0] for d in DOCUMENTED]
)
def test_attributes_name_every_field_and_nothing_else(
    where: str, docstring: str, fields: list[str]
) -> None:
    assert mismatches(docstring, fields) == [], where


def test_a_missing_field_and_stray_prose_are_found() -> None:
    docstring = (
        "A thing.\n\nAttributes\n----------\nfirst, second : int\n    Two numbers.\n\n"
        "A design has this many rows.\n\nNotes\n-----\nAnything at all.\n"
    )
    assert mismatches(docstring, ["first", "second", "third"]) == [
        "field 'third' is not documented",
        "'A design has this many rows.' is documented but is no field",
    ]
