"""The sweeps notebook runs top to bottom: a sweep on a process pool from a notebook (no
``__main__`` guard), a stored design, resume and extension, a pyarrow query and a plot.

Budget: 8 + 24 + 24 runs of the replay on 2 workers; the notebook prints whether resuming
recomputed anything and whether extending changed old results, and both are checked here.
"""

from pathlib import Path

import support

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_sweeps.ipynb"


def test_sweeps_notebook_executes_and_resumes(tmp_path):
    executed = support.run_notebook(NOTEBOOK, cwd=tmp_path, timeout_s=300)
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "same results: True" in text
    assert "runs computed on resume: 0" in text
    assert "runs now: 24 - computed in this session: 8" in text
    assert "old runs unchanged: True" in text
    assert any(o.output_type == "display_data" and "image/png" in o.data for o in outputs)
