"""``notebooks/04_sensitivity.ipynb`` runs top to bottom on the current code.

The notebook uses a small budget (Morris with 4 trajectories, grouped Sobol with n = 16, two
replicates, serial) so that executing it costs seconds; the full analyses are the experiment
files.
"""

from pathlib import Path

import support

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_sensitivity.ipynb"


def test_sensitivity_notebook_executes(tmp_path):
    executed = support.run_notebook(NOTEBOOK, cwd=tmp_path, timeout_s=300)
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2
    text = "".join(
        str(o.get("data", {}).get("text/plain", "")) + o.get("text", "") for o in outputs
    )
    assert "noise share" in text
    assert (tmp_path / "results/notebooks/04_sensitivity/sobol/sobol_category.png").exists()
