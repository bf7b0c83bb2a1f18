"""The ODD document's parameter table is the registry's, word for word; the guarantees page
names only tests that exist."""

import re
from pathlib import Path

from sim.params import PARAMETERS, parameter_table

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


def test_odd_parameter_table_matches_the_registry():
    text = ODD.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- parameter-table:start -->\n(.*?)\n<!-- parameter-table:end -->", text, re.S
    )
    assert match, "docs/ODD.md lost its parameter-table markers"
    assert match.group(1).strip() == parameter_table().strip()


def test_every_parameter_is_named_in_the_odd_submodels():
    text = ODD.read_text(encoding="utf-8").split("## 8. Parameters")[0]
    missing = [name for name in PARAMETERS if name not in text]
    assert not missing, f"parameters the ODD text never explains: {missing}"


GUARANTEES = ODD.with_name("reliability.md")


def test_every_test_the_guarantees_page_names_exists():
    """`file.py::test`, `::test` (the file before), `file.py`, `folder/case.toml` and `case.toml`
    (the folder before), under tests/, and `sim/...` modules must all be there."""
    tests = Path(__file__).parent
    module, folder = None, None
    for cell in re.findall(r"`([^`\s]+\.(?:py|toml)(?:::\w+)?|::\w+)`", GUARANTEES.read_text()):
        name, _, function = cell.partition("::")
        if name.startswith("sim/"):
            assert (tests.parent / name).is_file(), f"docs/reliability.md names a missing {name}"
        elif name.endswith(".py"):
            module = tests / name
            assert module.is_file(), f"docs/reliability.md names a missing {name}"
        elif name:
            folder = tests / Path(name).parent if "/" in name else folder
            assert folder is not None and (folder / Path(name).name).is_file(), cell
        if function:
            assert module is not None and f"def {function}(" in module.read_text(), cell
