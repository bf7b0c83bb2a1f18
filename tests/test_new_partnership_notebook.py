"""The new-partnership notebook runs top to bottom: the example's table to its scenario (the
shipped file, regenerated), behaviour from Sentinel, a forecast, three plans compared, and a
scenario found by name in a folder of one's own."""

from pathlib import Path

import support

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_new_partnership.ipynb"


def test_new_partnership_notebook_executes(tmp_path):
    executed = support.run_notebook(NOTEBOOK, cwd=tmp_path, timeout_s=300)
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "7 partners: " in text
    assert "same as the shipped example file: True" in text
    assert "every plan raises recording: True" in text
    assert str(tmp_path / "my_scenarios" / "harrowdale.toml") in text
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) == 2  # the forecast's shares and the plans' differences
