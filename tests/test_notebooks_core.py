"""The quick-start and replay notebooks run top to bottom on the current code."""

from pathlib import Path

import pytest
import support

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("name", ["01_quickstart.ipynb", "02_sentinel_replay.ipynb"])
def test_notebook_executes(name, tmp_path):
    executed = support.run_notebook(NOTEBOOKS / name, cwd=tmp_path, timeout_s=300)
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type in ("display_data", "execute_result") for o in outputs)
