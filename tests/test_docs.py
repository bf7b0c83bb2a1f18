"""The ODD document's parameter table is the registry's, word for word."""

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
